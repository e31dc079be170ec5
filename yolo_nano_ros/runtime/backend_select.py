"""Choose and open a backend for a model file, and say which one and why.

`auto`: a TensorRT engine when tensorrt + pycuda + a GPU are present (built from the ONNX and cached
when needed), else ONNX Runtime with a GPU provider, else OpenVINO on the CPU when it is installed
(1.7-3x faster than ONNX Runtime on the CPUs we measured, docs/benchmarks.md), else ONNX Runtime on the
CPU (the embedded fallback). `.pt` checkpoints run on PyTorch.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from yolo_nano_ros.runtime.backends.base import Backend
from yolo_nano_ros.runtime.backends.cpu_settings import CpuSettings
from yolo_nano_ros.runtime.backends.tensorrt.engine_cache import Precision, decide
from yolo_nano_ros.runtime.model_info import ModelLoadError

BACKENDS = ("auto", "tensorrt", "openvino", "onnxruntime", "torch")


@dataclass(frozen=True)
class Selection:
    backend: Backend
    reason: str


def tensorrt_unavailable_reason() -> str | None:
    """None when TensorRT can run here, else why not (probed without side effects)."""
    try:
        import tensorrt  # noqa: F401
    except ImportError:
        return "tensorrt not installed"
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


def tensorrt_precision(precision: str) -> Precision:
    try:
        return Precision(precision)
    except ValueError:
        raise ModelLoadError(f"TensorRT engines are built in {', '.join(p.value for p in Precision)}, "
                             f"not {precision!r}") from None


def open_tensorrt(model: Path, precision: Precision, cache_dir: Path | None, force_rebuild: bool,
                  log: Callable[[str], None]) -> Backend:
    import pycuda.driver as cuda
    import tensorrt as trt

    from yolo_nano_ros.runtime.backends.tensorrt.backend import TensorRTBackend, platform_from
    from yolo_nano_ros.runtime.backends.tensorrt.engine_builder import BuildSettings, build_engine

    engine, onnx = (model, None) if model.suffix == ".engine" else (None, model)
    if engine is not None and engine.with_suffix(".onnx").is_file():
        onnx = engine.with_suffix(".onnx")  # the ONNX it came from, beside it: lets us rebuild
    decision = decide(engine, onnx, platform_from(trt, cuda), precision, cache_dir, force_rebuild)
    log(f"TensorRT engine {decision.engine}: {decision.reason}")
    if decision.rebuild:
        build_engine(BuildSettings(onnx=onnx, engine=decision.engine, precision=precision))  # type: ignore[arg-type]
    return TensorRTBackend(decision.engine)


# Which model files each backend can run; auto picks among them by suffix.
BACKEND_FILES = {"tensorrt": (".engine", ".onnx"), "openvino": (".onnx",), "onnxruntime": (".onnx",),
                 "torch": (".pt", ".pth")}


def backend_model_mismatch(backend: str, model: Path) -> str | None:
    """Why `backend` cannot run `model` (one line naming both), or None: never a silent substitute."""
    suffixes = BACKEND_FILES.get(backend)
    if suffixes is None or model.suffix.lower() in suffixes:
        return None
    hint = {".pt": "use backend torch, or export it to ONNX (yolo-nano export)", ".pth": "use backend torch",
            ".engine": "use backend tensorrt", ".onnx": "use backend auto, openvino, onnxruntime or tensorrt"}
    return (f"backend {backend} cannot run {model.name}: it runs {' / '.join(suffixes)} files; "
            f"{hint.get(model.suffix.lower(), 'use a .onnx, .engine or .pt model')}")


def select_backend(model: str | Path, backend: str = "auto", precision: str = "fp16",
                   engine_cache_dir: Path | None = None, force_rebuild: bool = False, device: str = "cpu",
                   log: Callable[[str], None] = print, cpu: CpuSettings | None = None) -> Selection:
    """precision: TensorRT's engine precision, and OpenVINO's request (see openvino_backend)."""
    path = Path(model)
    if backend not in BACKENDS:
        raise ModelLoadError(f"unknown backend {backend!r}; choose one of {', '.join(BACKENDS)}")
    if not path.is_file():
        raise ModelLoadError(f"model file not found: {path}")
    suffix = path.suffix.lower()
    mismatch = backend_model_mismatch(backend, path)
    if mismatch:
        raise ModelLoadError(mismatch)

    if suffix in (".pt", ".pth"):
        from yolo_nano_ros.runtime.backends.torch_backend import TorchBackend

        return Selection(TorchBackend.from_checkpoint(path, device), "PyTorch checkpoint")

    if suffix == ".engine" or backend == "tensorrt":
        why_not = tensorrt_unavailable_reason()
        if why_not:
            raise ModelLoadError(f"backend tensorrt requested but {why_not}")
        return Selection(open_tensorrt(path, tensorrt_precision(precision), engine_cache_dir, force_rebuild, log),
                         "TensorRT requested")

    if suffix != ".onnx":
        raise ModelLoadError(f"unsupported model file {path.name}: use .onnx, .engine or .pt")
    reasons = []
    if backend == "auto":
        why_not = tensorrt_unavailable_reason()
        if why_not is None:
            return Selection(open_tensorrt(path, tensorrt_precision(precision), engine_cache_dir, force_rebuild, log),
                             "auto: TensorRT and a CUDA device are available")
        reasons.append(f"TensorRT skipped ({why_not})")

    import onnxruntime as ort

    from yolo_nano_ros.runtime.backends.onnxruntime_backend import GPU_PROVIDERS, OnnxRuntimeBackend

    gpu = [p for p in GPU_PROVIDERS if p in ort.get_available_providers()]
    if backend == "openvino" or (backend == "auto" and not gpu):
        why_not = openvino_unavailable_reason()
        if why_not is None:
            from yolo_nano_ros.runtime.backends.openvino_backend import OpenVinoBackend

            ov_backend = OpenVinoBackend(path, precision, cpu)
            reasons.append(f"OpenVINO on the CPU, {ov_backend.precision_reason}")
            return Selection(ov_backend, f"{backend}: " + "; ".join(reasons))
        if backend == "openvino":
            raise ModelLoadError(f"backend openvino requested but {why_not}")
        reasons.append(f"OpenVINO skipped ({why_not})")
    if gpu:
        reasons.append(f"ONNX Runtime with {gpu[0]}")
    else:
        reasons.append("ONNX Runtime on the CPU (no GPU execution provider installed)")
    return Selection(OnnxRuntimeBackend(path, cpu=cpu), f"{backend}: " + "; ".join(reasons))
