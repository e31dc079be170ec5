"""`yolo-nano quantize`: INT8 post-training quantization for the CPU backends, calibrated on real images.

Both methods write a QDQ ONNX file (our metadata kept, plus `quantization`), so every loader and the
evaluator take it as they take the float model. Measured on the demo weights (docs/benchmarks.md):
ONNX Runtime's static QDQ (the default) costs under 1 point of mAP@0.5 and runs as INT8 on both CPU
backends; NNCF's default scheme is a little faster on OpenVINO but cost 11 points on this model, and
ONNX Runtime runs NNCF's layout slower than FP32. Check accuracy with `yolo-nano evaluate` either way.
"""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np

from yolo_nano_ros.errors import ConfigError, ModelLoadError
from yolo_nano_ros.runtime.calibration import calibration_batches
from yolo_nano_ros.runtime.model_info import (
    QUANTIZATION_KEY,
    ModelOverrides,
    add_metadata_props,
    describe_onnx_proto,
    has_dynamic_batch,
    metadata_props,
    onnx_value_shape,
    onnx_with_input_size,
    save_with_batch,
)

Method = Literal["onnxruntime", "nncf"]
METHODS: tuple[Method, ...] = ("onnxruntime", "nncf")


@dataclass(frozen=True)
class QuantizeSettings:
    model: Path
    out: Path
    calib_images: Path
    method: Method = "onnxruntime"
    calib_limit: int = 128
    overrides: ModelOverrides | None = None  # layout / class names the file lacks


def default_output(model: Path, method: Method) -> Path:
    return model.with_name(f"{model.stem}.int8-{method}.onnx")


def read_metadata(path: Path) -> dict[str, str]:
    import onnx

    return metadata_props(onnx.load(str(path), load_external_data=False))


def quantize_model(s: QuantizeSettings, log: Callable[[str], None] = print) -> Path:
    if s.method not in METHODS:
        raise ConfigError(f"method must be one of {', '.join(METHODS)}, got {s.method!r}")
    if not s.model.is_file():
        raise ModelLoadError(f"model not found: {s.model}")
    import onnx

    proto = onnx.load(str(s.model), load_external_data=False)  # read once: metadata, layout, input shape
    meta, info = metadata_props(proto), describe_onnx_proto(s.model, proto, s.overrides)
    input_shape = onnx_value_shape(proto.graph.input[0])
    if QUANTIZATION_KEY in meta:
        raise ModelLoadError(f"{s.model} is already quantized ({meta[QUANTIZATION_KEY]})")
    if info.uint8_input:
        raise ModelLoadError("quantize the float-input export (the CPU backends normalise on the CPU anyway)")
    size = info.input_size
    batches = list(calibration_batches(s.calib_images, size, False, s.calib_limit))
    if not batches:
        raise ModelLoadError(f"no readable calibration images under {s.calib_images}")
    log(f"calibrating on {len(batches)} letterboxed images from {s.calib_images} ({s.method})")
    t0 = time.perf_counter()
    s.out.parent.mkdir(parents=True, exist_ok=True)
    model, out = s.model.resolve(), s.out.resolve()
    # Everything the quantizers write goes to a temporary folder, removed on failure too: the working
    # directory is theirs while they run (see working_directory).
    with tempfile.TemporaryDirectory(prefix="yolo_nano_quantize_") as tmp, working_directory(Path(tmp)):
        # The quantizers' shape inference needs every dimension: calibrate a batch-1 copy (of input_size
        # squares, for an any-size export: the INT8 file takes those), then give the result the input's
        # batch axis back.
        dynamic = has_dynamic_batch(model)
        source = model
        if len(input_shape) == 4 and None in input_shape[2:]:  # an any-size export
            source = Path(tmp) / "fixed_size.onnx"
            source.write_bytes(onnx_with_input_size(model, size))
        if dynamic:
            source = save_with_batch(source, Path(tmp) / "batch1.onnx", batch=1)
        if s.method == "onnxruntime":
            quantize_with_onnxruntime(source, out, batches)
        else:
            quantize_with_nncf(source, out, batches)
        if dynamic:
            save_with_batch(out, out)
    description = (f"int8 static QDQ by {s.method}, per-channel weights, calibrated on {len(batches)} "
                   f"images from {s.calib_images.name}")
    write_metadata(s.out, {**meta, QUANTIZATION_KEY: description})
    log(f"wrote {s.out} in {time.perf_counter() - t0:.1f} s")
    return s.out


def quantize_with_onnxruntime(model: Path, out: Path, batches: list[np.ndarray]) -> None:
    from onnxruntime.quantization import CalibrationDataReader, QuantFormat, QuantType, quantize_static
    from onnxruntime.quantization.shape_inference import quant_pre_process

    class Reader(CalibrationDataReader):
        def __init__(self) -> None:
            self.remaining = iter(batches)

        def get_next(self) -> dict[str, np.ndarray] | None:
            batch = next(self.remaining, None)
            return None if batch is None else {"images": batch}

    with tempfile.TemporaryDirectory() as tmp:
        prepared = Path(tmp) / "prepared.onnx"
        try:  # shape inference + fusions the quantizer expects
            quant_pre_process(str(model), str(prepared))
        except Exception as exc:  # ONNX Runtime raises a bare Exception ("Incomplete symbolic shape inference")
            raise ModelLoadError(f"ONNX Runtime's quantization pre-processing failed on {model}: {exc}") from None
        # U8 activations / S8 weights, per channel: ONNX Runtime's documented default for x86 CPUs.
        quantize_static(str(prepared), str(out), Reader(), quant_format=QuantFormat.QDQ, per_channel=True,
                        activation_type=QuantType.QUInt8, weight_type=QuantType.QInt8)


@contextmanager
def working_directory(path: Path) -> Iterator[None]:
    """Run inside `path`: ONNX Runtime's symbolic shape inference saves `sym_shape_infer_temp.onnx` and its
    external-data files into the current directory when it fails (onnxruntime/tools/symbolic_shape_infer.py),
    which left 69 MB in our repository once. contextlib.chdir is Python 3.11+; the package supports 3.10.
    The working directory is process-wide: quantize is a command-line job, never run inside a node."""
    previous = Path.cwd()
    os.chdir(path)
    try:
        yield
    finally:
        os.chdir(previous)


def quantize_with_nncf(model: Path, out: Path, batches: list[np.ndarray]) -> None:
    try:
        import nncf
    except ImportError:
        raise ModelLoadError("--method nncf needs NNCF: pip install nncf (or use --method onnxruntime)") from None
    import onnx

    dataset = nncf.Dataset(batches, lambda batch: {"images": batch})
    quantized = nncf.quantize(onnx.load(str(model)), dataset, subset_size=len(batches))
    onnx.save(quantized, str(out))


def write_metadata(path: Path, meta: dict[str, str]) -> None:
    import onnx

    proto = onnx.load(str(path))
    del proto.metadata_props[:]
    add_metadata_props(proto, meta)
    onnx.save(proto, str(path))
