"""Where a detector goes wrong, frame by frame: each frame's detections (at a score threshold) matched to
its ground truth one to one by IoU, greedily from the best pair and across classes, as Ultralytics' and
YOLOv5's confusion matrices do. A pair of different classes is a confusion; a ground-truth box left over
is missed (the background row); a detection left over is a false positive (the background column)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from yolo_nano_ros.evaluation.metrics import GroundTruth, Predictions
from yolo_nano_ros.runtime.postprocess import box_iou

REPORT_CONF = 0.25  # the score a detection needs to count here (the node's default conf_threshold)
MATCH_IOU = 0.5


@dataclass
class FrameMatch:
    pairs: list[tuple[int, int]]  # (ground-truth index, detection index), IoU >= MATCH_IOU
    missed: list[int]  # ground-truth indices without a detection (ignored / difficult boxes left out)
    false: list[int]  # detection indices without a ground-truth box (ones on ignored boxes left out)
    kept: np.ndarray  # indices of the detections at or above the threshold

    def errors(self, gt: GroundTruth, pred: Predictions) -> tuple[int, int]:
        """(missed, false), a wrong-class pair counting as one of each."""
        wrong = sum(int(gt.labels[g]) != int(pred.labels[d]) for g, d in self.pairs)
        return len(self.missed) + wrong, len(self.false) + wrong


def match_frame(gt: GroundTruth, pred: Predictions, conf: float = REPORT_CONF, iou: float = MATCH_IOU) -> FrameMatch:
    kept = np.flatnonzero(pred.scores >= conf)
    ignored = gt.ignored()
    pairs: list[tuple[int, int]] = []
    gt_left, det_left = set(range(len(gt.labels))), set(kept.tolist())
    if len(gt.labels) and len(kept):
        overlaps = box_iou(gt.boxes, pred.boxes[kept])
        for flat in np.argsort(-overlaps, axis=None, kind="stable"):
            g, k = np.unravel_index(flat, overlaps.shape)
            if overlaps[g, k] < iou:
                break
            d = int(kept[k])
            if int(g) in gt_left and d in det_left:
                gt_left.discard(int(g))
                det_left.discard(d)
                if not ignored[g]:
                    pairs.append((int(g), d))
    missed = sorted(g for g in gt_left if not ignored[g])
    return FrameMatch(pairs, missed, sorted(det_left), kept)


def confusion_matrix(gts: list[GroundTruth], preds: list[Predictions], num_classes: int,
                     conf: float = REPORT_CONF, iou: float = MATCH_IOU) -> np.ndarray:
    """(num_classes + 1) x (num_classes + 1) counts: rows the detected class, columns the true one; the last
    row and column are background (a missed box, a false positive)."""
    matrix = np.zeros((num_classes + 1, num_classes + 1), np.int64)
    for gt, pred in zip(gts, preds, strict=True):
        m = match_frame(gt, pred, conf, iou)
        for g, d in m.pairs:
            matrix[int(pred.labels[d]), int(gt.labels[g])] += 1
        for g in m.missed:
            matrix[num_classes, int(gt.labels[g])] += 1
        for d in m.false:
            matrix[int(pred.labels[d]), num_classes] += 1
    return matrix


def worst_frames(gts: list[GroundTruth], preds: list[Predictions], count: int = 8,
                 conf: float = REPORT_CONF) -> list[tuple[int, int, int]]:
    """(frame index, missed, false) of the `count` frames with the most errors, worst first, errors only."""
    errors = [(i, *match_frame(g, p, conf).errors(g, p)) for i, (g, p) in enumerate(zip(gts, preds, strict=True))]
    ranked = sorted((e for e in errors if e[1] + e[2] > 0), key=lambda e: (-(e[1] + e[2]), e[0]))
    return ranked[:count]
