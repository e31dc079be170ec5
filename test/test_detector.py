"""Detector facade, backend selection and the detect/bench CLI on real images."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest
from conftest_data import COCO128_IMAGES, coco128_images

from yolo_nano_ros.errors import ModelLoadError
from yolo_nano_ros.runtime.backend_select import select_backend
from yolo_nano_ros.runtime.detector import Detector
from yolo_nano_ros.runtime.postprocess import PostprocessSettings

LOW = PostprocessSettings(conf_threshold=1e-5, max_detections=300)  # random weights score ~2e-4


def rgb(path) -> np.ndarray:
    return cv2.cvtColor(cv2.imread(str(path)), cv2.COLOR_BGR2RGB)


def test_auto_picks_the_fastest_cpu_backend_here_and_says_why(exported_model, monkeypatch):
    """No GPU here: OpenVINO when it is installed (make setup installs it), else ONNX Runtime on the CPU."""
    from yolo_nano_ros.runtime import backend_select
    from yolo_nano_ros.runtime.backends import registry

    _, onnx = exported_model
    selection = select_backend(onnx, "auto")
    assert "TensorRT skipped (tensorrt not installed)" in selection.reason
    expected = (("onnxruntime:CPUExecutionProvider", "ONNX Runtime on the CPU")
                if backend_select.openvino_unavailable_reason() else ("openvino:CPU", "OpenVINO on the CPU"))
    assert selection.backend.name == expected[0] and expected[1] in selection.reason
    monkeypatch.setattr(registry, "openvino_unavailable_reason", lambda: "openvino not installed")
    selection = select_backend(onnx, "auto")
    assert selection.backend.name == "onnxruntime:CPUExecutionProvider"
    assert "OpenVINO skipped (openvino not installed)" in selection.reason and "CPU" in selection.reason
    with pytest.raises(ModelLoadError, match="backend openvino requested but openvino not installed"):
        select_backend(onnx, "openvino")


def test_backend_errors_are_clear(exported_model, tmp_path):
    _, onnx = exported_model
    with pytest.raises(ModelLoadError, match="not found"):
        select_backend(tmp_path / "missing.onnx")
    with pytest.raises(ModelLoadError, match="tensorrt requested but tensorrt not installed"):
        select_backend(onnx, "tensorrt")
    with pytest.raises(ModelLoadError, match="unknown backend"):
        select_backend(onnx, "openvino-but-typo")
    broken = tmp_path / "broken.onnx"
    broken.write_bytes(b"\x00not onnx")
    with pytest.raises(ModelLoadError, match="cannot load"):
        select_backend(broken)


@pytest.mark.parametrize(("backend", "suffix"), [("torch", ".onnx"), ("onnxruntime", ".engine"),
                                                 ("openvino", ".pt"), ("tensorrt", ".pt"), ("onnxruntime", ".pt")])
def test_a_backend_that_cannot_run_the_file_is_an_error_naming_both(exported_model, tmp_path, backend, suffix):
    """Never a silent substitute (backend torch with an .onnx used to run ONNX Runtime, logged as torch)."""
    model = tmp_path / f"model{suffix}"
    model.write_bytes(exported_model[1].read_bytes())
    with pytest.raises(ModelLoadError, match=rf"backend {backend} cannot run model\{suffix}: it runs "):
        select_backend(model, backend)


def test_torch_and_onnxruntime_backends_agree_on_real_images(exported_model):
    pt, onnx = exported_model
    torch_det, ort_det = Detector.from_path(pt, "torch", LOW), Detector.from_path(onnx, "onnxruntime", LOW)
    for path in coco128_images(3):
        batch, _ = ort_det.preprocess(rgb(path))
        for a, b in zip(torch_det.backend.infer(batch), ort_det.backend.infer(batch), strict=True):
            assert a.shape == b.shape
            assert np.abs(a - b).max() < 1e-4
        # Detections then come from the one shared decoder; its own tests cover it.


def test_bgr_input_equals_rgb_input():
    """The demo weights find objects in a real photo; the same photo given as bgr gives the same ones,
    and given as bgr but called rgb (channels swapped) does not."""
    from conftest_data import DEMO_MODEL

    det = Detector.from_path(DEMO_MODEL, "onnxruntime", PostprocessSettings(conf_threshold=0.1))
    img = rgb(coco128_images(1)[0])
    a = det.detect(img).detections
    b = det.detect(np.ascontiguousarray(img[:, :, ::-1]), color="bgr").detections
    assert len(a) > 0
    np.testing.assert_array_equal(a.class_ids, b.class_ids)
    np.testing.assert_allclose(a.scores, b.scores, atol=1e-5)
    np.testing.assert_allclose(a.boxes, b.boxes, atol=1e-3)
    swapped = det.detect(np.ascontiguousarray(img[:, :, ::-1])).detections
    assert len(swapped) != len(a) or not np.allclose(swapped.scores, a.scores, atol=1e-3)


def test_boxes_are_in_source_pixels(exported_model):
    det = Detector.from_path(exported_model[1], settings=LOW)
    img = rgb(coco128_images(1)[0])
    d = det.detect(img).detections
    h, w = img.shape[:2]
    assert d.boxes[:, [0, 2]].max() <= w and d.boxes[:, [1, 3]].max() <= h and d.boxes.min() >= 0


def test_detector_rejects_non_images(exported_model):
    det = Detector.from_path(exported_model[1])
    with pytest.raises(ValueError, match="HxWx3 uint8"):
        det.detect(np.zeros((10, 10), np.uint8))


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "yolo_nano_ros.apps.cli", *args], capture_output=True, text=True,
                          timeout=300)


def test_detect_cli_json_and_save(exported_model, tmp_path):
    _, onnx = exported_model
    images = [str(p) for p in coco128_images(2)]
    r = run_cli("detect", *images, "--model", str(onnx), "--conf", "0.00001", "--json", "--save", str(tmp_path / "out"))
    assert r.returncode == 0, r.stderr
    lines = [json.loads(line) for line in r.stdout.splitlines()]
    assert [d["image"] for d in lines] == images
    assert all(d["detections"] for d in lines)
    for d in lines:
        for det in d["detections"]:
            assert set(det) == {"bbox", "class_id", "class_name", "score"} and len(det["bbox"]) == 4
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == sorted(p.rsplit("/", 1)[1] for p in images)
    assert r.stderr.startswith("backend: ") and ("onnxruntime" in r.stderr or "openvino" in r.stderr)


def test_detect_cli_on_a_video_and_a_corrupt_image(exported_model, tmp_path):
    _, onnx = exported_model
    video = tmp_path / "clip.avi"
    writer = cv2.VideoWriter(str(video), cv2.VideoWriter_fourcc(*"MJPG"), 10, (320, 240))
    for path in coco128_images(3):
        writer.write(cv2.resize(cv2.imread(str(path)), (320, 240)))
    writer.release()
    corrupt = tmp_path / "corrupt.jpg"
    corrupt.write_bytes((COCO128_IMAGES / "000000000009.jpg").read_bytes()[:200])
    r = run_cli("detect", str(video), str(corrupt), "--model", str(onnx), "--json")
    names = [json.loads(line)["image"] for line in r.stdout.splitlines()]
    assert names == [f"{video}#{i:06d}" for i in range(3)]
    assert "cannot read" in r.stderr and r.returncode == 1


def test_bench_cli_prints_stage_percentiles(exported_model):
    r = run_cli("bench", "detector", "--model", str(exported_model[1]), "--runs", "5",
                "--image", str(coco128_images(1)[0]))
    assert r.returncode == 0, r.stderr
    for stage in ("pre", "infer", "post", "total"):
        assert any(line.startswith(stage) and len(line.split()) == 4 for line in r.stdout.splitlines()), r.stdout


def test_bench_stages_runs_the_shipped_weights_at_416_on_real_frames():
    from yolo_nano_ros.runtime.stage_bench import bench_stages, load_frames

    repo = Path(__file__).resolve().parents[1]
    frames = load_frames(sorted((repo / "data" / "samples" / "images").glob("*.jpg"))[:2], 640, 480)
    report = bench_stages(repo / "models" / "yolo_nano_coco128_voc.onnx", frames, input_size=416, runs=4)
    assert report.raw_candidates == 10647 and report.frame_shape == (480, 640)
    assert set(report.stages) == {"letterbox", "normalise", "inference", "decode_nms", "unletterbox"}
    assert all(s["n"] == 4 and s["p50"] > 0 for s in report.stages.values())
    assert 0 < report.around_inference_ratio < 10 and "% of ONNX Runtime CPU inference" in report.to_text()
    with pytest.raises(ValueError, match="multiple of 32"):
        bench_stages(repo / "models" / "yolo_nano_coco128_voc.onnx", frames, input_size=400, runs=1)


def test_a_fixed_size_model_saved_at_another_input_size_runs_there(tmp_path):
    """The node bench's slow case runs the 320 demo weights at 416: graph and metadata must both say so."""
    pytest.importorskip("onnx")
    from yolo_nano_ros.runtime.model_info import save_at_input_size

    repo = Path(__file__).resolve().parents[1]
    out = save_at_input_size(repo / "models" / "yolo_nano_coco128_voc.onnx", 416, tmp_path / "m416.onnx")
    detector = Detector.from_path(out, "onnxruntime")
    assert detector.info.input_size == 416
    batch, _ = detector.preprocess(rgb(coco128_images(1)[0]))
    assert [m.shape[-1] for m in detector.backend.infer(batch)] == [52, 26, 13]
    with pytest.raises(ValueError, match="not a multiple of 32"):
        save_at_input_size(repo / "models" / "yolo_nano_coco128_voc.onnx", 400, tmp_path / "m400.onnx")


