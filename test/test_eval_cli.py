"""`yolo-nano-eval`: coco128 -> bag -> evaluation, known answers, bad bags, and the live node."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from conftest_data import COCO128_VOC_YAML, DEMO_MODEL, REPO_ROOT
from rosbags.rosbag2 import StoragePlugin, Writer

from yolo_nano_ros.apps.eval_cli import main
from yolo_nano_ros.bag.frames import ground_truth_by_stamp
from yolo_nano_ros.bag.runs import BagRun, FrameResult
from yolo_nano_ros.bag.writer import BagSettings, dataset_from_folder, write_bag, write_detections_bag
from yolo_nano_ros.data.dataset_spec import load_split
from yolo_nano_ros.evaluation.dataset_eval import EVAL_SETTINGS, evaluate_detector
from yolo_nano_ros.model.config import VOC_CLASSES
from yolo_nano_ros.msgs.typestore import typestore
from yolo_nano_ros.runtime.detector import Detector
from yolo_nano_ros.runtime.postprocess import Detections

SAMPLES = REPO_ROOT / "data" / "samples"


@pytest.fixture(scope="module")
def coco128_val():
    dataset = load_split(COCO128_VOC_YAML, "val")
    dataset.samples = dataset.samples[:16]
    return dataset


def report_of(out: Path) -> dict:
    return json.loads((out / "report.json").read_text())


@pytest.mark.parametrize("storage", ["sqlite3", "mcap"])
def test_coco128_bag_evaluation_equals_the_dataset_evaluation(tmp_path, coco128_val, storage):
    bag = tmp_path / "bag"
    write_bag(coco128_val, BagSettings(bag, storage=storage), progress=False)
    out = tmp_path / "eval"
    assert main([str(bag), "--model", str(DEMO_MODEL), "--backend", "onnxruntime", "--out", str(out), "--quiet"]) == 0
    report = report_of(out)
    for key in ("map50_voc07", "map50", "map50_95", "per_class", "fps", "latency_ms", "frames", "skipped"):
        assert key in report
    assert report["frames"] == report["frames_scored"] == 16 and report["skipped"] == {}
    assert report["fps"] > 0 and {"pre", "infer", "post", "total"} <= set(report["latency_ms"])
    assert report["latency_ms"]["infer"]["p99"] >= report["latency_ms"]["infer"]["p50"] > 0
    # Same pixels (raw rgb8), same settings: the bag path must reproduce the dataset evaluation exactly.
    reference = evaluate_detector(Detector.from_path(DEMO_MODEL, "onnxruntime", EVAL_SETTINGS), coco128_val, False)
    assert report["map50"] == pytest.approx(reference.map50, abs=1e-9)
    assert report["map50_voc07"] == pytest.approx(reference.map50_voc07, abs=1e-9)
    assert report["map50_95"] == pytest.approx(reference.map50_95, abs=1e-9)
    for name in ("report.md", "pr_curves.png", "latency.png"):
        assert (out / name).stat().st_size > 0
    # The detections bag replays our detections; scoring it again gives the same numbers.
    rescored = tmp_path / "rescored"
    assert main([str(out / "detections"), "--detections-topic", "/yolo_nano/detections", "--out", str(rescored)]) == 0
    assert report_of(rescored)["map50"] == pytest.approx(report["map50"], abs=1e-6)


def detections_bag(tmp_path: Path, source: Path, shuffle: bool) -> Path:
    """A bag whose /yolo_nano/detections are the ground truth itself, or its boxes shuffled between frames.

    yolo-nano-bag writes each message at its header stamp, so the stamp is also the frame's bag time."""
    truth = ground_truth_by_stamp(source, "/ground_truth/detections")
    stamps = sorted(truth)
    boxes = [truth[s].boxes for s in stamps]
    if shuffle:
        boxes = boxes[1:] + boxes[:1]  # every frame gets another frame's boxes
    run = BagRun("recorded", [], VOC_CLASSES)
    for stamp, b in zip(stamps, boxes, strict=True):
        labels = np.array([VOC_CLASSES.index(n) for n in truth[stamp].class_ids] or [], np.int64)
        n = min(len(b), len(labels))
        run.frames.append(FrameResult(stamp, stamp, Detections(b[:n].astype(np.float32), np.ones(n, np.float32),
                                                           labels[:n])))
    out = tmp_path / ("shuffled" if shuffle else "perfect")
    return write_detections_bag(source, out, run, "/camera/image_raw", "/ground_truth/detections")


