"""Output layouts read from the file (Ultralytics' metadata, confirmed by shapes), the decoders of each layout,
and the refusals: unknown shapes, names that disagree with the class count, a segmentation export. The model
files here are tiny synthetic ONNX graphs (a constant output of the layout's shape), so every number the
decoder returns is known in advance; test_ultralytics_parity.py checks real Ultralytics exports."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from synthetic_onnx import constant_model, detect_head, ultralytics_metadata

from yolo_nano_ros.errors import ConfigError, ModelLoadError
from yolo_nano_ros.runtime.decoders import UltralyticsDetectDecoder, UltralyticsEnd2EndDecoder
from yolo_nano_ros.runtime.detector import Detector
from yolo_nano_ros.runtime.model_info import ModelInfo, ModelOverrides, describe_model
from yolo_nano_ros.runtime.output_layouts import OutputLayout, parse_layout
from yolo_nano_ros.runtime.postprocess import PostprocessSettings


def test_detect_decoder_converts_boxes_thresholds_strictly_and_suppresses_overlaps() -> None:
    out = detect_head([[20, 20, 10, 10], [20.5, 20, 10, 10], [50, 40, 8, 4], [5, 5, 2, 2]],
                      [[0.9, 0.1, 0.0], [0.8, 0.0, 0.0], [0.0, 0.0, 0.6], [0.25, 0.0, 0.0]])
    dets = UltralyticsDetectDecoder(3).decode([out], 0, PostprocessSettings(conf_threshold=0.25))
    # The second box overlaps the first of the same class (IoU 0.9): suppressed; the fourth scores 0.25, not above.
    np.testing.assert_allclose(dets.boxes, [[15, 15, 25, 25], [46, 38, 54, 42]])
    np.testing.assert_allclose(dets.scores, [0.9, 0.6], rtol=1e-6)
    assert dets.class_ids.tolist() == [0, 2]


def test_end2end_decoder_only_thresholds_filters_and_cuts() -> None:
    rows = np.array([[[1, 2, 11, 12, 0.9, 2], [1, 2, 11, 12, 0.8, 0], [3, 3, 9, 9, 0.2, 1], [0, 0, 5, 5, 0.7, 2]]],
                    np.float32)
    decoder = UltralyticsEnd2EndDecoder()
    dets = decoder.decode([rows], 0, PostprocessSettings(conf_threshold=0.25))
    assert dets.class_ids.tolist() == [2, 0, 2]  # overlapping rows kept: the graph did its own suppression
    np.testing.assert_allclose(dets.boxes[0], [1, 2, 11, 12])
    only_cars = decoder.decode([rows], 0, PostprocessSettings(conf_threshold=0.25, class_filter=frozenset({2}),
                                                              max_detections=1))
    assert only_cars.class_ids.tolist() == [2] and only_cars.scores.tolist() == pytest.approx([0.9])


def test_layout_names_and_size_come_from_ultralytics_metadata(tmp_path: Path) -> None:
    path = constant_model(tmp_path / "m.onnx", detect_head([[32, 16, 16, 16]], [[0, 0, 0.9]]), ultralytics_metadata(),
                          dynamic=True)
    detector = Detector.from_path(path, "onnxruntime")
    assert detector.info.layout is OutputLayout.ULTRALYTICS_DETECT
    assert detector.class_names == ("person", "bicycle", "car")
    assert (detector.info.input_size, detector.info.rect_stride) == (64, 32)  # any-size input: padded to 32
    result = detector.detect(np.zeros((128, 256, 3), np.uint8)).as_list()
    # Input 64x32 (the 256x128 frame scaled by 1/4, no padding): the box at (24..40, 8..24) -> x4 in the frame
    # (a square input would have put 16 rows of padding above it and the box at y 0..32).
    assert [(d.class_name, round(d.x1), round(d.y1), round(d.x2), round(d.y2)) for d in result] == [
        ("car", 96, 32, 160, 96)]


def test_end2end_is_read_from_metadata_and_from_the_shape(tmp_path: Path) -> None:
    rows = np.zeros((1, 300, 6), np.float32)
    for metadata in (ultralytics_metadata(end2end="True"), ultralytics_metadata()):
        path = constant_model(tmp_path / "e2e.onnx", rows, metadata)
        assert Detector.from_path(path, "onnxruntime").info.layout is OutputLayout.ULTRALYTICS_END2END


def test_a_file_with_no_known_layout_names_its_shapes_and_the_layouts_known(tmp_path: Path) -> None:
    path = constant_model(tmp_path / "odd.onnx", np.zeros((1, 7, 5, 5), np.float32), {})
    with pytest.raises(ModelLoadError, match=r"\(1, 7, 5, 5\).*output_layout.*ultralytics_detect \(N, 4\+C, A\)"):
        Detector.from_path(path, "onnxruntime")
    # Named by the caller, the shape must still fit.
    with pytest.raises(ModelLoadError, match=r"outputs \(1, 7, 5, 5\) do not match: a ultralytics_detect model"):
        Detector.from_path(path, "onnxruntime", overrides=ModelOverrides(OutputLayout.ULTRALYTICS_DETECT))


def test_a_file_without_metadata_runs_when_told_its_layout(tmp_path: Path) -> None:
    path = constant_model(tmp_path / "bare.onnx", detect_head([[32, 32, 16, 16]], [[0, 0.9]]), {})
    info = Detector.from_path(path, "onnxruntime", overrides=ModelOverrides(OutputLayout.ULTRALYTICS_DETECT)).info
    assert info.class_names == ("class_0", "class_1") and info.input_size == 64  # from the fixed input shape
    named = Detector.from_path(path, "onnxruntime",
                               overrides=ModelOverrides(OutputLayout.ULTRALYTICS_DETECT, ("cone", "pallet")))
    assert named.detect(np.zeros((64, 64, 3), np.uint8)).as_list()[0].class_name == "pallet"


def test_names_that_disagree_with_the_class_count_are_refused(tmp_path: Path) -> None:
    path = constant_model(tmp_path / "m.onnx", detect_head([[32, 32, 16, 16]], [[0, 0, 0, 0.9]]),
                          ultralytics_metadata())
    with pytest.raises(ModelLoadError, match="holds 4 classes but the class names list 3"):
        Detector.from_path(path, "onnxruntime")
    with pytest.raises(ModelLoadError, match="holds 4 classes but the class names list 2"):
        Detector.from_path(path, "onnxruntime", overrides=ModelOverrides(class_names=("a", "b")))


@pytest.mark.parametrize("task", ["segment", "pose", "obb"])
def test_non_detect_exports_are_refused_not_decoded_as_boxes(tmp_path: Path, task: str) -> None:
    path = constant_model(tmp_path / "m.onnx", detect_head([[32, 32, 16, 16]], [[0, 0, 0.9]]),
                          ultralytics_metadata(task=task))
    with pytest.raises(ModelLoadError, match=f"Ultralytics '{task}' model: only 'detect'"):
        Detector.from_path(path, "openvino")


def test_metadata_is_read_as_data_never_run(tmp_path: Path) -> None:
    path = constant_model(tmp_path / "m.onnx", detect_head([[32, 32, 16, 16]], [[0, 0, 0.9]]),
                          ultralytics_metadata(names="__import__('os').system('touch pwned')"))
    with pytest.raises(ModelLoadError, match="metadata 'names' is not a Python literal"):
        Detector.from_path(path, "onnxruntime")
    assert not Path("pwned").exists()


def test_model_info_survives_its_json_form() -> None:
    info = describe_model(Path("m.onnx"), ultralytics_metadata(), (None, 3, None, None), [(None, 7, None)])
    assert ModelInfo.from_dict(info.to_dict()) == info and info.rect_stride == 32


def test_layout_parameter_values() -> None:
    assert parse_layout("auto") is None and parse_layout("ultralytics_end2end") is OutputLayout.ULTRALYTICS_END2END
    with pytest.raises(ConfigError, match="output_layout must be one of auto, yolo_nano"):
        parse_layout("yolov8")
