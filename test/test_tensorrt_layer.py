"""TensorRT layer: engine-cache decisions (real), and the backend's exact TensorRT/pycuda calls through
a TEST DOUBLE (test/fakes/fake_tensorrt.py): TensorRT cannot be installed on our machines."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest
from fakes import fake_tensorrt

from yolo_nano_ros.errors import ModelLoadError
from yolo_nano_ros.model.config import YoloNanoConfig
from yolo_nano_ros.runtime.backends.tensorrt.backend import GpuUnavailableError, TensorRTBackend
from yolo_nano_ros.runtime.backends.tensorrt.engine_cache import (
    EngineMismatchError,
    EngineSidecar,
    Platform,
    Precision,
    decide,
    default_engine_path,
    file_sha256,
)
from yolo_nano_ros.runtime.detector import Detector

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
    """A real photo through Detector -> TensorRTBackend -> the fake engine -> the decoder and NMS.

    The fake engine fills output k with k + 1 + mean(input), so every cell of a level has one logit and
    every detection's score is sigmoid(logit)^2 (objectness x class): the scores prove the image reached
    the engine and the decoder read the maps it returned.
    """
    import cv2
    from conftest_data import coco128_images

    from yolo_nano_ros.runtime.postprocess import sigmoid

    fake_tensorrt.install(monkeypatch, "10.3.0")
    detector = Detector(TensorRTBackend(write_engine(tmp_path)))
    image = cv2.cvtColor(cv2.imread(str(coco128_images(1)[0])), cv2.COLOR_BGR2RGB)
    result = detector.detect(image)
    assert detector.class_names == CFG.class_names
    d = result.detections
    assert 0 < len(d) <= detector.settings.max_detections
    mean = float(detector.preprocess(image)[0].mean())
    level_scores = [float(sigmoid(np.float64(k + 1 + mean)) ** 2) for k in range(3)]
    assert all(min(abs(s - ls) for ls in level_scores) < 1e-4 for s in d.scores), (d.scores[:5], level_scores)
    assert abs(float(d.scores.max()) - max(level_scores)) < 1e-4
    h, w = image.shape[:2]
    assert d.boxes.min() >= 0 and d.boxes[:, [0, 2]].max() <= w and d.boxes[:, [1, 3]].max() <= h


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


# ---- engine builder through the TEST DOUBLE (fake Builder/OnnxParser/config), on the shipped real ONNX

REPO = Path(__file__).resolve().parents[1]
DEMO_ONNX = REPO / "models" / "yolo_nano_coco128_voc.onnx"
SAMPLE_IMAGES = REPO / "data" / "samples" / "images"


def test_build_fp16_engine_tensorrt10_writes_sidecar_and_loads(monkeypatch, tmp_path, capsys):
    from yolo_nano_ros.runtime.backends.tensorrt.engine_builder import BuildSettings, build_engine

    calls = fake_tensorrt.install(monkeypatch, "10.3.0")
    engine = build_engine(BuildSettings(DEMO_ONNX, tmp_path / "demo.engine", Precision.FP16, workspace_mb=512))
    names = calls.names()
    assert ("create_network", 0) in calls  # TensorRT 10: explicit batch is implied, flags 0
    assert ("set_memory_pool_limit", "WORKSPACE", 512 << 20) in calls
    assert ("build_serialized_network", ("FP16",)) in calls
    assert names.index("OnnxParser.parse") < names.index("build_serialized_network")
    assert names[-2:] == ["ctx.pop", "ctx.detach"]  # the CUDA context is released even on success
    assert "Building engine (1 steps)" in capsys.readouterr().out  # progress monitor printed the phase
    sidecar = EngineSidecar.read(engine)
    assert sidecar.onnx_sha256 == file_sha256(DEMO_ONNX)
    assert (sidecar.tensorrt_version, sidecar.compute_capability, sidecar.precision) == ("10.3.0", "8.7", "fp16")
    assert sidecar.input_shape == (1, 3, 320, 320) and len(sidecar.class_names) == 20
    # The built file is what the backend then loads: (1, 75, 40, 40) etc. in stride order.
    backend = TensorRTBackend(engine)
    outs = backend.infer(np.zeros((1, 3, 320, 320), np.float32))
    assert [o.shape for o in outs] == [(1, 75, 40, 40), (1, 75, 20, 20), (1, 75, 10, 10)]


def test_build_int8_calibrates_on_real_images_once_then_reuses_the_cache(monkeypatch, tmp_path):
    from yolo_nano_ros.runtime.backends.tensorrt.engine_builder import BuildSettings, build_engine

    calls = fake_tensorrt.install(monkeypatch, "10.3.0")
    cache = tmp_path / "calib.cache"
    settings = BuildSettings(DEMO_ONNX, tmp_path / "a.engine", Precision.INT8, calib_images=SAMPLE_IMAGES,
                             calib_cache=cache)
    build_engine(settings)
    n_images = len(list(SAMPLE_IMAGES.glob("*.jpg")))
    assert ("calibrated", n_images) in calls and cache.read_bytes() == b"fake calibration table"
    assert calls.names().count("memcpy_htod") == n_images
    assert ("memcpy_htod", 3 * 320 * 320 * 4) in calls  # letterboxed float32 NCHW, as the runtime feeds
    assert ("build_serialized_network", ("FP16", "INT8")) in calls  # FP16 fallback for non-INT8 layers
    calls.clear()
    build_engine(BuildSettings(DEMO_ONNX, tmp_path / "b.engine", Precision.INT8, calib_cache=cache))
    assert ("calibration cache used",) in calls and "memcpy_htod" not in calls.names()


def test_build_tensorrt85_uses_explicit_batch_and_has_no_progress_monitor(monkeypatch, tmp_path):
    from yolo_nano_ros.runtime.backends.tensorrt.engine_builder import BuildSettings, build_engine

    calls = fake_tensorrt.install(monkeypatch, "8.5.2")
    build_engine(BuildSettings(DEMO_ONNX, tmp_path / "m.engine", Precision.FP16, dla_core=0))
    assert "IProgressMonitor.__init__" not in calls.names()
    assert ("set_flag", "GPU_FALLBACK") in calls  # DLA with GPU fallback
    assert EngineSidecar.read(tmp_path / "m.engine").dla_core == 0


def test_build_errors_are_clear(monkeypatch, tmp_path):
    from yolo_nano_ros.runtime.backends.tensorrt.engine_builder import BuildSettings, build_engine

    calls = fake_tensorrt.install(monkeypatch, "10.3.0")
    with pytest.raises(ModelLoadError, match="INT8 needs --calib-images"):
        build_engine(BuildSettings(DEMO_ONNX, tmp_path / "m.engine", Precision.INT8))
    assert calls.names()[-2:] == ["ctx.pop", "ctx.detach"]
    bare = tmp_path / "bare.onnx"
    import onnx

    proto = onnx.load(str(DEMO_ONNX))
    del proto.metadata_props[:]
    onnx.save(proto, str(bare))
    with pytest.raises(ModelLoadError, match="yolo-nano export"):
        build_engine(BuildSettings(bare, tmp_path / "m.engine"))


def test_an_engine_reached_through_a_link_out_of_the_model_folder_is_refused(monkeypatch, tmp_path):
    """Engines can carry plugins (native code): only files in the model's folder or the engine cache load."""
    from yolo_nano_ros.runtime.backend_select import select_backend

    fake_tensorrt.install(monkeypatch, "10.3.0")
    elsewhere, models = tmp_path / "elsewhere", tmp_path / "models"
    elsewhere.mkdir()
    models.mkdir()
    real = write_engine(elsewhere)
    for path in elsewhere.iterdir():  # the engine and its sidecar, planted as links
        (models / path.name).symlink_to(path)
    with pytest.raises(ModelLoadError, match=r"refusing TensorRT engine .*outside the model's folder"):
        select_backend(models / real.name, "tensorrt", log=lambda _m: None)
    assert select_backend(real, "tensorrt", log=lambda _m: None).backend.name == "tensorrt:v3"


