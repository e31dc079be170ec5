"""DDS settings for running nodes on one host: loopback discovery, a private domain, SHM for big frames."""

from __future__ import annotations

from pathlib import Path

CONFIG_DIR = Path(__file__).resolve().parents[1] / "config"


def shm_profile_path() -> Path:
    """The large-frame Fast DDS profile, from the source tree or the colcon install space."""
    local = CONFIG_DIR / "fastdds_shm_large_frames.xml"
    if local.is_file():
        return local
    from ament_index_python.packages import get_package_share_directory

    return Path(get_package_share_directory("yolo_nano_ros")) / "config" / "fastdds_shm_large_frames.xml"


def local_dds_environment(domain_id: int) -> dict[str, str]:
    return {
        "ROS_DOMAIN_ID": str(domain_id),
        "ROS_AUTOMATIC_DISCOVERY_RANGE": "LOCALHOST",
        "RMW_IMPLEMENTATION": "rmw_fastrtps_cpp",
        "FASTDDS_DEFAULT_PROFILES_FILE": str(shm_profile_path()),
        "PYTHONUNBUFFERED": "1",
    }
