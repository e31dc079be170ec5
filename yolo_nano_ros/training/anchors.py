"""`yolo-nano anchors`: k-means (1 - IoU distance) on the training boxes, as sized at the model input."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from yolo_nano_ros.data.dataset_spec import load_split
from yolo_nano_ros.errors import ConfigError


def wh_iou(wh: np.ndarray, anchors: np.ndarray) -> np.ndarray:
    inter = np.minimum(wh[:, None], anchors[None]).prod(2)
    return inter / (wh.prod(1)[:, None] + anchors.prod(1)[None] - inter)


def kmeans_plus_plus(wh: np.ndarray, k: int, rng: np.random.Generator) -> np.ndarray:
    """Seeds spread out in 1 - IoU distance, so nearby shape clusters are not merged from the start."""
    centres = [wh[rng.integers(len(wh))]]
    for _ in range(k - 1):
        dist = 1 - wh_iou(wh, np.array(centres)).max(1)
        centres.append(wh[rng.choice(len(wh), p=dist**2 / (dist**2).sum())])
    return np.array(centres, np.float64)


def kmeans_anchors(wh: np.ndarray, k: int = 9, seed: int = 0, iterations: int = 300
                   ) -> tuple[tuple[tuple[tuple[float, float], ...], ...], float]:
    """Anchors grouped as 3 levels x 3 (small -> large) and the mean best-anchor IoU (fitness)."""
    wh = wh[(wh > 2).all(1)]
    if len(wh) < k:
        raise ConfigError(f"need at least {k} boxes for {k} anchors, got {len(wh)}")
    rng = np.random.default_rng(seed)
    best: np.ndarray | None = None
    best_fit = -1.0
    for _ in range(5):  # restarts: k-means on IoU is sensitive to its start
        centres = kmeans_plus_plus(wh, k, rng)
        for _ in range(iterations):
            assign = wh_iou(wh, centres).argmax(1)
            new = np.array([np.median(wh[assign == j], 0) if (assign == j).any() else centres[j] for j in range(k)])
            if np.allclose(new, centres):
                break
            centres = new
        fit = float(wh_iou(wh, centres).max(1).mean())
        if fit > best_fit:
            best, best_fit = centres, fit
    assert best is not None  # five restarts always produce one
    ordered = best[np.argsort(best.prod(1))]
    levels = tuple(tuple((float(round(w, 1)), float(round(h, 1))) for w, h in ordered[i:i + 3]) for i in (0, 3, 6))
    return levels, best_fit


def anchors_for_dataset(data: Path, input_size: int, seed: int = 0):
    ds = load_split(data, "train")
    wh = []
    for s in ds.samples:
        if len(s.boxes):
            scale = input_size / max(s.width, s.height)
            wh.append((s.boxes[:, 2:] - s.boxes[:, :2]) * scale)
    return kmeans_anchors(np.concatenate(wh), seed=seed)
