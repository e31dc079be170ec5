"""Training-time augmentation in NumPy/OpenCV: HSV jitter, horizontal flip, random scale/translate
(on top of the same letterbox the runtime uses), optional mosaic."""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from yolo_nano_ros.runtime.preprocess import PAD_VALUE, letterbox, letterbox_boxes


@dataclass(frozen=True)
class AugmentSettings:
    hsv_h: float = 0.015
    hsv_s: float = 0.7
    hsv_v: float = 0.4
    flip_lr: float = 0.5
    scale: float = 0.4  # random zoom in [1 - scale, 1 + scale]
    translate: float = 0.1  # fraction of the input size
    mosaic: float = 0.0  # probability of a 4-image mosaic
    min_box_px: float = 2.0


def hsv_jitter(img: np.ndarray, s: AugmentSettings, rng: np.random.Generator) -> np.ndarray:
    gains = rng.uniform(-1, 1, 3) * [s.hsv_h, s.hsv_s, s.hsv_v] + 1
    hue, sat, val = cv2.split(cv2.cvtColor(img, cv2.COLOR_RGB2HSV))
    x = np.arange(256, dtype=np.float32)
    lut_h = ((x * gains[0]) % 180).astype(np.uint8)
    lut_s = np.clip(x * gains[1], 0, 255).astype(np.uint8)
    lut_v = np.clip(x * gains[2], 0, 255).astype(np.uint8)
    hsv = cv2.merge((cv2.LUT(hue, lut_h), cv2.LUT(sat, lut_s), cv2.LUT(val, lut_v)))
    return cv2.cvtColor(hsv, cv2.COLOR_HSV2RGB)


def random_affine(img: np.ndarray, boxes: np.ndarray, s: AugmentSettings, rng: np.random.Generator
                  ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Scale about the centre and translate; boxes are clipped and tiny remnants dropped."""
    size = img.shape[0]
    zoom = rng.uniform(1 - s.scale, 1 + s.scale)
    tx, ty = rng.uniform(-s.translate, s.translate, 2) * size
    c = size / 2
    m = np.array([[zoom, 0, c - zoom * c + tx], [0, zoom, c - zoom * c + ty]], np.float32)
    out = cv2.warpAffine(img, m, (size, size), borderValue=(PAD_VALUE,) * 3)
    b = boxes * zoom
    b[:, [0, 2]] += m[0, 2]
    b[:, [1, 3]] += m[1, 2]
    b = b.clip(0, size)
    keep = ((b[:, 2] - b[:, 0]) > s.min_box_px) & ((b[:, 3] - b[:, 1]) > s.min_box_px)
    return out, b[keep], keep


def flip_lr(img: np.ndarray, boxes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    w = img.shape[1]
    b = boxes.copy()
    b[:, [0, 2]] = w - boxes[:, [2, 0]]
    return np.ascontiguousarray(img[:, ::-1]), b


def mosaic(images: list[np.ndarray], boxes: list[np.ndarray], labels: list[np.ndarray], size: int,
           rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Four letterboxed images in a 2x2 grid around a random centre, cropped back to size x size."""
    canvas = np.full((2 * size, 2 * size, 3), PAD_VALUE, np.uint8)
    cx, cy = (int(v) for v in rng.uniform(0.5 * size, 1.5 * size, 2))
    out_boxes, out_labels = [], []
    for k, (img, bx, lb) in enumerate(zip(images, boxes, labels, strict=True)):
        tile, tf = letterbox(img, size)
        b = letterbox_boxes(bx, tf)
        ox, oy = (cx - size if k % 2 == 0 else cx), (cy - size if k < 2 else cy)
        x0, y0 = max(ox, 0), max(oy, 0)
        x1, y1 = min(ox + size, 2 * size), min(oy + size, 2 * size)
        canvas[y0:y1, x0:x1] = tile[y0 - oy:y1 - oy, x0 - ox:x1 - ox]
        b[:, [0, 2]] += ox
        b[:, [1, 3]] += oy
        out_boxes.append(b)
        out_labels.append(lb)
    crop_x, crop_y = cx - size // 2, cy - size // 2
    img = canvas[crop_y:crop_y + size, crop_x:crop_x + size].copy()
    b = np.concatenate(out_boxes) - [crop_x, crop_y, crop_x, crop_y]
    b = b.clip(0, size).astype(np.float32)
    lbl = np.concatenate(out_labels)
    keep = ((b[:, 2] - b[:, 0]) > 2) & ((b[:, 3] - b[:, 1]) > 2)
    return img, b[keep], lbl[keep]
