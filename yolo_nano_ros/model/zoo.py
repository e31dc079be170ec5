"""The networks we benchmark, by name, with the figures their authors published.

Published figures are what a reader would compare against: the YOLO Nano paper's Table 1 (VOC heads,
416, ops = 2 x MACs, sizes in FP32 MiB except YOLO Nano's 8-bit 4.0 MB), darknet's cfg output for
YOLOv4-tiny (COCO heads) and NanoDet's README for NanoDet-m (COCO, 320).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from torch import nn

from yolo_nano_ros.errors import ConfigError
from yolo_nano_ros.model.baselines.nanodet import NanoDet
from yolo_nano_ros.model.baselines.tiny_yolo import TinyYoloV2, TinyYoloV3, YoloV4Tiny
from yolo_nano_ros.model.config import YoloNanoConfig
from yolo_nano_ros.model.yolo_nano import YoloNano


@dataclass(frozen=True)
class NetworkSpec:
    name: str
    input_size: int
    build: Callable[[], nn.Module]
    classes: int
    published: dict[str, float] = field(default_factory=dict)
    source: str = ""


NETWORKS: dict[str, NetworkSpec] = {s.name: s for s in (
    NetworkSpec("yolo-nano", 416, lambda: YoloNano(YoloNanoConfig()), 20,
                {"size_int8_mb": 4.0, "ops": 4.57e9}, "YOLO Nano paper, Table 1"),
    NetworkSpec("yolo-nano-aligned8", 416, lambda: YoloNano(YoloNanoConfig(channel_multiple=8)), 20,
                {}, "YOLO Nano with every width rounded up to a multiple of 8 (ours)"),
    NetworkSpec("yolo-nano-aligned16", 416, lambda: YoloNano(YoloNanoConfig(channel_multiple=16)), 20,
                {}, "YOLO Nano with every width rounded up to a multiple of 16, an AVX-512 register of fp32 (ours)"),
    NetworkSpec("tiny-yolov2", 416, TinyYoloV2, 20,
                {"size_fp32_mb": 60.5, "ops": 6.97e9}, "YOLO Nano paper, Table 1"),
    NetworkSpec("tiny-yolov3", 416, TinyYoloV3, 20,
                {"size_fp32_mb": 33.4, "ops": 5.52e9}, "YOLO Nano paper, Table 1"),
    NetworkSpec("yolov4-tiny", 416, YoloV4Tiny, 20,
                {}, "darknet yolov4-tiny.cfg (published 6.06 M params / 6.91 BFLOPs are for COCO heads)"),
    NetworkSpec("nanodet-m", 320, NanoDet, 80,
                {"params": 0.95e6, "ops": 0.72e9}, "NanoDet README: 0.95 M params, 0.72 GFLOPs at 320"),
)}

# The subset that issue-level comparisons name, in display order.
DEFAULT_BENCH = ("yolo-nano", "yolo-nano-aligned8", "yolo-nano-aligned16", "tiny-yolov2", "tiny-yolov3",
                 "yolov4-tiny", "nanodet-m")


def get_network(name: str) -> NetworkSpec:
    try:
        return NETWORKS[name]
    except KeyError:
        raise ConfigError(f"unknown network {name!r}; choose from {', '.join(NETWORKS)}") from None
