"""Letterbox pre-processing: aspect-preserving resize + constant padding to the model's square input.

The inverse (`unletterbox_boxes`) maps detections back to the original image's pixels, so every
consumer (node, evaluator, CLI) reports boxes in the camera's own coordinates.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

PAD_VALUE = 114


@dataclass(frozen=True)
class Letterbox:
    """How an image was fitted into the model input: scaled (each axis by its resized size over its own, which
    rounding makes differ slightly), then offset by (pad_x, pad_y)."""

    scale_x: float
    scale_y: float
    pad_x: float
    pad_y: float
    source_width: int
    source_height: int


def letterbox(image: np.ndarray, size: int, pad_value: int = PAD_VALUE, rect_stride: int = 0
              ) -> tuple[np.ndarray, Letterbox]:
    """HxWx3 uint8 -> size x size x 3 uint8 (same channel order) and the transform used.

    rect_stride > 0: the smallest padding that makes each side a multiple of it instead of a square (what
    Ultralytics' predictor feeds a model that takes any input size: 640x480 -> 320x256 at size 320, a fifth
    fewer pixels to run). Centred either way, the odd pixel of padding right and below."""
    h, w = image.shape[:2]
    if h == 0 or w == 0:
        raise ValueError(f"cannot letterbox an empty image of shape {image.shape}")
    scale = min(size / w, size / h)
    new_w, new_h = max(1, round(w * scale)), max(1, round(h * scale))
    out_w, out_h = size, size
    if rect_stride > 0:
        out_w, out_h = new_w + (size - new_w) % rect_stride, new_h + (size - new_h) % rect_stride
    pad_x, pad_y = (out_w - new_w) // 2, (out_h - new_h) // 2
    # Bilinear both ways: INTER_AREA's anti-aliasing costs ~6x on a 640x480 -> 416 shrink (0.6 vs 0.1 ms),
    # a large share of the per-frame budget, for no measurable detection gain at these scale factors.
    resized = image if (new_w, new_h) == (w, h) else cv2.resize(image, (new_w, new_h), interpolation=cv2.INTER_LINEAR)
    out = cv2.copyMakeBorder(resized, pad_y, out_h - new_h - pad_y, pad_x, out_w - new_w - pad_x,
                             cv2.BORDER_CONSTANT, value=(pad_value,) * 3)
    return out, Letterbox(new_w / w, new_h / h, float(pad_x), float(pad_y), w, h)


def unletterbox_boxes(boxes: np.ndarray, lb: Letterbox) -> np.ndarray:
    """(N, 4) xyxy in model-input pixels -> source-image pixels, clipped to the image."""
    out = boxes.astype(np.float32, copy=True)
    xs, ys = out[:, 0::2], out[:, 1::2]  # views (x1, x2) and (y1, y2): clip must write in place
    np.clip((xs - lb.pad_x) / lb.scale_x, 0, lb.source_width, out=xs)
    np.clip((ys - lb.pad_y) / lb.scale_y, 0, lb.source_height, out=ys)
    return out


def letterbox_boxes(boxes: np.ndarray, lb: Letterbox) -> np.ndarray:
    """Source-image xyxy -> model-input xyxy (for training targets)."""
    out = boxes.astype(np.float32, copy=True)
    out[:, [0, 2]] = out[:, [0, 2]] * lb.scale_x + lb.pad_x
    out[:, [1, 3]] = out[:, [1, 3]] * lb.scale_y + lb.pad_y
    return out


def to_input_tensor(image: np.ndarray, bgr: bool = False) -> np.ndarray:
    """HxWx3 uint8 (RGB, or BGR with bgr=True) -> 1x3xHxW float32 RGB in [0, 1] (the float-input model's
    normalisation), in one pass: the channel swap is a view, the division writes the output in place.

    Divided, not multiplied by 1/255: half the pixels differ in the last bit between the two, and division is
    what Ultralytics' predictor (and OpenVINO's in-graph scale) computes, so its exports see the same input
    bit for bit."""
    tensor = np.empty((1, 3, *image.shape[:2]), np.float32)
    planes = image.transpose(2, 0, 1)
    np.divide(planes[::-1] if bgr else planes, np.float32(255), out=tensor[0])
    return tensor
