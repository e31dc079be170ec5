"""pipeline/inference_workers.py without ROS: k workers sharing one loaded model (the demo weights on ONNX Runtime
and OpenVINO), fed by the camera batcher the node uses and running the node's frame processor. Cameras publish
from their own threads faster than the workers answer; every answer is recorded with its camera and stamp."""

from __future__ import annotations

import threading
import time
from types import SimpleNamespace

import cv2
import numpy as np
import pytest
from conftest_data import DEMO_MODEL, coco128_images

from yolo_nano_ros.errors import ConfigError
from yolo_nano_ros.pipeline.camera_batcher import CameraBatcher
from yolo_nano_ros.pipeline.frame_processor import FrameProcessor, ReceivedFrame
from yolo_nano_ros.pipeline.inference_workers import InferenceWorkers, worker_count
from yolo_nano_ros.runtime.backends.cpu_settings import CpuSettings
from yolo_nano_ros.runtime.detector import Detector
from yolo_nano_ros.runtime.postprocess import PostprocessSettings

CAMERAS = ("front", "rear", "left", "right")
PHOTO = cv2.resize(cv2.imread(str(coco128_images(1)[0])), (320, 240))


def image_msg(stamp: int, data: bytes | None = None) -> SimpleNamespace:
    header = SimpleNamespace(frame_id="cam", stamp=SimpleNamespace(sec=stamp, nanosec=0))
    return SimpleNamespace(header=header, height=PHOTO.shape[0], width=PHOTO.shape[1], encoding="bgr8",
                           is_bigendian=0, step=PHOTO.shape[1] * 3, data=PHOTO.tobytes() if data is None else data)


class Recorder:
    """The node's part: process a batch, record each answer (camera, stamp), and how many ran at once."""

    def __init__(self, detector: Detector, jitter_s: float = 0.0) -> None:
        self.detector = detector
        self.jitter_s = jitter_s  # a random pause per batch, as a busy machine gives: answers race each other
        self.rng = np.random.default_rng(0)
        self.reports: list[tuple[str, str, str]] = []
        self.processor = FrameProcessor(lambda kind, message, key, camera: self.reports.append((kind, message,
                                                                                              camera)))
        self.answers: list[tuple[str, int]] = []
        self.errors: list[Exception] = []
        self.lock = threading.Lock()
        self.busy = self.most_busy = 0

    def handle(self, batch: list[tuple[str, ReceivedFrame]]) -> None:
        with self.lock:
            self.busy += 1
            self.most_busy = max(self.most_busy, self.busy)
        try:
            answers = self.processor.process(self.detector, batch)
            if self.jitter_s:
                with self.lock:
                    pause = float(self.rng.uniform(0, self.jitter_s))
                time.sleep(pause)
            for answer in answers:
                with self.lock:
                    self.answers.append((answer.decoded.camera, answer.decoded.header.stamp.sec))
        finally:
            with self.lock:
                self.busy -= 1

    def stamps(self, camera: str) -> list[int]:
        return [stamp for c, stamp in self.answers if c == camera]


def run_cameras(batcher: CameraBatcher, frames: int, bad: dict[str, set[int]] | None = None,
                period_s: float = 0.002) -> None:
    """Each camera sends `frames` frames (stamps 1..frames) from its own thread, every period_s; stamps in `bad`
    are truncated images."""
    def send(camera: str) -> None:
        for stamp in range(1, frames + 1):
            data = PHOTO.tobytes()[:999] if stamp in (bad or {}).get(camera, ()) else None
            batcher.put(camera, ReceivedFrame(image_msg(stamp, data), time.perf_counter(), 0))
            time.sleep(period_s)

    threads = [threading.Thread(target=send, args=(c,)) for c in CAMERAS]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


def settle(batcher: CameraBatcher, recorder: Recorder, expected: int, timeout_s: float = 30) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        waiting = sum(c.received - c.dropped - c.taken for c in batcher.counts.values())
        if waiting == 0 and batcher.in_flight() == 0 and len(recorder.answers) >= expected:
            return
        time.sleep(0.02)


