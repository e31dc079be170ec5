"""Serialized sensor_msgs images: decoded in place, and restamped in place.

rclpy turns a subscribed Image into Python objects field by field. For a 640x480 rgb8 frame that
takes about 0.85 ms here, more than everything else the node does around inference. The node takes
the serialized bytes instead (`create_subscription(..., raw=True)`) and decodes them with rosbags'
CDR deserializer: about 40 us, and `data` stays a view on the received buffer
(docs/performance_notes.md). No rclpy here.
"""

from __future__ import annotations

import struct
from typing import Any

from rosbags.typesys import Stores, get_typestore

from yolo_nano_ros.errors import YoloNanoError

IMAGE_TYPE = "sensor_msgs/msg/Image"
COMPRESSED_IMAGE_TYPE = "sensor_msgs/msg/CompressedImage"
# CDR encapsulation identifiers (first two bytes, big-endian): plain CDR, big- or little-endian payload.
_ENCAPSULATION_ENDIAN = {b"\x00\x00": ">", b"\x00\x01": "<"}


class CdrDecodeError(YoloNanoError, ValueError):
    """Bytes that are not a well-formed serialized message of the expected type."""


class SerializedImageDecoder:
    """Decodes serialized Image or CompressedImage messages; `data` is a NumPy view, not a copy.

    The result has the message's fields (header.stamp.sec/nanosec, header.frame_id, height, width,
    encoding, is_bigendian, step, data; or format, data), so it goes where a typed message would.
    """

    def __init__(self, compressed: bool = False) -> None:
        # Image and CompressedImage are the same in every ROS 2 distro; Humble's store is the oldest.
        self._store = get_typestore(Stores.ROS2_HUMBLE)
        self.msgtype = COMPRESSED_IMAGE_TYPE if compressed else IMAGE_TYPE
        self._store.get_msgdef(self.msgtype)  # generates the deserializer now, not on the first frame

    def decode(self, raw: bytes | memoryview) -> Any:
        if len(raw) < 4 or bytes(raw[:2]) not in _ENCAPSULATION_ENDIAN:
            raise CdrDecodeError(f"not a CDR-serialized {self.msgtype} ({len(raw)} bytes)")
        try:
            # A memoryview, because rosbags slices off the 4-byte encapsulation header first: a slice
            # of bytes would copy the whole frame (33 us hot for 640x480 rgb8 here, against 4 us).
            return self._store.deserialize_cdr(memoryview(raw), self.msgtype)
        except Exception as exc:  # rosbags raises struct/index/value errors on short or garbled input
            raise CdrDecodeError(f"undecodable {self.msgtype} ({len(raw)} bytes): {type(exc).__name__}: {exc}") from exc


def restamp(cdr: bytearray, sec: int, nanosec: int) -> None:
    """Overwrite the header stamp of a serialized message that starts with std_msgs/Header.

    Replaying a bag publishes its serialized bytes as they are (as `ros2 bag play` does); only the
    stamp changes, so latency can be measured from it. The stamp is the first field after the
    4-byte encapsulation header: int32 sec, uint32 nanosec.
    """
    endian = _ENCAPSULATION_ENDIAN.get(bytes(cdr[:2]))
    if endian is None or len(cdr) < 12:
        raise CdrDecodeError(f"not a CDR-serialized message with a header ({len(cdr)} bytes)")
    struct.pack_into(endian + "iI", cdr, 4, sec, nanosec)
