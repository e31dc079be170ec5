"""The interface every backend implements: one preprocessed batch in, the raw head maps out."""

from __future__ import annotations

from typing import Protocol

import numpy as np

from yolo_nano_ros.runtime.model_info import ModelInfo


class Backend(Protocol):
    name: str  # e.g. "onnxruntime:CPUExecutionProvider"
    precision: str  # fp32, fp16, int8
    info: ModelInfo
    # N frames in one call (a model with a batch axis, opened for max_batch > 1 where that matters: OpenVINO
    # and TensorRT compile for single frames otherwise)
    batch_axis: bool
    # infer may be called from several threads at once (inference workers sharing this one loaded model):
    # ONNX Runtime's sessions are made for it, OpenVINO gives each thread its own infer request; TensorRT and
    # PyTorch here are one caller at a time (on a GPU, batching is the lever)
    parallel_calls: bool

    def infer(self, batch: np.ndarray) -> list[np.ndarray]:
        """(N, 3, S, S) float32 in [0, 1] (or (N, S, S, 3) uint8 when info.uint8_input) -> 3 maps with N rows;
        N > 1 only where batch_axis."""
        ...