# ---- several frames per call (one detector for N cameras): an optimization profile for 1..max_batch


def frames_of(*values: float) -> np.ndarray:
    return np.stack([np.full((3, 320, 320), v, np.float32) for v in values])


@pytest.mark.parametrize("version", ["10.3.0", "8.5.2"])
def test_max_batch_builds_a_profile_and_every_frame_of_a_batch_gets_its_own_maps(monkeypatch, tmp_path, version):
    from yolo_nano_ros.runtime.backends.tensorrt.engine_builder import BuildSettings, build_engine

    calls = fake_tensorrt.install(monkeypatch, version)
    engine = build_engine(BuildSettings(DEMO_ONNX, tmp_path / "b4.engine", max_batch=4))
    assert ("profile.set_shape", "images", (1, 3, 320, 320), (4, 3, 320, 320), (4, 3, 320, 320)) in calls
    sidecar = EngineSidecar.read(engine)
    assert sidecar.max_batch == 4 and sidecar.input_shape == (1, 3, 320, 320)
    backend = TensorRTBackend(engine)
    assert backend.batch_axis and backend.max_batch == 4
    assert calls.names().count("mem_alloc") == 4 + 0  # one buffer per tensor, sized for four frames
    shape_call = "set_input_shape" if version.startswith("10") else "set_binding_shape"
    calls.clear()
    maps = backend.infer(frames_of(0.1, 0.2, 0.3))
    assert [m.shape for m in maps] == [(3, 75, 40, 40), (3, 75, 20, 20), (3, 75, 10, 10)]
    # fake output k of frame i = k + 1 + mean(frame i): each frame's rows are its own
    np.testing.assert_allclose([[m[i].mean() for i in range(3)] for m in maps],
                               [[1.1, 1.2, 1.3], [2.1, 2.2, 2.3], [3.1, 3.2, 3.3]], rtol=1e-6)
    assert [c for c in calls if c[0] == shape_call] == [(shape_call, *(("images",) if shape_call == "set_input_shape"
                                                                       else (0,)), (3, 3, 320, 320))]
    backend.infer(frames_of(0.5, 0.5, 0.5))
    assert calls.names().count(shape_call) == 1, "the shape is set only when the batch size changes"
    six = backend.infer(frames_of(*(i / 10 for i in range(6))))  # more than the profile: run in parts
    np.testing.assert_allclose([six[0][i].mean() for i in range(6)], [1.0, 1.1, 1.2, 1.3, 1.4, 1.5], rtol=1e-6)
    with pytest.raises(ValueError, match=r"does not match the engine's \(1\.\.4, 3, 320, 320\)"):
        backend.infer(np.zeros((2, 3, 64, 64), np.float32))