@pytest.fixture(scope="module")
def fixed_batch_demo(tmp_path_factory) -> Path:
    """The demo weights with batch fixed at 1 (what `yolo-nano export` without --dynamic-batch writes)."""
    pytest.importorskip("onnx")
    from conftest_data import DEMO_MODEL

    from yolo_nano_ros.runtime.model_info import save_with_batch

    return save_with_batch(DEMO_MODEL, tmp_path_factory.mktemp("fixed") / "demo_batch1.onnx", batch=1)


def test_shipped_demo_has_a_batch_axis_and_one_can_be_added(fixed_batch_demo, tmp_path):
    """One node for several cameras batches with the shipped weights; `yolo-nano export X.onnx
    --dynamic-batch` gives any of our fixed-batch files the same axis."""
    from conftest_data import DEMO_MODEL

    from yolo_nano_ros.runtime.backends.onnxruntime_backend import OnnxRuntimeBackend
    from yolo_nano_ros.runtime.model_info import has_dynamic_batch, save_with_batch

    assert OnnxRuntimeBackend(DEMO_MODEL).batch_axis
    assert not OnnxRuntimeBackend(fixed_batch_demo).batch_axis
    assert has_dynamic_batch(DEMO_MODEL) and not has_dynamic_batch(fixed_batch_demo)
    added = OnnxRuntimeBackend(save_with_batch(fixed_batch_demo, tmp_path / "dyn.onnx"))
    assert added.batch_axis and added.info == OnnxRuntimeBackend(fixed_batch_demo).info
    assert [m.shape[0] for m in added.infer(np.zeros((3, 3, 320, 320), np.float32))] == [3, 3, 3]


