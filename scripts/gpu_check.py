"""On a real GPU: run TensorRTBackend's pycuda memory path for real, and TensorRT itself where installed.

Step 1 drives real pycuda directly (page-locked buffers, device buffers, one stream, async copies).
Step 2 runs our TensorRTBackend with real pycuda and a LOOPBACK ENGINE DOUBLE in place of TensorRT
(labelled: the engine copies input bytes into each output on the device with memcpy_dtod_async),
so every buffer, address and copy the backend makes touches real GPU memory and is checked byte
for byte. Step 3, only where `import tensorrt` works, builds the shipped ONNX into an FP16 engine
with our builder and compares TensorRTBackend's heads with ONNX Runtime's on a real image.
Exit status 0 = every step that could run passed; each step prints PASS, FAIL or SKIP.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import tempfile
import time
import types
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))


def check_pycuda_round_trip(cuda) -> None:
    device = cuda.Device(0)
    print(f"device: {device.name()}, compute capability {'.'.join(map(str, device.compute_capability()))}")
    context = device.make_context()
    try:
        n = 3 * 416 * 416
        host_in = cuda.pagelocked_empty(n, np.float32)
        host_out = cuda.pagelocked_empty(n, np.float32)
        host_in[:] = np.random.default_rng(0).random(n, dtype=np.float32)
        dev = cuda.mem_alloc(host_in.nbytes)
        stream = cuda.Stream()
        start = time.perf_counter()
        for _ in range(100):
            cuda.memcpy_htod_async(dev, host_in, stream)
            cuda.memcpy_dtoh_async(host_out, dev, stream)
        stream.synchronize()
        seconds = time.perf_counter() - start
        assert np.array_equal(host_in, host_out), "device round trip changed the data"
        print(f"PASS pycuda round trip: {host_in.nbytes / 1e6:.2f} MB x 100 each way, "
              f"{2 * 100 * host_in.nbytes / seconds / 1e9:.1f} GB/s page-locked")
        dev.free()
    finally:
        context.pop()
        context.detach()


def loopback_tensorrt(cuda, input_shape: tuple[int, ...], outputs: dict[str, tuple[int, ...]]):
    """LOOPBACK ENGINE DOUBLE in TensorRT 10's tensor-name API shape (not TensorRT)."""
    trt = types.ModuleType("tensorrt")
    trt.__version__ = "10.0.0-loopback"
    names = ["images", *outputs]
    shapes = {"images": input_shape, **outputs}

    class Logger:
        WARNING = 2

        def __init__(self, level: int) -> None:
            pass

    class TensorIOMode:
        INPUT, OUTPUT = "input", "output"

    class Context:
        def __init__(self) -> None:
            self.addresses: dict[str, int] = {}

        def set_input_shape(self, name: str, shape: tuple[int, ...]) -> None:
            assert tuple(shape) == input_shape

        def set_tensor_address(self, name: str, address: int) -> None:
            self.addresses[name] = address

        def execute_async_v3(self, stream_handle: int) -> bool:
            for name in names[1:]:
                nbytes = int(np.prod(shapes[name])) * 4
                cuda.memcpy_dtod_async(self.addresses[name], self.addresses["images"], nbytes, stream_for[0])
            return True

    stream_for: list = []

    class Engine:
        num_io_tensors = len(names)

        def get_tensor_name(self, i: int) -> str:
            return names[i]

        def get_tensor_shape(self, name: str) -> tuple[int, ...]:
            return shapes[name]

        def get_tensor_mode(self, name: str) -> str:
            return TensorIOMode.INPUT if name == "images" else TensorIOMode.OUTPUT

        def get_tensor_dtype(self, name: str) -> str:
            return "float32"

        def create_execution_context(self) -> Context:
            return Context()

    class Runtime:
        def __init__(self, logger: Logger) -> None:
            pass

        def deserialize_cuda_engine(self, data: bytes) -> Engine:
            return Engine()

    trt.Logger, trt.Runtime, trt.TensorIOMode = Logger, Runtime, TensorIOMode
    trt.nptype = lambda dtype: np.float32
    return trt, stream_for


def check_backend_memory_path(cuda) -> None:
    from yolo_nano_ros.model.config import YoloNanoConfig
    from yolo_nano_ros.runtime.backends.tensorrt.backend import TensorRTBackend
    from yolo_nano_ros.runtime.backends.tensorrt.engine_cache import EngineSidecar

    cfg = YoloNanoConfig(input_size=320)
    outputs = {"head_s8": (1, 75, 40, 40), "head_s16": (1, 75, 20, 20), "head_s32": (1, 75, 10, 10)}
    trt, stream_for = loopback_tensorrt(cuda, (1, 3, 320, 320), outputs)
    sys.modules["tensorrt"] = trt
    real_stream = cuda.Stream

    def recording_stream(*args, **kwargs):  # the double needs the backend's stream object for its dtod copies
        stream = real_stream(*args, **kwargs)
        stream_for[:] = [stream]
        return stream

    cuda.Stream = recording_stream
    try:
        with tempfile.TemporaryDirectory() as tmp:
            engine = Path(tmp) / "loopback.engine"
            engine.write_bytes(b"loopback")
            EngineSidecar("0" * 64, trt.__version__, "gpu", "0.0", "fp32", (1, 3, 320, 320), cfg.class_names,
                          cfg.to_dict()).write(engine)
            backend = TensorRTBackend(engine)
            batch = np.random.default_rng(1).random((1, 3, 320, 320), dtype=np.float32)
            heads = backend.infer(batch)
            flat = batch.ravel()
            for head in heads:
                assert np.array_equal(head.ravel(), flat[: head.size]), "a head did not come back byte for byte"
            backend.close()
        print(f"PASS TensorRTBackend on real pycuda (loopback engine double): {[h.shape for h in heads]}")
    finally:
        cuda.Stream = real_stream
        del sys.modules["tensorrt"]


