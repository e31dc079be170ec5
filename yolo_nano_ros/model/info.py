"""`yolo-nano info`: our network's cost next to the paper's Table 1 figures."""

from __future__ import annotations

import json
from typing import Any

from yolo_nano_ros.model.complexity import measure
from yolo_nano_ros.model.config import YoloNanoConfig
from yolo_nano_ros.model.yolo_nano import YoloNano

PAPER = {"size_int8_mb": 4.0, "ops": 4.57e9, "voc07_map50": 0.691}


def model_info(cfg: YoloNanoConfig) -> dict[str, object]:
    c = measure(YoloNano(cfg), cfg.input_size).to_dict()
    return {**c, "expansion": cfg.expansion, "num_classes": cfg.num_classes,
            "channel_multiple": cfg.channel_multiple, "paper": PAPER}


def format_info(info: dict[str, Any]) -> str:
    paper = PAPER
    rows = [
        ("input", f"{info['input_size']}x{info['input_size']}", "416x416"),
        ("parameters", f"{info['params'] / 1e6:.3f} M", "~4.0-4.2 M (4.0 MB at 8 bit)"),
        ("MACs", f"{info['macs'] / 1e9:.3f} G", f"{paper['ops'] / 2e9:.3f} G"),
        ("ops (2 x MACs)", f"{info['ops'] / 1e9:.3f} B", f"{paper['ops'] / 1e9:.2f} B"),
        ("weights FP32", f"{info['size_fp32_mb']:.2f} MB", ""),
        ("weights FP16", f"{info['size_fp16_mb']:.2f} MB", ""),
        ("weights INT8", f"{info['size_int8_mb']:.2f} MB", f"{paper['size_int8_mb']:.1f} MB"),
    ]
    lines = [f"YOLO Nano (expansion {info['expansion']}, {info['num_classes']} classes, "
             f"channel multiple {info['channel_multiple']})", f"{'':<16}{'ours':>14}  {'paper':>s}"]
    lines += [f"{name:<16}{ours:>14}  {theirs}" for name, ours, theirs in rows]
    lines.append("MB = MiB; the paper's widths inside EP/PEP are not published, hence the gap.")
    return "\n".join(lines)


def print_info(cfg: YoloNanoConfig, as_json: bool) -> None:
    info = model_info(cfg)
    print(json.dumps(info) if as_json else format_info(info))
