"""Real photos as serialized sensor_msgs/Image frames, what the across-process benchmarks replay to nodes."""

from __future__ import annotations

from pathlib import Path

from yolo_nano_ros.bag.frames import RawFrame


def rgb8_frames(images: list[Path], width: int, height: int) -> list[RawFrame]:
    from rclpy.serialization import serialize_message
    from sensor_msgs.msg import Image

    from yolo_nano_ros.runtime.stage_bench import load_frames

    frames = []
    for index, rgb in enumerate(load_frames(images, width, height)):
        msg = Image(height=height, width=width, encoding="rgb8", step=3 * width, data=rgb.tobytes())
        msg.header.frame_id = "camera"
        frames.append(RawFrame(index, 0, "sensor_msgs/msg/Image", serialize_message(msg)))
    return frames
