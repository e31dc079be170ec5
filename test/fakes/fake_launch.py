"""TEST DOUBLE: fake `launch` and `launch_ros` modules with the few classes our launch file uses.

Not ROS 2's launch system: launch and launch_ros cannot be installed from PyPI. The double records what
the launch file builds (DeclareLaunchArgument, OpaqueFunction, Node keyword arguments, warnings) so a
test can execute launch/yolo_nano.launch.py and check how it maps a LaunchPlan onto actions. Names and
signatures follow launch 3.x / launch_ros 0.2x's documented API: OpaqueFunction(function=f) calls
f(context) at launch time with context.launch_configurations (a dict of strings) and expects a list of
actions back; Node(package, executable, name, namespace, parameters, remappings, arguments, output,
emulate_tty).
"""

from __future__ import annotations

import sys
import types
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any


@dataclass
class LaunchDescription:
    entities: list[Any]


@dataclass
class DeclareLaunchArgument:
    name: str
    default_value: str | None = None
    description: str = ""


@dataclass
class OpaqueFunction:
    function: Any
    args: tuple[Any, ...] = ()
    kwargs: dict[str, Any] = field(default_factory=dict)


class Node:
    def __init__(self, **kwargs: Any) -> None:
        self.kwargs = kwargs


@dataclass
class LaunchContext:
    launch_configurations: dict[str, str]


class RecordingLogger:
    def __init__(self) -> None:
        self.warnings: list[str] = []

    def warning(self, message: str) -> None:
        self.warnings.append(message)


@contextmanager
def fake_launch_modules() -> Iterator[RecordingLogger]:
    """sys.modules holds the double's launch, launch.actions, launch.logging and launch_ros.actions."""
    logger = RecordingLogger()
    modules = {
        "launch": types.ModuleType("launch"), "launch.actions": types.ModuleType("launch.actions"),
        "launch.logging": types.ModuleType("launch.logging"), "launch_ros": types.ModuleType("launch_ros"),
        "launch_ros.actions": types.ModuleType("launch_ros.actions"),
    }
    modules["launch"].LaunchDescription = LaunchDescription  # type: ignore[attr-defined]
    modules["launch.actions"].DeclareLaunchArgument = DeclareLaunchArgument  # type: ignore[attr-defined]
    modules["launch.actions"].OpaqueFunction = OpaqueFunction  # type: ignore[attr-defined]
    modules["launch.logging"].get_logger = lambda name=None: logger  # type: ignore[attr-defined]
    modules["launch_ros.actions"].Node = Node  # type: ignore[attr-defined]
    saved = {name: sys.modules.get(name) for name in modules}
    sys.modules.update(modules)
    try:
        yield logger
    finally:
        for name, module in saved.items():
            if module is None:
                sys.modules.pop(name, None)
            else:
                sys.modules[name] = module
