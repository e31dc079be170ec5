"""Test peer: subscribes to one topic and republishes every message, unchanged, on another."""

from __future__ import annotations

import argparse
import importlib

import rclpy


def message_type(name: str) -> type:
    package, kind, cls = name.split("/")
    return getattr(importlib.import_module(f"{package}.{kind}"), cls)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("type", help="e.g. vision_msgs/msg/Detection2DArray")
    parser.add_argument("input")
    parser.add_argument("output")
    args = parser.parse_args()

    rclpy.init()
    node = rclpy.create_node("test_relay")
    msg_type = message_type(args.type)
    pub = node.create_publisher(msg_type, args.output, 10)
    node.create_subscription(msg_type, args.input, pub.publish, 10)
    print("relay ready", flush=True)
    try:
        rclpy.spin(node)
    except KeyboardInterrupt:
        pass
    finally:
        node.destroy_node()
        rclpy.try_shutdown()


if __name__ == "__main__":
    main()
