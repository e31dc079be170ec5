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


@pytest.fixture(scope="session")
def exported_model(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """(checkpoint .pt, ONNX) of a 320 YOLO Nano with BN statistics from real images (random weights)."""
    torch = pytest.importorskip("torch")
    import cv2
    from conftest_data import coco128_images

    from yolo_nano_ros.model.checkpoint import save_checkpoint
    from yolo_nano_ros.model.config import YoloNanoConfig
    from yolo_nano_ros.model.export import export_model
    from yolo_nano_ros.model.yolo_nano import YoloNano
    from yolo_nano_ros.runtime.preprocess import letterbox, to_input_tensor

    torch.manual_seed(0)
    model = YoloNano(YoloNanoConfig(input_size=320)).train()
    with torch.no_grad():
        for path in coco128_images(4):
            img, _ = letterbox(cv2.cvtColor(cv2.imread(str(path)), cv2.COLOR_BGR2RGB), 320)
            model(torch.from_numpy(to_input_tensor(img)))
    model.eval()
    out = tmp_path_factory.mktemp("model")
    save_checkpoint(out / "model.pt", model, model.cfg)
    return out / "model.pt", export_model(model, out / "model.onnx")
