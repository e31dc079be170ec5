"""What a runtime needs to know about a model file, read from the file itself.

Exported ONNX models carry their YoloNanoConfig as JSON in metadata_props["yolo_nano_config"]
(and TensorRT engines in their JSON sidecar), so class names, anchors and input size always travel
with the weights: no label file to keep in sync. Ultralytics exports carry their own metadata
(output_layouts); a file with neither is read when the caller names its layout and class names.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from yolo_nano_ros.errors import ConfigError, ModelLoadError
from yolo_nano_ros.runtime.output_layouts import (
    ULTRALYTICS_KEYS,
    OutputLayout,
    Shape,
    check_outputs,
    classes_from_shape,
    recognise_foreign_layout,
    ultralytics_input_size,
    ultralytics_names,
    ultralytics_stride,
)
from yolo_nano_ros.runtime.postprocess import HeadSpec

METADATA_KEY = "yolo_nano_config"
QUANTIZATION_KEY = "quantization"  # present (a description) in INT8 files from `yolo-nano quantize`
INPUT_FORMAT_KEY = "input_format"
UINT8_INPUT_FORMAT = "uint8_nhwc_rgb"  # NHWC uint8 RGB in, normalisation inside the graph
FLOAT_INPUT_FORMAT = "float32_nchw_rgb_0_1"
# Every metadata key a runtime reads (OpenVINO hands them over one by one).
METADATA_KEYS = (METADATA_KEY, INPUT_FORMAT_KEY, "producer", QUANTIZATION_KEY, *ULTRALYTICS_KEYS)


@dataclass(frozen=True)
class ModelOverrides:
    """What a user says about a file that its metadata does not (or says wrongly): its layout, its class names."""

    layout: OutputLayout | None = None  # None: read it from the file
    class_names: tuple[str, ...] = ()  # empty: the file's own


@dataclass(frozen=True)
class ModelInfo:
    input_size: int
    class_names: tuple[str, ...]
    head: HeadSpec | None  # YOLO Nano's anchors and strides; None for the other layouts
    uint8_input: bool = False  # NHWC uint8 RGB in, normalisation inside the graph
    layout: OutputLayout = OutputLayout.YOLO_NANO
    # > 0: the model takes any input size and is fed the smallest padding to multiples of this (Ultralytics'
    # predictor does so for such exports, `dynamic=True`); 0: input_size x input_size
    rect_stride: int = 0

    @classmethod
    def from_config_dict(cls, d: dict[str, Any], uint8_input: bool = False) -> ModelInfo:
        anchors = tuple(tuple((float(w), float(h)) for w, h in level) for level in d["anchors"])
        return cls(int(d["input_size"]), tuple(d["class_names"]),
                   HeadSpec(int(d["num_classes"]), anchors, tuple(d.get("strides", (8, 16, 32)))),
                   uint8_input)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready (the TensorRT sidecar keeps it, so an engine is read as its ONNX was)."""
        head = None if self.head is None else {"num_classes": self.head.num_classes,
                                               "anchors": [list(map(list, a)) for a in self.head.anchors],
                                               "strides": list(self.head.strides)}
        return {"input_size": self.input_size, "class_names": list(self.class_names), "head": head,
                "uint8_input": self.uint8_input, "layout": self.layout.value,
                "rect_stride": self.rect_stride}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> ModelInfo:
        h = d["head"]
        head = None if h is None else HeadSpec(int(h["num_classes"]),
                                               tuple(tuple((float(w), float(a)) for w, a in lv) for lv in h["anchors"]),
                                               tuple(int(s) for s in h["strides"]))
        return cls(int(d["input_size"]), tuple(d["class_names"]), head, bool(d["uint8_input"]),
                   OutputLayout(d["layout"]), int(d.get("rect_stride", 0)))


def model_config(path: Path, metadata: dict[str, str]) -> dict[str, Any]:
    """The exported YoloNanoConfig, or a ModelLoadError saying how to get a file that has it."""
    if METADATA_KEY not in metadata:
        raise ModelLoadError(
            f"{path} lacks '{METADATA_KEY}' metadata: export it with `yolo-nano export` so class names, "
            "anchors and input size travel with the weights")
    return json.loads(metadata[METADATA_KEY])


def describe_model(path: Path, metadata: dict[str, str], input_shape: Shape, output_shapes: Sequence[Shape],
                   overrides: ModelOverrides | None = None) -> ModelInfo:
    """ModelInfo of an ONNX file (or its engine) from its metadata and tensor shapes, the overrides applied.

    A layout the outputs contradict, class names that disagree with the output's class count, and a
    non-detect Ultralytics task are ModelLoadErrors naming what the file has."""
    o = overrides or ModelOverrides()
    layout = o.layout or (OutputLayout.YOLO_NANO if METADATA_KEY in metadata
                          else recognise_foreign_layout(str(path), metadata, output_shapes))
    uint8 = is_uint8_input(metadata)
    check_outputs(str(path), layout, output_shapes, None)
    if layout is OutputLayout.YOLO_NANO:
        info = ModelInfo.from_config_dict(model_config(path, metadata), uint8_input=uint8)
    else:
        names = o.class_names or (ultralytics_names(str(path), metadata) if "names" in metadata else ())
        if not names:
            count = classes_from_shape(layout, output_shapes)
            if count is None:
                raise ModelLoadError(f"{path}: no class names in the file and none given (class_names): an "
                                     f"{layout.value} output does not show how many classes there are")
            names = tuple(f"class_{i}" for i in range(count))
        any_size = len(input_shape) == 4 and input_shape[2] is None and input_shape[3] is None
        stride = ultralytics_stride(str(path), metadata) if any_size else 0
        info = ModelInfo(ultralytics_input_size(str(path), metadata, input_shape), names, None, uint8, layout, stride)
    if o.class_names and info.head is not None:
        if len(o.class_names) != info.head.num_classes:
            raise ModelLoadError(f"{path}: {len(o.class_names)} class names given for a model of "
                                 f"{info.head.num_classes} classes")
        info = replace(info, class_names=o.class_names)
    check_outputs(str(path), info.layout, output_shapes, len(info.class_names))
    return info


