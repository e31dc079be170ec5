"""The package as a robot sees it: package.xml that rosdep reads, and a real `colcon build`."""

from __future__ import annotations

import ast
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from catkin_pkg.package import parse_package
from ros_harness import REPO_ROOT

SOURCE = REPO_ROOT / "yolo_nano_ros"

# Top-level import name -> (package.xml key, or None when it is pip-only and listed in setup.py).
IMPORT_TO_DEPENDENCY: dict[str, str | None] = {
    "rclpy": "rclpy",
    "std_msgs": "std_msgs",
    "sensor_msgs": "sensor_msgs",
    "builtin_interfaces": "builtin_interfaces",
    "vision_msgs": "vision_msgs",
    "diagnostic_msgs": "diagnostic_msgs",
    "std_srvs": "std_srvs",
    "lifecycle_msgs": "lifecycle_msgs",
    "rcl_interfaces": "rcl_interfaces",
    "ament_index_python": "ament_index_python",
    "launch": "launch",
    "launch_ros": "launch_ros",
    "numpy": "python3-numpy",
    "cv2": "python3-opencv",
    "yaml": "python3-yaml",
    "psutil": "python3-psutil",
    "tqdm": "python3-tqdm",
    "matplotlib": "python3-matplotlib",
    "PIL": "python3-pil",
    "scipy": "python3-scipy",
    "jinja2": "python3-jinja2",
    # pip-only or provided by JetPack; must appear in setup.py or the README's robot section
    "onnxruntime": None,
    "rosbags": None,
    "mcap": None,
    "tensorrt": None,
    "pycuda": None,
    "jtop": None,
    "pynvml": None,
    "torch": None,
    "onnx": None,
    "pycocotools": None,
    "catkin_pkg": None,
    "openvino": None,
    "nncf": None,
    "motmetrics": None,
}


def imported_top_level_modules(root: Path) -> set[str]:
    names: set[str] = set()
    for path in root.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            if isinstance(node, ast.Import):
                names.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names.add(node.module.split(".")[0])
    return names - set(sys.stdlib_module_names) - {"yolo_nano_ros", "__future__"}


def test_package_xml_parses_and_lists_every_ros_import():
    package = parse_package(str(REPO_ROOT / "package.xml"))
    package.validate()
    assert package.name == "yolo_nano_ros"
    assert package.package_format == 3
    assert package.get_build_type() == "ament_python"
    declared = {d.name for d in package.exec_depends}

    imported = imported_top_level_modules(SOURCE)
    unknown = imported - IMPORT_TO_DEPENDENCY.keys()
    assert not unknown, f"imports with no declared dependency mapping: {sorted(unknown)}"
    missing = {IMPORT_TO_DEPENDENCY[m] for m in imported if IMPORT_TO_DEPENDENCY[m]} - declared
    assert not missing, f"package.xml lacks exec_depend for: {sorted(missing)}"


def test_pip_only_imports_are_declared_in_setup_py():
    setup_text = (REPO_ROOT / "setup.py").read_text()
    pip_names = {"onnxruntime": "onnxruntime", "rosbags": "rosbags", "torch": "torch", "onnx": "onnx",
                 "jtop": "jetson-stats", "pycocotools": "pycocotools", "catkin_pkg": "catkin-pkg",
                 "pynvml": "nvidia-ml-py", "openvino": "openvino", "nncf": "nncf", "mcap": "mcap",
                 "motmetrics": "motmetrics"}
    readme = (REPO_ROOT / "README.md").read_text()
    for module in imported_top_level_modules(SOURCE):
        if IMPORT_TO_DEPENDENCY.get(module, "") is None:
            if module in pip_names:
                assert f'"{pip_names[module]}' in setup_text, f"{module} missing from setup.py"
            else:  # provided by JetPack, not pip: the README must tell robot users
                assert module in readme, f"{module} (JetPack) is not mentioned in README.md"


@pytest.mark.ros
@pytest.mark.slow
def test_colcon_build_installs_scripts_and_data(tmp_path):
    colcon = Path(sys.prefix) / "bin" / "colcon"
    assert colcon.exists(), "colcon-common-extensions is a dev dependency: run make setup"
    src = tmp_path / "src" / "yolo_nano_ros"
    shutil.copytree(
        REPO_ROOT, src,
        # Every venv (.venv, .venv-jazzy, .venv-reference, .venv-ultralytics: 8 GB together) stays behind.
        ignore=shutil.ignore_patterns(".venv*", ".gpu-venv", ".git", "build", "install", "log", "__pycache__",
                                      "*.egg-info", ".pytest_cache", ".ruff_cache", "runs", "demo_output"),
    )
    env = {**os.environ, "AMENT_PREFIX_PATH": sys.prefix, "CMAKE_PREFIX_PATH": sys.prefix}
    result = subprocess.run(
        [str(colcon), "build", "--base-paths", "src", "--event-handlers", "console_cohesion+"],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600, stdin=subprocess.DEVNULL,
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-4000:]
    assert "yolo_nano_ros" in result.stdout
    summary = result.stdout.split("Summary")[-1]
    assert "vision_msgs" not in summary, "interfaces/vision_msgs must be COLCON_IGNOREd"

    prefix = tmp_path / "install" / "yolo_nano_ros"
    assert (prefix / "share/ament_index/resource_index/packages/yolo_nano_ros").is_file()
    assert (prefix / "share/yolo_nano_ros/package.xml").is_file()
    assert (prefix / "share/yolo_nano_ros/config/fastdds_shm_large_frames.xml").is_file()
    for data_dir in ("launch", "config", "models"):
        expected = {p.name for p in (REPO_ROOT / data_dir).iterdir()
                    if p.suffix in {".py", ".yaml", ".xml", ".rviz", ".onnx", ".json", ".md"}}
        installed = {p.name for p in (prefix / "share/yolo_nano_ros" / data_dir).iterdir()} \
            if (prefix / "share/yolo_nano_ros" / data_dir).exists() else set()
        assert expected <= installed, f"{data_dir}: not installed {sorted(expected - installed)}"

    scripts_dir = prefix / "lib" / "yolo_nano_ros"  # where `ros2 run yolo_nano_ros <exe>` looks
    from importlib.metadata import entry_points

    expected_scripts = {ep.name for ep in entry_points(group="console_scripts")
                        if ep.value.startswith("yolo_nano_ros.")}
    assert expected_scripts, "no console scripts registered"
    installed_scripts = {p.name for p in scripts_dir.iterdir()}
    assert expected_scripts <= installed_scripts, sorted(expected_scripts - installed_scripts)

    # The installed package finds its demo weights, sample photos and config in share/, not in a checkout.
    site = next(prefix.glob("lib/python3*/site-packages"))
    where = subprocess.run(
        [sys.executable, "-c", "from yolo_nano_ros import paths; print(paths.source_root()); "
         "print(paths.resolve_model(None)); print(paths.sample_images_dir()); print(paths.package_folder('config'))"],
        cwd=tmp_path, env={**env, "PYTHONPATH": str(site), "AMENT_PREFIX_PATH": f"{prefix}{os.pathsep}{sys.prefix}"},
        capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)
    assert where.returncode == 0, where.stderr
    root, *found = where.stdout.split()
    assert root == "None", f"the installed package took {root} for a source checkout"
    share = prefix / "share" / "yolo_nano_ros"
    assert [Path(p) for p in found] == [share / "models" / "yolo_nano_coco128_voc.onnx", share / "data" / "samples",
                                        share / "config"]
    assert len(list((share / "data" / "samples" / "images").glob("*.jpg"))) == 12
