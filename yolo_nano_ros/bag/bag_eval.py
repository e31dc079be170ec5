"""Score a detector on a rosbag: detections matched to ground truth by header stamp.

Offline (default): every image of the bag goes through the Detector in this process (any backend),
which gives accuracy and per-stage latency. Live (`live_replay.py`): the bag is played over DDS into
a running detector node and what the node publishes is scored instead. Both end in the same
report: DIR/report.json, report.md, PR-curve and latency PNGs, and DIR/detections, a bag with
the images, the ground truth and our detections on /yolo_nano/detections for RViz or Foxglove.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from rosbags.rosbag2 import Reader, StoragePlugin, Writer
from tqdm import tqdm

from yolo_nano_ros.bag.bag_frames import GT_TYPE, IMAGE_TYPES, BagError, pick_image_topic, topics_of
from yolo_nano_ros.bag.make_bag import GT_TOPIC
from yolo_nano_ros.evaluation.metrics import DetectionMetrics, GroundTruth, Predictions, evaluate_detections
from yolo_nano_ros.evaluation.report import metrics_markdown, save_pr_curves
from yolo_nano_ros.msgs.detection_arrays import (
    DetectionArrays,
    class_indices,
    detection_array_msg,
    hypothesis_class_ids,
    read_detection_array,
    stamp_ns,
)
from yolo_nano_ros.msgs.image_encodings import ImageConversionError, image_message_to_array
from yolo_nano_ros.msgs.typestore import typestore
from yolo_nano_ros.runtime.detector import Detector
from yolo_nano_ros.runtime.latency import LatencyWindow
from yolo_nano_ros.runtime.postprocess import Detections

DETECTIONS_TOPIC = "/yolo_nano/detections"


@dataclass
class FrameResult:
    """One image of the bag and what the detector made of it (None: no answer)."""

    stamp_ns: int  # the image header's stamp: what ground truth is matched on
    log_time_ns: int  # the image message's time in the bag: where our detections are written back
    detections: Detections | None
    times_ms: dict[str, float] = field(default_factory=dict)
    frame_id: str = ""


@dataclass
class BagRun:
    """What a pass over the bag produced, offline or live, before scoring."""

    mode: str  # "offline" or "live"
    frames: list[FrameResult]
    class_names: tuple[str, ...]
    skipped: Counter[str] = field(default_factory=Counter)
    fps: float = 0.0
    extra: dict[str, object] = field(default_factory=dict)


def check_bag(bag: Path, image_topic: str | None, gt_topic: str | None) -> tuple[str, str | None]:
    """The image topic and ground-truth topic to use; clear errors for a bag that has neither."""
    if not bag.exists():
        raise BagError(f"{bag} does not exist")
    with Reader(bag) as reader:
        topics = topics_of(reader)
        counts = {c.topic: c.msgcount for c in reader.connections}
        topic = pick_image_topic(reader, image_topic)
    if topics[topic] not in IMAGE_TYPES:
        raise BagError(f"{topic} holds {topics[topic]}, not sensor_msgs Image or CompressedImage")
    if counts.get(topic, 0) == 0:
        raise BagError(f"{topic} has no messages: the bag is empty")
    gt = gt_topic or (GT_TOPIC if GT_TOPIC in topics else None)
    if gt is not None and topics.get(gt) != GT_TYPE:
        raise BagError(f"ground-truth topic {gt} is not in the bag as {GT_TYPE}; it has: "
                       + ", ".join(f"{t} ({m})" for t, m in topics.items()))
    return topic, gt


def run_offline(bag: Path, detector: Detector, image_topic: str, progress: bool = True) -> BagRun:
    """Every frame through the detector here; undecodable frames are counted skips, never a traceback."""
    store = typestore()
    run = BagRun("offline", [], detector.class_names)
    total_ms = 0.0
    with Reader(bag) as reader:
        conns = [c for c in reader.connections if c.topic == image_topic]
        count = sum(c.msgcount for c in conns)
        for conn, log_time, raw in tqdm(reader.messages(connections=conns), total=count, desc="eval", unit="img",
                                        disable=not progress):
            try:
                msg = store.deserialize_cdr(raw, conn.msgtype)
            except Exception as exc:  # rosbags raises several types for malformed CDR
                run.skipped[f"corrupt message ({type(exc).__name__})"] += 1
                continue
            try:
                image, order = image_message_to_array(msg)
            except ImageConversionError as exc:
                run.skipped[str(exc).split(":")[0].split(" (")[0]] += 1
                continue
            result = detector.detect(image, order)  # type: ignore[arg-type]
            t = result.times
            total_ms += t.total_ms
            run.frames.append(FrameResult(stamp_ns(msg.header), log_time, result.detections,
                                          {"pre": t.pre_ms, "infer": t.infer_ms, "post": t.post_ms,
                                           "total": t.total_ms}, msg.header.frame_id))
    run.fps = 1e3 * len(run.frames) / total_ms if total_ms else 0.0
    return run


@dataclass
class Scored:
    metrics: DetectionMetrics
    frames_scored: int
    skipped: Counter[str]


def score(run: BagRun, truth: dict[int, DetectionArrays]) -> Scored:
    """Match by stamp; frames without ground truth and GT classes the model lacks are counted, not scored."""
    skipped = Counter(run.skipped)
    gts, preds = [], []
    empty = Detections(np.zeros((0, 4), np.float32), np.zeros(0, np.float32), np.zeros(0, np.int64))
    for frame in run.frames:
        gt = truth.get(frame.stamp_ns)
        if gt is None:
            skipped["frame without ground truth"] += 1
            continue
        labels = class_indices(gt.class_ids, run.class_names)
        unknown = labels < 0
        if unknown.any():
            skipped["ground-truth box of a class the model lacks"] += int(unknown.sum())
        gts.append(GroundTruth(gt.boxes[~unknown], labels[~unknown], gt.difficult[~unknown]))
        d = frame.detections if frame.detections is not None else empty
        preds.append(Predictions(d.boxes.astype(np.float64), d.scores.astype(np.float64), d.class_ids))
    return Scored(evaluate_detections(gts, preds, run.class_names), len(gts), skipped)


def latency_summary(run: BagRun) -> dict[str, dict[str, float]]:
    windows: dict[str, LatencyWindow] = {}
    for frame in run.frames:
        for stage, ms in frame.times_ms.items():
            windows.setdefault(stage, LatencyWindow(len(run.frames))).add(ms)
    return {stage: w.summary() for stage, w in windows.items()}


def save_latency_plot(run: BagRun, path: Path) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    stages = sorted({s for f in run.frames for s in f.times_ms}, key=lambda s: (s == "total", s))
    fig, (ax_t, ax_h) = plt.subplots(1, 2, figsize=(11, 4), dpi=110)
    for stage in stages:
        values = [f.times_ms[stage] for f in run.frames if stage in f.times_ms]
        ax_t.plot(values, label=stage, linewidth=1)
        ax_h.hist(values, bins=40, alpha=0.5, label=stage)
    ax_t.set(xlabel="frame", ylabel="ms", title=f"latency per frame ({run.mode})")
    ax_h.set(xlabel="ms", ylabel="frames", title="latency distribution")
    for ax in (ax_t, ax_h):
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path)
    plt.close(fig)
    return path


def build_report(run: BagRun, scored: Scored, bag: Path, model: str, backend: str) -> dict[str, object]:
    """fps and latency_ms describe the run at its own settings (the evaluation's low threshold)."""
    answered = sum(f.detections is not None for f in run.frames)
    return {**scored.metrics.to_dict(), "fps": run.fps, "latency_ms": latency_summary(run),
            "frames": len(run.frames), "frames_scored": scored.frames_scored, "frames_answered": answered,
            "skipped": dict(scored.skipped), "mode": run.mode, "bag": str(bag), "model": model, "backend": backend,
            **run.extra}


def report_markdown(report: dict[str, object], metrics: DetectionMetrics) -> str:
    lat = report["latency_ms"]
    assert isinstance(lat, dict)
    lines = [f"# Bag evaluation ({report['mode']})", "",
             f"bag `{report['bag']}`, model `{report['model']}`, backend `{report['backend']}`", "",
             f"frames {report['frames']}, answered {report['frames_answered']}, scored {report['frames_scored']}; "
             f"FPS {float(report['fps']):.1f}", ""]
    skipped = report["skipped"]
    assert isinstance(skipped, dict)
    if skipped:
        lines += ["Skipped: " + ", ".join(f"{reason} × {n}" for reason, n in skipped.items()), ""]
    lines += ["| latency (ms) | p50 | p95 | p99 | mean |", "|---|---:|---:|---:|---:|"]
    for stage, s in lat.items():
        lines.append(f"| {stage} | {s['p50']:.2f} | {s['p95']:.2f} | {s['p99']:.2f} | {s['mean']:.2f} |")
    return "\n".join(lines) + "\n\n" + metrics_markdown(metrics) + "\n"


def write_detections_bag(source: Path, out: Path, run: BagRun, image_topic: str, gt_topic: str | None,
                         storage: str = "mcap") -> Path:
    """Images, camera_info and ground truth copied from the source, plus ours on /yolo_nano/detections."""
    store = typestore()
    t = store.types
    header_type, time_type = t["std_msgs/msg/Header"], t["builtin_interfaces/msg/Time"]
    keep = {image_topic, image_topic.rsplit("/", 1)[0] + "/camera_info"} | ({gt_topic} if gt_topic else set())
    # Keyed on the image's bag time, so its header is rebuilt from the run instead of deserialising the image again.
    ours = {f.log_time_ns: f for f in run.frames if f.detections is not None}
    plugin = StoragePlugin.MCAP if storage == "mcap" else StoragePlugin.SQLITE3
    with Reader(source) as reader, Writer(out, version=8, storage_plugin=plugin) as writer:
        copied = {c.id: writer.add_connection(c.topic, c.msgtype, typestore=store)
                  for c in reader.connections if c.topic in keep}
        conn_det = writer.add_connection(DETECTIONS_TOPIC, GT_TYPE, typestore=store)
        for conn, log_time, raw in reader.messages(connections=[c for c in reader.connections if c.id in copied]):
            writer.write(copied[conn.id], log_time, raw)
            frame = ours.get(log_time) if conn.topic == image_topic else None
            if frame is None or frame.detections is None:
                continue
            sec, nanosec = divmod(frame.stamp_ns, 10**9)
            header = header_type(stamp=time_type(sec=sec, nanosec=nanosec), frame_id=frame.frame_id)
            d = frame.detections
            msg = detection_array_msg(t, header, d.boxes, hypothesis_class_ids(d.class_ids, run.class_names),
                                      d.scores.tolist())
            writer.write(conn_det, log_time, store.serialize_cdr(msg, GT_TYPE))
    return out


def save_report(run: BagRun, scored: Scored, bag: Path, out_dir: Path, model: str, backend: str,
                image_topic: str, gt_topic: str | None, detections_bag: bool = True) -> dict[str, object]:
    out_dir.mkdir(parents=True, exist_ok=True)
    report = build_report(run, scored, bag, model, backend)
    (out_dir / "report.json").write_text(json.dumps(report, indent=2))
    (out_dir / "report.md").write_text(report_markdown(report, scored.metrics))
    save_pr_curves(scored.metrics, out_dir / "pr_curves.png")
    if any(f.times_ms for f in run.frames):
        save_latency_plot(run, out_dir / "latency.png")
    if detections_bag:
        target = out_dir / "detections"
        if target.exists():
            raise BagError(f"{target} exists; choose another --out or delete it")
        write_detections_bag(bag, target, run, image_topic, gt_topic)
    return report


def run_recorded(bag: Path, detections_topic: str, class_names: tuple[str, ...], image_topic: str) -> BagRun:
    """Score detections already in the bag (recorded on a robot, or by an earlier evaluation).

    Every image frame is a frame to score; one without a detections message counts as unanswered.
    """
    store = typestore()
    run = BagRun("recorded", [], class_names)
    answers: dict[int, DetectionArrays] = {}
    frames: list[tuple[int, int, str]] = []
    with Reader(bag) as reader:
        topics = topics_of(reader)
        if topics.get(detections_topic) != GT_TYPE:
            raise BagError(f"detections topic {detections_topic} is not in the bag as {GT_TYPE}")
        conns = [c for c in reader.connections if c.topic in (detections_topic, image_topic)]
        for conn, log_time, raw in reader.messages(connections=conns):
            try:
                msg = store.deserialize_cdr(raw, conn.msgtype)
            except Exception as exc:  # rosbags raises several types for malformed CDR
                run.skipped[f"corrupt message ({type(exc).__name__})"] += 1
                continue
            if conn.topic == detections_topic:
                answers[stamp_ns(msg.header)] = read_detection_array(msg)
            else:
                frames.append((stamp_ns(msg.header), log_time, msg.header.frame_id))
    for stamp, log_time, frame_id in frames:
        found = answers.get(stamp)
        detections = None if found is None else arrays_to_detections(found, class_names)
        run.frames.append(FrameResult(stamp, log_time, detections, frame_id=frame_id))
    return run


def arrays_to_detections(arrays: DetectionArrays, class_names: tuple[str, ...]) -> Detections:
    """Published detections -> the evaluator's arrays; classes the model lacks are dropped."""
    labels = class_indices(arrays.class_ids, class_names)
    known = labels >= 0
    return Detections(arrays.boxes[known].astype(np.float32), arrays.scores[known].astype(np.float32), labels[known])


def ground_truth_from_dataset(bag: Path, image_topic: str, dataset: Any) -> dict[int, DetectionArrays]:
    """External annotations matched to the bag's frames by order: frame i <-> the dataset's sample i."""
    store = typestore()
    stamps = []
    with Reader(bag) as reader:
        conns = [c for c in reader.connections if c.topic == image_topic]
        for conn, _, raw in reader.messages(connections=conns):
            try:
                stamps.append(stamp_ns(store.deserialize_cdr(raw, conn.msgtype).header))
            except Exception:  # keep the order aligned: a corrupt frame still takes its sample's place
                stamps.append(-1)
    if len(stamps) != len(dataset.samples):
        raise BagError(f"{image_topic} has {len(stamps)} frames but the annotations have {len(dataset.samples)} "
                       "images; --gt matches frames to images by order, so both must hold the same set")
    out = {}
    for stamp, sample in zip(stamps, dataset.samples, strict=True):
        difficult = np.asarray(sample.difficult, bool) if len(sample.difficult) else np.zeros(len(sample.labels), bool)
        out[stamp] = DetectionArrays(np.asarray(sample.boxes, np.float64).reshape(-1, 4),
                                     [dataset.names[int(i)] for i in sample.labels], np.ones(len(sample.labels)),
                                     difficult)
    return out