def test_perfect_detections_score_one_and_shuffled_boxes_score_low(tmp_path):
    source = tmp_path / "bag"
    write_bag(dataset_from_folder("yolo", SAMPLES, "voc"), BagSettings(source, storage="mcap"), progress=False)
    scores = {}
    for shuffle in (False, True):
        bag = detections_bag(tmp_path, source, shuffle)
        out = tmp_path / f"eval_{shuffle}"
        assert main([str(bag), "--detections-topic", "/yolo_nano/detections", "--out", str(out)]) == 0
        scores[shuffle] = report_of(out)
    for key in ("map50", "map50_voc07", "map50_95"):
        assert scores[False][key] == pytest.approx(1.0, abs=1e-12)
    assert scores[True]["map50"] < 0.2 and scores[True]["map50_95"] < 0.1


def test_external_annotations_match_frames_by_order(tmp_path):
    bag = tmp_path / "bag"
    write_bag(dataset_from_folder("yolo", SAMPLES, "voc"), BagSettings(bag), progress=False)
    # The same photos with every box moved by half the image width: --gt must score against these.
    moved = tmp_path / "moved"
    shutil.copytree(SAMPLES / "images", moved / "images")
    (moved / "labels").mkdir()
    for label in sorted((SAMPLES / "labels").glob("*.txt")):
        rows = [line.split() for line in label.read_text().splitlines() if line.strip()]
        (moved / "labels" / label.name).write_text("".join(
            f"{c} {(float(x) + 0.5) % 1.0:.6f} {y} {w} {h}\n" for c, x, y, w, h in rows))
    by_topic, by_folder, by_moved = tmp_path / "a", tmp_path / "b", tmp_path / "c"
    recorded = [str(bag), "--detections-topic", "/ground_truth/detections"]
    assert main([*recorded, "--out", str(by_topic)]) == 0
    assert main([*recorded, "--gt", f"yolo:{SAMPLES}", "--out", str(by_folder)]) == 0
    assert main([*recorded, "--gt", f"yolo:{moved}", "--out", str(by_moved)]) == 0
    assert report_of(by_topic)["map50"] == pytest.approx(1.0) and report_of(by_folder)["map50"] == pytest.approx(1.0)
    assert report_of(by_moved)["map50"] < 0.3, "--gt was not what the detections were scored against"

def test_external_annotations_of_another_image_set_are_refused(tmp_path, capsys):
    import shutil

    bag = tmp_path / "bag"
    write_bag(dataset_from_folder("yolo", SAMPLES, "voc"), BagSettings(bag), progress=False)
    other = tmp_path / "other"
    for sub, pattern in (("images", "*.jpg"), ("labels", "*.txt")):
        (other / sub).mkdir(parents=True)
        for path in sorted((SAMPLES / sub).glob(pattern))[:3]:
            shutil.copy(path, other / sub / path.name)
    assert main([str(bag), "--detections-topic", "/ground_truth/detections", "--gt", f"yolo:{other}",
                 "--out", str(tmp_path / "c")]) == 2
    assert "has 12 frames but the annotations have 3 images" in capsys.readouterr().err