def test_a_fixed_batch_onnx_builds_for_one_frame_per_call_and_says_so(monkeypatch, tmp_path, capsys):
    from yolo_nano_ros.runtime.backends.tensorrt.engine_builder import BuildSettings, build_engine
    from yolo_nano_ros.runtime.model_info import save_with_batch

    calls = fake_tensorrt.install(monkeypatch, "10.3.0")
    fixed = save_with_batch(DEMO_ONNX, tmp_path / "fixed.onnx", batch=1)
    engine = build_engine(BuildSettings(fixed, tmp_path / "fixed.engine", max_batch=4))
    assert "has a fixed batch of 1: building for one frame per call" in capsys.readouterr().out
    assert "add_optimization_profile" not in calls.names() and EngineSidecar.read(engine).max_batch == 1
    backend = TensorRTBackend(engine)
    assert not backend.batch_axis and backend.max_batch == 1
    assert len(backend.infer(frames_of(0.1, 0.2))[0]) == 2  # a batch still works, one frame per call


def test_a_dynamic_onnx_without_a_profile_fails_to_build_in_the_double_as_in_tensorrt(monkeypatch, tmp_path):
    """The double refuses what TensorRT refuses, so a builder that forgot the profile cannot pass: here the
    builder is told the input has a fixed batch while the graph keeps its batch axis."""
    from yolo_nano_ros.runtime.backends.tensorrt import engine_builder

    calls = fake_tensorrt.install(monkeypatch, "10.3.0")
    real = engine_builder.read_onnx_model

    def as_if_fixed(path: Path, overrides=None):
        info, config, dims = real(path, overrides)
        return info, config, (1, *dims[1:])

    monkeypatch.setattr(engine_builder, "read_onnx_model", as_if_fixed)
    with pytest.raises(ModelLoadError, match="engine build failed"):
        engine_builder.build_engine(engine_builder.BuildSettings(DEMO_ONNX, tmp_path / "x.engine"))
    assert ("build failed: dynamic input without an optimization profile",) in calls


