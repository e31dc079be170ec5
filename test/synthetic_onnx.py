"""Tiny synthetic ONNX files in the layouts of other detectors' exports (a constant output of the layout's
shape, Ultralytics-style metadata), so a decoder's every number is known in advance."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

NAMES3 = "{0: 'person', 1: 'bicycle', 2: 'car'}"


def ultralytics_metadata(**extra: str) -> dict[str, str]:
    return {"task": "detect", "names": NAMES3, "imgsz": "[64, 64]", "stride": "32", "batch": "1",
            "end2end": "False", **extra}


def constant_model(path: Path, output: np.ndarray, metadata: dict[str, str], dynamic: bool = False) -> Path:
    """images (B, 3, 64, 64) -> output0: `output` (batch 1), whatever the pixels; dynamic: B, H, W free (and the
    output's batch declared free, as an exporter writes it)."""
    dims: list[int | str] = ["batch", 3, "height", "width"] if dynamic else [1, 3, 64, 64]
    inp = helper.make_tensor_value_info("images", TensorProto.FLOAT, dims)
    out_dims: list[int | str] = ["batch", *output.shape[1:]] if dynamic else list(output.shape)
    out = helper.make_tensor_value_info("output0", TensorProto.FLOAT, out_dims)
    node = helper.make_node("Constant", [], ["output0"], value=numpy_helper.from_array(output.astype(np.float32)))
    graph = helper.make_graph([node], "constant", [inp], [out])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    for key, value in metadata.items():
        model.metadata_props.add(key=key, value=value)
    onnx.save(model, str(path))
    return path


def detect_head(boxes_cxcywh: list[list[float]], scores: list[list[float]], anchors: int = 16) -> np.ndarray:
    """(1, 4 + C, anchors): the given cells first, the rest zero."""
    out = np.zeros((1, 4 + len(scores[0]), anchors), np.float32)
    for i, (box, score) in enumerate(zip(boxes_cxcywh, scores, strict=True)):
        out[0, :4, i], out[0, 4:, i] = box, score
    return out
