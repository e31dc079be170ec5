"""Conversions at the ROS edge: detections -> vision_msgs 4.x, label info, debug images, diagnostics."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
from diagnostic_msgs.msg import DiagnosticStatus, KeyValue
from sensor_msgs.msg import Image
from std_msgs.msg import Header
from vision_msgs.msg import Detection2D, Detection2DArray, LabelInfo, ObjectHypothesisWithPose, VisionClass

from yolo_nano_ros.msgs.detection_arrays import hypothesis_class_ids
from yolo_nano_ros.runtime.postprocess import Detections


def header_msg(header: Any) -> Header:
    """A std_msgs/Header from one of rclpy's, or from a decoded serialized message's (image_cdr)."""
    if isinstance(header, Header):
        return header
    out = Header(frame_id=header.frame_id)
    out.stamp.sec, out.stamp.nanosec = header.stamp.sec, header.stamp.nanosec
    return out


def detections_to_msg(header: Header, dets: Detections, class_names: tuple[str, ...],
                      class_id_format: str = "name", track_ids: list[str] | None = None) -> Detection2DArray:
    """vision_msgs 4.x: bbox centre/size in input-image pixels, hypothesis class_id as name or index, the
    track ID (if any) in Detection2D.id."""
    out = Detection2DArray()
    out.header = header
    ids = hypothesis_class_ids(dets.class_ids, class_names, class_id_format == "name")
    tracks = track_ids if track_ids is not None else [""] * len(ids)
    for box, score, class_id, track in zip(dets.boxes.tolist(), dets.scores.tolist(), ids, tracks, strict=True):
        d = Detection2D()
        d.header = header
        d.id = track
        d.bbox.center.position.x = (box[0] + box[2]) / 2
        d.bbox.center.position.y = (box[1] + box[3]) / 2
        d.bbox.size_x = box[2] - box[0]
        d.bbox.size_y = box[3] - box[1]
        hyp = ObjectHypothesisWithPose()
        hyp.hypothesis.class_id = class_id
        hyp.hypothesis.score = score
        d.results.append(hyp)
        out.detections.append(d)
    return out


def label_info_msg(class_names: tuple[str, ...], threshold: float, header: Header | None = None) -> LabelInfo:
    msg = LabelInfo()
    if header is not None:
        msg.header = header
    msg.class_map = [VisionClass(class_id=i, class_name=n) for i, n in enumerate(class_names)]
    msg.threshold = float(threshold)
    return msg


def rgb_image_msg(rgb: np.ndarray, header: Header) -> Image:
    msg = Image()
    msg.header = header
    msg.height, msg.width = rgb.shape[:2]
    msg.encoding = "rgb8"
    msg.step = msg.width * 3
    msg.data = np.ascontiguousarray(rgb).tobytes()
    return msg


def diagnostic_status(name: str, hardware_id: str, level: bytes, message: str,
                      values: Mapping[str, object]) -> DiagnosticStatus:
    status = DiagnosticStatus()
    status.name, status.hardware_id, status.level, status.message = name, hardware_id, level, message
    status.values = [KeyValue(key=k, value=f"{v:.3f}" if isinstance(v, float) else str(v)) for k, v in values.items()]
    return status
