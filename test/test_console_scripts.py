"""apps/console.py: every console script's known failures are one line and exit 2, never a traceback.

Each script is driven as a user would, with a missing model, a missing dataset or a bad bag path.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest_data import COCO128_VOC_YAML, DEMO_MODEL, REPO_ROOT

from yolo_nano_ros.apps.console import console_script
from yolo_nano_ros.errors import YoloNanoError

BIN = Path(sys.executable).parent
MISSING = "/nonexistent/yolo_nano_test"

CASES = [
    ("yolo-nano", ["detect", str(REPO_ROOT / "data" / "samples" / "images"), "--model", f"{MISSING}.onnx"],
     f"model file not found: {MISSING}.onnx"),
    ("yolo-nano", ["evaluate", f"{MISSING}.onnx", "--data", str(COCO128_VOC_YAML)], f"{MISSING}.onnx"),
    ("yolo-nano", ["evaluate", str(DEMO_MODEL), "--data", f"{MISSING}.yaml"], f"{MISSING}.yaml"),
    ("yolo-nano", ["train", "--data", f"{MISSING}.yaml", "--epochs", "1"], f"{MISSING}.yaml"),
    ("yolo-nano", ["anchors", "--data", f"{MISSING}.yaml"], f"{MISSING}.yaml"),
    ("yolo-nano", ["export", f"{MISSING}.pt", "--onnx", "/tmp/never_written.onnx"], f"{MISSING}.pt"),
    ("yolo-nano-eval", [f"{MISSING}_bag", "--model", str(DEMO_MODEL)], f"{MISSING}_bag"),
    ("yolo-nano-eval", [f"{MISSING}_bag", "--model", f"{MISSING}.onnx"], MISSING),
    ("yolo-nano-bag", ["make", "--from", "yolo", MISSING, "--out", "/tmp/never_written_bag"], MISSING),
    ("yolo-nano-demo", ["--model", f"{MISSING}.onnx", "--out", "{tmp}/demo"], f"model file not found: {MISSING}.onnx"),
    ("yolo-nano-node-bench", ["--model", f"{MISSING}.onnx"], f"model file not found: {MISSING}.onnx"),
    ("yolo-nano-jetson", ["parse", f"{MISSING}.log"], f"{MISSING}.log"),
    ("yolo-nano-power-sweep", ["--modes", "MODE_15W", "--out", "{tmp}/sweep"], "nvpmodel"),
    # a user's mistake in a setting reaches the error root, not a ValueError traceback
    ("yolo-nano", ["bench", "stages", "--input-size", "100"], "input size 100 is not a multiple of 32"),
    ("yolo-nano", ["bench", "arch", "--networks", "no_such_net"], "unknown network 'no_such_net'"),
    ("yolo-nano", ["train", "--data", str(COCO128_VOC_YAML), "--input-size", "100", "--epochs", "1"],
     "input_size must be a multiple of 32"),
]


ROS_APPS = {"yolo-nano-demo", "yolo-nano-node-bench", "yolo-nano-power-sweep"}  # they start nodes: need rclpy


@pytest.mark.parametrize(("script", "args", "names"), [
    pytest.param(s, a, n, id=f"{s}-{a[0] if not a[0].startswith('/') else 'path'}-{i}",
                 marks=[pytest.mark.ros] if s in ROS_APPS else [])
    for i, (s, a, n) in enumerate(CASES)])
def test_a_known_failure_is_one_line_and_exit_2(script, args, names, tmp_path):
    args = [a.replace("{tmp}", str(tmp_path)) for a in args]
    env = {**os.environ, "PATH": "/usr/bin:/bin"}  # no nvpmodel: the sweep's known failure here
    r = subprocess.run([str(BIN / script), *args], capture_output=True, text=True, timeout=120, env=env,
                       stdin=subprocess.DEVNULL)
    assert r.returncode == 2, f"exit {r.returncode}\n{r.stdout}\n{r.stderr}"
    assert "Traceback" not in r.stderr + r.stdout, r.stderr
    last = r.stderr.strip().splitlines()[-1]
    assert last.startswith(f"{script}: error: ") and names in last, r.stderr


def test_detect_without_a_model_uses_the_shipped_demo_weights():
    """As the node and the launch file do: `yolo-nano detect IMAGE` needs no --model."""
    image = sorted((REPO_ROOT / "data" / "samples" / "images").iterdir())[0]
    r = subprocess.run([str(BIN / "yolo-nano"), "detect", str(image), "--json", "--backend", "onnxruntime"],
                       capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL, check=False)
    assert r.returncode == 0, r.stderr
    assert '"image"' in r.stdout and "yolo_nano_coco128_voc.onnx" in r.stderr, r.stderr


def test_a_bug_keeps_its_traceback_and_exit_1(capsys):
    @console_script("yolo-nano-test")
    def known() -> int:
        raise YoloNanoError("bag /x: no image topic")

    assert known() == 2
    assert capsys.readouterr().err == "yolo-nano-test: error: bag /x: no image topic\n"

    @console_script("yolo-nano-test")
    def buggy() -> int:
        raise ZeroDivisionError("a bug")

    with pytest.raises(ZeroDivisionError):
        buggy()


def test_a_missing_optional_dependency_is_one_line_naming_it(capsys):
    @console_script("yolo-nano-test")
    def needs_ros() -> int:
        raise ModuleNotFoundError("No module named 'rclpy'", name="rclpy")

    @console_script("yolo-nano-test")
    def broken_install() -> int:
        raise ModuleNotFoundError("No module named 'yolo_nano_ros.gone'", name="yolo_nano_ros.gone")

    assert needs_ros() == 2
    assert capsys.readouterr().err == ("yolo-nano-test: error: this command needs ROS 2: source "
                                       "/opt/ros/<distro>/setup.bash, or use the `make setup` venv "
                                       "(no module named 'rclpy')\n")
    with pytest.raises(ModuleNotFoundError):
        broken_install()


@pytest.mark.skipif(importlib.util.find_spec("rclpy") is not None, reason="the no-ROS half of make test runs it")
def test_a_ros_app_without_ros_says_so_in_one_line():
    r = subprocess.run([str(BIN / "yolo-nano-node-bench"), "--frames", "1"], capture_output=True, text=True,
                       timeout=120, stdin=subprocess.DEVNULL)
    assert r.returncode == 2 and "Traceback" not in r.stderr, r.stderr
    assert r.stderr.strip().splitlines()[-1].startswith("yolo-nano-node-bench: error: this command needs ROS 2")
