"""`yolo-nano build-engine`: ONNX -> TensorRT engine (FP16 default, INT8 with entropy calibration, DLA).

Written to NVIDIA's documented Python API for TensorRT 8.5 (JetPack 5) and 10.x (JetPack 6): the
builder, OnnxParser, builder config with set_memory_pool_limit, build_serialized_network, an
IInt8EntropyCalibrator2 over letterboxed real images with a reusable cache, and a progress monitor
where TensorRT has one (>= 10). Every engine gets a JSON sidecar (engine_cache.EngineSidecar).
Typed against TensorRT 10.13's stubs like the backend (see its docstring for the pycuda calls used).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from yolo_nano_ros.errors import ModelLoadError
from yolo_nano_ros.runtime.backends.tensorrt.backend import dims_tuple, platform_from, require_tensorrt_stack
from yolo_nano_ros.runtime.backends.tensorrt.engine_cache import EngineSidecar, Precision, file_sha256
from yolo_nano_ros.runtime.calibration import calibration_batches
from yolo_nano_ros.runtime.model_info import (
    ModelInfo,
    ModelOverrides,
    describe_onnx_proto,
    metadata_props,
    model_config,
    onnx_value_shape,
    onnx_with_input_size,
)
from yolo_nano_ros.runtime.output_layouts import OutputLayout

if TYPE_CHECKING:
    import tensorrt as trt


@dataclass(frozen=True)
class BuildSettings:
    onnx: Path
    engine: Path
    precision: Precision = Precision.FP16
    workspace_mb: int = 1024
    dla_core: int | None = None
    calib_images: Path | None = None
    calib_cache: Path | None = None
    calib_batches: int = 64
    max_batch: int = 1  # frames per call (several cameras): the optimization profile spans 1..max_batch
    overrides: ModelOverrides | None = None  # layout / class names the ONNX file lacks


def make_entropy_calibrator(batches: Iterator[np.ndarray] | None, cache: Path) -> trt.IInt8EntropyCalibrator2:
    """An IInt8EntropyCalibrator2; with a cache file present TensorRT reads it and never asks for batches."""
    import pycuda.driver as cuda
    import tensorrt as trt

    class EntropyCalibrator(trt.IInt8EntropyCalibrator2):
        def __init__(self) -> None:
            super().__init__()
            self.batches, self.cache, self.count = batches, cache, 0
            self.device: Any = None  # pycuda DeviceAllocation (no type information)

        def get_batch_size(self) -> int:
            return 1

        # NVIDIA's calibrator samples return None after the last batch; the stubs say list[int].
        def get_batch(self, names: list[str]) -> list[int] | None:  # type: ignore[override]
            if self.batches is None:
                return None
            batch = next(self.batches, None)
            if batch is None:
                return None
            if self.device is None:
                self.device = cuda.mem_alloc(batch.nbytes)
            cuda.memcpy_htod(self.device, np.ascontiguousarray(batch))
            self.count += 1
            return [int(self.device)]  # pycuda DeviceAllocation -> its device address

        def read_calibration_cache(self) -> bytes | None:
            return self.cache.read_bytes() if self.cache.is_file() else None

        def write_calibration_cache(self, data: bytes) -> None:
            self.cache.parent.mkdir(parents=True, exist_ok=True)
            self.cache.write_bytes(bytes(data))

    return EntropyCalibrator()


def make_progress_monitor() -> trt.IProgressMonitor | None:
    """TensorRT >= 10 reports build phases; print them so a long first build is never silent."""
    import tensorrt as trt

    if not hasattr(trt, "IProgressMonitor"):  # TensorRT 8.5 fallback: no progress monitor
        return None

    class PhasePrinter(trt.IProgressMonitor):
        def __init__(self) -> None:
            trt.IProgressMonitor.__init__(self)
            self.started = time.monotonic()

        def phase_start(self, phase_name: str, parent_phase: str | None, num_steps: int) -> None:
            elapsed = time.monotonic() - self.started
            print(f"[build-engine {elapsed:6.1f}s] {phase_name} ({num_steps} steps)", flush=True)

        def step_complete(self, phase_name: str, step: int) -> bool:
            return True  # False would cancel the build

        def phase_finish(self, phase_name: str) -> None:
            pass

    return PhasePrinter()


def read_onnx_model(onnx_path: Path, overrides: ModelOverrides | None = None
                    ) -> tuple[ModelInfo, dict, tuple[int, ...]]:
    """(what the engine will be read as, our YoloNanoConfig or {} for other layouts, input dims with -1 dynamic).

    An engine is built for square input_size frames: a model that takes any size (rect_stride) gets a
    fixed-size graph, so its engine's info says square."""
    import onnx

    proto = onnx.load(str(onnx_path), load_external_data=False)
    info = describe_onnx_proto(onnx_path, proto, overrides)
    config = model_config(onnx_path, metadata_props(proto)) if info.layout is OutputLayout.YOLO_NANO else {}
    dims = tuple(-1 if d is None else d for d in onnx_value_shape(proto.graph.input[0]))
    return replace(info, rect_stride=0), config, dims


