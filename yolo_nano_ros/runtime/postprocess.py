"""Decode YOLO Nano's three raw head maps and run class-aware NMS, vectorised in NumPy.

Decoding (the same formula the trainer's loss uses, YOLOv5-style, bounded so training is stable):
    xy = (2 sigmoid(t_xy) - 0.5 + cell) * stride,   wh = (2 sigmoid(t_wh))^2 * anchor,
    score = sigmoid(t_obj) * sigmoid(t_cls).
"""

from __future__ import annotations

from dataclasses import dataclass

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
    objectness logits before any sigmoid or box arithmetic.
    """

    spec: HeadSpec

    def decode(self, maps: list[np.ndarray], batch_index: int = 0, min_objectness: float = 0.0
               ) -> tuple[np.ndarray, np.ndarray]:
        """Returns boxes (M, 4) xyxy and scores (M, C), in (level, anchor, row, column) order."""
        n_out = 5 + self.spec.num_classes
        logit_floor = float(np.log(min_objectness / (1 - min_objectness))) if 0 < min_objectness < 1 else -np.inf
        all_boxes, all_scores = [], []
        for level, raw in enumerate(maps):
            _, ch, h, w = raw.shape
            r = raw[batch_index].reshape(ch // n_out, n_out, h * w)
            anchor_idx, cell_idx = np.nonzero(r[:, 4, :] > logit_floor)
            p = sigmoid(r[anchor_idx, :, cell_idx])  # (K, n_out)
            stride = self.spec.strides[level]
            cells = np.stack([cell_idx % w, cell_idx // w], 1).astype(np.float32) - 0.5
            xy = (p[:, 0:2] * 2.0 + cells) * stride
            wh = (p[:, 2:4] * 2.0) ** 2 * np.asarray(self.spec.anchors[level], np.float32)[anchor_idx]
            all_boxes.append(np.concatenate([xy - wh / 2, xy + wh / 2], 1))
            all_scores.append(p[:, 5:] * p[:, 4:5])
        return np.concatenate(all_boxes), np.concatenate(all_scores)


def box_iou(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Pairwise IoU of (N, 4) and (M, 4) xyxy boxes -> (N, M)."""
    area_a = (a[:, 2] - a[:, 0]).clip(0) * (a[:, 3] - a[:, 1]).clip(0)
    area_b = (b[:, 2] - b[:, 0]).clip(0) * (b[:, 3] - b[:, 1]).clip(0)
    lt = np.maximum(a[:, None, :2], b[None, :, :2])
    rb = np.minimum(a[:, None, 2:], b[None, :, 2:])
    inter = (rb - lt).clip(0).prod(-1)
    union = area_a[:, None] + area_b[None, :] - inter
    return np.where(union > 0, inter / np.maximum(union, 1e-12), 0.0)


def nms(boxes: np.ndarray, scores: np.ndarray, iou_threshold: float) -> np.ndarray:
    """Greedy NMS; returns kept indices in descending score order (torchvision's semantics).

    Each round keeps the best remaining box and drops, in one vectorised step, every remaining box
    overlapping it by more than the threshold. Rounds = boxes kept, work = O(kept x candidates), and
    no N x N IoU matrix: at a 0.001 evaluation threshold (thousands of candidates) that matrix
    alone cost tens of milliseconds.
    """
    if len(scores) == 0:
        return np.zeros(0, np.int64)
    order = np.argsort(-scores, kind="stable")
    b = boxes[order].astype(np.float64)
    areas = (b[:, 2] - b[:, 0]).clip(0) * (b[:, 3] - b[:, 1]).clip(0)
    keep = []
    remaining = np.arange(len(order))
    while remaining.size:
        best, rest = remaining[0], remaining[1:]
        keep.append(best)
        if not rest.size:
            break
        inter_w = (np.minimum(b[rest, 2], b[best, 2]) - np.maximum(b[rest, 0], b[best, 0])).clip(0)
        inter_h = (np.minimum(b[rest, 3], b[best, 3]) - np.maximum(b[rest, 1], b[best, 1])).clip(0)
        inter = inter_w * inter_h
        union = areas[rest] + areas[best] - inter
        iou = np.where(union > 0, inter / np.maximum(union, 1e-12), 0.0)
        remaining = rest[iou <= iou_threshold]
    return order[np.asarray(keep, np.int64)]


def batched_nms(boxes: np.ndarray, scores: np.ndarray, class_ids: np.ndarray, iou_threshold: float) -> np.ndarray:
    """Class-aware NMS: boxes of different classes never suppress each other.

    Each class gets its own IoU matrix, so the work is the sum of the per-class squares instead of
    the square of the total (about 1/C of it with C busy classes); the loop runs over classes.
    """
    if len(scores) == 0:
        return np.zeros(0, np.int64)
    order = np.argsort(class_ids, kind="stable")
    _, starts = np.unique(class_ids[order], return_index=True)
    kept = [group[nms(boxes[group], scores[group], iou_threshold)]
            for group in np.split(order, starts[1:])]
    keep = np.concatenate(kept)
    return keep[np.argsort(-scores[keep], kind="stable")]


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
