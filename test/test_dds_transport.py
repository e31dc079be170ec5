"""Real DDS between real processes: the transport the detector node relies on."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("rclpy", reason="ROS 2 tests (marker ros): `make setup` installs rclpy")
from rclpy.qos import qos_profile_sensor_data
from rclpy.serialization import deserialize_message, serialize_message
from ros_harness import PEERS_DIR
from sensor_msgs.msg import Image
from vision_msgs.msg import (
    BoundingBox2D,
    Detection2D,
    Detection2DArray,
    LabelInfo,
    ObjectHypothesisWithPose,
    VisionClass,
)

pytestmark = pytest.mark.ros


def test_vga_rgb8_image_crosses_processes_best_effort(launcher, probe):
    received = probe.collect(Image, "image", qos_profile_sensor_data)
    publisher = launcher.start_python(PEERS_DIR / "image_publisher.py", "--rate", "30", name="image_pub")
    assert publisher.wait_for_output("publisher ready", 20), publisher.output()

    assert received.wait_for(10, timeout=20), (
        f"only {len(received)} best-effort 640x480 frames arrived\n{publisher.output()}"
    )
    for msg in received.messages[:10]:
        assert (msg.width, msg.height, msg.encoding, msg.step) == (640, 480, "rgb8", 640 * 3)
        seq = int(msg.header.frame_id.split(":")[1])
        expected = (np.arange(640 * 480 * 3, dtype=np.int64) + seq) % 251
        np.testing.assert_array_equal(np.frombuffer(msg.data, np.uint8), expected.astype(np.uint8))
    seqs = [int(m.header.frame_id.split(":")[1]) for m in received.messages]
    assert seqs == sorted(seqs), "frames arrived out of order"


def make_detections() -> Detection2DArray:
    msg = Detection2DArray()
    msg.header.frame_id = "camera_optical_frame"
    msg.header.stamp.sec, msg.header.stamp.nanosec = 1_700_000_000, 123_456_789
    for i, (name, score) in enumerate([("person", 0.91), ("dog", 0.42), ("bicycle", 0.05)]):
        det = Detection2D()
        det.header = msg.header
        det.id = f"det{i}"
        det.bbox = BoundingBox2D()
        det.bbox.center.position.x, det.bbox.center.position.y = 100.5 + i, 200.25 - i
        det.bbox.size_x, det.bbox.size_y = 30.0 * (i + 1), 60.0
        hyp = ObjectHypothesisWithPose()
        hyp.hypothesis.class_id, hyp.hypothesis.score = name, score
        det.results.append(hyp)
        msg.detections.append(det)
    return msg


def summarize(msg: Detection2DArray) -> list[tuple]:
    return [
        (
            d.id, d.header.frame_id, d.bbox.center.position.x, d.bbox.center.position.y,
            d.bbox.size_x, d.bbox.size_y, d.results[0].hypothesis.class_id, d.results[0].hypothesis.score,
        )
        for d in msg.detections
    ]


def test_detection2d_array_crosses_processes_and_back(launcher, probe):
    echoed = probe.collect(Detection2DArray, "detections_echo")
    relay = launcher.start_python(
        PEERS_DIR / "relay.py", "vision_msgs/msg/Detection2DArray", "detections", "detections_echo",
        name="relay",
    )
    assert relay.wait_for_output("relay ready", 20), relay.output()
    pub = probe.publisher(Detection2DArray, "detections")
    assert probe.wait_for_subscribers(pub, timeout=20), "relay never subscribed"
    assert probe.wait_for_publishers("detections_echo", timeout=20)

    sent = make_detections()
    for _ in range(50):  # reliable QoS, but discovery of the return path may still be settling
        pub.publish(sent)
        if echoed.wait_for(1, timeout=0.2):
            break
    assert len(echoed) >= 1, relay.output()
    got = echoed.messages[0]
    assert got.header.frame_id == "camera_optical_frame"
    assert (got.header.stamp.sec, got.header.stamp.nanosec) == (1_700_000_000, 123_456_789)
    assert summarize(got) == summarize(sent)


def test_detection2d_array_cdr_round_trip():
    sent = make_detections()
    raw = serialize_message(sent)
    assert summarize(deserialize_message(raw, Detection2DArray)) == summarize(sent)


def test_vision_msgs_definitions_match_rosbags_cdr():
    """An independent CDR implementation (rosbags) reads what rclpy wrote, field for field.

    rosbags parses the same .msg text the venv's vision_msgs was generated from, so a field added,
    dropped or retyped in interfaces/vision_msgs would break this.
    """
    from rosbags.typesys import Stores, get_typestore

    from yolo_nano_ros.msgs.vision_msgs_types import register_vision_msgs

    store = get_typestore(Stores.ROS2_JAZZY)
    register_vision_msgs(store)
    raw = bytes(serialize_message(make_detections()))
    decoded = store.deserialize_cdr(raw, "vision_msgs/msg/Detection2DArray")
    assert decoded.header.frame_id == "camera_optical_frame"
    assert [(d.id, d.results[0].hypothesis.class_id, d.bbox.size_x) for d in decoded.detections] == [
        ("det0", "person", 30.0), ("det1", "dog", 60.0), ("det2", "bicycle", 90.0),
    ]

    info = LabelInfo()
    info.threshold = 0.25
    info.class_map = [VisionClass(class_id=7, class_name="car")]
    decoded_info = store.deserialize_cdr(bytes(serialize_message(info)), "vision_msgs/msg/LabelInfo")
    assert decoded_info.class_map[0].class_id == 7
    assert decoded_info.class_map[0].class_name == "car"
    assert decoded_info.threshold == pytest.approx(0.25)


@pytest.mark.parametrize("name", ["Detection2DArray", "LabelInfo", "VisionInfo", "BoundingBox2D"])
def test_built_type_hash_matches_rosbags_rihs01(name):
    """rosidl's RIHS01 hash (what DDS matching uses) equals the hash rosbags derives independently."""
    import json
    import sys
    from pathlib import Path

    from rosbags.typesys import Stores, get_typestore

    from yolo_nano_ros.msgs.vision_msgs_types import register_vision_msgs

    description = json.loads((Path(sys.prefix) / "share/vision_msgs/msg" / f"{name}.json").read_text())
    built = {h["type_name"]: h["hash_string"] for h in description["type_hashes"]}
    store = get_typestore(Stores.ROS2_JAZZY)
    register_vision_msgs(store)
    assert store.hash_rihs01(f"vision_msgs/msg/{name}") == built[f"vision_msgs/msg/{name}"]
