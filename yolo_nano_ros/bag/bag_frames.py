"""Read camera frames and ground truth out of a rosbag2 (sqlite3 or mcap) with rosbags."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from rosbags.rosbag2 import Reader

IMAGE_TYPES = ("sensor_msgs/msg/Image", "sensor_msgs/msg/CompressedImage")
GT_TYPE = "vision_msgs/msg/Detection2DArray"


class BagError(RuntimeError):
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


def ground_truth_by_stamp(bag: Path, topic: str = "/ground_truth/detections"
                          ) -> dict[int, tuple[np.ndarray, list[str], np.ndarray]]:
    """header stamp (ns) -> (boxes xyxy, class names, difficult flags)."""
    from yolo_nano_ros.bag.make_bag import typestore

    store = typestore()
    out: dict[int, tuple[np.ndarray, list[str], np.ndarray]] = {}
    with Reader(bag) as reader:
        conns = [c for c in reader.connections if c.topic == topic]
        for conn, _, raw in reader.messages(connections=conns):
            msg = store.deserialize_cdr(raw, conn.msgtype)
            boxes, names, difficult = [], [], []
            for d in msg.detections:
                cx, cy = d.bbox.center.position.x, d.bbox.center.position.y
                boxes.append([cx - d.bbox.size_x / 2, cy - d.bbox.size_y / 2, cx + d.bbox.size_x / 2,
                              cy + d.bbox.size_y / 2])
                names.append(d.results[0].hypothesis.class_id if d.results else "")
                difficult.append(d.id == "difficult")
            stamp = msg.header.stamp.sec * 10**9 + msg.header.stamp.nanosec
            out[stamp] = (np.asarray(boxes, np.float64).reshape(-1, 4), names, np.asarray(difficult, bool))
    return out
