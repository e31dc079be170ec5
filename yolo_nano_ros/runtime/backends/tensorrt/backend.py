"""TensorRT backend (tensorrt + pycuda): the thin layer that only a machine with TensorRT can run.

Buffers (page-locked host, device) and the CUDA stream are allocated once and reused; copies are
asynchronous on that stream. TensorRT 10's tensor-name API (num_io_tensors, set_tensor_address,
execute_async_v3) is used when present, TensorRT 8.5's binding API (JetPack 5: bindings by index,
execute_async_v2) otherwise. Tested here through a labelled test double (test/fakes/fake_tensorrt.py);
see the README for what ran on real hardware.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from yolo_nano_ros.runtime.backends.tensorrt.engine_cache import EngineSidecar
from yolo_nano_ros.runtime.model_info import ModelInfo, ModelLoadError


class GpuUnavailableError(ModelLoadError):
    """tensorrt/pycuda are missing or no CUDA device can be opened."""


def import_tensorrt_stack() -> tuple[Any, Any]:
    try:
        import tensorrt as trt
    except ImportError as exc:
        raise GpuUnavailableError("TensorRT is not installed (on a Jetson: JetPack's python3-libnvinfer)") from exc
    try:
        import pycuda.driver as cuda
    except ImportError as exc:
        raise GpuUnavailableError("pycuda is not installed: `pip install pycuda` on the Jetson") from exc
    return trt, cuda


def platform_from(trt: Any, cuda: Any, device_index: int = 0):
    from yolo_nano_ros.runtime.backends.tensorrt.engine_cache import Platform

    cuda.init()
    device = cuda.Device(device_index)
    major, minor = device.compute_capability()
    return Platform(trt.__version__, device.name(), f"{major}.{minor}")


@dataclass
class IoTensor:
    name: str
    index: int
    is_input: bool
    shape: tuple[int, ...]
    dtype: np.dtype
    host: Any = None  # page-locked numpy array
    device: Any = None  # pycuda DeviceAllocation


class TensorRTBackend:
    def __init__(self, engine_path: Path, device_index: int = 0) -> None:
        trt, cuda = import_tensorrt_stack()
        self.trt, self.cuda = trt, cuda
        try:
            cuda.init()
            if cuda.Device.count() <= device_index:
                raise GpuUnavailableError(f"no CUDA device {device_index} (found {cuda.Device.count()})")
            # Our own context, pushed around every call: the node infers on a worker thread.
            self.cuda_context = cuda.Device(device_index).make_context()
        except GpuUnavailableError:
            raise
        except Exception as exc:
            raise GpuUnavailableError(f"cannot open CUDA device {device_index}: {exc}") from exc
        try:
            self._load(engine_path)
        finally:
            self.cuda_context.pop()

    def _load(self, engine_path: Path) -> None:
        trt, cuda = self.trt, self.cuda
        sidecar = EngineSidecar.read(engine_path)
        self.info = ModelInfo.from_config_dict(sidecar.model_config, uint8_input=len(sidecar.input_shape) == 4
                                               and sidecar.input_shape[-1] == 3)
        self.precision = sidecar.precision
        self.logger = trt.Logger(trt.Logger.WARNING)
        self.runtime = trt.Runtime(self.logger)
        engine = self.runtime.deserialize_cuda_engine(engine_path.read_bytes())
        if engine is None:
            raise ModelLoadError(f"TensorRT could not deserialize {engine_path} (built by another TensorRT version?)")
        self.engine = engine
        self.context = engine.create_execution_context()
        self.tensor_api = hasattr(engine, "num_io_tensors")  # TensorRT >= 8.5 has it; binding API removed in 10
        self.io = self._describe_io()
        self.stream = cuda.Stream()
        for t in self.io:
            size = int(np.prod(t.shape))
            t.host = cuda.pagelocked_empty(size, t.dtype)
            t.device = cuda.mem_alloc(t.host.nbytes)
            if self.tensor_api:
                if t.is_input:
                    self.context.set_input_shape(t.name, t.shape)
                self.context.set_tensor_address(t.name, int(t.device))
            elif t.is_input:
                self.context.set_binding_shape(t.index, t.shape)
        self.inputs = [t for t in self.io if t.is_input]
        # Stride 8, 16, 32 = largest map first (names would sort head_s16 before head_s8).
        self.outputs = sorted((t for t in self.io if not t.is_input), key=lambda t: -int(np.prod(t.shape[2:])))
        if len(self.inputs) != 1 or len(self.outputs) != 3:
            raise ModelLoadError(f"{engine_path}: expected 1 input and 3 head outputs, got "
                                 f"{len(self.inputs)} and {len(self.outputs)}")
        self.name = "tensorrt:" + ("v3" if self.tensor_api else "v2")
        self._warm_up()

    def _describe_io(self) -> list[IoTensor]:
        trt, engine = self.trt, self.engine
        io = []
        if self.tensor_api:
            for i in range(engine.num_io_tensors):
                name = engine.get_tensor_name(i)
                shape = tuple(engine.get_tensor_shape(name))
                is_input = engine.get_tensor_mode(name) == trt.TensorIOMode.INPUT
                dtype = np.dtype(trt.nptype(engine.get_tensor_dtype(name)))
                io.append(IoTensor(name, i, is_input, self._static(shape, name), dtype))
        else:
            for i in range(engine.num_bindings):
                name = engine.get_binding_name(i)
                shape = tuple(engine.get_binding_shape(i))
                io.append(IoTensor(name, i, engine.binding_is_input(i), self._static(shape, name),
                                   np.dtype(trt.nptype(engine.get_binding_dtype(i)))))
        return io

    @staticmethod
    def _static(shape: tuple[int, ...], name: str) -> tuple[int, ...]:
        """Dynamic batch (-1) runs at batch 1; any other dynamic dimension is an error."""
        if any(d < 0 for d in shape[1:]):
            raise ModelLoadError(f"tensor {name} has dynamic spatial shape {shape}; export with a fixed input size")
        return (1, *shape[1:]) if shape and shape[0] < 0 else shape

    def _warm_up(self, runs: int = 3) -> None:
        dummy = np.zeros(self.inputs[0].shape, self.inputs[0].dtype)
        for _ in range(runs):
            self._run(dummy)

    def _run(self, batch: np.ndarray) -> list[np.ndarray]:
        cuda, inp = self.cuda, self.inputs[0]
        if batch.shape != inp.shape:
            raise ValueError(f"input shape {batch.shape} does not match the engine's {inp.shape}")
        np.copyto(inp.host.reshape(inp.shape), batch, casting="same_kind")
        cuda.memcpy_htod_async(inp.device, inp.host, self.stream)
        if self.tensor_api:
            ok = self.context.execute_async_v3(self.stream.handle)
        else:
            bindings = [int(t.device) for t in sorted(self.io, key=lambda t: t.index)]
            ok = self.context.execute_async_v2(bindings=bindings, stream_handle=self.stream.handle)
        if not ok:
            raise RuntimeError("TensorRT execution failed")
        for t in self.outputs:
            cuda.memcpy_dtoh_async(t.host, t.device, self.stream)
        self.stream.synchronize()
        return [t.host.reshape(t.shape).astype(np.float32, copy=True) for t in self.outputs]

    def infer(self, batch: np.ndarray) -> list[np.ndarray]:
        self.cuda_context.push()
        try:
            return self._run(batch)
        finally:
            self.cuda_context.pop()

    def close(self) -> None:
        self.cuda_context.push()
        try:
            for t in self.io:
                t.device.free()
            self.context = self.engine = None
        finally:
            self.cuda_context.pop()
            self.cuda_context.detach()
