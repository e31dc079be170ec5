"""The tracker as an answer stage of the frame processor: between detection and publishing, each answer
gets a Detection2D.id per detection from its camera's tracker (tracking/camera_trackers.py), at the
frame's image stamp (the node's arrival clock where a frame carries none)."""

from __future__ import annotations

from yolo_nano_ros.msgs.detection_arrays import stamp_ns
from yolo_nano_ros.pipeline.frame_processor import FrameAnswer
from yolo_nano_ros.tracking.camera_trackers import TrackerBank


class TrackingStage:
    name = "track"

    def __init__(self, bank: TrackerBank) -> None:
        self.bank = bank

    def apply(self, answer: FrameAnswer) -> None:
        stamp = stamp_ns(answer.decoded.header) or answer.decoded.frame.arrival_clock_ns
        dets = answer.result.detections
        answer.ids = self.bank.update(answer.decoded.camera, dets.boxes, dets.scores, dets.class_ids, stamp * 1e-9)
