"""The tree's layers, checked on every import statement (function-level ones included).

- ROS client libraries (rclpy and message packages, launch) only in nodes/, harness/ and apps/: the cores
  run and are tested without ROS.
- PyTorch only in model/, training/ and the torch backend (bench speed and the machine description load
  it inside the functions that need it): nodes, bag tools and the CPU / TensorRT runtime run without it.
- Cores never import the layers above them (nodes/, harness/, apps/).
Exceptions are listed with their reason; one that disappears must leave the list too, so it cannot rot.
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "yolo_nano_ros"
ROS_CLIENT = {"rclpy", "rcl_interfaces", "sensor_msgs", "std_msgs", "std_srvs", "vision_msgs", "diagnostic_msgs",
              "lifecycle_msgs", "geometry_msgs", "builtin_interfaces", "launch", "launch_ros"}
ROS_LAYERS = {"nodes", "harness", "apps"}
TORCH_LAYERS = {"model", "training"}
TORCH_MODULES = {"runtime/backends/torch_backend.py"}
TORCH_INSIDE_FUNCTIONS = {"benchmarks/speed.py", "benchmarks/machine.py"}
UPPER_LAYERS = {"nodes", "harness", "apps"}
KNOWN_UPWARD = {
    ("benchmarks/report.py", "yolo_nano_ros.apps.node_bench"): "the report formats node-bench phases; to move "
                                                                "with the bench harness (issue 19)",
}


def imports(path: Path) -> list[tuple[str, bool]]:
    """(module, at module level?) for every absolute import in the file."""
    tree = ast.parse(path.read_text())
    top = {id(node) for node in tree.body}
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(alias.name, id(node) in top) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node.module, id(node) in top))
    return found


def modules() -> list[tuple[str, str, list[tuple[str, bool]]]]:
    out = []
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(PACKAGE).as_posix()
        out.append((rel, rel.split("/")[0].removesuffix(".py"), imports(path)))
    return out


def test_ros_client_libraries_only_in_nodes_harness_and_apps():
    bad = [(rel, name) for rel, layer, found in modules() for name, _ in found
           if name.split(".")[0] in ROS_CLIENT and layer not in ROS_LAYERS]
    assert bad == []


def test_torch_only_in_model_training_and_the_torch_backend():
    bad = []
    for rel, layer, found in modules():
        for name, top_level in found:
            if name.split(".")[0] != "torch" or layer in TORCH_LAYERS or rel in TORCH_MODULES:
                continue
            if rel in TORCH_INSIDE_FUNCTIONS and not top_level:
                continue
            bad.append((rel, name))
    assert bad == []


def test_cores_do_not_import_the_layers_above_them():
    upward = {(rel, name) for rel, layer, found in modules() for name, _ in found
              if layer not in UPPER_LAYERS and name.startswith("yolo_nano_ros.")
              and name.split(".")[1] in UPPER_LAYERS}
    assert upward - KNOWN_UPWARD.keys() == set(), "new upward imports"
    assert KNOWN_UPWARD.keys() - upward == set(), "an exception no longer happens: remove it from KNOWN_UPWARD"