def check_tensorrt_build_and_parity() -> bool:
    try:
        import tensorrt
    except ImportError:
        print("SKIP TensorRT build and parity: tensorrt is not installed on this machine")
        return True
    import cv2
    import onnxruntime as ort

    from yolo_nano_ros.runtime.backends.tensorrt.backend import TensorRTBackend
    from yolo_nano_ros.runtime.backends.tensorrt.engine_builder import BuildSettings, build_engine
    from yolo_nano_ros.runtime.backends.tensorrt.engine_cache import Precision
    from yolo_nano_ros.runtime.preprocess import letterbox, to_input_tensor

    onnx_path = REPO / "models" / "yolo_nano_coco128_voc.onnx"
    image = next(iter(sorted((REPO / "data" / "samples" / "images").glob("*.jpg"))))
    boxed, _ = letterbox(cv2.cvtColor(cv2.imread(str(image)), cv2.COLOR_BGR2RGB), 320)
    batch = to_input_tensor(boxed)
    reference = ort.InferenceSession(str(onnx_path), providers=["CPUExecutionProvider"]).run(None, {"images": batch})
    ok = True
    with tempfile.TemporaryDirectory() as tmp:
        for precision in (Precision.FP32, Precision.FP16):
            engine = build_engine(BuildSettings(onnx_path, Path(tmp) / f"m.{precision.value}.engine", precision))
            backend = TensorRTBackend(engine)
            heads = backend.infer(batch)
            diff = max(float(np.abs(a - b).max()) for a, b in zip(heads, reference, strict=True))
            start = time.perf_counter()
            for _ in range(200):
                backend.infer(batch)
            ms = (time.perf_counter() - start) / 200 * 1e3
            backend.close()
            limit = 1e-3 if precision is Precision.FP32 else 5e-2
            status = "PASS" if diff < limit else "FAIL"
            ok &= status == "PASS"
            print(f"{status} TensorRT {tensorrt.__version__} {precision.value}: max |TRT - ORT| = {diff:.2e} "
                  f"(limit {limit}), {ms:.2f} ms per inference incl. copies")
    return ok


GPU_TRAINING_MARKERS = ("<!-- gpu-training:start -->", "<!-- gpu-training:end -->")


def check_training_throughput() -> bool:
    """images/s of `yolo-nano train` at 416 with AMP on one GPU and, with DDP, on every GPU of the machine;
    written to docs/benchmarks.md between the gpu-training markers, with the GPU named."""
    import torch

    from yolo_nano_ros.benchmarks.train_speed import TrainSpeedSettings, format_train_speed, train_speed

    if not torch.cuda.is_available():
        print("SKIP training throughput: torch has no CUDA here")
        return True
    gpus = torch.cuda.device_count()
    rows = train_speed(TrainSpeedSettings(REPO / "data" / "coco128", "cuda", gpus, 416, 16, 2, 4))
    name = f"{gpus} x {torch.cuda.get_device_name(0)}, torch {torch.__version__}"
    text = format_train_speed(rows, name)
    if gpus == 1:
        text += "\n\nOne GPU on this machine: no DDP scaling measured."
    print(text)
    doc = REPO / "docs" / "benchmarks.md"
    body = doc.read_text()
    start, end = GPU_TRAINING_MARKERS
    if start in body and end in body:
        head, rest = body.split(start, 1)
        body = head + start + "\n" + text + "\n" + end + rest.split(end, 1)[1]
        doc.write_text(body)
        out = os.environ.get("OUT")  # a lent machine returns only what is under $OUT
        if out:
            shutil.copyfile(doc, Path(out) / "benchmarks.md")
    return True


def main() -> int:
    try:
        import pycuda.driver as cuda
    except ImportError as exc:
        print(f"FAIL pycuda does not import: {exc}")
        return 1
    cuda.init()
    if cuda.Device.count() == 0:
        print("FAIL no CUDA device")
        return 1
    results = {}
    for name, check in (("pycuda_round_trip", lambda: check_pycuda_round_trip(cuda) or True),
                        ("backend_memory_path", lambda: check_backend_memory_path(cuda) or True),
                        ("tensorrt", check_tensorrt_build_and_parity),
                        ("training_throughput", check_training_throughput)):
        try:
            results[name] = bool(check())
        except Exception as exc:  # report every failure and go on to the next step
            print(f"FAIL {name}: {type(exc).__name__}: {exc}")
            results[name] = False
    print(json.dumps(results))
    return 0 if all(results.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
