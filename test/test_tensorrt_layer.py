"""TensorRT layer: engine-cache decisions (real), and the backend's exact TensorRT/pycuda calls through
a TEST DOUBLE (test/fakes/fake_tensorrt.py): TensorRT cannot be installed on our machines."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest
from fakes import fake_tensorrt

from yolo_nano_ros.model.config import YoloNanoConfig
from yolo_nano_ros.runtime.backends.tensorrt_backend import GpuUnavailableError, TensorRTBackend
from yolo_nano_ros.runtime.detector import Detector
from yolo_nano_ros.runtime.engine_cache import (
    EngineMismatchError,
    EngineSidecar,
    Platform,
    Precision,
    decide,
    default_engine_path,
    file_sha256,
)
from yolo_nano_ros.runtime.model_info import ModelLoadError

CFG = YoloNanoConfig(input_size=64)
OUTPUTS = {"head_s16": (1, 75, 4, 4), "head_s32": (1, 75, 2, 2), "head_s8": (1, 75, 8, 8)}  # name order != stride order
PLATFORM = Platform("10.3.0", "Orin (fake)", "8.7")


def write_engine(tmp_path: Path, platform: Platform = PLATFORM, onnx_sha: str = "0" * 64) -> Path:
    engine = tmp_path / "m.engine"
    engine.write_bytes(fake_tensorrt.fake_engine_bytes((1, 3, 64, 64), OUTPUTS))
    EngineSidecar(onnx_sha, platform.tensorrt_version, platform.gpu_name, platform.compute_capability, "fp16",
                  (1, 3, 64, 64), CFG.class_names, CFG.to_dict()).write(engine)
    return engine


def test_tensorrt10_tensor_api_calls_and_data_path(monkeypatch, tmp_path):
    calls = fake_tensorrt.install(monkeypatch, "10.3.0")
    backend = TensorRTBackend(write_engine(tmp_path))
    assert backend.name == "tensorrt:v3" and backend.precision == "fp16"
    assert ("set_input_shape", "images", (1, 3, 64, 64)) in calls
    assert sorted(c[1] for c in calls if c[0] == "set_tensor_address") == sorted(["images", *OUTPUTS])
    assert calls.names().count("execute_async_v3") == 3  # warm-up
    assert "execute_async_v2" not in calls.names()

    x = np.full((1, 3, 64, 64), 0.25, np.float32)
    maps = backend.infer(x)
    # Stride order (8, 16, 32) whatever the engine's names; fake output k = k + 1 + mean(input).
    assert [m.shape for m in maps] == [(1, 75, 8, 8), (1, 75, 4, 4), (1, 75, 2, 2)]
    np.testing.assert_allclose([m.mean() for m in maps], [3.25, 1.25, 2.25])
    allocs = calls.names().count("mem_alloc")
    backend.infer(x * 2)
    assert calls.names().count("mem_alloc") == allocs == 4, "buffers must be allocated once and reused"
    assert calls[-1] == ("ctx.pop",), "the CUDA context is popped after every call"
    backend.close()


def test_tensorrt85_binding_api_fallback(monkeypatch, tmp_path):
    calls = fake_tensorrt.install(monkeypatch, "8.5.2")
    backend = TensorRTBackend(write_engine(tmp_path, Platform("8.5.2", "Orin (fake)", "8.7")))
    assert backend.name == "tensorrt:v2"
    assert ("set_binding_shape", 0, (1, 3, 64, 64)) in calls
    maps = backend.infer(np.zeros((1, 3, 64, 64), np.float32))
    assert ("execute_async_v2", 4, 0xBEEF) in calls
    assert "execute_async_v3" not in calls.names()
    np.testing.assert_allclose([m.mean() for m in maps], [3.0, 1.0, 2.0])


def test_detector_runs_end_to_end_on_the_fake_engine(monkeypatch, tmp_path):
    fake_tensorrt.install(monkeypatch, "10.3.0")
    detector = Detector(TensorRTBackend(write_engine(tmp_path)))
    result = detector.detect(np.zeros((48, 80, 3), np.uint8))
    assert detector.class_names == CFG.class_names
    assert result.times.infer_ms >= 0 and len(result.detections) <= detector.settings.max_detections


def test_shape_mismatch_bad_engine_and_missing_gpu_are_clear_errors(monkeypatch, tmp_path):
    fake_tensorrt.install(monkeypatch, "10.3.0")
    backend = TensorRTBackend(write_engine(tmp_path))
    with pytest.raises(ValueError, match="does not match"):
        backend.infer(np.zeros((1, 3, 32, 32), np.float32))
    bad = write_engine(tmp_path)
    bad.write_bytes(b"not an engine")
    with pytest.raises(ModelLoadError, match="could not deserialize"):
        TensorRTBackend(bad)
    fake_tensorrt.install(monkeypatch, "10.3.0", device_count=0)
    with pytest.raises(GpuUnavailableError, match="no CUDA device"):
        TensorRTBackend(write_engine(tmp_path))


def test_missing_tensorrt_is_a_clear_error(monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "tensorrt", None)
    with pytest.raises(GpuUnavailableError, match="TensorRT is not installed"):
        TensorRTBackend(tmp_path / "x.engine")


# ---- engine cache: plain Python, no double needed


@pytest.fixture
def onnx_file(tmp_path: Path) -> Path:
    p = tmp_path / "model.onnx"
    p.write_bytes(b"onnx bytes v1")
    return p


def test_engine_name_keys_on_tensorrt_gpu_and_precision(onnx_file):
    path = default_engine_path(onnx_file, PLATFORM, Precision.FP16)
    assert path.name == "model.fp16.trt10.3.0.orin_fake_sm8.7.engine"


def test_decide_build_use_rebuild_and_refuse(onnx_file, tmp_path):
    d = decide(None, onnx_file, PLATFORM, Precision.FP16)
    assert d.rebuild and "no engine" in d.reason
    engine = write_engine(tmp_path, onnx_sha=file_sha256(onnx_file))
    assert not decide(engine, onnx_file, PLATFORM, Precision.FP16).rebuild
    assert not decide(engine, None, PLATFORM, Precision.FP16).rebuild
    assert decide(engine, onnx_file, PLATFORM, Precision.FP16, force_rebuild=True).rebuild

    jetpack_upgrade = Platform("10.7.0", "Orin (fake)", "8.7")
    d = decide(engine, onnx_file, jetpack_upgrade, Precision.FP16)
    assert d.rebuild and "built with TensorRT 10.3.0, running 10.7.0" in d.reason
    with pytest.raises(EngineMismatchError, match=r"built with TensorRT 10\.3\.0.*Pass the ONNX model"):
        decide(engine, None, jetpack_upgrade, Precision.FP16)
    with pytest.raises(EngineMismatchError, match="built for Orin"):
        decide(engine, None, Platform("10.3.0", "Xavier", "7.2"), Precision.FP16)

    onnx_file.write_bytes(b"onnx bytes v2")
    assert "ONNX file changed" in decide(engine, onnx_file, PLATFORM, Precision.FP16).reason


def test_engine_without_sidecar_or_anything_is_explained(tmp_path, onnx_file):
    engine = tmp_path / "orphan.engine"
    engine.write_bytes(b"x")
    with pytest.raises(EngineMismatchError, match="no sidecar"):
        decide(engine, None, PLATFORM, Precision.FP16)
    assert decide(engine, onnx_file, PLATFORM, Precision.FP16).rebuild
    with pytest.raises(ModelLoadError, match="engine not found"):
        decide(tmp_path / "missing.engine", None, PLATFORM, Precision.FP16)
