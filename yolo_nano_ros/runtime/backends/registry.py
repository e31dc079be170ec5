"""Every backend by name: which model files it runs, whether it can run here (probed without side effects)
and how it opens a model. Each backend's heavy imports (tensorrt, openvino, onnxruntime, torch) happen
only in its opener, so choosing among them loads nothing that is not used.

`auto` walks AUTO_ORDER: a TensorRT engine when tensorrt + pycuda + a GPU are present (built from the
ONNX and cached when needed), else ONNX Runtime with a GPU provider, else OpenVINO on the CPU (1.7-3x
faster than ONNX Runtime on the CPUs we measured, docs/benchmarks.md), else ONNX Runtime on the CPU
(the embedded fallback, always there).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from yolo_nano_ros.errors import ModelLoadError
from yolo_nano_ros.runtime.backends.base import Backend
from yolo_nano_ros.runtime.backends.cpu_settings import CpuSettings
from yolo_nano_ros.runtime.backends.tensorrt.engine_cache import Precision, decide
from yolo_nano_ros.runtime.model_info import ModelOverrides


@dataclass(frozen=True)
class OpenRequest:
    """Everything an opener may use; each backend reads only what applies to it."""

    model: Path
    precision: str = "fp16"  # TensorRT's engine precision; OpenVINO's request (openvino_backend)
    engine_cache_dir: Path | None = None
    force_rebuild: bool = False
    device: str = "cpu"  # PyTorch's device
    cpu: CpuSettings | None = None
    log: Callable[[str], None] = print
    max_batch: int = 1  # frames per call the caller will send (TensorRT builds its profile for 1..max_batch)
    overrides: ModelOverrides = field(default_factory=ModelOverrides)  # layout / class names the file lacks
    workers: int = 1  # threads that will call infer at once (OpenVINO compiles as many streams)


@dataclass(frozen=True)
class Opened:
    backend: Backend
    detail: str  # what runs, for the selection reason: "OpenVINO on the CPU, bf16 ..."


@dataclass(frozen=True)
class BackendEntry:
    files: tuple[str, ...]  # model suffixes it runs
    probe: Callable[[], str | None]  # None when it can run here, else why not
    open: Callable[[OpenRequest], Opened]
    label: str = field(default="")  # its name in selection reasons


def tensorrt_unavailable_reason() -> str | None:
    try:
        import tensorrt
    except ImportError:
        return "tensorrt not installed"
    if not hasattr(tensorrt, "__version__"):  # a stub-only `tensorrt` folder imports as an empty namespace
        return "tensorrt not installed (only an empty `tensorrt` package on sys.path)"
    try:
        import pycuda.driver as cuda
    except ImportError:
        return "pycuda not installed"
    try:
        cuda.init()
        if cuda.Device.count() == 0:
            return "no CUDA device"
    except Exception as exc:  # pycuda raises its own LogicError/RuntimeError kinds
        return f"CUDA unavailable: {exc}"
    return None


def openvino_unavailable_reason() -> str | None:
    try:
        import openvino as ov
    except ImportError:
        return "openvino not installed (pip install openvino)"
    if "CPU" not in ov.Core().available_devices:
        return "OpenVINO sees no CPU device on this machine"
    return None


def onnxruntime_gpu_provider() -> str | None:
    """The first GPU execution provider ONNX Runtime has here, or None."""
    import onnxruntime as ort

    from yolo_nano_ros.runtime.backends.onnxruntime_backend import GPU_PROVIDERS

    return next((p for p in GPU_PROVIDERS if p in ort.get_available_providers()), None)


def tensorrt_precision(precision: str) -> Precision:
    try:
        return Precision(precision)
    except ValueError:
        raise ModelLoadError(f"TensorRT engines are built in {', '.join(p.value for p in Precision)}, "
                             f"not {precision!r}") from None


def open_tensorrt(request: OpenRequest) -> Opened:
    from yolo_nano_ros.runtime.backends.tensorrt.backend import TensorRTBackend, platform_from
    from yolo_nano_ros.runtime.backends.tensorrt.engine_builder import BuildSettings, build_engine

    precision = tensorrt_precision(request.precision)
    model = request.model
    engine, onnx = (model, None) if model.suffix == ".engine" else (None, model)
    if engine is not None and engine.with_suffix(".onnx").is_file():
        onnx = engine.with_suffix(".onnx")  # the ONNX it came from, beside it: lets us rebuild
    decision = decide(engine, onnx, platform_from(), precision, request.engine_cache_dir,
                      request.force_rebuild, request.max_batch)
    allowed = [model.parent, *([request.engine_cache_dir] if request.engine_cache_dir else [])]
    if not any(decision.engine.resolve().is_relative_to(folder.resolve()) for folder in allowed):
        # Engines can carry plugins (native code): only the configured model and cache folders are trusted.
        raise ModelLoadError(f"refusing TensorRT engine {decision.engine}: outside the model's folder and the "
                             f"engine cache ({', '.join(str(f) for f in allowed)})")
    request.log(f"TensorRT engine {decision.engine}: {decision.reason}")
    if decision.rebuild:
        build_engine(BuildSettings(onnx=onnx, engine=decision.engine, precision=precision,  # type: ignore[arg-type]
                                   max_batch=request.max_batch, overrides=request.overrides))
    return Opened(TensorRTBackend(decision.engine), "TensorRT")


def open_openvino(request: OpenRequest) -> Opened:
    from yolo_nano_ros.runtime.backends.openvino_backend import OpenVinoBackend

    backend = OpenVinoBackend(request.model, request.precision, request.cpu, max_batch=request.max_batch,
                              overrides=request.overrides, workers=request.workers)
    return Opened(backend, f"OpenVINO on the CPU, {backend.precision_reason}")


def open_onnxruntime(request: OpenRequest) -> Opened:
    from yolo_nano_ros.runtime.backends.onnxruntime_backend import OnnxRuntimeBackend

    gpu = onnxruntime_gpu_provider()
    detail = f"ONNX Runtime with {gpu}" if gpu else "ONNX Runtime on the CPU (no GPU execution provider installed)"
    return Opened(OnnxRuntimeBackend(request.model, cpu=request.cpu, overrides=request.overrides), detail)


def open_torch(request: OpenRequest) -> Opened:
    from yolo_nano_ros.runtime.backends.torch_backend import TorchBackend

    return Opened(TorchBackend.from_checkpoint(request.model, request.device), "PyTorch checkpoint")


def _probe(name: str) -> Callable[[], str | None]:
    """Looked up at call time, so a test (or a user) can replace a module-level probe."""
    return lambda: globals()[name]()


REGISTRY: dict[str, BackendEntry] = {
    "tensorrt": BackendEntry((".engine", ".onnx"), _probe("tensorrt_unavailable_reason"), open_tensorrt, "TensorRT"),
    "openvino": BackendEntry((".onnx",), _probe("openvino_unavailable_reason"), open_openvino, "OpenVINO"),
    "onnxruntime": BackendEntry((".onnx",), lambda: None, open_onnxruntime, "ONNX Runtime"),
    "torch": BackendEntry((".pt", ".pth"), lambda: None, open_torch, "PyTorch"),
}
BACKENDS = ("auto", *REGISTRY)


def ort_gpu_unavailable_reason() -> str | None:
    return None if onnxruntime_gpu_provider() else "no GPU execution provider"


# auto's order for ONNX models: (backend, probe that must pass for auto to take it here).
AUTO_ORDER: tuple[tuple[str, Callable[[], str | None]], ...] = (
    ("tensorrt", _probe("tensorrt_unavailable_reason")),
    ("onnxruntime", _probe("ort_gpu_unavailable_reason")),  # ONNX Runtime on a GPU beats OpenVINO on a CPU
    ("openvino", _probe("openvino_unavailable_reason")),
    ("onnxruntime", lambda: None),
)
