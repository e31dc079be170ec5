"""One pass over a bag's frames, offline through a Detector or from detections recorded in the bag."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from rosbags.rosbag2 import Reader
from tqdm import tqdm

from yolo_nano_ros.bag.frames import GT_TOPIC, GT_TYPE, IMAGE_TYPES, BagError, pick_image_topic, topics_of
from yolo_nano_ros.msgs.detection_arrays import DetectionArrays, class_indices, read_detection_array, stamp_ns
from yolo_nano_ros.msgs.image_encodings import ImageConversionError, image_message_to_array
from yolo_nano_ros.msgs.typestore import typestore
from yolo_nano_ros.runtime.detector import Detector
from yolo_nano_ros.runtime.postprocess import Detections


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
                run.skipped[exc.reason] += 1
                continue
            result = detector.detect(image, order)
            t = result.times
            total_ms += t.total_ms
            run.frames.append(FrameResult(stamp_ns(msg.header), log_time, result.detections,
                                          {"pre": t.pre_ms, "infer": t.infer_ms, "post": t.post_ms,
                                           "total": t.total_ms}, msg.header.frame_id))
    run.fps = 1e3 * len(run.frames) / total_ms if total_ms else 0.0
    return run


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
