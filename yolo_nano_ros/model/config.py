"""Model configuration: every choice the paper leaves open is a named setting with a default.

Nothing here imports torch, so the runtime can read a model's configuration (from ONNX
metadata) without the training stack.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from yolo_nano_ros.data.class_names import VOC_CLASSES
from yolo_nano_ros.errors import ConfigError

# YOLOv3's nine anchors at 416, (w, h) in pixels, small to large: stride 8, 16, 32.
YOLOV3_ANCHORS: tuple[tuple[tuple[float, float], ...], ...] = (
    ((10, 13), (16, 30), (33, 23)),
    ((30, 61), (62, 45), (59, 119)),
    ((116, 90), (156, 198), (373, 326)),
)
STRIDES: tuple[int, int, int] = (8, 16, 32)


Activation = Literal["relu6", "leaky_relu", "silu"]
Upsample = Literal["nearest", "bilinear"]


@dataclass(frozen=True)
class YoloNanoConfig:
    """Architecture settings.

    expansion: hidden width of EP/PEP = expansion x the block's input width (EP) or its
        projection width (PEP). The paper's figure does not give it; 1 is our default
        (closest to the paper's 4.0 MB at 8 bits), 2 gives ~4.7 M parameters.
    activation: after every conv + BN except the linear projection convs and the detection convs.
    upsample: nearest exports identically to ONNX/TensorRT; bilinear does not (align_corners).
    residual: add the block input when stride is 1 and widths match (the only well-defined case).
    channel_multiple: round every width up to this multiple (8 = the tensor-core "aligned" variant).
    """

    num_classes: int = 20
    class_names: tuple[str, ...] = VOC_CLASSES
    input_size: int = 416
    expansion: float = 1.0
    activation: Activation = "relu6"
    upsample: Upsample = "nearest"
    residual: bool = True
    fca_reduction: int = 8
    channel_multiple: int = 1
    anchors: tuple[tuple[tuple[float, float], ...], ...] = YOLOV3_ANCHORS
    strides: tuple[int, int, int] = STRIDES
    extra: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.input_size % 32:
            raise ConfigError(f"input_size must be a multiple of 32, got {self.input_size}")
        if len(self.class_names) != self.num_classes:
            raise ConfigError(f"{len(self.class_names)} class names for num_classes={self.num_classes}")
        if len(self.anchors) != 3 or any(len(level) != 3 for level in self.anchors):
            raise ConfigError("anchors must be 3 levels x 3 (w, h) pairs")

    @property
    def outputs_per_anchor(self) -> int:
        return 5 + self.num_classes

    def width(self, channels: int) -> int:
        m = self.channel_multiple
        return int(math.ceil(channels / m) * m)

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["class_names"] = list(self.class_names)
        d["anchors"] = [[list(a) for a in level] for level in self.anchors]
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> YoloNanoConfig:
        d = dict(d)
        d["class_names"] = tuple(d["class_names"])
        d["anchors"] = tuple(tuple(tuple(a) for a in level) for level in d["anchors"])
        d["strides"] = tuple(d.get("strides", STRIDES))
        return cls(**d)

    def with_classes(self, names: list[str] | tuple[str, ...]) -> YoloNanoConfig:
        d = self.to_dict()
        d["class_names"], d["num_classes"] = list(names), len(names)
        return YoloNanoConfig.from_dict(d)
