"""The interface every backend implements: one preprocessed batch in, the raw head maps out."""

from __future__ import annotations

from typing import Protocol

import numpy as np

from yolo_nano_ros.runtime.model_info import ModelInfo


class Backend(Protocol):
    name: str  # e.g. "onnxruntime:CPUExecutionProvider"
    precision: str  # fp32, fp16, int8
    info: ModelInfo

    def infer(self, batch: np.ndarray) -> list[np.ndarray]:
        """(1, 3, S, S) float32 in [0, 1] (or (1, S, S, 3) uint8 when info.uint8_input) -> 3 maps."""
        ...
