"""A dataset sample's image as RGB: shared by training, evaluation and the bag writer; no torch."""

from __future__ import annotations

import cv2
import numpy as np

from yolo_nano_ros.data.annotations import Sample


def read_rgb(sample: Sample) -> np.ndarray:
    img = cv2.imread(str(sample.image_path), cv2.IMREAD_COLOR)  # greyscale files come back 3-channel
    if img is None:
        raise FileNotFoundError(f"cannot read {sample.image_path}")
    return cv2.cvtColor(img, cv2.COLOR_BGR2RGB)
