"""OpenVINO backend: the fastest CPU path we measured (x86 and ARM CPUs that OpenVINO supports).

Reads our ONNX files directly (their metadata arrives as rt_info["framework"]). Precision is a
request: "fp16" means the CPU's native reduced precision (bf16 on x86 CPUs with AVX512-BF16/AMX, f16
on ARM with FP16 arithmetic, else fp32), "bf16" insists on bf16, "fp32" keeps full precision.
INT8 comes from the model file (`yolo-nano quantize`), not from a flag: OpenVINO runs its QDQ nodes
as INT8 kernels.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from yolo_nano_ros.errors import ModelLoadError
from yolo_nano_ros.runtime.backends.cpu_settings import CpuSettings
from yolo_nano_ros.runtime.model_info import (
    METADATA_KEYS,
    QUANTIZATION_KEY,
    ModelInfo,
    ModelOverrides,
    as_shape,
    describe_model,
)

PRECISIONS = ("fp32", "fp16", "bf16", "int8")


def resolve_precision(requested: str, capabilities: list[str]) -> tuple[str, str]:
    """(OpenVINO inference_precision_hint, why) for a requested precision and the CPU's capabilities."""
    if requested not in PRECISIONS:
        raise ModelLoadError(f"OpenVINO precision must be one of {', '.join(PRECISIONS)}, got {requested!r}")
    if requested == "fp32":
        return "f32", "fp32 requested"
    if requested == "bf16":
        if "BF16" not in capabilities:
            raise ModelLoadError("precision bf16 requested but this CPU has no native bf16 (AVX512-BF16/AMX); "
                                 "use fp32 or fp16 (which falls back to fp32 here)")
        return "bf16", "bf16 requested"
    # fp16 / int8: the fastest reduced float precision the CPU computes natively, for non-quantized layers.
    if "BF16" in capabilities:
        return "bf16", f"{requested} requested: bf16 is this CPU's native reduced precision"
    if "FP16" in capabilities and _is_arm():
        return "f16", f"{requested} requested: f16 on this ARM CPU"
    return "f32", f"{requested} requested: this CPU has no native bf16/f16, running fp32"


def has_native_bf16(device: str = "CPU") -> bool:
    """Whether the device computes bf16 natively (AVX512-BF16 / AMX on x86): what `precision: bf16` needs."""
    import openvino as ov

    return "BF16" in ov.Core().get_property(device, "OPTIMIZATION_CAPABILITIES")


def _is_arm() -> bool:
    import platform

    return platform.machine().lower() in ("aarch64", "arm64")


@dataclass
class CompiledModel:
    compiled: Any
    precision: str  # what runs: fp32, bf16, fp16, or int8+<float precision of the rest>
    reason: str


def compile_model(model: Any, precision: str, cpu: CpuSettings, device: str = "CPU", quantized: bool = False,
                  profile: bool = False, streams: int = 1) -> CompiledModel:
    """Compile an ov.Model for latency with our CPU settings (shared with the benchmarks).

    profile: keep OpenVINO's per-layer counters (request.profiling_info), for `yolo-nano bench layers`.
    streams: infer requests that run at once (inference workers), each on cpu.threads threads; 1: one.
    """
    import openvino as ov

    core = ov.Core()
    if device not in core.available_devices:
        raise ModelLoadError(f"OpenVINO device {device} not available (have {', '.join(core.available_devices)})")
    hint, reason = resolve_precision(precision, core.get_property(device, "OPTIMIZATION_CAPABILITIES"))
    config: dict[str, object] = {"INFERENCE_PRECISION_HINT": hint, "PERFORMANCE_HINT": "LATENCY",
                                 "NUM_STREAMS": streams}
    if cpu.threads:
        config["INFERENCE_NUM_THREADS"] = cpu.threads * streams
    if profile:
        config["PERF_COUNT"] = True
    if cpu.cache_dir is not None:
        cpu.cache_dir.mkdir(parents=True, exist_ok=True)
        config["CACHE_DIR"] = str(cpu.cache_dir)
    try:
        compiled = core.compile_model(model, device, config)
    except Exception as exc:  # OpenVINO raises RuntimeError subclasses of its own
        raise ModelLoadError(f"OpenVINO cannot compile the model for {device}: {exc}") from exc
    ran = {"f32": "fp32", "bf16": "bf16", "f16": "fp16"}[hint]
    return CompiledModel(compiled, f"int8+{ran}" if quantized else ran, reason)


