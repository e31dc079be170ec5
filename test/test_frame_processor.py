"""pipeline/frame_processor.py without ROS: the real demo model on ONNX Runtime, messages as rosbags'
deserializer gives them (plain objects with the sensor_msgs fields), a bad frame costing only itself."""

from __future__ import annotations

import time
from types import SimpleNamespace

import cv2
import numpy as np
import pytest
from conftest_data import DEMO_MODEL, coco128_images

from yolo_nano_ros.msgs.image_cdr import SerializedImageDecoder
from yolo_nano_ros.pipeline.frame_processor import FrameAnswer, FrameProcessor, ReceivedFrame
from yolo_nano_ros.runtime.detector import Detector
from yolo_nano_ros.runtime.postprocess import PostprocessSettings


@pytest.fixture(scope="module")
def detector() -> Detector:
    return Detector.from_path(DEMO_MODEL, "onnxruntime", PostprocessSettings(conf_threshold=0.05), max_batch=4)


def image_msg(pixels: np.ndarray, frame_id: str, encoding: str = "bgr8", data: bytes | None = None):
    header = SimpleNamespace(frame_id=frame_id, stamp=SimpleNamespace(sec=1, nanosec=2))
    return SimpleNamespace(header=header, height=pixels.shape[0], width=pixels.shape[1], encoding=encoding,
                           is_bigendian=0, step=pixels.shape[1] * 3, data=pixels.tobytes() if data is None else data)


def frame(msg) -> ReceivedFrame:
    return ReceivedFrame(msg, time.perf_counter(), 0)


def photo(index: int, size: tuple[int, int] = (640, 480)) -> np.ndarray:
    return cv2.resize(cv2.imread(str(coco128_images(index + 1)[index])), size)


class Reports(list):
    def __call__(self, kind: str, message: str, detail_key: str, camera: str) -> None:
        self.append((kind, message, camera))


def test_each_frame_of_a_batch_is_answered_with_its_own_header_and_stage_times(detector):
    reports = Reports()
    processor = FrameProcessor(reports)
    batch = [("front", frame(image_msg(photo(0), "f"))), ("rear", frame(image_msg(photo(1, (320, 240)), "r")))]
    answers = processor.process(detector, batch)
    assert [(a.decoded.camera, a.decoded.header.frame_id) for a in answers] == [("front", "f"), ("rear", "r")]
    assert reports == [] and detector.calls[2] >= 1, "one batched call for both"
    for answer, (_, f) in zip(answers, batch, strict=True):  # same boxes as the frame alone
        alone = detector.detect(cv2.cvtColor(np.frombuffer(f.msg.data, np.uint8).reshape(f.msg.height,
                                                                                         f.msg.width, 3),
                                             cv2.COLOR_BGR2RGB))
        assert len(alone.detections) > 0
        np.testing.assert_allclose(answer.result.detections.boxes, alone.detections.boxes, atol=0.05)
        assert set(answer.stage_ms) == {"handoff", "convert", "pre", "infer", "post"}
        assert all(v >= 0 for v in answer.stage_ms.values())


def test_a_truncated_frame_and_an_unknown_encoding_skip_only_themselves(detector):
    reports = Reports()
    good = image_msg(photo(0), "good")
    truncated = image_msg(photo(1), "short", data=photo(1).tobytes()[:1000])
    float_depth = image_msg(photo(2), "depth", encoding="32FC1")
    answers = FrameProcessor(reports).process(detector, [("a", frame(truncated)), ("b", frame(good)),
                                                         ("c", frame(float_depth))])
    assert [a.decoded.header.frame_id for a in answers] == ["good"]
    assert [(kind, camera) for kind, _, camera in reports] == [("image", "a"), ("image", "c")]
    assert "frame skipped (a: short)" in reports[0][1] and "32FC1" in reports[1][1]


def test_serialized_frames_that_do_not_decode_are_reported_and_none_when_deactivated(detector):
    reports = Reports()
    processor = FrameProcessor(reports, SerializedImageDecoder())
    assert processor.process(detector, [("a", frame(b"\x00\x01garbage"))]) == []
    assert reports[0][0] == "image" and "undecodable sensor_msgs/msg/Image" in reports[0][1] and reports[0][2] == "a"
    processor.decoder = None  # deactivated while the frame waited: dropped without a report
    assert processor.process(detector, [("a", frame(b"\x00\x01garbage"))]) == [] and len(reports) == 1


def test_a_batch_the_backend_refuses_falls_back_to_one_call_per_frame(detector, monkeypatch):
    """The backend refuses batches, and the 100x100 frame on its own too: the other two are answered."""
    reports = Reports()
    real_infer = detector.backend.infer

    def picky_infer(batch: np.ndarray) -> list[np.ndarray]:
        if batch.shape[0] > 1:
            raise RuntimeError("batch refused")
        return real_infer(batch)

    real_detect = detector.detect

    def detect(image: np.ndarray, color="rgb"):
        if image.shape[:2] == (100, 100):
            raise RuntimeError("this frame cannot be run")
        return real_detect(image, color)

    monkeypatch.setattr(detector.backend, "infer", picky_infer)
    monkeypatch.setattr(detector, "detect", detect)
    batch = [("a", frame(image_msg(photo(0), "a"))), ("b", frame(image_msg(photo(1, (100, 100)), "b"))),
             ("c", frame(image_msg(photo(2), "c")))]
    answers = FrameProcessor(reports).process(detector, batch)
    assert [a.decoded.camera for a in answers] == ["a", "c"]
    assert [(kind, camera) for kind, _, camera in reports] == [("inference", "b")]
    assert "the batch of 3 failed: batch refused" in reports[0][1]


def test_answer_stages_run_in_order_are_timed_and_a_failing_stage_drops_only_its_answer(detector):
    class Label:
        name = "label"

        def apply(self, answer: FrameAnswer) -> None:
            if answer.decoded.camera == "broken":
                raise KeyError("no such track")
            answer.ids = [f"{answer.decoded.camera}:{i}" for i in range(len(answer.result.detections))]

    reports = Reports()
    processor = FrameProcessor(reports, stages=[Label()])
    answers = processor.process(detector, [("broken", frame(image_msg(photo(0), "x"))),
                                           ("ok", frame(image_msg(photo(0), "y")))])
    assert [a.decoded.camera for a in answers] == ["ok"]
    assert answers[0].ids == [f"ok:{i}" for i in range(len(answers[0].result.detections))]
    assert "label" in answers[0].stage_ms
    assert reports[0][0] == "stage" and reports[0][2] == "broken" and "KeyError" in reports[0][1]
