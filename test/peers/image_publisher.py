"""Test peer: publishes synthetic rgb8 frames whose pixels encode their sequence number.

Frame k has data[i] = (i + k) % 251 so a receiver can check every byte arrived intact.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import rclpy
from rclpy.qos import QoSProfile, qos_profile_sensor_data
from sensor_msgs.msg import Image


def frame_bytes(seq: int, height: int, width: int) -> bytes:
    return ((np.arange(height * width * 3, dtype=np.int64) + seq) % 251).astype(np.uint8).tobytes()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--topic", default="image")
    parser.add_argument("--width", type=int, default=640)
    parser.add_argument("--height", type=int, default=480)
    parser.add_argument("--rate", type=float, default=30.0)
    parser.add_argument("--count", type=int, default=0, help="0 = until stopped")
    parser.add_argument("--reliable", action="store_true")
    args = parser.parse_args()

    rclpy.init()
    node = rclpy.create_node("test_image_publisher")
    qos = QoSProfile(depth=10) if args.reliable else qos_profile_sensor_data
    pub = node.create_publisher(Image, args.topic, qos)
    print("publisher ready", flush=True)
    seq = 0
    try:
        while rclpy.ok() and (args.count == 0 or seq < args.count):
            msg = Image()
            msg.header.stamp = node.get_clock().now().to_msg()
            msg.header.frame_id = f"seq:{seq}"
            msg.height, msg.width, msg.encoding = args.height, args.width, "rgb8"
            msg.step = args.width * 3
            msg.data = frame_bytes(seq, args.height, args.width)
            pub.publish(msg)
            seq += 1
            time.sleep(1.0 / args.rate)
    except KeyboardInterrupt:
        pass
    finally:
        node.destroy_node()
        rclpy.try_shutdown()


if __name__ == "__main__":
    main()
