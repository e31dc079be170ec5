"""PyTorch backend for development machines: a training checkpoint (.pt) or an in-memory model."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from yolo_nano_ros.errors import ModelLoadError
from yolo_nano_ros.runtime.model_info import ModelInfo


class TorchBackend:
    def __init__(self, model: Any, config: dict[str, Any], device: str = "cpu") -> None:
        import torch

        self.torch = torch
        self.device = torch.device(device)
        self.model = model.to(self.device).eval()
        self.info = ModelInfo.from_config_dict(config)
        self.name = f"torch:{self.device}"
        self.batch_axis = True
        self.parallel_calls = False  # a debugging and training backend: one caller at a time
        self.precision = "fp32"

    @classmethod
    def from_checkpoint(cls, path: Path, device: str = "cpu") -> TorchBackend:
        from yolo_nano_ros.model.checkpoint import load_model

        if not path.is_file():
            raise ModelLoadError(f"checkpoint not found: {path}")
        model, config = load_model(path)
        return cls(model, config.to_dict(), device)

    def infer(self, batch: np.ndarray) -> list[np.ndarray]:
        with self.torch.inference_mode():
            outs = self.model(self.torch.from_numpy(batch).to(self.device))
        return [o.float().cpu().numpy() for o in outs]