def is_uint8_input(metadata: dict[str, str]) -> bool:
    return metadata.get(INPUT_FORMAT_KEY) == UINT8_INPUT_FORMAT


def read_onnx_metadata(path: Path, metadata: dict[str, str]) -> ModelInfo:
    """ModelInfo of one of our own exports (YOLO Nano's layout), from its metadata alone."""
    return ModelInfo.from_config_dict(model_config(path, metadata), uint8_input=is_uint8_input(metadata))


def as_shape(dims: Sequence[object]) -> Shape:
    """A runtime's tensor shape (ints, with names, None or -1 for dynamic dimensions) as a Shape."""
    return tuple(d if isinstance(d, int) and d >= 0 else None for d in dims)


def onnx_value_shape(value: Any) -> Shape:
    """An onnx ValueInfoProto's declared shape, None for each free dimension."""
    return as_shape([d.dim_value if d.HasField("dim_value") else -1 for d in value.type.tensor_type.shape.dim])


def describe_onnx_proto(path: Path, proto: Any, overrides: ModelOverrides | None = None) -> ModelInfo:
    """describe_model of a loaded onnx.ModelProto (path only names it in errors)."""
    return describe_model(path, metadata_props(proto), onnx_value_shape(proto.graph.input[0]),
                          [onnx_value_shape(o) for o in proto.graph.output], overrides)


def describe_onnx_file(path: Path, overrides: ModelOverrides | None = None) -> ModelInfo:
    """describe_model of an ONNX file read with onnx (no runtime): for the tools that rewrite or build from it."""
    import onnx

    if not path.is_file():
        raise ModelLoadError(f"model not found: {path}")
    return describe_onnx_proto(path, onnx.load(str(path), load_external_data=False), overrides)


def metadata_props(proto: Any) -> dict[str, str]:
    """An onnx.ModelProto's metadata_props as a dict."""
    return {p.key: p.value for p in proto.metadata_props}


def add_metadata_props(proto: Any, metadata: dict[str, str]) -> None:
    for key, value in metadata.items():
        entry = proto.metadata_props.add()
        entry.key, entry.value = key, value


BATCH_DIM = "batch"


def set_dim(dim: Any, value: int | str) -> None:
    """One ONNX tensor dimension: a fixed size (int) or a free one of that name (str); the other field cleared
    (a dimension holding both is invalid). Every rewrite of a model's shapes here goes through it."""
    if isinstance(value, int):
        dim.ClearField("dim_param")
        dim.dim_value = value
    else:
        dim.ClearField("dim_value")
        dim.dim_param = value


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
        set_dim(dims[0], BATCH_DIM if batch is None else batch)
    del proto.graph.value_info[:]
    onnx.checker.check_model(proto)
    onnx.shape_inference.infer_shapes(proto, strict_mode=True)
    out.parent.mkdir(parents=True, exist_ok=True)
    onnx.save(proto, str(out))
    return out


def onnx_with_input_size(path: Path, size: int) -> bytes:
    """The ONNX model (serialized) with its input's free height and width set to `size` and the outputs' shapes
    inferred from it (the batch axis stays free): what TensorRT builds an any-size export from."""
    import onnx

    proto = onnx.load(str(path))
    dims = proto.graph.input[0].type.tensor_type.shape.dim
    for d in list(dims)[2:4]:
        if not d.HasField("dim_value"):
            set_dim(d, size)
    inferred = onnx.shape_inference.infer_shapes(proto)
    for declared, known in zip(proto.graph.output, inferred.graph.output, strict=True):
        for d, k in zip(list(declared.type.tensor_type.shape.dim)[1:], list(known.type.tensor_type.shape.dim)[1:],
                        strict=True):
            if k.HasField("dim_value"):
                set_dim(d, k.dim_value)
    return proto.SerializeToString()


def onnx_with_free_input_size(path: Path, size: int) -> bytes:
    """Our model's bytes with symbolic H and W, so ONNX Runtime runs it at `size` (a multiple of 32); the
    opposite of onnx_with_input_size, which fixes an any-size export's."""
    import onnx

    if size % 32:
        raise ConfigError(f"input size {size} is not a multiple of 32 (the largest stride)")
    proto = onnx.load(str(path))
    for value in [*proto.graph.input, *proto.graph.output]:
        dims = value.type.tensor_type.shape.dim
        if len(dims) != 4:
            raise ConfigError(f"{value.name}: expected a 4-D tensor, got {len(dims)} dimensions")
        h_axis, w_axis = (1, 2) if dims[3].dim_value == 3 else (2, 3)  # NHWC uint8 input or NCHW
        set_dim(dims[h_axis], "height")
        set_dim(dims[w_axis], "width")
    return proto.SerializeToString()


def save_at_input_size(path: Path, size: int, out: Path) -> Path:
    """A copy of the model that runs at `size`: symbolic H/W and the metadata's input_size updated."""
    import json

    import onnx

    proto = onnx.load_from_string(onnx_with_free_input_size(path, size))
    for entry in proto.metadata_props:
        if entry.key == METADATA_KEY:
            config = json.loads(entry.value)
            config["input_size"] = size
            entry.value = json.dumps(config)
    onnx.save(proto, str(out))
    return out
