"""TEST DOUBLE: fake `tensorrt` and `pycuda.driver` modules, in TensorRT 10 or 8.5 shape.

Its classes carry TensorRT's names and parameter names; test/test_fake_tensorrt_matches_stubs.py checks
every member against NVIDIA's TensorRT 10.13 API (tensorrt-stubs), so it cannot drift from TensorRT.

Not a TensorRT: it exists because TensorRT cannot be installed on our machines. It records every API
call the backend makes and simulates device memory, so the backend's real data path (page-locked host
buffers -> device -> execute -> host) is exercised. The "engine" computes each output as a constant
plus the mean of the input, which lets tests check that input really reached the engine and that
outputs come back in stride order.
"""

from __future__ import annotations

import json
import types
from typing import Any

import numpy as np


class CallLog(list):
    def names(self) -> list[str]:
        return [c[0] for c in self]


class FakeDeviceMemory:
    def __init__(self, memory: dict[int, np.ndarray], nbytes: int) -> None:
        self.address = 0x1000 * (len(memory) + 1)
        memory[self.address] = np.zeros(nbytes, np.uint8)
        self.memory = memory
        self.freed = False

    def __int__(self) -> int:
        return self.address

    def free(self) -> None:
        self.freed = True


def make_pycuda(calls: CallLog, device_count: int = 1) -> tuple[types.ModuleType, dict[int, np.ndarray]]:
    memory: dict[int, np.ndarray] = {}
    cuda = types.ModuleType("pycuda.driver")

    class IExecutionContext:
        def push(self) -> None:
            calls.append(("ctx.push",))

        def pop(self) -> None:
            calls.append(("ctx.pop",))

        def detach(self) -> None:
            calls.append(("ctx.detach",))

    class Device:
        def __init__(self, index: int) -> None:
            self.index = index

        @staticmethod
        def count() -> int:
            return device_count

        def name(self) -> str:
            return "Orin (fake)"

        def compute_capability(self) -> tuple[int, int]:
            return (8, 7)

        def make_context(self) -> IExecutionContext:
            calls.append(("make_context", self.index))
            return IExecutionContext()

    class Stream:
        handle = 0xBEEF

        def synchronize(self) -> None:
            calls.append(("stream.synchronize",))

    def pagelocked_empty(size: int, dtype: Any) -> np.ndarray:
        calls.append(("pagelocked_empty", size, np.dtype(dtype).name))
        return np.zeros(size, dtype)

    def mem_alloc(nbytes: int) -> FakeDeviceMemory:
        calls.append(("mem_alloc", nbytes))
        return FakeDeviceMemory(memory, nbytes)

    def device_bytes(dev: FakeDeviceMemory, nbytes: int) -> np.ndarray:
        """As CUDA: a copy moves the host array's bytes, into or out of the start of the allocation."""
        buffer = memory[int(dev)]
        if nbytes > buffer.size:
            raise RuntimeError(f"cuMemcpy failed: invalid argument ({nbytes} bytes, allocation {buffer.size})")
        return buffer[:nbytes]

    def memcpy_htod_async(dev: FakeDeviceMemory, host: np.ndarray, stream: Stream) -> None:
        calls.append(("memcpy_htod_async",))
        device_bytes(dev, host.nbytes)[:] = host.view(np.uint8).ravel()

    def memcpy_dtoh_async(host: np.ndarray, dev: FakeDeviceMemory, stream: Stream) -> None:
        calls.append(("memcpy_dtoh_async",))
        host.view(np.uint8).ravel()[:] = device_bytes(dev, host.nbytes)

    def memcpy_htod(dev: FakeDeviceMemory, host: np.ndarray) -> None:
        calls.append(("memcpy_htod", host.nbytes))
        device_bytes(dev, host.nbytes)[:] = host.view(np.uint8).ravel()

    cuda.init = lambda: calls.append(("cuda.init",))
    cuda.memcpy_htod = memcpy_htod
    cuda.Device, cuda.Stream = Device, Stream
    cuda.pagelocked_empty, cuda.mem_alloc = pagelocked_empty, mem_alloc
    cuda.memcpy_htod_async, cuda.memcpy_dtoh_async = memcpy_htod_async, memcpy_dtoh_async
    return cuda, memory