def build_engine(s: BuildSettings) -> Path:
    require_tensorrt_stack()
    import pycuda.driver as cuda
    import tensorrt as trt

    info, config_dict, input_dims = read_onnx_model(s.onnx, s.overrides)
    platform = platform_from()
    context = cuda.Device(0).make_context()
    try:
        logger = trt.Logger(trt.Logger.INFO)
        builder = trt.Builder(logger)
        major = int(trt.__version__.split(".")[0])
        # TensorRT 8.5 fallback: networks are explicit-batch only when asked (always so from 10 on).
        flags = 0 if major >= 10 else 1 << int(trt.NetworkDefinitionCreationFlag.EXPLICIT_BATCH)
        network = builder.create_network(flags)
        parser = trt.OnnxParser(network, logger)
        # An any-size export is built for square input_size frames (what the backend feeds an engine).
        spatial_free = len(input_dims) == 4 and any(d < 0 for d in input_dims[2:])
        graph = onnx_with_input_size(s.onnx, info.input_size) if spatial_free else s.onnx.read_bytes()
        if spatial_free:
            input_dims = (input_dims[0], input_dims[1], info.input_size, info.input_size)
        if not parser.parse(graph):
            errors = "; ".join(str(parser.get_error(i)) for i in range(parser.num_errors))
            raise ModelLoadError(f"TensorRT cannot parse {s.onnx}: {errors}")
        config = builder.create_builder_config()
        config.set_memory_pool_limit(trt.MemoryPoolType.WORKSPACE, s.workspace_mb << 20)
        inp = network.get_input(0)
        max_batch = 1
        if input_dims and input_dims[0] < 0:  # batch axis: one profile for 1..max_batch frames per call
            max_batch = max(1, s.max_batch)
            profile = builder.create_optimization_profile()
            one, most = trt.Dims([1, *input_dims[1:]]), trt.Dims([max_batch, *input_dims[1:]])
            profile.set_shape(inp.name, one, most, most)  # tuned for the full batch: N cameras at once
            config.add_optimization_profile(profile)
        elif s.max_batch > 1:
            print(f"{s.onnx.name} has a fixed batch of {input_dims[0] if input_dims else '?'}: building for one "
                  "frame per call (re-export it with `yolo-nano export X.onnx --dynamic-batch` to batch)", flush=True)
        if s.precision in (Precision.FP16, Precision.INT8):
            config.set_flag(trt.BuilderFlag.FP16)  # INT8 keeps FP16 for layers without INT8 kernels
        if s.precision is Precision.INT8:
            config.set_flag(trt.BuilderFlag.INT8)
            cache = s.calib_cache or s.engine.with_suffix(".calib")
            batches = None
            if not cache.is_file():
                if s.calib_images is None:
                    raise ModelLoadError("INT8 needs --calib-images DIR (or an existing --calib-cache)")
                batches = calibration_batches(s.calib_images, info.input_size, info.uint8_input, s.calib_batches)
            config.int8_calibrator = make_entropy_calibrator(batches, cache)
        if s.dla_core is not None:
            config.default_device_type = trt.DeviceType.DLA
            config.DLA_core = s.dla_core
            config.set_flag(trt.BuilderFlag.GPU_FALLBACK)
        monitor = make_progress_monitor()
        if monitor is not None:
            config.progress_monitor = monitor
        print(f"building {s.precision.value} engine for {platform.gpu_name} with TensorRT {platform.tensorrt_version}"
              f", 1..{max_batch} frames per call (first builds take minutes)", flush=True)
        started = time.monotonic()
        serialized = builder.build_serialized_network(network, config)
        if serialized is None:
            raise ModelLoadError("TensorRT engine build failed (see the TensorRT log above)")
        s.engine.parent.mkdir(parents=True, exist_ok=True)
        s.engine.write_bytes(bytes(serialized))
        shape = dims_tuple(inp.shape)
        one_frame = (1, *shape[1:]) if shape[0] < 0 else shape
        EngineSidecar(file_sha256(s.onnx), platform.tensorrt_version, platform.gpu_name,
                      platform.compute_capability, s.precision.value, one_frame, info.class_names, config_dict,
                      s.dla_core, max_batch=max_batch, model_info=info.to_dict()).write(s.engine)
        print(f"wrote {s.engine} in {time.monotonic() - started:.0f} s", flush=True)
        return s.engine
    finally:
        context.pop()
        context.detach()
