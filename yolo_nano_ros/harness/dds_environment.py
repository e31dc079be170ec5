"""DDS settings for running nodes on one host: loopback discovery, a private domain, SHM for big frames."""

from __future__ import annotations

import errno
import importlib.metadata
import os
import random
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Literal

from yolo_nano_ros.paths import package_folder, searched_folders

Reliability = Literal["best_effort", "reliable"]
FASTDDS_2_DISTROS = ("humble", "jazzy")  # Fast DDS 2.x; Kilted onwards ships Fast DDS 3

SHM_PROFILE = "fastdds_shm_large_frames.xml"


def shm_profile_path() -> Path:
    """The large-frame Fast DDS profile, from the colcon install space or the source tree (paths.py)."""
    config = package_folder("config")
    if config is None or not (config / SHM_PROFILE).is_file():
        looked = ", ".join(str(folder / SHM_PROFILE) for folder in searched_folders("config"))
        raise FileNotFoundError(errno.ENOENT, f"Fast DDS profile not found (looked for {looked})", SHM_PROFILE)
    return config / SHM_PROFILE


def local_dds_environment(domain_id: int) -> dict[str, str]:
    return {
        "ROS_DOMAIN_ID": str(domain_id),
        "ROS_AUTOMATIC_DISCOVERY_RANGE": "LOCALHOST",
        "RMW_IMPLEMENTATION": "rmw_fastrtps_cpp",
        "FASTDDS_DEFAULT_PROFILES_FILE": str(shm_profile_path()),
        "PYTHONUNBUFFERED": "1",
    }


@contextmanager
def private_dds_domain(domain_id: int | None = None) -> Iterator[dict[str, str]]:
    """A private, loopback-only DDS domain for this process and its children, for the block's duration.

    Yields the environment to give child nodes. rcl and Fast DDS read these variables when this process
    creates its participant (no API sets the discovery range or the profile file), so the block sets
    them in os.environ and puts every previous value back on leaving: nothing outlives the block.
    """
    dds = local_dds_environment(domain_id if domain_id is not None else random.randint(110, 200))  # Fast DDS: <= 232
    saved = {name: os.environ.get(name) for name in dds}
    os.environ.update(dds)
    try:
        yield dict(os.environ)
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


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
