"""The command-line options that say what a model file's metadata does not: its output layout and class names
(the node's output_layout and class_names parameters), shared by every command that opens a model."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from yolo_nano_ros.runtime.output_layouts import LAYOUT_CHOICES, parse_layout  # plain Python: no runtime loaded

if TYPE_CHECKING:
    from yolo_nano_ros.runtime.model_info import ModelOverrides


def add_model_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--output-layout", default="auto", choices=LAYOUT_CHOICES,
                   help="the model's outputs; auto (default) reads them from the file (our exports, Ultralytics' "
                        "detect and end-to-end exports); name it for a file without metadata")
    p.add_argument("--class-names", default="", metavar="A,B,...",
                   help="the model's class names in output order (default: the file's own)")


def model_overrides(args: argparse.Namespace) -> ModelOverrides:
    from yolo_nano_ros.runtime.model_info import ModelOverrides

    names = tuple(n.strip() for n in args.class_names.split(",") if n.strip())
    return ModelOverrides(parse_layout(args.output_layout), names)
