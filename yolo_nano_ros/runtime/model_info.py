"""What a runtime needs to know about a model file, read from the file itself.

Exported ONNX models carry their YoloNanoConfig as JSON in metadata_props["yolo_nano_config"]
(and TensorRT engines in their JSON sidecar), so class names, anchors and input size always travel
with the weights: no label file to keep in sync.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from yolo_nano_ros.errors import YoloNanoError
from yolo_nano_ros.runtime.postprocess import HeadSpec

METADATA_KEY = "yolo_nano_config"
QUANTIZATION_KEY = "quantization"  # present (a description) in INT8 files from `yolo-nano quantize`
INPUT_FORMAT_KEY = "input_format"
UINT8_INPUT_FORMAT = "uint8_nhwc_rgb"  # NHWC uint8 RGB in, normalisation inside the graph
FLOAT_INPUT_FORMAT = "float32_nchw_rgb_0_1"


class ModelLoadError(YoloNanoError, RuntimeError):
    """A model file that cannot be used; the message says what to do."""


@dataclass(frozen=True)
class ModelInfo:
    input_size: int
    class_names: tuple[str, ...]
    head: HeadSpec
    uint8_input: bool = False  # NHWC uint8 RGB in, normalisation inside the graph

    @classmethod
    def from_config_dict(cls, d: dict[str, Any], uint8_input: bool = False) -> ModelInfo:
        anchors = tuple(tuple((float(w), float(h)) for w, h in level) for level in d["anchors"])
        return cls(int(d["input_size"]), tuple(d["class_names"]),
                   HeadSpec(int(d["num_classes"]), anchors, tuple(d.get("strides", (8, 16, 32)))),
                   uint8_input)


def model_config(path: Path, metadata: dict[str, str]) -> dict[str, Any]:
    """The exported YoloNanoConfig, or a ModelLoadError saying how to get a file that has it."""
    if METADATA_KEY not in metadata:
        raise ModelLoadError(
            f"{path} lacks '{METADATA_KEY}' metadata: export it with `yolo-nano export` so class names, "
            "anchors and input size travel with the weights")
    return json.loads(metadata[METADATA_KEY])


def is_uint8_input(metadata: dict[str, str]) -> bool:
    return metadata.get(INPUT_FORMAT_KEY) == UINT8_INPUT_FORMAT


def read_onnx_metadata(path: Path, metadata: dict[str, str]) -> ModelInfo:
    return ModelInfo.from_config_dict(model_config(path, metadata), uint8_input=is_uint8_input(metadata))


def metadata_props(proto: Any) -> dict[str, str]:
    """An onnx.ModelProto's metadata_props as a dict."""
    return {p.key: p.value for p in proto.metadata_props}


def add_metadata_props(proto: Any, metadata: dict[str, str]) -> None:
    for key, value in metadata.items():
        entry = proto.metadata_props.add()
        entry.key, entry.value = key, value


BATCH_DIM = "batch"


def has_dynamic_batch(path: Path) -> bool:
    import onnx

    dims = onnx.load(str(path), load_external_data=False).graph.input[0].type.tensor_type.shape.dim
    return bool(dims) and not dims[0].HasField("dim_value")


def save_with_batch(path: Path, out: Path, batch: int | None = None) -> Path:
    """A copy of an ONNX model whose input and outputs take `batch` frames, None = any number (dimension 0
    named "batch", as `yolo-nano export --dynamic-batch` writes); weights and metadata unchanged. Our
    graphs never fix the batch inside (no reshape to 1), so only the declared shapes change; the stored
    intermediate shapes (value_info, optional) are dropped, and onnx's checker and strict shape inference
    must accept the result."""
    import onnx

    proto = onnx.load(str(path))
    for value in [*proto.graph.input, *proto.graph.output]:
        dims = value.type.tensor_type.shape.dim
        if not dims:
            raise ModelLoadError(f"{path}: tensor {value.name} has no shape; cannot set its batch axis")
        if batch is None:
            dims[0].ClearField("dim_value")
            dims[0].dim_param = BATCH_DIM
        else:
            dims[0].ClearField("dim_param")
            dims[0].dim_value = batch
    del proto.graph.value_info[:]
    onnx.checker.check_model(proto)
    onnx.shape_inference.infer_shapes(proto, strict_mode=True)
    out.parent.mkdir(parents=True, exist_ok=True)
    onnx.save(proto, str(out))
    return out
