"""Thumbnails of frames with ground truth and detections drawn in two colours, as JPEG data URIs."""

from __future__ import annotations

import base64

import cv2
import numpy as np

GROUND_TRUTH_RGB = (40, 200, 60)  # green
DETECTION_RGB = (230, 40, 200)  # magenta: apart from green for colour-blind readers too
THUMBNAIL_WIDTH = 360


def thumbnail(rgb: np.ndarray, gt_boxes: np.ndarray, det_boxes: np.ndarray, det_labels: list[str],
              width: int = THUMBNAIL_WIDTH) -> str:
    scale = width / rgb.shape[1]
    small = cv2.resize(rgb, (width, max(1, round(rgb.shape[0] * scale))), interpolation=cv2.INTER_AREA)
    for boxes, color, labels in ((gt_boxes, GROUND_TRUTH_RGB, None), (det_boxes, DETECTION_RGB, det_labels)):
        for k, box in enumerate(np.asarray(boxes, float).reshape(-1, 4) * scale):
            x1, y1, x2, y2 = (round(float(v)) for v in box)
            cv2.rectangle(small, (x1, y1), (x2, y2), color, 2 if labels is None else 1)
            if labels is not None:
                cv2.putText(small, labels[k], (x1 + 2, max(10, y1 - 3)), cv2.FONT_HERSHEY_SIMPLEX, 0.35, color, 1,
                            cv2.LINE_AA)
    ok, jpeg = cv2.imencode(".jpg", cv2.cvtColor(small, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, 80])
    if not ok:
        raise ValueError("JPEG encoding failed")
    return "data:image/jpeg;base64," + base64.b64encode(jpeg.tobytes()).decode("ascii")
