"""TEST DOUBLE: fake `tensorrt` and `pycuda.driver` modules, in TensorRT 10 or 8.5 shape.

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

    class Context:
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

        def make_context(self) -> Context:
            calls.append(("make_context", self.index))
            return Context()

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

    def memcpy_htod_async(dev: FakeDeviceMemory, host: np.ndarray, stream: Stream) -> None:
        calls.append(("memcpy_htod_async",))
        memory[int(dev)][:] = host.view(np.uint8).ravel()

    def memcpy_dtoh_async(host: np.ndarray, dev: FakeDeviceMemory, stream: Stream) -> None:
        calls.append(("memcpy_dtoh_async",))
        host.view(np.uint8).ravel()[:] = memory[int(dev)]

    cuda.init = lambda: calls.append(("cuda.init",))
    cuda.Device, cuda.Stream = Device, Stream
    cuda.pagelocked_empty, cuda.mem_alloc = pagelocked_empty, mem_alloc
    cuda.memcpy_htod_async, cuda.memcpy_dtoh_async = memcpy_htod_async, memcpy_dtoh_async
    return cuda, memory


ENGINE_MAGIC = b"FAKE-TRT-ENGINE"


def fake_engine_bytes(input_shape: tuple[int, ...], output_shapes: dict[str, tuple[int, ...]]) -> bytes:
    spec = {"input": list(input_shape), "outputs": {k: list(v) for k, v in output_shapes.items()}}
    return ENGINE_MAGIC + json.dumps(spec).encode()


def make_tensorrt(version: str, calls: CallLog, memory: dict[int, np.ndarray]) -> types.ModuleType:
    """version "10.3.0" gives the tensor-name API only; "8.5.2" gives the binding API (and no execute_async_v3)."""
    trt = types.ModuleType("tensorrt")
    trt.__version__ = version
    tensor_api = int(version.split(".")[0]) >= 10

    class Logger:
        WARNING, INFO = 2, 3

        def __init__(self, level: int) -> None:
            self.level = level

    class TensorIOMode:
        INPUT, OUTPUT = "input", "output"

    class Engine:
        def __init__(self, spec: dict) -> None:
            self.names = ["images", *spec["outputs"]]
            self.shapes = {"images": tuple(spec["input"]), **{k: tuple(v) for k, v in spec["outputs"].items()}}

        def create_execution_context(self) -> Context:
            calls.append(("create_execution_context",))
            return Context(self)

    if tensor_api:
        Engine.num_io_tensors = property(lambda self: len(self.names))
        Engine.get_tensor_name = lambda self, i: self.names[i]
        Engine.get_tensor_shape = lambda self, name: self.shapes[name]
        Engine.get_tensor_mode = lambda self, name: TensorIOMode.INPUT if name == "images" else TensorIOMode.OUTPUT
        Engine.get_tensor_dtype = lambda self, name: "float32"
    else:
        Engine.num_bindings = property(lambda self: len(self.names))
        Engine.get_binding_name = lambda self, i: self.names[i]
        Engine.get_binding_shape = lambda self, i: self.shapes[self.names[i]]
        Engine.binding_is_input = lambda self, i: i == 0
        Engine.get_binding_dtype = lambda self, i: "float32"

    class Context:
        def __init__(self, engine: Engine) -> None:
            self.engine = engine
            self.addresses: dict[str, int] = {}

        def _compute(self, addresses: dict[str, int]) -> bool:
            x = memory[addresses["images"]].view(np.float32)
            for k, name in enumerate(self.engine.names[1:]):
                out = memory[addresses[name]].view(np.float32)
                out[:] = np.float32(k + 1) + x.mean()  # output k = k + 1 + mean(input)
            return True

    if tensor_api:
        def set_input_shape(self, name, shape):
            calls.append(("set_input_shape", name, tuple(shape)))

        def set_tensor_address(self, name, address):
            calls.append(("set_tensor_address", name))
            self.addresses[name] = address

        def execute_async_v3(self, stream_handle):
            calls.append(("execute_async_v3", stream_handle))
            return self._compute(self.addresses)

        Context.set_input_shape, Context.set_tensor_address = set_input_shape, set_tensor_address
        Context.execute_async_v3 = execute_async_v3
    else:
        def set_binding_shape(self, index, shape):
            calls.append(("set_binding_shape", index, tuple(shape)))

        def execute_async_v2(self, bindings, stream_handle):
            calls.append(("execute_async_v2", len(bindings), stream_handle))
            return self._compute(dict(zip(self.engine.names, bindings, strict=True)))

        Context.set_binding_shape, Context.execute_async_v2 = set_binding_shape, execute_async_v2

    class Runtime:
        def __init__(self, logger: Logger) -> None:
            calls.append(("Runtime",))

        def deserialize_cuda_engine(self, data: bytes) -> Engine | None:
            calls.append(("deserialize_cuda_engine", len(data)))
            if not data.startswith(ENGINE_MAGIC):
                return None
            return Engine(json.loads(data[len(ENGINE_MAGIC):]))

    trt.Logger, trt.Runtime, trt.TensorIOMode = Logger, Runtime, TensorIOMode
    trt.nptype = lambda dtype: np.float32
    return trt


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
