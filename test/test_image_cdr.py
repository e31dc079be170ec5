"""Serialized images decoded and restamped in place, serialized detections, checked against rclpy's own
serializer; and the node's executor choice."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from conftest_data import coco128_images

from yolo_nano_ros.msgs.image_cdr import CdrDecodeError, SerializedImageDecoder, restamp
from yolo_nano_ros.msgs.image_encodings import image_message_to_array

pytestmark = pytest.mark.ros


@pytest.fixture(scope="module")
def bgr() -> np.ndarray:
    return cv2.resize(cv2.imread(str(coco128_images(1)[0])), (64, 48))


def serialized_image(pixels: np.ndarray, encoding: str, step: int, frame_id: str = "cam",
                     stamp: tuple[int, int] = (12, 34)) -> bytes:
    from rclpy.serialization import serialize_message
    from sensor_msgs.msg import Image

    rows = pixels.reshape(pixels.shape[0], -1)
    padded = np.zeros((pixels.shape[0], step), np.uint8)
    padded[:, : rows.shape[1]] = rows
    msg = Image(height=pixels.shape[0], width=pixels.shape[1], encoding=encoding, step=step, data=padded.tobytes())
    msg.header.frame_id = frame_id
    msg.header.stamp.sec, msg.header.stamp.nanosec = stamp
    return serialize_message(msg)


def test_decoded_image_matches_rclpys_and_views_the_buffer(bgr):
    raw = serialized_image(bgr, "bgr8", step=64 * 3 + 32)  # step padding, as some drivers send
    msg = SerializedImageDecoder().decode(raw)
    assert (msg.header.frame_id, msg.header.stamp.sec, msg.header.stamp.nanosec) == ("cam", 12, 34)
    assert (msg.height, msg.width, msg.step, msg.encoding) == (48, 64, 224, "bgr8")
    assert np.shares_memory(msg.data, np.frombuffer(raw, np.uint8)), "pixels must be a view on the received bytes"
    image, order = image_message_to_array(msg)
    assert order == "bgr" and np.array_equal(image, bgr)


def test_compressed_image_decodes(bgr):
    from rclpy.serialization import serialize_message
    from sensor_msgs.msg import CompressedImage

    jpeg = cv2.imencode(".jpg", bgr)[1].tobytes()
    msg = SerializedImageDecoder(compressed=True).decode(serialize_message(CompressedImage(format="jpeg", data=jpeg)))
    assert msg.format == "jpeg" and bytes(msg.data) == jpeg
    assert image_message_to_array(msg)[0].shape == bgr.shape


@pytest.mark.parametrize(("raw", "why"), [
    (b"", "not a CDR-serialized"),
    (b"\x89PNG\r\n\x1a\n" + b"\x00" * 64, "not a CDR-serialized"),
    (None, "undecodable sensor_msgs/msg/Image (40 bytes)"),  # cut short inside the message
])
def test_bad_bytes_are_a_clear_error(bgr, raw, why):
    raw = serialized_image(bgr, "bgr8", 64 * 3)[:40] if raw is None else raw
    with pytest.raises(CdrDecodeError, match=why.replace("(", r"\(").replace(")", r"\)")):
        SerializedImageDecoder().decode(raw)


def test_restamp_rewrites_only_the_stamp(bgr):
    from rclpy.serialization import deserialize_message
    from sensor_msgs.msg import Image

    raw = serialized_image(bgr, "bgr8", 64 * 3)
    patched = bytearray(raw)
    restamp(patched, 1_700_000_000, 999_999_999)
    before, after = deserialize_message(raw, Image), deserialize_message(bytes(patched), Image)
    assert (after.header.stamp.sec, after.header.stamp.nanosec) == (1_700_000_000, 999_999_999)
    assert after.header.frame_id == before.header.frame_id and bytes(after.data) == bytes(before.data)
    assert patched[12:] == raw[12:]
    with pytest.raises(CdrDecodeError):
        restamp(bytearray(b"\x89PNG" + b"\x00" * 20), 1, 2)


def test_serialized_detections_equal_rclpys_typed_message():
    from rclpy.serialization import deserialize_message
    from std_msgs.msg import Header
    from vision_msgs.msg import Detection2DArray

    from yolo_nano_ros.msgs.detection_arrays import DetectionArraySerializer
    from yolo_nano_ros.nodes.messages import detections_to_msg
    from yolo_nano_ros.runtime.postprocess import Detections

    dets = Detections(np.array([[10, 20, 110, 220], [0, 0, 5, 5]], np.float32), np.array([0.9, 0.3], np.float32),
                      np.array([14, 0]))
    names = tuple(f"class{i}" for i in range(20))
    header = Header(frame_id="cam_optical")
    header.stamp.sec, header.stamp.nanosec = 42, 99
    typed = detections_to_msg(header, dets, names, "name")
    raw = DetectionArraySerializer().serialize(header, dets.boxes, [names[c] for c in dets.class_ids], dets.scores)
    assert deserialize_message(raw, Detection2DArray) == typed
    assert deserialize_message(DetectionArraySerializer().serialize(header, dets.boxes[:0], [], []),
                               Detection2DArray).detections == []
