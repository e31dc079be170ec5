"""Running scripts/ultralytics_reference.py in Ultralytics' own venv (make setup-ultralytics) from the tests: the
package never imports Ultralytics (AGPL-3.0); tests that need its exports or predictions skip without it."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from conftest_data import COCO128

REPO = Path(__file__).resolve().parents[1]
ULTRALYTICS_PYTHON = REPO / ".venv-ultralytics" / "bin" / "python"
REFERENCE = REPO / "scripts" / "ultralytics_reference.py"
IMAGES = COCO128 / "images"
IMGSZ = 320

needs_ultralytics = pytest.mark.skipif(not ULTRALYTICS_PYTHON.exists(),
                                       reason="Ultralytics' venv missing: make setup-ultralytics")


def reference(args: list[str], cwd: Path) -> None:
    """One reference command, run in a temporary folder (Ultralytics writes beside itself)."""
    done = subprocess.run([str(ULTRALYTICS_PYTHON), str(REFERENCE), *args], cwd=cwd, capture_output=True, text=True,
                          timeout=600)
    assert done.returncode == 0, f"{args[0]} failed:\n{done.stderr[-3000:]}"


def export(arch: str, folder: Path, end2end: bool = False) -> Path:
    """An any-size (dynamic=True) ONNX export of `arch` with varied outputs (see the script), COCO's names."""
    onnx = folder / f"{arch}.onnx"
    reference(["export", "--arch", arch, "--images", str(IMAGES), "--imgsz", str(IMGSZ), "--dynamic",
               *(["--end2end"] if end2end else []), "--out", str(onnx)], folder)
    return onnx
