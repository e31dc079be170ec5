"""Test-wide DDS isolation and fixtures for cross-process ROS 2 tests.

Every pytest run gets its own ROS_DOMAIN_ID, discovery on localhost only, and the shared-memory
Fast DDS profile that carries camera-sized frames (see config/fastdds_shm_large_frames.xml).
Child processes inherit all of it through os.environ.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from ros_harness import NodeLauncher, RosProbe, isolated_dds_env

# Domains 1..100 stay inside Fast DDS's valid port range on Linux; spread runs by PID so two
# concurrent test runs on one machine do not see each other.
TEST_DOMAIN_ID = 1 + os.getpid() % 100


def pytest_configure(config: pytest.Config) -> None:
    os.environ.update(isolated_dds_env(int(os.environ.get("YOLO_NANO_TEST_DOMAIN_ID", TEST_DOMAIN_ID))))


def pytest_report_header(config: pytest.Config) -> str:
    return (
        f"ROS_DOMAIN_ID={os.environ['ROS_DOMAIN_ID']} "
        f"ROS_AUTOMATIC_DISCOVERY_RANGE={os.environ['ROS_AUTOMATIC_DISCOVERY_RANGE']} "
        f"FASTDDS_DEFAULT_PROFILES_FILE={os.environ['FASTDDS_DEFAULT_PROFILES_FILE']}"
    )


@pytest.fixture
def launcher(tmp_path: Path) -> Iterator[NodeLauncher]:
    nodes = NodeLauncher(log_dir=tmp_path, env={})
    try:
        yield nodes
    finally:
        nodes.stop_all()


@pytest.fixture
def probe(request: pytest.FixtureRequest) -> Iterator[RosProbe]:
    node = RosProbe(name="probe_" + re.sub(r"\W", "_", request.node.name)[:40])
    try:
        yield node
    finally:
        node.close()
