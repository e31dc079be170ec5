"""Declaring a node's parameters from the plain schema in nodes/parameters.py, with rclpy's descriptors:
description, read-only, dynamic typing and the ranges of PARAMETER_RANGES."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

from rcl_interfaces.msg import FloatingPointRange, IntegerRange, ParameterDescriptor
from rclpy.exceptions import InvalidParameterValueException
from rclpy.node import Node
from rclpy.parameter import Parameter

from yolo_nano_ros.nodes.parameters import PARAMETER_RANGES, STRING_ARRAY


def descriptor(name: str, default: Any, doc: str, read_only: bool, dynamic: bool) -> ParameterDescriptor:
    out = ParameterDescriptor(description=doc, read_only=read_only, dynamic_typing=dynamic)
    if name in PARAMETER_RANGES:
        low, high = PARAMETER_RANGES[name]
        if isinstance(default, bool) or not isinstance(default, int | float):
            raise TypeError(f"parameter {name}: a range needs a numeric default, not {default!r}")
        if isinstance(default, int):
            out.integer_range = [IntegerRange(from_value=int(low), to_value=int(high), step=0)]
        else:
            out.floating_point_range = [FloatingPointRange(from_value=float(low), to_value=float(high), step=0.0)]
    return out


def declare_schema(node: Node, schema: Mapping[str, tuple[Any, str]], read_only: Collection[str],
                   dynamic: Collection[str] = ()) -> None:
    """Declare every parameter of `schema`; a start-up value (YAML, -p) that its descriptor refuses is one
    error line and the default instead, not a node that dies before it is up."""
    for name, (default, doc) in schema.items():
        value = Parameter.Type.STRING_ARRAY if default == STRING_ARRAY else default
        desc = descriptor(name, default, doc, name in read_only, name in dynamic)
        try:
            node.declare_parameter(name, value, desc)
        except InvalidParameterValueException as exc:
            node.get_logger().error(f"{exc}; using the default {default!r}")
            node.declare_parameter(name, value, desc, ignore_override=True)
