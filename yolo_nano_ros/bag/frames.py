"""Read camera frames and ground truth out of a rosbag2 (sqlite3 or mcap) with rosbags."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from rosbags.rosbag2 import Reader

from yolo_nano_ros.errors import YoloNanoError
from yolo_nano_ros.msgs.detection_arrays import DetectionArrays, read_detection_array, stamp_ns

IMAGE_TYPES = ("sensor_msgs/msg/Image", "sensor_msgs/msg/CompressedImage")
GT_TYPE = "vision_msgs/msg/Detection2DArray"
GT_TOPIC = "/ground_truth/detections"
DETECTIONS_TOPIC = "/yolo_nano/detections"


class BagError(YoloNanoError, RuntimeError):
    """A bag that cannot be used as asked; the message says what it holds."""


@dataclass(frozen=True)
class RawFrame:
    index: int
    log_time_ns: int
    msgtype: str
    cdr: bytes  # serialized message, replayable as is


def topics_of(reader: Reader) -> dict[str, str]:
    return {c.topic: c.msgtype for c in reader.connections}


def pick_image_topic(reader: Reader, wanted: str | None) -> str:
    topics = topics_of(reader)
    if wanted:
        if wanted not in topics:
            listing = ", ".join(f"{t} ({m})" for t, m in topics.items())
            raise BagError(f"topic {wanted} not in the bag; it has: {listing}")
        return wanted
    images = [t for t, m in topics.items() if m in IMAGE_TYPES]
    if not images:
        listing = ", ".join(topics) or "nothing"
        raise BagError(f"no sensor_msgs Image/CompressedImage topic in the bag; it has: {listing}")
    return sorted(images)[0]


def iter_raw_frames(bag: Path, image_topic: str | None = None) -> Iterator[RawFrame]:
    with Reader(bag) as reader:
        topic = pick_image_topic(reader, image_topic)
        conns = [c for c in reader.connections if c.topic == topic]
        for i, (conn, t, raw) in enumerate(reader.messages(connections=conns)):
            yield RawFrame(i, t, conn.msgtype, bytes(raw))


def ground_truth_by_stamp(bag: Path, topic: str = "/ground_truth/detections") -> dict[int, DetectionArrays]:
    """header stamp (ns) -> the ground-truth boxes of that frame."""
    from yolo_nano_ros.msgs.typestore import typestore

    store = typestore()
    out: dict[int, DetectionArrays] = {}
    with Reader(bag) as reader:
        conns = [c for c in reader.connections if c.topic == topic]
        for conn, _, raw in reader.messages(connections=conns):
            msg = store.deserialize_cdr(raw, conn.msgtype)
            out[stamp_ns(msg.header)] = read_detection_array(msg)
    return out


def frames_as_rgb(bag: Path, image_topic: str | None, log_times_ns: set[int]) -> dict[int, np.ndarray]:
    """The images at these bag times, decoded to RGB (the report's thumbnails); unreadable ones left out."""
    from yolo_nano_ros.msgs.image_cdr import SerializedImageDecoder
    from yolo_nano_ros.msgs.image_encodings import ImageConversionError, array_to_rgb8, image_message_to_array

    out: dict[int, np.ndarray] = {}
    decoders: dict[str, SerializedImageDecoder] = {}
    for frame in iter_raw_frames(bag, image_topic):
        if frame.log_time_ns not in log_times_ns:
            continue
        compressed = frame.msgtype.endswith("CompressedImage")
        decoder = decoders.setdefault(frame.msgtype, SerializedImageDecoder(compressed))
        try:
            out[frame.log_time_ns] = array_to_rgb8(*image_message_to_array(decoder.decode(frame.cdr)))
        except (ImageConversionError, ValueError):
            continue
    return out
