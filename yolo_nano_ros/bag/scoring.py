"""Score a bag run: detections matched to ground truth by header stamp."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from rosbags.rosbag2 import Reader

from yolo_nano_ros.bag.frames import BagError
from yolo_nano_ros.bag.runs import BagRun
from yolo_nano_ros.evaluation.metrics import DetectionMetrics, GroundTruth, Predictions, evaluate_detections
from yolo_nano_ros.msgs.detection_arrays import DetectionArrays, class_indices, stamp_ns
from yolo_nano_ros.msgs.typestore import typestore
from yolo_nano_ros.runtime.postprocess import Detections


@dataclass
class Scored:
    metrics: DetectionMetrics
    frames_scored: int
    skipped: Counter[str]
    gts: list[GroundTruth] = field(default_factory=list)  # per scored frame, in bag order
    preds: list[Predictions] = field(default_factory=list)
    log_times_ns: list[int] = field(default_factory=list)  # each scored frame's place in the bag


def score(run: BagRun, truth: dict[int, DetectionArrays]) -> Scored:
    """Match by stamp; frames without ground truth and GT classes the model lacks are counted, not scored."""
    skipped = Counter(run.skipped)
    gts, preds, log_times = [], [], []
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
        log_times.append(frame.log_time_ns)
    return Scored(evaluate_detections(gts, preds, run.class_names), len(gts), skipped, gts, preds, log_times)


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