def partial_shape(port: Any) -> tuple[int | None, ...]:
    """An ov.Output's shape, None for each dynamic dimension."""
    return as_shape([-1 if d.is_dynamic else d.get_length() for d in port.get_partial_shape()])


def read_model(path: Path) -> Any:
    import openvino as ov

    if not path.is_file():
        raise ModelLoadError(f"model not found: {path}")
    try:
        return ov.Core().read_model(str(path))
    except Exception as exc:
        raise ModelLoadError(f"OpenVINO cannot load {path}: {exc}") from exc


def with_uint8_input(model: Any) -> Any:
    """(N, H, W, 3) uint8 RGB in; converted to the float model's (N, 3, H, W) in [0, 1] inside the graph."""
    import openvino as ov
    from openvino.preprocess import PrePostProcessor

    ppp = PrePostProcessor(model)
    ppp.input().tensor().set_element_type(ov.Type.u8).set_layout(ov.Layout("NHWC"))
    ppp.input().model().set_layout(ov.Layout("NCHW"))
    ppp.input().preprocess().convert_element_type(ov.Type.f32).scale(255.0)
    return ppp.build()


def with_batch_of_one(model: Any) -> Any:
    """The model with its batch axis fixed at 1: one frame through a dynamic batch axis ran 6-10 % slower
    on the CPU plugin (`yolo-nano bench batch`, demo weights, 1 and 2 threads, docs/benchmarks.md)."""
    import openvino as ov

    shape = model.inputs[0].get_partial_shape()
    model.reshape({model.inputs[0]: ov.PartialShape([1, *list(shape)[1:]])})
    return model


class OpenVinoBackend:
    def __init__(self, path: Path, precision: str = "fp16", cpu: CpuSettings | None = None,
                 device: str = "CPU", max_batch: int = 1, overrides: ModelOverrides | None = None,
                 workers: int = 1) -> None:
        """max_batch: the most frames a call will take; 1 compiles for single frames even where the model
        has a batch axis (faster), more keeps the axis dynamic (several cameras). workers: threads that will
        call infer at once; each gets its own infer request, and the model as many streams."""
        model = read_model(path)
        metadata = {k: model.get_rt_info(["framework", k]).astype(str)
                    for k in METADATA_KEYS if model.has_rt_info(["framework", k])}
        info = describe_model(path, metadata, partial_shape(model.inputs[0]),
                              [partial_shape(o) for o in model.outputs], overrides)
        dynamic = bool(model.inputs[0].get_partial_shape()[0].is_dynamic)
        if dynamic and max_batch <= 1:
            model = with_batch_of_one(model)
        self.batch_axis = dynamic and max_batch > 1
        if not info.uint8_input:
            # Normalisation moves into the compiled graph: the runtime hands over the letterboxed uint8
            # image as it is, saving the CPU-side float conversion and transpose (~0.3 ms per frame).
            model = with_uint8_input(model)
            info = replace(info, uint8_input=True)
        self.info: ModelInfo = info
        quantized = QUANTIZATION_KEY in metadata
        if precision == "int8" and not quantized:
            raise ModelLoadError(f"precision int8 needs a quantized model; {path.name} is float: "
                                 f"run `yolo-nano quantize {path}` and load its output")
        result = compile_model(model, precision, cpu or CpuSettings(), device, quantized, streams=max(1, workers))
        self.compiled, self.precision, self.precision_reason = result.compiled, result.precision, result.reason
        self.request = self.compiled.create_infer_request()  # the first caller's; others make theirs
        self._local = threading.local()
        self._local.request = self.request
        self.output_names = [o.get_any_name() for o in self.compiled.outputs]
        self.name = f"openvino:{device}"
        self.parallel_calls = True

    def infer(self, batch: np.ndarray) -> list[np.ndarray]:
        request = getattr(self._local, "request", None)
        if request is None:  # a new worker thread: its own request on the shared compiled model
            request = self._local.request = self.compiled.create_infer_request()
        results = request.infer({0: batch})  # copies out: the next frame cannot overwrite them under us
        return [results[name] for name in self.output_names]
