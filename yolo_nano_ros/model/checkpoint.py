"""Save and load training checkpoints: the config travels with the weights.

Checkpoints are loaded with `weights_only=True`: tensors, numbers, strings and containers only. A .pt
is a pickle, and unpickling an arbitrary one runs whatever code it names; paths come from users and
from the detector's `model` parameter, which anyone on an unsecured ROS graph can set. Ours hold
nothing else (config as plain dicts, state dicts, history rows, settings as strings).
"""

from __future__ import annotations

import pickle
from pathlib import Path
from typing import Any

import torch

from yolo_nano_ros.errors import UnsafeCheckpointError
from yolo_nano_ros.model.config import YoloNanoConfig
from yolo_nano_ros.model.yolo_nano import YoloNano


def save_checkpoint(path: Path, model: torch.nn.Module, cfg: YoloNanoConfig, **extra: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    torch.save({"config": cfg.to_dict(), "model": model.state_dict(), **extra}, tmp)
    tmp.replace(path)  # never leave a half-written checkpoint behind


def load_checkpoint(path: Path) -> dict[str, Any]:
    """The checkpoint's dict, unpickled with torch's weights-only loader (never runs code from the file)."""
    try:
        ckpt = torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise UnsafeCheckpointError(f"refusing checkpoint {path}: it holds objects other than tensors and plain "
                                    f"data, and loading it would run code from the file ({first})") from None
    if not isinstance(ckpt, dict) or "model" not in ckpt:
        raise UnsafeCheckpointError(f"{path} is not a yolo_nano_ros checkpoint (no 'model' state dict)")
    return ckpt


def load_model(path: Path) -> tuple[YoloNano, YoloNanoConfig]:
    ckpt = load_checkpoint(path)
    cfg = YoloNanoConfig.from_dict(ckpt["config"])
    model = YoloNano(cfg)
    model.load_state_dict(ckpt["model"])
    return model.eval(), cfg
