"""mAP the way VOC and COCO define it, on the same detections.

- VOC (Pascal devkit): per class, detections sorted by score across images; each takes the
  highest-IoU ground truth of its image; TP if IoU > 0.5 and that box is still free, ignored if it
  is `difficult`, else FP. AP by 11-point (VOC2007) or all-point (VOC2010+) interpolation.
- COCO (COCOeval, area "all", maxDets 100): per image and class, detections sorted by score take
  the best still-free box with IoU >= t, preferring non-ignored boxes; AP is the mean precision at
  101 recall points, averaged over t = 0.50:0.05:0.95 and over classes that have ground truth.
Boxes are continuous xyxy pixels (no VOC "+1").
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from yolo_nano_ros.runtime.postprocess import box_iou

COCO_IOU_THRESHOLDS = np.linspace(0.5, 0.95, 10)
COCO_RECALL_POINTS = np.linspace(0.0, 1.0, 101)


@dataclass
class GroundTruth:
    boxes: np.ndarray  # (N, 4) xyxy
    labels: np.ndarray  # (N,)
    difficult: np.ndarray | None = None  # (N,) bool: VOC difficult / COCO iscrowd -> ignored

    def ignored(self) -> np.ndarray:
        return np.zeros(len(self.labels), bool) if self.difficult is None else self.difficult.astype(bool)


@dataclass
class Predictions:
    boxes: np.ndarray  # (M, 4) xyxy
    scores: np.ndarray  # (M,)
    labels: np.ndarray  # (M,)


@dataclass
class ClassResult:
    name: str
    num_gt: int
    num_det: int
    ap50_voc07: float
    ap50: float
    ap50_95: float
    ap50_coco: float
    precision: np.ndarray = field(repr=False)  # VOC PR curve at IoU 0.5
    recall: np.ndarray = field(repr=False)
    scores: np.ndarray = field(default_factory=lambda: np.zeros(0), repr=False)  # the curve's scores, descending

    def best_f1(self) -> tuple[float, float]:
        """(F1, score threshold) where F1 at IoU 0.5 peaks on the VOC curve; (0, 0) without detections."""
        if not len(self.recall):
            return 0.0, 0.0
        f1 = 2 * self.precision * self.recall / np.maximum(self.precision + self.recall, 1e-12)
        k = int(np.argmax(f1))
        return float(f1[k]), float(self.scores[k]) if len(self.scores) > k else 0.0


@dataclass
class DetectionMetrics:
    map50_voc07: float
    map50: float
    map50_95: float
    map50_coco: float  # COCO's AP50 (101-point), for comparison with COCO-style tools
    per_class: list[ClassResult]

    def to_dict(self) -> dict[str, object]:
        return {
            "map50_voc07": self.map50_voc07, "map50": self.map50, "map50_95": self.map50_95,
            "map50_coco": self.map50_coco,
            "per_class": {c.name: {"ap50_voc07": c.ap50_voc07, "ap50": c.ap50, "ap50_95": c.ap50_95,
                                   "num_gt": c.num_gt, "num_det": c.num_det,
                                   "precision": float(c.precision[-1]) if len(c.precision) else 0.0,
                                   "recall": float(c.recall[-1]) if len(c.recall) else 0.0}
                          for c in self.per_class},
        }


def ap_voc07(recall: np.ndarray, precision: np.ndarray) -> float:
    """11-point interpolated AP (VOC2007 devkit)."""
    ap = 0.0
    for t in np.linspace(0, 1, 11):
        p = precision[recall >= t]
        ap += (p.max() if p.size else 0.0) / 11
    return float(ap)


def ap_all_points(recall: np.ndarray, precision: np.ndarray) -> float:
    """Area under the monotone PR envelope (VOC2010+ devkit)."""
    r = np.concatenate([[0.0], recall, [1.0]])
    p = np.concatenate([[0.0], precision, [0.0]])
    p = np.maximum.accumulate(p[::-1])[::-1]
    idx = np.nonzero(r[1:] != r[:-1])[0]
    return float(np.sum((r[idx + 1] - r[idx]) * p[idx + 1]))


def voc_pr_curve(gts: list[GroundTruth], preds: list[Predictions], cls: int, iou_threshold: float = 0.5
                 ) -> tuple[np.ndarray, np.ndarray, int, int, np.ndarray]:
    """VOC matching for one class -> (recall, precision, positives, detections, scores): the curve's points
    in descending score order."""
    npos = 0
    gt_boxes, gt_ignored, used = {}, {}, {}
    for i, g in enumerate(gts):
        m = g.labels == cls
        gt_boxes[i], gt_ignored[i] = g.boxes[m], g.ignored()[m]
        used[i] = np.zeros(int(m.sum()), bool)
        npos += int((~gt_ignored[i]).sum())
    img_idx, scores, boxes = [], [], []
    for i, p in enumerate(preds):
        m = p.labels == cls
        img_idx.append(np.full(int(m.sum()), i))
        scores.append(p.scores[m])
        boxes.append(p.boxes[m])
    if not scores or sum(len(s) for s in scores) == 0:
        return np.zeros(0), np.zeros(0), npos, 0, np.zeros(0)
    img_idx_a, scores_a, boxes_a = np.concatenate(img_idx), np.concatenate(scores), np.concatenate(boxes)
    order = np.argsort(-scores_a, kind="mergesort")
    tp = np.zeros(len(order))
    fp = np.zeros(len(order))
    for k, d in enumerate(order):
        i = img_idx_a[d]
        gb = gt_boxes[i]
        if len(gb) == 0:
            fp[k] = 1
            continue
        ious = box_iou(boxes_a[d][None], gb)[0]
        j = int(ious.argmax())
        if ious[j] > iou_threshold:
            if gt_ignored[i][j]:
                continue
            if not used[i][j]:
                used[i][j] = True
                tp[k] = 1
            else:
                fp[k] = 1
        else:
            fp[k] = 1
    tp_c, fp_c = np.cumsum(tp), np.cumsum(fp)
    recall = tp_c / max(npos, 1)
    precision = tp_c / np.maximum(tp_c + fp_c, np.finfo(np.float64).eps)
    return recall, precision, npos, len(order), scores_a[order]


def coco_match(gt: GroundTruth, pred: Predictions, cls: int, thresholds: np.ndarray, max_dets: int = 100
               ) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
    """COCOeval.evaluateImg for one image and class -> (scores, matched (T, D), det ignored (T, D), #gt)."""
    gm = gt.labels == cls
    g_boxes, g_ign = gt.boxes[gm], gt.ignored()[gm]
    g_order = np.argsort(g_ign, kind="mergesort")  # non-ignored first
    g_boxes, g_ign = g_boxes[g_order], g_ign[g_order]
    dm = pred.labels == cls
    d_scores, d_boxes = pred.scores[dm], pred.boxes[dm]
    d_order = np.argsort(-d_scores, kind="mergesort")[:max_dets]
    d_scores, d_boxes = d_scores[d_order], d_boxes[d_order]
    t_count, n_d, n_g = len(thresholds), len(d_scores), len(g_boxes)
    matched = np.zeros((t_count, n_d), bool)
    d_ignored = np.zeros((t_count, n_d), bool)
    if n_d and n_g:
        ious = box_iou(d_boxes, g_boxes)
        for ti, t in enumerate(thresholds):
            g_taken = np.zeros(n_g, bool)
            for di in range(n_d):
                best, m = min(t, 1 - 1e-10), -1
                for gi in range(n_g):
                    if g_taken[gi]:
                        continue
                    if m > -1 and not g_ign[m] and g_ign[gi]:
                        break
                    if ious[di, gi] < best:
                        continue
                    best, m = ious[di, gi], gi
                if m == -1:
                    continue
                d_ignored[ti, di] = g_ign[m]
                matched[ti, di] = True
                g_taken[m] = True
    return d_scores, matched, d_ignored, int((~g_ign).sum())


def coco_ap(gts: list[GroundTruth], preds: list[Predictions], cls: int,
            thresholds: np.ndarray = COCO_IOU_THRESHOLDS) -> np.ndarray:
    """101-point AP per IoU threshold for one class; -1 where the class has no ground truth."""
    per_image = [coco_match(g, p, cls, thresholds) for g, p in zip(gts, preds, strict=True)]
    npos = sum(r[3] for r in per_image)
    if npos == 0:
        return np.full(len(thresholds), -1.0)
    scores = np.concatenate([r[0] for r in per_image])
    order = np.argsort(-scores, kind="mergesort")
    matched = np.concatenate([r[1] for r in per_image], axis=1)[:, order]
    ignored = np.concatenate([r[2] for r in per_image], axis=1)[:, order]
    aps = np.zeros(len(thresholds))
    for ti in range(len(thresholds)):
        tp = np.cumsum(matched[ti] & ~ignored[ti])
        fp = np.cumsum(~matched[ti] & ~ignored[ti])
        rc = tp / npos
        pr = tp / np.maximum(tp + fp, np.spacing(1))
        pr = np.maximum.accumulate(pr[::-1])[::-1] if len(pr) else pr
        idx = np.searchsorted(rc, COCO_RECALL_POINTS, side="left")
        q = np.where(idx < len(pr), pr[np.minimum(idx, max(len(pr) - 1, 0))] if len(pr) else 0.0, 0.0)
        aps[ti] = q.mean()
    return aps


def evaluate_detections(gts: list[GroundTruth], preds: list[Predictions], class_names: tuple[str, ...] | list[str]
                        ) -> DetectionMetrics:
    """All metrics over the classes that have at least one (non-ignored) ground-truth box."""
    if len(gts) != len(preds):
        raise ValueError(f"{len(gts)} ground-truth images but {len(preds)} prediction sets")
    results = []
    for cls, name in enumerate(class_names):
        recall, precision, npos, ndet, curve_scores = voc_pr_curve(gts, preds, cls)
        if npos == 0:
            continue
        coco = coco_ap(gts, preds, cls)
        results.append(ClassResult(
            name, npos, ndet,
            ap_voc07(recall, precision) if len(recall) else 0.0,
            ap_all_points(recall, precision) if len(recall) else 0.0,
            float(coco.mean()), float(coco[0]), precision, recall, curve_scores,
        ))
    if not results:
        return DetectionMetrics(0.0, 0.0, 0.0, 0.0, [])
    return DetectionMetrics(
        float(np.mean([r.ap50_voc07 for r in results])), float(np.mean([r.ap50 for r in results])),
        float(np.mean([r.ap50_95 for r in results])),
        float(np.mean([r.ap50_coco for r in results])),
        results,
    )