@pytest.mark.parametrize("backend", ["onnxruntime", "openvino"])
def test_k_workers_answer_every_camera_in_stamp_order_each_frame_once(backend: str) -> None:
    detector = Detector.from_path(DEMO_MODEL, backend, PostprocessSettings(conf_threshold=0.05),
                                  cpu=CpuSettings(threads=1, spin=False), max_batch=2, workers=3)
    assert detector.backend.parallel_calls
    recorder = Recorder(detector, jitter_s=0.02)
    batcher: CameraBatcher[ReceivedFrame] = CameraBatcher(list(CAMERAS), max_batch=2)
    workers = InferenceWorkers(batcher, recorder.handle, recorder.errors.append, 3)
    workers.start()
    run_cameras(batcher, 150)
    taken = sum(c.taken for c in batcher.counts.values())
    settle(batcher, recorder, taken)
    assert workers.stop() == [] and workers.running == 0
    taken = sum(c.taken for c in batcher.counts.values())
    assert len(recorder.answers) == taken and not recorder.errors and not recorder.reports
    assert recorder.most_busy >= 2, "the workers never ran side by side"
    for camera in CAMERAS:
        stamps = recorder.stamps(camera)
        assert stamps and stamps == sorted(set(stamps)), f"{camera}: answers out of order or twice: {stamps}"
        counts = batcher.counts[camera]
        assert counts.received == 150 and counts.taken + counts.dropped == 150
        assert stamps[-1] == 150, "the last frame of every camera is answered"


def test_a_bad_frame_costs_only_itself_and_a_backend_error_is_counted_while_the_workers_go_on() -> None:
    detector = Detector.from_path(DEMO_MODEL, "onnxruntime", cpu=CpuSettings(threads=1, spin=False), max_batch=4,
                                  workers=2)
    real_infer, calls = detector.backend.infer, []

    def failing_now_and_then(batch: np.ndarray) -> list[np.ndarray]:
        calls.append(len(batch))
        if len(calls) in (2, 3, 9):  # labelled double: the real session, refusing three early calls
            raise RuntimeError("simulated backend failure")
        return real_infer(batch)

    detector.backend.infer = failing_now_and_then  # type: ignore[method-assign]
    recorder = Recorder(detector)
    batcher: CameraBatcher[ReceivedFrame] = CameraBatcher(list(CAMERAS))
    workers = InferenceWorkers(batcher, recorder.handle, recorder.errors.append, 2)
    workers.start()
    run_cameras(batcher, 40, bad={"rear": {10, 20, 30}}, period_s=0.01)
    settle(batcher, recorder, 1)
    assert workers.running == 2, "a worker died"
    assert workers.stop() == []
    taken = sum(c.taken for c in batcher.counts.values())
    inference = [r for r in recorder.reports if r[0] == "inference"]
    images = [r for r in recorder.reports if r[0] == "image"]
    assert inference and all("simulated backend failure" in message for _, message, _ in inference)
    assert {camera for _, _, camera in images} <= {"rear"}  # a bad frame is reported for its camera only
    assert len(recorder.answers) + len(images) + len(inference) == taken, "every taken frame is answered or reported"
    assert {s for c, s in recorder.answers if c == "rear"}.isdisjoint({10, 20, 30})
    assert len(calls) > 12 and len(recorder.answers) > 10, "the workers went on after the failures"
    for camera in CAMERAS:  # and every camera's last frame was taken, and answered or reported
        assert batcher.counts[camera].taken + batcher.counts[camera].dropped == 40


def test_stop_joins_every_worker_even_while_they_wait_and_a_handler_bug_does_not_kill_one() -> None:
    batcher: CameraBatcher[int] = CameraBatcher(["a", "b"])
    errors: list[Exception] = []
    seen: list[int] = []

    def handle(batch: list[tuple[str, int]]) -> None:
        seen.extend(item for _, item in batch)
        if any(item == 2 for _, item in batch):
            raise ValueError("a bug in one batch")

    workers = InferenceWorkers(batcher, handle, errors.append, 3)
    workers.start()
    assert workers.running == 3
    for item in (1, 2, 3):
        batcher.put("a", item)
        deadline = time.monotonic() + 5
        while item not in seen and time.monotonic() < deadline:
            time.sleep(0.01)
    assert seen == [1, 2, 3] and [str(e) for e in errors] == ["a bug in one batch"]
    assert batcher.in_flight() == 0, "a failed batch's cameras are released"
    t0 = time.monotonic()
    assert workers.stop() == [] and workers.running == 0
    assert time.monotonic() - t0 < 2


def test_worker_count_defaults_to_one_per_camera_up_to_the_cores() -> None:
    assert [worker_count(0, cameras, 2) for cameras in (1, 2, 4)] == [1, 2, 2]
    assert worker_count(3, 4, 2) == 3
    with pytest.raises(ConfigError, match="inference_workers must be >= 0"):
        worker_count(-1, 4, 2)
