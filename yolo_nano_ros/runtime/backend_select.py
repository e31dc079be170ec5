"""Choose and open a backend for a model file, and say which one and why.

The backends, what each runs and the `auto` order are in runtime/backends/registry.py; this module
applies them to one model file: an explicit backend that cannot run the file is an error naming both
(never a silent substitute), `.pt` checkpoints run on PyTorch, `.engine` files on TensorRT.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from yolo_nano_ros.errors import ModelLoadError
from yolo_nano_ros.runtime.backends.base import Backend
from yolo_nano_ros.runtime.backends.cpu_settings import CpuSettings
from yolo_nano_ros.runtime.backends.registry import (
    AUTO_ORDER,
    BACKENDS,
    REGISTRY,
    OpenRequest,
    openvino_unavailable_reason,
    tensorrt_unavailable_reason,
)
from yolo_nano_ros.runtime.model_info import ModelOverrides

__all__ = ["BACKENDS", "Selection", "backend_model_mismatch", "openvino_unavailable_reason", "select_backend",
           "tensorrt_unavailable_reason"]


@dataclass(frozen=True)
class Selection:
    backend: Backend
    reason: str


def backend_model_mismatch(backend: str, model: Path) -> str | None:
    """Why `backend` cannot run `model` (one line naming both), or None: never a silent substitute."""
    entry = REGISTRY.get(backend)
    if entry is None or model.suffix.lower() in entry.files:
        return None
    hint = {".pt": "use backend torch, or export it to ONNX (yolo-nano export)", ".pth": "use backend torch",
            ".engine": "use backend tensorrt", ".onnx": "use backend auto, openvino, onnxruntime or tensorrt"}
    return (f"backend {backend} cannot run {model.name}: it runs {' / '.join(entry.files)} files; "
            f"{hint.get(model.suffix.lower(), 'use a .onnx, .engine or .pt model')}")


def select_backend(model: str | Path, backend: str = "auto", precision: str = "fp16",
                   engine_cache_dir: Path | None = None, force_rebuild: bool = False, device: str = "cpu",
                   log: Callable[[str], None] = print, cpu: CpuSettings | None = None,
                   max_batch: int = 1, overrides: ModelOverrides | None = None, workers: int = 1) -> Selection:
    """precision: TensorRT's engine precision, and OpenVINO's request (see openvino_backend). max_batch: the
    most frames one call will take (several cameras); a TensorRT engine is built for 1..max_batch, the
    other backends take any batch their model's batch axis allows. overrides: the output layout and class
    names where the file's own metadata lacks them (or is to be overruled). workers: threads that will call
    the backend at once (inference workers; a backend without parallel_calls takes one at a time)."""
    path = Path(model)
    if backend not in BACKENDS:
        raise ModelLoadError(f"unknown backend {backend!r}; choose one of {', '.join(BACKENDS)}")
    if not path.is_file():
        raise ModelLoadError(f"model file not found: {path}")
    mismatch = backend_model_mismatch(backend, path)
    if mismatch:
        raise ModelLoadError(mismatch)
    if max_batch < 1:
        raise ModelLoadError(f"max_batch must be >= 1, got {max_batch}")
    request = OpenRequest(path, precision, engine_cache_dir, force_rebuild, device, cpu, log, max_batch,
                          overrides or ModelOverrides(), workers)
    suffix = path.suffix.lower()
    by_file = {".pt": "torch", ".pth": "torch", ".engine": "tensorrt"}.get(suffix)
    if backend == "auto" and by_file is None and suffix != ".onnx":
        raise ModelLoadError(f"unsupported model file {path.name}: use .onnx, .engine or .pt")
    name = by_file or backend
    if name != "auto":
        entry = REGISTRY[name]
        why_not = entry.probe()
        if why_not:
            raise ModelLoadError(f"backend {name} requested but {why_not}")
        opened = entry.open(request)
        reason = {"torch": opened.detail, "tensorrt": "TensorRT requested"}.get(name, f"{backend}: {opened.detail}")
        return Selection(opened.backend, reason)

    skipped: list[str] = []
    for candidate, probe in AUTO_ORDER:
        why_not = probe()
        if why_not is None:
            opened = REGISTRY[candidate].open(request)
            if candidate == "tensorrt":
                return Selection(opened.backend, "auto: TensorRT and a CUDA device are available")
            return Selection(opened.backend, "auto: " + "; ".join([*skipped, opened.detail]))
        if candidate != "onnxruntime":  # ONNX Runtime without a GPU is still the last resort: not a skip
            skipped.append(f"{REGISTRY[candidate].label} skipped ({why_not})")
    raise AssertionError("AUTO_ORDER ends with a backend that is always available")
