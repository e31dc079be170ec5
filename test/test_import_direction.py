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
KNOWN_UPWARD: dict[tuple[str, str], str] = {}  # (module, upward import) -> why; none today


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


def module_graph() -> dict[str, set[str]]:
    """Every package module -> the package modules it imports, at module level or inside a function (a circle
    through a function-level import is still two modules that need each other)."""
    names = {}
    for path in PACKAGE.rglob("*.py"):
        parts = ("yolo_nano_ros", *path.relative_to(PACKAGE).with_suffix("").parts)
        names[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    graph = {}
    for name, path in names.items():
        found = set()
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                found |= {node.module, *(f"{node.module}.{alias.name}" for alias in node.names)}
            elif isinstance(node, ast.Import):
                found |= {alias.name for alias in node.names}
        graph[name] = {m for m in found if m in names and m != name}
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected groups of more than one module (Tarjan's algorithm, iteratively)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[list[str]] = []
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is None:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    group = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        group.append(member)
                        if member == node:
                            break
                    if len(group) > 1:
                        groups.append(sorted(group))
            elif child not in index:
                index[child] = low[child] = len(index)
                stack.append(child)
                on_stack.add(child)
                work.append((child, iter(sorted(graph[child]))))
            elif child in on_stack:
                low[node] = min(low[node], index[child])
    return groups


def test_no_two_modules_import_each_other_however_indirectly():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]  # the finder finds one
    assert cycles(module_graph()) == []


# A sitecustomize that makes `import torch` fail as on a robot without PyTorch (the finder raises the
# same ModuleNotFoundError a missing package does, for find_spec probes too).
TORCH_BLOCKER = '''
import sys

class _NoTorch:
    def find_spec(self, name, path=None, target=None):
        if name == "torch" or name.startswith("torch."):
            raise ModuleNotFoundError(f"No module named {name!r} (blocked by the test)", name=name)
        return None

sys.meta_path.insert(0, _NoTorch())
'''


def test_evaluation_and_bag_tools_run_with_torch_blocked(tmp_path):
    """`yolo-nano evaluate`, `yolo-nano-bag make` and `yolo-nano-eval` on an ONNX model, where torch cannot load."""
    import subprocess
    import sys

    from conftest_data import DEMO_MODEL, REPO_ROOT

    blocker = tmp_path / "no_torch"
    blocker.mkdir()
    (blocker / "sitecustomize.py").write_text(TORCH_BLOCKER)
    data = tmp_path / "DATA.yaml"
    coco = REPO_ROOT / "data" / "coco128"
    data.write_text(f"format: yolo\nnames: voc\nval:\n  images: {coco}/images/train2017\n"
                    f"  labels: {coco}/labels/train2017\n  source_names: coco\n  range: [96, 104]\n")
    env = {**__import__("os").environ, "PYTHONPATH": str(blocker)}
    bin_dir = Path(sys.executable).parent

    def run(*argv: str) -> str:
        proc = subprocess.run([str(bin_dir / argv[0]), *argv[1:]], env=env, capture_output=True, text=True,
                              timeout=240, stdin=subprocess.DEVNULL)
        assert proc.returncode == 0, proc.stdout + proc.stderr
        return proc.stdout

    probe = subprocess.run([sys.executable, "-c", "import torch"], env=env, capture_output=True, text=True)
    assert probe.returncode == 1 and "blocked by the test" in probe.stderr, "the blocker does not block"
    evaluated = run("yolo-nano", "evaluate", str(DEMO_MODEL), "--data", str(data), "--out", str(tmp_path / "ev"))
    assert "mAP@0.5" in evaluated
    run("yolo-nano-bag", "make", "--from", "yolo", str(REPO_ROOT / "data" / "samples"), "--out", str(tmp_path / "bag"))
    run("yolo-nano-eval", str(tmp_path / "bag"), "--model", str(DEMO_MODEL), "--out", str(tmp_path / "be"), "--quiet")
    assert (tmp_path / "be" / "report.json").is_file() and (tmp_path / "ev" / "report.json").is_file()


# Package-level import cycles allowed, with the reason; every other pair of packages imports one way only.
KNOWN_CYCLES = {
    frozenset({"model", "runtime"}): "export writes the ONNX metadata runtime/model_info defines; the torch backend "
                                     "opens checkpoints with model code (inside its opener)",
}


def test_packages_import_each_other_one_way_only():
    edges: set[tuple[str, str]] = set()
    for _rel, layer, found in modules():
        for name, _ in found:
            parts = name.split(".")
            if parts[0] == "yolo_nano_ros" and len(parts) > 1 and parts[1] != layer:
                edges.add((layer, parts[1]))
    cycles = {frozenset(edge) for edge in edges if edge[::-1] in edges}
    assert cycles - KNOWN_CYCLES.keys() == set(), "new import cycles between packages"
    assert KNOWN_CYCLES.keys() - cycles == set(), "a known cycle is gone: remove it from KNOWN_CYCLES"


# PEP 594's dead batteries, removed in Python 3.13, and what 3.12 removed (distutils, imp, asynchat,
# asyncore, smtpd): Lyrical on Ubuntu 26.04 runs 3.14, and no such interpreter installs here to try.
REMOVED_MODULES = {"aifc", "audioop", "cgi", "cgitb", "chunk", "crypt", "imghdr", "mailcap", "msilib", "nis",
                   "nntplib", "ossaudiodev", "pipes", "sndhdr", "spwd", "sunau", "telnetlib", "uu", "xdrlib",
                   "lib2to3", "distutils", "imp", "asynchat", "asyncore", "smtpd"}


def test_no_module_removed_from_python_3_13_or_3_12_is_imported():
    bad = [(rel, name) for rel, _, found in modules() for name, _ in found if name.split(".")[0] in REMOVED_MODULES]
    assert bad == []
