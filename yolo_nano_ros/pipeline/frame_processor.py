"""What the detector does with one batch of frames, in plain Python (no rclpy): decode each frame, run the
batch through the model (one call per frame if the backend refuses the batch), hand each answer to the
answer stages (the tracker sits here, between detection and publishing) and time every step.

The node only wires it (as image_pipeline keeps calibrator.py beside camera_calibrator.py): it feeds the
batches its subscriptions collected, publishes the answers and reports the errors. A bad frame costs only
itself, whatever goes wrong with it: it is reported through `report` and left out of the answers.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np

from yolo_nano_ros.msgs.image_cdr import CdrDecodeError, SerializedImageDecoder
from yolo_nano_ros.msgs.image_encodings import ColorOrder, ImageConversionError, image_message_to_array
from yolo_nano_ros.runtime.detector import DetectionResult, Detector

# (kind, message, detail key for rate-limiting, camera): the node counts and logs it for that camera.
ErrorReport = Callable[[str, str, str, str], None]


@dataclass(frozen=True)
class ReceivedFrame:
    """A message and when it arrived: perf_counter for the hand-off, the node clock for transport."""

    msg: Any  # sensor_msgs Image or CompressedImage (rclpy's or decoded), or bytes: serialized, from a raw subscription
    arrival_perf_s: float
    arrival_clock_ns: int


@dataclass
class DecodedFrame:
    camera: str  # "" for the single unnamed input
    frame: ReceivedFrame
    header: Any  # the message's std_msgs/Header (rclpy's or rosbags'): every answer carries it
    image: np.ndarray  # HxWx3 uint8
    order: ColorOrder
    handoff_ms: float
    convert_ms: float


@dataclass
class FrameAnswer:
    """One frame's answer, ready to publish: its detections, what the stages added, and where the time went."""

    decoded: DecodedFrame
    result: DetectionResult
    ids: list[str] | None = None  # per detection, set by a tracking stage; None: no identities
    stage_ms: dict[str, float] = field(default_factory=dict)  # handoff, convert, pre, infer, post, each stage's


class AnswerStage(Protocol):
    """A step between detection and publishing (the tracker): it may change the answer in place."""

    name: str  # its key in FrameAnswer.stage_ms

    def apply(self, answer: FrameAnswer) -> None: ...


def label(camera: str) -> str:
    return camera or "image"


class FrameProcessor:
    def __init__(self, report: ErrorReport, decoder: SerializedImageDecoder | None = None,
                 stages: Sequence[AnswerStage] = ()) -> None:
        self.report = report
        self.decoder = decoder  # for serialized frames; None: frames arrive as messages (or deactivated)
        self.stages = list(stages)

    def process(self, detector: Detector, batch: Sequence[tuple[str, ReceivedFrame]]) -> list[FrameAnswer]:
        """The answers for the frames of `batch` (camera, frame) that could be read and detected, in order."""
        frames = [decoded for camera, frame in batch if (decoded := self.decode_or_skip(camera, frame)) is not None]
        if not frames:
            return []
        answers = []
        for f, result in zip(frames, self.infer(detector, frames), strict=True):
            if result is None:
                continue
            answer = FrameAnswer(f, result, stage_ms={
                "handoff": f.handoff_ms, "convert": f.convert_ms, "pre": result.times.pre_ms,
                "infer": result.times.infer_ms, "post": result.times.post_ms})
            if self.run_stages(answer):
                answers.append(answer)
        return answers

    def run_stages(self, answer: FrameAnswer) -> bool:
        camera = answer.decoded.camera
        for stage in self.stages:
            t0 = time.perf_counter()
            try:
                stage.apply(answer)
            except Exception as exc:  # a stage's bug costs this frame's answer, not the batch's others
                self.report("stage", f"answer for {label(camera)} dropped: {stage.name}: {type(exc).__name__}: "
                            f"{exc}", f"{stage.name}:{type(exc).__name__}", camera)
                return False
            answer.stage_ms[stage.name] = (time.perf_counter() - t0) * 1e3
        return True

    def decode_or_skip(self, camera: str, frame: ReceivedFrame) -> DecodedFrame | None:
        """decode, with anything unforeseen in one frame skipping that frame only (reported for its camera)."""
        try:
            return self.decode(camera, frame)
        except Exception as exc:
            self.report("image", f"frame skipped ({label(camera)}): {type(exc).__name__}: {exc}",
                        type(exc).__name__, camera)
            return None

    def decode(self, camera: str, frame: ReceivedFrame) -> DecodedFrame | None:
        """The frame as pixels, or None (reported for its camera) when it cannot be read."""
        t0 = time.perf_counter()
        if isinstance(frame.msg, bytes):
            if self.decoder is None:  # deactivated while this frame waited
                return None
            try:
                msg = self.decoder.decode(frame.msg)
            except CdrDecodeError as exc:
                self.report("image", f"frame skipped{f' ({camera})' if camera else ''}: {exc}",
                            "undecodable message", camera)
                return None
        else:
            msg = frame.msg
        header = msg.header  # rclpy's, or the decoded message's: converted only where rclpy needs its own
        try:
            image, order = image_message_to_array(msg)
        except ImageConversionError as exc:
            source = f"{camera}: " if camera else ""
            # exc.reason, e.g. "truncated image", "unsupported encoding '32FC1'", rate-limits per kind
            self.report("image", f"frame skipped ({source}{header.frame_id or 'no frame_id'}): {exc}", exc.reason,
                        camera)
            return None
        return DecodedFrame(camera, frame, header, image, order, (t0 - frame.arrival_perf_s) * 1e3,
                            (time.perf_counter() - t0) * 1e3)

    def infer(self, detector: Detector, frames: list[DecodedFrame]) -> list[DetectionResult | None]:
        """One batched call; if the backend refuses the batch, one call per frame, so a frame it cannot take
        costs only itself (None, reported for its camera)."""
        try:
            return list(detector.detect_many([(f.image, f.order) for f in frames]))
        except Exception as exc:
            if len(frames) == 1:
                self.report("inference", f"frame skipped: {type(exc).__name__}: {exc}", type(exc).__name__,
                            frames[0].camera)
                return [None]
            batch_error = exc
        results: list[DetectionResult | None] = []
        for f in frames:
            try:
                results.append(detector.detect(f.image, f.order))
            except Exception as exc:
                self.report("inference", f"frame skipped ({label(f.camera)}): {type(exc).__name__}: {exc} "
                            f"(the batch of {len(frames)} failed: {batch_error})", type(exc).__name__, f.camera)
                results.append(None)
        return results
