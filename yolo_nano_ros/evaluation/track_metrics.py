"""Identity metrics of a tracker against ground truth with identities: MOTA, IDF1, ID switches,
fragmentations (CLEAR MOT and Ristani et al.'s identity measures, computed by py-motmetrics).

motmetrics (MIT) is an optional dependency (`pip install motmetrics`, in the `mot` extra). Its own IoU
helper calls numpy's removed `asfarray` under numpy 2, so the distances (1 - IoU, no match below
IoU 0.5, MOTChallenge's rule) are computed here and handed to its accumulator.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from yolo_nano_ros.data.mot_challenge import MotFrame
from yolo_nano_ros.errors import YoloNanoError
from yolo_nano_ros.runtime.postprocess import box_iou

MATCH_IOU = 0.5
METRICS = ("mota", "idf1", "num_switches", "num_fragmentations", "precision", "recall", "mostly_tracked",
           "mostly_lost", "num_false_positives", "num_misses", "num_frames")


class MissingMetricsError(YoloNanoError, ImportError):
    """motmetrics is not installed."""


def identity_metrics(truth: Mapping[int, MotFrame], hypotheses: Mapping[int, MotFrame]) -> dict[str, Any]:
    """Metrics over every frame of `truth` (frames without hypotheses count their objects as missed)."""
    try:
        import motmetrics
    except ImportError:
        raise MissingMetricsError("identity metrics need motmetrics: pip install motmetrics==1.4.0 (the `mot` "
                                  "extra)") from None
    acc = motmetrics.MOTAccumulator(auto_id=False)
    empty = MotFrame(np.zeros(0, np.int64), np.zeros((0, 4)), np.zeros(0))
    for frame in sorted(set(truth) | set(hypotheses)):
        gt, hyp = truth.get(frame, empty), hypotheses.get(frame, empty)
        iou = box_iou(gt.boxes, hyp.boxes) if len(gt.ids) and len(hyp.ids) else np.zeros((len(gt.ids),
                                                                                          len(hyp.ids)))
        distances = np.where(iou >= MATCH_IOU, 1.0 - iou, np.nan)
        acc.update(gt.ids.tolist(), hyp.ids.tolist(), distances, frameid=frame)
    summary = motmetrics.metrics.create().compute(acc, metrics=list(METRICS), name="sequence")
    row = summary.loc["sequence"]
    return {name: (int(row[name]) if name.startswith(("num_", "mostly_")) else float(row[name])) for name in METRICS}