@pytest.mark.parametrize("backend", ["onnxruntime", "openvino"])
def test_frames_of_different_sizes_in_one_batch_equal_one_call_each(fixed_batch_demo, backend):
    """Several cameras' frames (sizes, colour orders) in one inference: each frame's boxes as if alone, in its
    own pixels. A model without a batch axis answers the same through one call per frame."""
    from conftest_data import DEMO_MODEL

    if backend == "openvino":
        from yolo_nano_ros.runtime.backend_select import openvino_unavailable_reason

        if openvino_unavailable_reason():
            pytest.skip(openvino_unavailable_reason())
    photos = [rgb(p) for p in coco128_images(3)]
    frames = [(cv2.resize(photos[0], (640, 480)), "rgb"), (cv2.resize(photos[1], (320, 240)), "rgb"),
              (np.ascontiguousarray(cv2.resize(photos[2], (800, 600))[:, :, ::-1]), "bgr")]
    fp32 = {"precision": "fp32"} if backend == "openvino" else {}
    settings = PostprocessSettings(conf_threshold=0.1)
    batched = Detector.from_path(DEMO_MODEL, backend, settings, max_batch=3, **fp32)
    single = Detector.from_path(fixed_batch_demo, backend, settings, **fp32)
    assert batched.backend.batch_axis and not single.backend.batch_axis
    together = batched.detect_many(frames)
    alone = [single.detect(image, color) for image, color in frames]
    fallback = single.detect_many(frames)
    assert batched.calls == {3: 1} and single.calls == {1: 6}, "one call for three frames; else one each"
    assert len(together) == len(alone) == len(fallback) == 3
    counts = [len(b.detections) for b in alone]
    assert all(counts) and len({tuple(b.detections.class_ids) for b in alone}) == 3, "the photos must differ"
    for (image, _), a, b, c in zip(frames, together, alone, fallback, strict=True):
        h, w = image.shape[:2]
        assert a.detections.boxes[:, [0, 2]].max() <= w and a.detections.boxes[:, [1, 3]].max() <= h
        np.testing.assert_array_equal(a.detections.class_ids, b.detections.class_ids)
        np.testing.assert_allclose(a.detections.boxes, b.detections.boxes, atol=0.05)
        np.testing.assert_allclose(a.detections.scores, b.detections.scores, atol=1e-4)
        np.testing.assert_array_equal(c.detections.class_ids, b.detections.class_ids)
