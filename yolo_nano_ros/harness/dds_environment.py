"""DDS settings for running nodes on one host: loopback discovery, a private domain, SHM for big frames."""

from __future__ import annotations

import errno
import os
import random
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from yolo_nano_ros.paths import package_folder, searched_folders

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
