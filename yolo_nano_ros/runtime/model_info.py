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

from yolo_nano_ros.runtime.postprocess import HeadSpec

METADATA_KEY = "yolo_nano_config"
QUANTIZATION_KEY = "quantization"  # present (a description) in INT8 files from `yolo-nano quantize`


class ModelLoadError(RuntimeError):
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


def read_onnx_metadata(path: Path, metadata: dict[str, str]) -> ModelInfo:
    if METADATA_KEY not in metadata:
        raise ModelLoadError(
            f"{path} has no '{METADATA_KEY}' metadata: export it with `yolo-nano export` so class names, "
            "anchors and input size travel with the weights")
    config = json.loads(metadata[METADATA_KEY])
    return ModelInfo.from_config_dict(config, uint8_input=metadata.get("input_format") == "uint8_nhwc_rgb")
