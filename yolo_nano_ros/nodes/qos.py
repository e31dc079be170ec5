"""The camera QoS our replay tools, the echo node and the tests stream with, and the DDS fact it rests on.

Plain Python at import (rclpy only inside replay_camera_qos), so the harness and the test helpers can ask
which reliability to use on a machine without ROS.
"""

from __future__ import annotations

import importlib.metadata
import os
from typing import Any, Literal

Reliability = Literal["best_effort", "reliable"]
FASTDDS_2_DISTROS = ("humble", "jazzy")  # Fast DDS 2.x; Kilted onwards ships Fast DDS 3


def fastdds_major_version() -> int | None:
    """2 or 3 for the Fast DDS under rmw_fastrtps here: from ROS_DISTRO on a sourced ROS install, else the
    PyPI wheels' metadata (ros-fastrtps 2.x for Jazzy, ros-fastdds 3.x for Kilted); None if unknown."""
    distro = os.environ.get("ROS_DISTRO", "").lower()
    if distro:
        return 2 if distro in FASTDDS_2_DISTROS else 3
    for dist in ("ros-fastdds", "ros-fastrtps"):
        try:
            return int(importlib.metadata.version(dist).split(".")[0])
        except (importlib.metadata.PackageNotFoundError, ValueError):
            continue
    return None


def replay_reliability() -> Reliability:
    """The QoS our replay tools (demo, benchmarks, live eval, tests) stream camera frames with.

    best_effort, like a camera driver, except on Fast DDS 2.x (Humble, Jazzy). There, with the shared-memory
    profile, a best-effort 640x480 stream reached a subscriber restarted beside a running publisher only
    after 0.9-14 s, or stopped after a few frames (measured on Jazzy's wheels, Fast DDS 2.14.5; Kilted's
    Fast DDS 3.2: 0.3-0.9 s, never stopped; upstream eProsima/Fast-DDS#5053). Reliable streams arrived
    at once there, so the tools use reliable (and tell the detector so) where Fast DDS is 2.x.
    """
    return "reliable" if fastdds_major_version() == 2 else "best_effort"


def replay_camera_qos(reliable_depth: int = 5) -> Any:
    """The QoS our replay tools stream camera frames with, and their subscribers take them with: sensor data
    (best effort), or reliable with `reliable_depth` where Fast DDS is 2.x (replay_reliability)."""
    from rclpy.qos import QoSProfile, ReliabilityPolicy, qos_profile_sensor_data

    if replay_reliability() == "best_effort":
        return qos_profile_sensor_data
    return QoSProfile(depth=reliable_depth, reliability=ReliabilityPolicy.RELIABLE)