def test_decide_rebuilds_an_engine_for_fewer_frames_than_max_batch_when_it_can(onnx_file, tmp_path):
    assert default_engine_path(onnx_file, PLATFORM, Precision.FP16, max_batch=4).name == \
        "model.fp16.b4.trt10.3.0.orin_fake_sm8.7.engine"
    engine = write_engine(tmp_path, onnx_sha=file_sha256(onnx_file))  # sidecar: max_batch 1
    d = decide(engine, onnx_file, PLATFORM, Precision.FP16, max_batch=4)
    assert d.rebuild and "built for up to 1 frames per call, max_batch 4 wanted" in d.reason
    d = decide(engine, None, PLATFORM, Precision.FP16, max_batch=4)
    assert not d.rebuild and "larger batches run in parts" in d.reason
    assert not decide(engine, onnx_file, PLATFORM, Precision.FP16, max_batch=1).rebuild


def test_detector_batches_cameras_through_a_tensorrt_profile_engine(monkeypatch, tmp_path):
    """select_backend(max_batch=3) builds a 1..3 engine beside the ONNX; detect_many sends three photos of
    three sizes in one call and each frame's scores come from its own image (the double's maps follow
    each frame's mean)."""
    import shutil

    import cv2
    from conftest_data import coco128_images

    from yolo_nano_ros.runtime.backend_select import select_backend
    from yolo_nano_ros.runtime.postprocess import sigmoid

    fake_tensorrt.install(monkeypatch, "10.3.0")
    onnx = Path(shutil.copy(DEMO_ONNX, tmp_path / "demo.onnx"))
    selection = select_backend(onnx, "tensorrt", max_batch=3, log=lambda _m: None)
    assert selection.backend.batch_axis and list(tmp_path.glob("demo.fp16.b3.*.engine"))
    detector = Detector(selection.backend)
    photos = [cv2.cvtColor(cv2.imread(str(p)), cv2.COLOR_BGR2RGB) for p in coco128_images(3)]
    frames = [(cv2.resize(photos[0], (640, 480)), "rgb"), (cv2.resize(photos[1], (320, 240)), "rgb"),
              (cv2.resize(photos[2], (800, 600)), "rgb")]
    results = detector.detect_many(frames)
    assert detector.calls == {3: 1}
    for (image, _), result in zip(frames, results, strict=True):
        mean = float(detector.preprocess(image)[0].mean())
        top = max(float(sigmoid(np.float64(k + 1 + mean)) ** 2) for k in range(3))
        assert abs(float(result.detections.scores.max()) - top) < 1e-4
        h, w = image.shape[:2]
        assert result.detections.boxes[:, [0, 2]].max() <= w and result.detections.boxes[:, [1, 3]].max() <= h


def test_an_any_size_ultralytics_export_builds_a_square_engine_that_reads_as_its_onnx(monkeypatch, tmp_path):
    """Height and width free in the ONNX (Ultralytics' dynamic=True): the engine is built for input_size
    squares (the graph TensorRT parses has them fixed), the sidecar keeps the layout and class names, and the
    engine is fed squares (rect_stride 0) while ONNX Runtime would pad to the stride only."""
    from synthetic_onnx import constant_model, detect_head, ultralytics_metadata

    from yolo_nano_ros.runtime.backends.tensorrt.engine_builder import BuildSettings, build_engine
    from yolo_nano_ros.runtime.output_layouts import OutputLayout

    calls = fake_tensorrt.install(monkeypatch, "10.3.0")
    onnx_path = constant_model(tmp_path / "yolo11n.onnx", detect_head([[32, 16, 16, 16]], [[0, 0, 0.9]]),
                               ultralytics_metadata(), dynamic=True)
    engine = build_engine(BuildSettings(onnx_path, tmp_path / "yolo11n.engine", max_batch=2))
    assert ("profile.set_shape", "images", (1, 3, 64, 64), (2, 3, 64, 64), (2, 3, 64, 64)) in calls
    sidecar = EngineSidecar.read(engine)
    assert sidecar.input_shape == (1, 3, 64, 64) and sidecar.class_names == ("person", "bicycle", "car")
    info = TensorRTBackend(engine).info
    assert (info.layout, info.rect_stride, info.input_size) == (OutputLayout.ULTRALYTICS_DETECT, 0, 64)