ENGINE_MAGIC = b"FAKE-TRT-ENGINE"


def fake_engine_bytes(input_shape: tuple[int, ...], output_shapes: dict[str, tuple[int, ...]],
                      batch_profile: tuple[int, int] | None = None) -> bytes:
    """A dynamic batch is -1 in the shapes, with the (min, max) batch of its optimization profile."""
    spec = {"input": list(input_shape), "outputs": {k: list(v) for k, v in output_shapes.items()},
            "batch_profile": list(batch_profile) if batch_profile else None}
    return ENGINE_MAGIC + json.dumps(spec).encode()


def make_tensorrt(version: str, calls: CallLog, memory: dict[int, np.ndarray]) -> types.ModuleType:
    """version "10.3.0" gives the tensor-name API only; "8.5.2" gives the binding API (and no execute_async_v3)."""
    trt = types.ModuleType("tensorrt")
    trt.__version__ = version
    tensor_api = int(version.split(".")[0]) >= 10

    class Logger:
        WARNING, INFO = 2, 3

        def __init__(self, min_severity: int) -> None:
            self.level = min_severity

    class TensorIOMode:
        INPUT, OUTPUT = "input", "output"

    class ICudaEngine:
        def __init__(self, spec: dict) -> None:
            self.names = ["images", *spec["outputs"]]
            self.shapes = {"images": tuple(spec["input"]), **{k: tuple(v) for k, v in spec["outputs"].items()}}
            self.batch_profile = tuple(spec.get("batch_profile") or ())

        def create_execution_context(self) -> IExecutionContext:
            calls.append(("create_execution_context",))
            return IExecutionContext(self)

    if tensor_api:
        ICudaEngine.num_io_tensors = property(lambda self: len(self.names))
        ICudaEngine.get_tensor_name = lambda self, index: self.names[index]
        ICudaEngine.get_tensor_shape = lambda self, name: self.shapes[name]
        ICudaEngine.get_tensor_mode = lambda self, name: TensorIOMode.INPUT if name == "images" else TensorIOMode.OUTPUT
        ICudaEngine.get_tensor_dtype = lambda self, name: "float32"
    else:
        ICudaEngine.num_bindings = property(lambda self: len(self.names))
        ICudaEngine.get_binding_name = lambda self, i: self.names[i]
        ICudaEngine.get_binding_shape = lambda self, i: self.shapes[self.names[i]]
        ICudaEngine.binding_is_input = lambda self, i: i == 0
        ICudaEngine.get_binding_dtype = lambda self, i: "float32"

    class IExecutionContext:
        def __init__(self, engine: ICudaEngine) -> None:
            self.engine = engine
            self.addresses: dict[str, int] = {}
            self.batch: int | None = None  # set by set_input_shape / set_binding_shape

        def _accept_shape(self, shape: tuple[int, ...]) -> bool:
            """As TensorRT: False for a shape the engine cannot take (outside its profile)."""
            declared = self.engine.shapes["images"]
            if len(shape) != len(declared) or any(d != s for d, s in zip(declared[1:], shape[1:], strict=True)):
                return False
            low, high = self.engine.batch_profile or (declared[0], declared[0])
            if not low <= shape[0] <= high:
                return False
            self.batch = shape[0]
            return True

        def _compute(self, addresses: dict[str, int]) -> bool:
            if self.batch is None:  # TensorRT: executing a dynamic engine before its input shape is set fails
                return False
            n = self.batch
            x = memory[addresses["images"]].view(np.float32)
            per_frame = x[:n * int(np.prod(self.engine.shapes["images"][1:]))].reshape(n, -1).mean(axis=1)
            for k, name in enumerate(self.engine.names[1:]):
                out = memory[addresses[name]].view(np.float32)
                size = int(np.prod(self.engine.shapes[name][1:]))
                # output k of frame i = k + 1 + mean(frame i): a mixed-up batch cannot go unseen
                out[:n * size].reshape(n, size)[:] = (np.float32(k + 1) + per_frame)[:, None]
            return True

    if tensor_api:
        def set_input_shape(self, name, shape):
            calls.append(("set_input_shape", name, tuple(shape)))
            return self._accept_shape(tuple(shape))

        def set_tensor_address(self, name, memory):
            calls.append(("set_tensor_address", name))
            self.addresses[name] = memory

        def execute_async_v3(self, stream_handle):
            calls.append(("execute_async_v3", stream_handle))
            return self._compute(self.addresses)

        IExecutionContext.set_input_shape, IExecutionContext.set_tensor_address = set_input_shape, set_tensor_address
        IExecutionContext.execute_async_v3 = execute_async_v3
    else:
        def set_binding_shape(self, index, shape):
            calls.append(("set_binding_shape", index, tuple(shape)))
            return self._accept_shape(tuple(shape))

        def execute_async_v2(self, bindings, stream_handle):
            calls.append(("execute_async_v2", len(bindings), stream_handle))
            return self._compute(dict(zip(self.engine.names, bindings, strict=True)))

        IExecutionContext.set_binding_shape, IExecutionContext.execute_async_v2 = set_binding_shape, execute_async_v2

    class Runtime:
        def __init__(self, logger: Logger) -> None:
            calls.append(("Runtime",))

        def deserialize_cuda_engine(self, serialized_engine: bytes) -> ICudaEngine | None:
            calls.append(("deserialize_cuda_engine", len(serialized_engine)))
            if not serialized_engine.startswith(ENGINE_MAGIC):
                return None
            return ICudaEngine(json.loads(serialized_engine[len(ENGINE_MAGIC):]))

    class Dims(tuple):
        """TensorRT's shape type: built from a list, indexed and measured like a tuple."""

        def __new__(cls, shape: list[int] = ()) -> Dims:  # type: ignore[misc]
            return super().__new__(cls, shape)

    trt.Logger, trt.Runtime, trt.TensorIOMode, trt.Dims = Logger, Runtime, TensorIOMode, Dims
    trt.ICudaEngine, trt.IExecutionContext = ICudaEngine, IExecutionContext  # real names, checked against the stubs
    trt.nptype = lambda dtype: np.float32
    add_builder_api(trt, tensor_api, calls)
    return trt