def write_raw_bag(path: Path, frames: list[tuple[str, bytes | None]], with_gt_for: set[int]) -> None:
    """Image frames as (encoding, payload); payload None writes a truncated, corrupt CDR message."""
    store = typestore()
    t = store.types
    with Writer(path, version=8, storage_plugin=StoragePlugin.SQLITE3) as writer:
        conn = writer.add_connection("/camera/image_raw", "sensor_msgs/msg/Image", typestore=store)
        gt = writer.add_connection("/ground_truth/detections", "vision_msgs/msg/Detection2DArray", typestore=store)
        for i, (encoding, payload) in enumerate(frames):
            stamp = t["builtin_interfaces/msg/Time"](sec=100 + i, nanosec=0)
            header = t["std_msgs/msg/Header"](stamp=stamp, frame_id="cam")
            data = np.frombuffer(payload or bytes(64 * 48 * 3), np.uint8)
            msg = t["sensor_msgs/msg/Image"](header=header, height=48, width=64, encoding=encoding, is_bigendian=0,
                                             step=64 * 3, data=data)
            raw = store.serialize_cdr(msg, conn.msgtype)
            writer.write(conn, (100 + i) * 10**9, raw[:40] if payload is None else raw)
            if i in with_gt_for:
                empty = t["vision_msgs/msg/Detection2DArray"](header=header, detections=[])
                writer.write(gt, (100 + i) * 10**9, store.serialize_cdr(empty, gt.msgtype))


def test_bad_frames_are_counted_skips_and_bad_bags_clear_errors(tmp_path, capsys):
    bag = tmp_path / "bad"
    good = bytes(np.random.default_rng(0).integers(0, 255, 64 * 48 * 3, dtype=np.uint8))
    write_raw_bag(bag, [("rgb8", good), ("rgb8", None), ("32FC1", good), ("rgb8", good), ("rgb8", good)],
                  with_gt_for={0, 1, 2, 3})
    out = tmp_path / "out"
    assert main([str(bag), "--model", str(DEMO_MODEL), "--out", str(out), "--quiet"]) == 0
    report = report_of(out)
    assert report["frames"] == 3 and report["frames_scored"] == 2
    skipped = report["skipped"]
    assert skipped["frame without ground truth"] == 1
    assert any(k.startswith("corrupt message") for k in skipped)
    assert any("unsupported encoding '32FC1'" in k for k in skipped)

    empty = tmp_path / "empty"
    write_raw_bag(empty, [], set())
    assert main([str(empty), "--model", str(DEMO_MODEL), "--out", str(tmp_path / "e")]) == 2
    assert "no messages: the bag is empty" in capsys.readouterr().err
    no_gt = tmp_path / "no_gt"
    write_bag(dataset_from_folder("yolo", SAMPLES, "voc"), BagSettings(no_gt), progress=False)
    assert main([str(no_gt), "--model", str(DEMO_MODEL), "--gt-topic", "/nothing", "--out", str(tmp_path / "g")]) == 2
    assert "ground-truth topic /nothing is not in the bag" in capsys.readouterr().err
    assert main([str(no_gt), "--model", str(DEMO_MODEL), "--image-topic", "/nope", "--out", str(tmp_path / "h")]) == 2
    assert "topic /nope not in the bag" in capsys.readouterr().err
    assert main([str(tmp_path / "missing"), "--model", str(DEMO_MODEL)]) == 2
    assert "does not exist" in capsys.readouterr().err


@pytest.mark.ros
def test_live_evaluation_scores_what_the_node_published(tmp_path):
    bag = tmp_path / "bag"
    write_bag(dataset_from_folder("yolo", SAMPLES, "voc"), BagSettings(bag, compressed=True), progress=False)
    out = tmp_path / "live"
    assert main([str(bag), "--model", str(DEMO_MODEL), "--live", "--rate", "5", "--out", str(out)]) == 0
    report = report_of(out)
    live = report["live"]
    assert live["sent"] == 12 and live["answered"] + live["dropped"] == 12 and live["answered"] >= 8
    assert report["frames"] == 12 and report["frames_answered"] == live["answered"]
    assert report["latency_ms"]["end_to_end"]["p50"] > live["node_latency_ms_p50"]["infer"] > 0
    assert report["map50"] > 0.4  # the demo weights score ~0.9 on these photos offline
    assert (out / "detections").is_dir()
