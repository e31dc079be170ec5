"""Calibration data for INT8 (TensorRT, ONNX Runtime, NNCF): real images, letterboxed as the runtime does."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import cv2
import numpy as np

from yolo_nano_ros.errors import ModelLoadError
from yolo_nano_ros.runtime.media import list_images
from yolo_nano_ros.runtime.preprocess import letterbox, to_input_tensor


def calibration_batches(images: Path, size: int, uint8_input: bool, limit: int) -> Iterator[np.ndarray]:
    """Letterboxed real images, exactly as the runtime will feed them (sorted, the first `limit`)."""
    paths = list_images(images)[:limit]
    if not paths:
        raise ModelLoadError(f"no calibration images (jpg/png) under {images}")
    for path in paths:
        bgr = cv2.imread(str(path), cv2.IMREAD_COLOR)
        if bgr is None:
            continue
        boxed, _ = letterbox(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB), size)
        yield np.ascontiguousarray(boxed[None]) if uint8_input else to_input_tensor(boxed)
