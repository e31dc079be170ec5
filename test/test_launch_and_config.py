"""Launch file and parameter file: what robot users edit and run."""

from __future__ import annotations

import ast
import importlib.util

import pytest
import yaml
from conftest_data import REPO_ROOT

LAUNCH_FILE = REPO_ROOT / "launch" / "yolo_nano.launch.py"
REQUIRED_ARGUMENTS = {"image", "compressed", "model", "backend", "params_file", "namespace", "use_stats",
                      "power_mode", "rviz"}


def launch_arguments_from_source() -> set[str]:
    tree = ast.parse(LAUNCH_FILE.read_text())
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", "") == "ARGUMENTS":
            return {k.value for k in node.value.keys}
    raise AssertionError("ARGUMENTS not found in the launch file")


def test_launch_file_declares_every_documented_argument():
    assert launch_arguments_from_source() == REQUIRED_ARGUMENTS


def test_parameter_file_documents_every_node_parameter():
    pytest.importorskip("rclpy")
    from yolo_nano_ros.nodes.detector_node import PARAMETERS

    params = yaml.safe_load((REPO_ROOT / "config" / "yolo_nano.yaml").read_text())["/**"]["ros__parameters"]
    assert set(params) == set(PARAMETERS)


@pytest.mark.skipif(importlib.util.find_spec("launch_ros") is None,
                    reason="launch/launch_ros are not installable from PyPI; exercised where ROS 2 is installed")
def test_launch_description_builds():
    spec = importlib.util.spec_from_file_location("yolo_nano_launch", LAUNCH_FILE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    description = module.generate_launch_description()
    from launch.actions import DeclareLaunchArgument

    declared = {a.name for a in description.entities if isinstance(a, DeclareLaunchArgument)}
    assert declared == REQUIRED_ARGUMENTS


def test_stats_parameter_file_documents_every_stats_parameter():
    pytest.importorskip("rclpy")
    from yolo_nano_ros.nodes.stats_node import PARAMETERS

    text = (REPO_ROOT / "config" / "yolo_nano_stats.yaml").read_text()
    params = yaml.safe_load(text)["/**/yolo_nano_stats"]["ros__parameters"]
    assert set(params) == set(PARAMETERS)
    assert params["jetson_clocks"] == "unchanged" and params["detection_topics"] == ["detections"]
