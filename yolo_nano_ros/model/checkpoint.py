"""Save and load training checkpoints: the config travels with the weights."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch

from yolo_nano_ros.model.config import YoloNanoConfig
from yolo_nano_ros.model.yolo_nano import YoloNano


def save_checkpoint(path: Path, model: torch.nn.Module, cfg: YoloNanoConfig, **extra: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    torch.save({"config": cfg.to_dict(), "model": model.state_dict(), **extra}, tmp)
    tmp.replace(path)  # never leave a half-written checkpoint behind


def load_model(path: Path) -> tuple[YoloNano, YoloNanoConfig]:
    ckpt = torch.load(path, map_location="cpu", weights_only=False)
    cfg = YoloNanoConfig.from_dict(ckpt["config"])
    model = YoloNano(cfg)
    model.load_state_dict(ckpt["model"])
    return model.eval(), cfg
