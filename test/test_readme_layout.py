"""README's layout table against the tree: every package folder is described, every path named exists."""

from __future__ import annotations

import re

from conftest_data import REPO_ROOT

PACKAGE = REPO_ROOT / "yolo_nano_ros"


def layout_rows() -> list[str]:
    text = (REPO_ROOT / "README.md").read_text()
    table = text.split("## Layout", 1)[1].split("\n## ", 1)[0]
    return [line.split("|")[1] for line in table.splitlines() if line.startswith("| `")]


def test_every_package_folder_has_a_row_and_every_named_path_exists():
    named: set[str] = set()
    for cell in layout_rows():
        paths = re.findall(r"`([^`]+)`", cell)
        base = ""
        for full in paths:
            if full.startswith("yolo_nano_ros/"):
                base = "yolo_nano_ros/"
            elif base:
                full = base + full  # `evaluation/` after `yolo_nano_ros/data/` in one cell
            assert (REPO_ROOT / full).exists(), f"README layout names {full}, which is not in the tree"
            named.add(full.rstrip("/"))
    packages = {p.parent.relative_to(REPO_ROOT).as_posix() for p in PACKAGE.rglob("__init__.py")} - {"yolo_nano_ros"}
    covered = {pkg for pkg in packages if any(pkg == n or pkg.startswith(n + "/") for n in named)}
    assert packages - covered == set(), "package folders the README layout does not describe"