def add_builder_api(trt: types.ModuleType, tensor_api: bool, calls: CallLog) -> None:
    """Builder, OnnxParser, builder config, calibrator and progress-monitor base classes.

    The fake "build" reads the ONNX graph's input and output shapes (with the real onnx package) and
    writes a fake engine with them, drives an attached INT8 calibrator the way TensorRT does (cache
    first; batches only without one; then writes the cache) and reports phases to a progress monitor.
    """
    import onnx

    class Flag:
        def __init__(self, name: str) -> None:
            self.name = name

        def __int__(self) -> int:
            return 0

    trt.NetworkDefinitionCreationFlag = types.SimpleNamespace(EXPLICIT_BATCH=Flag("EXPLICIT_BATCH"))
    trt.MemoryPoolType = types.SimpleNamespace(WORKSPACE="WORKSPACE")
    trt.BuilderFlag = types.SimpleNamespace(FP16="FP16", INT8="INT8", GPU_FALLBACK="GPU_FALLBACK")
    trt.DeviceType = types.SimpleNamespace(DLA="DLA", GPU="GPU")

    class IInt8EntropyCalibrator2:
        def __init__(self) -> None:
            calls.append(("IInt8EntropyCalibrator2.__init__",))

    trt.IInt8EntropyCalibrator2 = IInt8EntropyCalibrator2
    if tensor_api:
        class IProgressMonitor:
            def __init__(self) -> None:
                calls.append(("IProgressMonitor.__init__",))

        trt.IProgressMonitor = IProgressMonitor

    class ITensor:
        def __init__(self, name: str, shape: tuple[int, ...]) -> None:
            self.name, self.shape = name, shape

    class INetworkDefinition:
        def __init__(self, flags: int) -> None:
            self.flags, self.proto = flags, None

        def get_input(self, index: int) -> ITensor:
            value = self.proto.graph.input[index]
            return ITensor(value.name, tuple(d.dim_value or -1 for d in value.type.tensor_type.shape.dim))

    class OnnxParser:
        def __init__(self, network: INetworkDefinition, logger: Any) -> None:
            self.network, self.errors = network, []

        def parse(self, model: bytes) -> bool:
            calls.append(("OnnxParser.parse", len(model)))
            try:
                self.network.proto = onnx.load_from_string(model)
            except Exception as exc:  # any decode failure is a parse error, as in TensorRT
                self.errors.append(f"In node -1: {type(exc).__name__}")
                return False
            return True

        @property
        def num_errors(self) -> int:
            return len(self.errors)

        def get_error(self, index: int) -> str:
            return self.errors[index]

    class IOptimizationProfile:
        def __init__(self) -> None:
            self.batch: tuple[int, int] | None = None

        def set_shape(self, input: str, min: tuple, opt: tuple, max: tuple) -> None:  # TensorRT's names
            calls.append(("profile.set_shape", input, tuple(min), tuple(opt), tuple(max)))
            self.batch = (min[0], max[0])

    class IBuilderConfig:
        def __init__(self) -> None:
            self.flags: set[str] = set()
            self.profiles: list[IOptimizationProfile] = []
            self.int8_calibrator = None
            self.progress_monitor = None
            self.default_device_type, self.DLA_core = "GPU", -1

        def set_memory_pool_limit(self, pool: str, pool_size: int) -> None:
            calls.append(("set_memory_pool_limit", pool, pool_size))

        def set_flag(self, flag: str) -> None:
            calls.append(("set_flag", flag))
            self.flags.add(flag)

        def add_optimization_profile(self, profile: IOptimizationProfile) -> int:
            calls.append(("add_optimization_profile",))
            self.profiles.append(profile)
            return len(self.profiles) - 1

    class Builder:
        def __init__(self, logger: Any) -> None:
            calls.append(("Builder",))

        def create_network(self, flags: int) -> INetworkDefinition:
            calls.append(("create_network", flags))
            return INetworkDefinition(flags)

        def create_builder_config(self) -> IBuilderConfig:
            return IBuilderConfig()

        def create_optimization_profile(self) -> IOptimizationProfile:
            return IOptimizationProfile()

        def build_serialized_network(self, network: INetworkDefinition, config: IBuilderConfig) -> bytes | None:
            calls.append(("build_serialized_network", tuple(sorted(config.flags))))
            monitor = config.progress_monitor
            if monitor is not None:
                monitor.phase_start("Building engine", None, 1)
                monitor.step_complete("Building engine", 0)
                monitor.phase_finish("Building engine")
            calibrator = config.int8_calibrator
            if "INT8" in config.flags and calibrator is not None:
                if calibrator.read_calibration_cache() is None:
                    batches = 0
                    while calibrator.get_batch(["images"]) is not None:
                        batches += 1
                    calls.append(("calibrated", batches))
                    calibrator.write_calibration_cache(b"fake calibration table")
                else:
                    calls.append(("calibration cache used",))
            shapes = {v.name: tuple(-1 if d.dim_param else d.dim_value for d in v.type.tensor_type.shape.dim)
                      for v in [*network.proto.graph.input, *network.proto.graph.output]}
            names = list(shapes)
            dynamic = shapes[names[0]][0] < 0
            if dynamic and not config.profiles:
                calls.append(("build failed: dynamic input without an optimization profile",))
                return None  # TensorRT logs the error and returns None
            return fake_engine_bytes(shapes[names[0]], {k: shapes[k] for k in names[1:]},
                                     config.profiles[0].batch if dynamic else None)

    trt.Builder, trt.OnnxParser = Builder, OnnxParser
    trt.INetworkDefinition, trt.IBuilderConfig, trt.IOptimizationProfile, trt.ITensor = (
        INetworkDefinition, IBuilderConfig, IOptimizationProfile, ITensor)


def install(monkeypatch: Any, version: str, device_count: int = 1) -> CallLog:
    """Put the fakes in sys.modules for one test (pytest monkeypatch undoes it)."""
    import sys

    calls = CallLog()
    cuda, memory = make_pycuda(calls, device_count)
    pycuda = types.ModuleType("pycuda")
    pycuda.driver = cuda
    monkeypatch.setitem(sys.modules, "pycuda", pycuda)
    monkeypatch.setitem(sys.modules, "pycuda.driver", cuda)
    monkeypatch.setitem(sys.modules, "tensorrt", make_tensorrt(version, calls, memory))
    return calls
