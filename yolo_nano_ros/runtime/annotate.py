"""Draw detections on an image (the node's debug image and `yolo-nano detect --save`)."""

from __future__ import annotations

import cv2
import numpy as np

from yolo_nano_ros.runtime.postprocess import Detections


def class_color(class_id: int) -> tuple[int, int, int]:
    """A stable, well-spread colour per class (golden-ratio hue steps)."""
    hue = int((class_id * 0.618033988749895 % 1.0) * 179)
    hsv = np.array([[[hue, 200, 255]]], np.uint8)
    r, g, b = (int(c) for c in cv2.cvtColor(hsv, cv2.COLOR_HSV2RGB)[0, 0])
    return r, g, b


def draw_detections(image: np.ndarray, dets: Detections, class_names: tuple[str, ...] | list[str],
                    color_order: str = "rgb", track_ids: list[str] | None = None) -> np.ndarray:
    """Returns an annotated copy; `color_order` is the image's channel order; a track ID, where given,
    leads its box's label (`#front/7 person 0.91`)."""
    out = image.copy()
    scale = max(0.4, min(out.shape[:2]) / 900)
    tracks = track_ids if track_ids is not None else [""] * len(dets)
    for box, score, cls, track in zip(dets.boxes, dets.scores, dets.class_ids, tracks, strict=True):
        rgb = class_color(int(cls))
        color = rgb if color_order == "rgb" else rgb[::-1]
        x1, y1, x2, y2 = (round(float(v)) for v in box)
        cv2.rectangle(out, (x1, y1), (x2, y2), color, max(1, round(2 * scale)))
        label = f"{f'#{track} ' if track else ''}{class_names[int(cls)]} {score:.2f}"
        (tw, th), base = cv2.getTextSize(label, cv2.FONT_HERSHEY_SIMPLEX, scale, 1)
        ty = max(y1, th + base)
        cv2.rectangle(out, (x1, ty - th - base), (x1 + tw, ty), color, -1)
        cv2.putText(out, label, (x1, ty - base), cv2.FONT_HERSHEY_SIMPLEX, scale, (0, 0, 0), 1, cv2.LINE_AA)
    return out
