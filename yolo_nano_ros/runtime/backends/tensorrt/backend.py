"""TensorRT backend (tensorrt + pycuda): the thin layer that only a machine with TensorRT can run.

Buffers (page-locked host, device) and the CUDA stream are allocated once, for the engine's largest
batch, and reused; copies are asynchronous on that stream. An engine built for 1..N frames per call
(an optimization profile, engine_builder) takes any batch up to N: the input shape is set per call when
the batch size changes, and a larger batch runs in parts. TensorRT 10's tensor-name API (num_io_tensors,
set_tensor_address, execute_async_v3) is used when present, TensorRT 8.5's binding API (JetPack 5: bindings by index,
execute_async_v2) otherwise. Tested here through a labelled test double (test/fakes/fake_tensorrt.py);
see the README for what ran on real hardware.

Typed against NVIDIA's TensorRT 10.13 Python API (tensorrt-stubs, checked by mypy in `make test`); the
TensorRT 8.5 calls, gone from TensorRT 10, carry `# type: ignore[attr-defined]  # TensorRT 8.5 fallback`.
pycuda has no type information; this layer uses only these documented pycuda.driver calls: init,
Device(i) (.count, .name, .compute_capability, .make_context), Context.push/pop/detach, Stream
(.handle, .synchronize), pagelocked_empty, mem_alloc (DeviceAllocation: int(), .free), memcpy_htod,
memcpy_htod_async, memcpy_dtoh_async.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from yolo_nano_ros.errors import ModelLoadError
from yolo_nano_ros.runtime.backends.tensorrt.engine_cache import EngineSidecar
from yolo_nano_ros.runtime.model_info import ModelInfo
from yolo_nano_ros.runtime.output_layouts import OutputLayout

if TYPE_CHECKING:
    import tensorrt as trt

    from yolo_nano_ros.runtime.backends.tensorrt.engine_cache import Platform


class GpuUnavailableError(ModelLoadError):
    """tensorrt/pycuda are missing or no CUDA device can be opened."""


def require_tensorrt_stack() -> None:
    """GpuUnavailableError (saying what to install) unless tensorrt and pycuda import here."""
    try:
        import tensorrt
    except ImportError as exc:
        raise GpuUnavailableError("TensorRT is not installed (on a Jetson: JetPack's python3-libnvinfer)") from exc
    if not hasattr(tensorrt, "__version__"):  # a stub-only or empty `tensorrt` folder imports as a namespace
        raise GpuUnavailableError("TensorRT is not installed (only an empty `tensorrt` package is on sys.path)")
    try:
        import pycuda.driver  # noqa: F401
    except ImportError as exc:
        raise GpuUnavailableError("pycuda is not installed: `pip install pycuda` on the Jetson") from exc


def dims_tuple(dims: trt.Dims) -> tuple[int, ...]:
    """trt.Dims as a tuple (Dims has len and indexing, not iteration, in TensorRT's API)."""
    return tuple(int(dims[i]) for i in range(len(dims)))


def platform_from(device_index: int = 0) -> Platform:
    import pycuda.driver as cuda
    import tensorrt as trt

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
    host: np.ndarray | None = None  # page-locked, from pycuda
    device: Any = None  # pycuda DeviceAllocation (pycuda has no type information)


class TensorRTBackend:
    def __init__(self, engine_path: Path, device_index: int = 0) -> None:
        require_tensorrt_stack()
        import pycuda.driver as cuda

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
        import pycuda.driver as cuda
        import tensorrt as trt

        sidecar = EngineSidecar.read(engine_path)
        self.info = (ModelInfo.from_dict(sidecar.model_info) if sidecar.model_info else  # older sidecars: ours only
                     ModelInfo.from_config_dict(sidecar.model_config, uint8_input=len(sidecar.input_shape) == 4
                                                and sidecar.input_shape[-1] == 3))
        self.precision = sidecar.precision
        self.max_batch = max(1, sidecar.max_batch)
        self.logger = trt.Logger(trt.Logger.WARNING)
        self.runtime = trt.Runtime(self.logger)
        engine = self.runtime.deserialize_cuda_engine(engine_path.read_bytes())
        if engine is None:
            raise ModelLoadError(f"TensorRT could not deserialize {engine_path} (built by another TensorRT version?)")
        self.engine: trt.ICudaEngine | None = engine
        context = engine.create_execution_context()
        if context is None:
            raise ModelLoadError(f"TensorRT could not create an execution context for {engine_path}")
        self.context: trt.IExecutionContext | None = context
        self.tensor_api = hasattr(engine, "num_io_tensors")  # TensorRT >= 8.5 has it; binding API removed in 10
        self.io = self._describe_io(engine)
        self.stream = cuda.Stream()
        for t in self.io:
            size = int(np.prod(t.shape))  # the largest batch's
            t.host = cuda.pagelocked_empty(size, t.dtype)
            t.device = cuda.mem_alloc(t.host.nbytes)
            if self.tensor_api:
                context.set_tensor_address(t.name, int(t.device))
        self.inputs = [t for t in self.io if t.is_input]
        if len({t.shape[0] for t in self.io}) != 1:
            raise ModelLoadError(f"{engine_path}: inputs and outputs disagree on the batch axis "
                                 f"({', '.join(f'{t.name} {t.shape}' for t in self.io)})")
        self.max_batch = self.io[0].shape[0]  # 1 for a fixed-batch engine, whatever its sidecar says
        self._bound_batch = 0
        self._bind_batch(1)
        outputs = [t for t in self.io if not t.is_input]
        wanted = 3 if self.info.layout is OutputLayout.YOLO_NANO else 1
        if self.info.layout is OutputLayout.YOLO_NANO:
            # Stride 8, 16, 32 = largest map first (names would sort head_s16 before head_s8).
            outputs.sort(key=lambda t: -int(np.prod(t.shape[2:])))
        self.outputs = outputs
        if len(self.inputs) != 1 or len(self.outputs) != wanted:
            raise ModelLoadError(f"{engine_path}: expected 1 input and {wanted} outputs ({self.info.layout.value}), "
                                 f"got {len(self.inputs)} and {len(self.outputs)}")
        self.name = "tensorrt:" + ("v3" if self.tensor_api else "v2")
        self.batch_axis = self.max_batch > 1
        self.parallel_calls = False  # one execution context and one set of buffers: one caller at a time
        self._warm_up()

    def _describe_io(self, engine: trt.ICudaEngine) -> list[IoTensor]:
        import tensorrt as trt

        io = []
        if self.tensor_api:
            for i in range(engine.num_io_tensors):
                name = engine.get_tensor_name(i)
                shape = dims_tuple(engine.get_tensor_shape(name))
                is_input = engine.get_tensor_mode(name) == trt.TensorIOMode.INPUT
                dtype = np.dtype(trt.nptype(engine.get_tensor_dtype(name)))
                io.append(IoTensor(name, i, is_input, self._static(shape, name), dtype))
        else:  # TensorRT 8.5 fallback: the binding API, removed in TensorRT 10
            for i in range(engine.num_bindings):  # type: ignore[attr-defined]  # TensorRT 8.5 fallback
                name = engine.get_binding_name(i)  # type: ignore[attr-defined]  # TensorRT 8.5 fallback
                shape = tuple(engine.get_binding_shape(i))  # type: ignore[attr-defined]  # TensorRT 8.5 fallback
                dtype = np.dtype(trt.nptype(engine.get_binding_dtype(i)))  # type: ignore[attr-defined]  # TRT 8.5
                is_input = bool(engine.binding_is_input(i))  # type: ignore[attr-defined]  # TensorRT 8.5 fallback
                io.append(IoTensor(name, i, is_input, self._static(shape, name), dtype))
        return io

    def _static(self, shape: tuple[int, ...], name: str) -> tuple[int, ...]:
        """The buffer shape: a dynamic batch (-1) at the engine's max_batch; another dynamic dimension is an
        error. A fixed batch other than 1 cannot be fed frame by frame: refused too."""
        if any(d < 0 for d in shape[1:]):
            raise ModelLoadError(f"tensor {name} has dynamic spatial shape {shape}; export with a fixed input size")
        if shape and shape[0] < 0:
            return (self.max_batch, *shape[1:])
        if shape and shape[0] != 1:
            raise ModelLoadError(f"tensor {name} has a fixed batch of {shape[0]}; export with batch 1 or "
                                 "--dynamic-batch")
        return shape

    def _bind_batch(self, n: int) -> None:
        """Tell the execution context this call's batch size (only when it changes)."""
        if n == self._bound_batch:
            return
        inp, context = self.inputs[0], self.context
        assert context is not None
        shape = (n, *inp.shape[1:])
        if self.tensor_api:
            ok = context.set_input_shape(inp.name, shape)
        else:  # TensorRT 8.5 fallback
            ok = context.set_binding_shape(inp.index, shape)  # type: ignore[attr-defined]  # TensorRT 8.5 fallback
        if ok is False:  # TensorRT returns False for a shape outside the engine's optimization profile
            raise ValueError(f"TensorRT refused input shape {shape} (engine profile: 1..{self.max_batch} frames)")
        self._bound_batch = n

    def _warm_up(self, runs: int = 3) -> None:
        inp = self.inputs[0]
        dummy = np.zeros((1, *inp.shape[1:]), inp.dtype)
        for _ in range(runs):
            self._run(dummy)
        if self.max_batch > 1:  # the first full batch must not be the slow one
            self._run(np.zeros(inp.shape, inp.dtype))

    def _run(self, batch: np.ndarray) -> list[np.ndarray]:
        import pycuda.driver as cuda

        inp, context = self.inputs[0], self.context
        if context is None:
            raise ModelLoadError("the TensorRT backend was closed")
        n = batch.shape[0] if batch.ndim == len(inp.shape) else 0
        if batch.shape[1:] != inp.shape[1:] or not 1 <= n <= self.max_batch:
            raise ValueError(f"input shape {batch.shape} does not match the engine's (1..{self.max_batch}, "
                             f"{', '.join(map(str, inp.shape[1:]))})")
        assert inp.host is not None  # allocated in _load for every tensor
        self._bind_batch(n)
        used = inp.host[:batch.size]  # the first n frames of the max-batch buffer
        np.copyto(used.reshape(batch.shape), batch, casting="same_kind")
        cuda.memcpy_htod_async(inp.device, used, self.stream)
        if self.tensor_api:
            ok = context.execute_async_v3(self.stream.handle)
        else:  # TensorRT 8.5 fallback
            bindings = [int(t.device) for t in sorted(self.io, key=lambda t: t.index)]
            ok = context.execute_async_v2(  # type: ignore[attr-defined]  # TensorRT 8.5 fallback
                bindings=bindings, stream_handle=self.stream.handle)
        if not ok:
            raise RuntimeError("TensorRT execution failed")
        outputs = []
        for t in self.outputs:
            assert t.host is not None  # allocated in _load for every tensor: never skip an output silently
            shape = (n, *t.shape[1:])
            outputs.append((t.host[:int(np.prod(shape))], shape))
            cuda.memcpy_dtoh_async(outputs[-1][0], t.device, self.stream)
        self.stream.synchronize()
        return [host.reshape(shape).astype(np.float32, copy=True) for host, shape in outputs]

    def infer(self, batch: np.ndarray) -> list[np.ndarray]:
        self.cuda_context.push()
        try:
            if batch.shape[0] <= self.max_batch:
                return self._run(batch)
            parts = [self._run(batch[i:i + self.max_batch]) for i in range(0, batch.shape[0], self.max_batch)]
            return [np.concatenate(level) for level in zip(*parts, strict=True)]
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
