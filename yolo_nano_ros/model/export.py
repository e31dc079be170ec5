"""ONNX export: raw head tensors with fixed names, the model's config in the metadata.

Decode and NMS stay outside the graph (runtime/postprocess.py), so any backend can run the file and
one decoder fits every input size and class count. With uint8_input the graph takes NHWC uint8 RGB
and does the cast, scale and transpose itself, so a GPU backend does the normalisation.
"""

from __future__ import annotations

import json
from pathlib import Path

import torch
from torch import nn

from yolo_nano_ros.model.checkpoint import load_model
from yolo_nano_ros.model.yolo_nano import YoloNano
from yolo_nano_ros.runtime.model_info import (
    FLOAT_INPUT_FORMAT,
    INPUT_FORMAT_KEY,
    METADATA_KEY,
    UINT8_INPUT_FORMAT,
    add_metadata_props,
)

OUTPUT_NAMES = ["head_s8", "head_s16", "head_s32"]


class Uint8InputWrapper(nn.Module):
    """(N, H, W, 3) uint8 RGB -> the float model's (N, 3, H, W) in [0, 1]."""

    def __init__(self, model: nn.Module) -> None:
        super().__init__()
        self.model = model

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, ...]:
        return self.model(x.permute(0, 3, 1, 2).float() * (1.0 / 255.0))


def export_model(model: YoloNano, out: Path, opset: int = 17, dynamic_batch: bool = False,
                 uint8_input: bool = False) -> Path:
    import onnx

    cfg = model.cfg
    was_training = model.training
    model = model.eval().cpu()
    size = cfg.input_size
    if uint8_input:
        # eval() on the wrapper too: export restores each module's mode afterwards, and a wrapper left in
        # training mode would flip the caller's model into training mode with it.
        module: nn.Module = Uint8InputWrapper(model).eval()
        example = torch.zeros(1, size, size, 3, dtype=torch.uint8)
        input_name = "images_uint8"
    else:
        module, example, input_name = model, torch.zeros(1, 3, size, size), "images"
    dynamic_axes = {name: {0: "batch"} for name in [input_name, *OUTPUT_NAMES]} if dynamic_batch else None
    out.parent.mkdir(parents=True, exist_ok=True)
    torch.onnx.export(module, (example,), str(out), opset_version=opset, input_names=[input_name],
                      output_names=OUTPUT_NAMES, dynamic_axes=dynamic_axes, dynamo=False, do_constant_folding=True)
    model.train(was_training)
    proto = onnx.load(str(out))
    add_metadata_props(proto, {METADATA_KEY: json.dumps(cfg.to_dict()),
                               INPUT_FORMAT_KEY: UINT8_INPUT_FORMAT if uint8_input else FLOAT_INPUT_FORMAT,
                               "producer": "yolo_nano_ros"})
    onnx.checker.check_model(proto)
    onnx.save(proto, str(out))
    return out


def export_onnx(checkpoint: Path, out: Path, opset: int = 17, dynamic_batch: bool = False,
                uint8_input: bool = False) -> Path:
    model, _ = load_model(checkpoint)
    return export_model(model, out, opset, dynamic_batch, uint8_input)
