"""Decode YOLO Nano's three raw head maps and run class-aware NMS, vectorised in NumPy.

Decoding (the same formula the trainer's loss uses, YOLOv5-style, bounded so training is stable):
    xy = (2 sigmoid(t_xy) - 0.5 + cell) * stride,   wh = (2 sigmoid(t_wh))^2 * anchor,
    score = sigmoid(t_obj) * sigmoid(t_cls).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import cv2
import numpy as np


@dataclass(frozen=True)
class HeadSpec:
    """What the decoder needs to know about a model's outputs."""

    num_classes: int
    anchors: tuple[tuple[tuple[float, float], ...], ...]
    strides: tuple[int, ...] = (8, 16, 32)


@dataclass
class Detections:
    """N detections: boxes (N, 4) xyxy float32, scores (N,), class_ids (N,) int."""

    boxes: np.ndarray
    scores: np.ndarray
    class_ids: np.ndarray

    def __len__(self) -> int:
        return len(self.scores)


def sigmoid(x: np.ndarray) -> np.ndarray:
    return 0.5 * (np.tanh(0.5 * x) + 1.0)  # overflow-free and faster than 1 / (1 + exp(-x))


@dataclass
class HeadDecoder:
    """Raw maps (N, A*(5+C), H, W) per level -> boxes in model-input pixels and class scores.

    score = objectness x class probability <= objectness, so cells whose objectness is at or below
    the score threshold cannot yield a detection: they are dropped with one comparison on the raw
    objectness logits before any sigmoid or box arithmetic. What survives from all levels is decoded
    in one pass against a table of priors (cell, stride, anchor) built once per input size: the
    per-frame cost is a fixed, small number of NumPy calls, which is what matters on a cold cache
    between camera frames.
    """

    spec: HeadSpec
    _priors: dict[tuple[tuple[int, int], ...], np.ndarray] = field(default_factory=dict, init=False, repr=False)

    def priors(self, grids: tuple[tuple[int, int], ...]) -> np.ndarray:
        """(total, 5) float32 per raw prediction, in output order: cell x - 0.5, cell y - 0.5, stride, anchor w, h."""
        table = self._priors.get(grids)
        if table is None:
            parts = []
            for (h, w), stride, anchors in zip(grids, self.spec.strides, self.spec.anchors, strict=True):
                rows, cols = np.divmod(np.arange(h * w), w)
                for anchor_w, anchor_h in anchors:
                    parts.append(np.stack([cols - 0.5, rows - 0.5, np.full(h * w, stride),
                                           np.full(h * w, anchor_w), np.full(h * w, anchor_h)], 1))
            table = self._priors[grids] = np.concatenate(parts).astype(np.float32)
        return table

    def decode(self, maps: list[np.ndarray], batch_index: int = 0, min_objectness: float = 0.0
               ) -> tuple[np.ndarray, np.ndarray]:
        """Returns boxes (M, 4) xyxy and scores (M, C), in (level, anchor, row, column) order."""
        n_out = 5 + self.spec.num_classes
        logit_floor = float(np.log(min_objectness / (1 - min_objectness))) if 0 < min_objectness < 1 else -np.inf
        rows, index, offset = [], [], 0
        for raw in maps:
            _, ch, h, w = raw.shape
            r = raw[batch_index].reshape(ch // n_out, n_out, h * w)
            anchor_idx, cell_idx = np.nonzero(r[:, 4, :] > logit_floor)
            rows.append(r[anchor_idx, :, cell_idx])  # (K, n_out)
            index.append(offset + anchor_idx * (h * w) + cell_idx)
            offset += ch // n_out * h * w
        raw_rows, raw_index = np.concatenate(rows), np.concatenate(index)
        finite = np.isfinite(raw_rows).all(1)  # FP16 overflow (inf) or NaN: no box from that cell, never score 1.0
        if not finite.all():
            raw_rows, raw_index = raw_rows[finite], raw_index[finite]
        p = sigmoid(raw_rows)
        prior = self.priors(tuple(raw.shape[2:] for raw in maps))[raw_index]
        xy = (p[:, 0:2] * 2.0 + prior[:, 0:2]) * prior[:, 2:3]
        half_wh = (p[:, 2:4] * 2.0) ** 2 * prior[:, 3:5] * 0.5
        return np.concatenate([xy - half_wh, xy + half_wh], 1), p[:, 5:] * p[:, 4:5]


def box_iou(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Pairwise IoU of (N, 4) and (M, 4) xyxy boxes -> (N, M). Width and height of the overlaps computed apart
    and clipped in place: a third of the time of (N, M, 2) corner arrays (the tracker runs it every frame)."""
    area_a = (a[:, 2] - a[:, 0]).clip(0) * (a[:, 3] - a[:, 1]).clip(0)
    area_b = (b[:, 2] - b[:, 0]).clip(0) * (b[:, 3] - b[:, 1]).clip(0)
    inter = np.minimum(a[:, None, 2], b[None, :, 2]) - np.maximum(a[:, None, 0], b[None, :, 0])
    height = np.minimum(a[:, None, 3], b[None, :, 3]) - np.maximum(a[:, None, 1], b[None, :, 1])
    np.maximum(inter, 0, out=inter)
    np.maximum(height, 0, out=height)
    inter *= height
    union = area_a[:, None] + area_b[None, :] - inter
    return np.where(union > 0, inter / np.maximum(union, 1e-12), 0.0)


def batched_nms(boxes: np.ndarray, scores: np.ndarray, class_ids: np.ndarray, iou_threshold: float) -> np.ndarray:
    """Class-aware greedy NMS; kept indices in descending score order, ties by index (torchvision's semantics).

    OpenCV's NMSBoxes does the greedy loop in C++ (one call instead of dozens of NumPy calls per
    class); it is given each box's rank rather than its score, so the order, and the order of ties,
    is ours. Classes are kept apart by shifting each class's boxes to its own region of the plane: the
    shift is the span of all coordinates (not the largest coordinate, as in NMSBoxesBatched), so boxes
    reaching past the image's top-left edge cannot meet a box of the next class.
    """
    if len(scores) == 0:
        return np.zeros(0, np.int64)
    b = np.asarray(boxes, np.float64)
    low = b.min()
    shift = (np.asarray(class_ids, np.float64) * (b.max() - low + 1.0) - low)[:, None]
    xywh = np.concatenate([b[:, :2] + shift, b[:, 2:] - b[:, :2]], 1)
    ranks = np.empty(len(b), np.float32)  # n..1 in score order: any scores, ties broken by index
    ranks[np.argsort(-np.asarray(scores), kind="stable")] = np.arange(len(b), 0, -1)
    keep = cv2.dnn.NMSBoxes(xywh, ranks, 0.0, float(iou_threshold))  # type: ignore[arg-type]  # takes arrays
    return np.asarray(keep, np.int64).reshape(-1)


def nms(boxes: np.ndarray, scores: np.ndarray, iou_threshold: float) -> np.ndarray:
    """Greedy NMS of one class; kept indices in descending score order."""
    return batched_nms(boxes, scores, np.zeros(len(scores), np.int64), iou_threshold)


@dataclass(frozen=True)
class PostprocessSettings:
    conf_threshold: float = 0.25
    iou_threshold: float = 0.45
    max_detections: int = 100
    max_candidates: int = 3000
    multi_label: bool = False
    class_filter: frozenset[int] | None = None


def select_and_nms(boxes: np.ndarray, scores: np.ndarray, s: PostprocessSettings) -> Detections:
    """Score threshold, optional class filter, top-k, class-aware NMS, max detections."""
    if s.multi_label:
        idx, cls = np.nonzero(scores > s.conf_threshold)
        conf = scores[idx, cls]
    else:
        cls = scores.argmax(1)
        conf = scores[np.arange(len(scores)), cls]
        idx = np.nonzero(conf > s.conf_threshold)[0]
        cls, conf = cls[idx], conf[idx]
    if s.class_filter is not None:
        mask = np.isin(cls, np.fromiter(s.class_filter, np.int64))
        idx, cls, conf = idx[mask], cls[mask], conf[mask]
    if len(conf) > s.max_candidates:
        top = np.argpartition(-conf, s.max_candidates)[: s.max_candidates]
        idx, cls, conf = idx[top], cls[top], conf[top]
    cand = boxes[idx]
    keep = batched_nms(cand, conf, cls, s.iou_threshold)[: s.max_detections]
    return Detections(cand[keep].astype(np.float32), conf[keep].astype(np.float32), cls[keep].astype(np.int64))
