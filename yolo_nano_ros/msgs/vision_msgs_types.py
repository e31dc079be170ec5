"""vision_msgs 4.x types for rosbags, read from the same .msg files rclpy's vision_msgs was built from.

rosbags ships only the core ROS types; bags holding Detection2DArray need vision_msgs registered.
Reading the installed definitions (not a copy in this module) keeps bag type hashes identical to
what the running ROS system publishes.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from rosbags.typesys import get_types_from_msg

from yolo_nano_ros.errors import YoloNanoError
from yolo_nano_ros.paths import interface_definitions

if TYPE_CHECKING:
    from rosbags.typesys.store import Typestore

PACKAGE = "vision_msgs"


class VisionMsgsNotFoundError(YoloNanoError, RuntimeError):
    """No vision_msgs .msg definitions were found on this machine."""


def candidate_dirs() -> list[Path]:
    prefixes = [p for p in os.environ.get("AMENT_PREFIX_PATH", "").split(os.pathsep) if p]
    prefixes.append(sys.prefix)
    dirs = [Path(p) / "share" / PACKAGE / "msg" for p in prefixes]
    vendored = interface_definitions(PACKAGE)
    if vendored is not None:
        dirs.append(vendored)
    return dirs


def find_definitions() -> Path:
    for directory in candidate_dirs():
        if (directory / "Detection2DArray.msg").is_file():
            return directory
    searched = "\n  ".join(str(d) for d in candidate_dirs())
    raise VisionMsgsNotFoundError(
        f"vision_msgs .msg files not found; searched:\n  {searched}\n"
        "Run `make setup`, or on a robot `sudo apt install ros-$ROS_DISTRO-vision-msgs`."
    )


def register_vision_msgs(store: Typestore, directory: Path | None = None) -> None:
    """Add every vision_msgs message type to a rosbags Typestore."""
    directory = directory or find_definitions()
    types = {}
    for path in sorted(directory.glob("*.msg")):
        types.update(get_types_from_msg(path.read_text(), f"{PACKAGE}/msg/{path.stem}"))
    store.register(types)
