"""`python -m yolo_nano_ros.nodes.header_echo`: the transport floor for the node benchmark.

Answers every image with an empty Detection2DArray carrying the image's header, as the detector
would with a model that took no time and found nothing. It takes the image and publishes the
answer the detector's way (serialized both ways, events executor), so its round trip is what DDS
and the Python client library cost on this machine: the part of the detector's end-to-end latency
that no detector code can remove.
"""

from __future__ import annotations

import numpy as np
import rclpy
from sensor_msgs.msg import Image
from vision_msgs.msg import Detection2DArray

from yolo_nano_ros.msgs.detection_arrays import DetectionArraySerializer
from yolo_nano_ros.msgs.image_cdr import SerializedImageDecoder
from yolo_nano_ros.nodes.executors import init_ros, make_executor, spin_node
from yolo_nano_ros.nodes.qos import replay_camera_qos


def main(args: list[str] | None = None) -> None:
    init_ros(args)
    node = rclpy.create_node("yolo_nano_header_echo")
    decoder, serializer = SerializedImageDecoder(), DetectionArraySerializer()
    pub = node.create_publisher(Detection2DArray, "detections", 10)
    no_boxes = np.zeros((0, 4), np.float32)

    def echo(raw: bytes) -> None:
        pub.publish(serializer.serialize(decoder.decode(raw).header, no_boxes, [], []))

    # The QoS the node bench replays with, as the detector it stands beside is told (detector_process).
    sub = node.create_subscription(Image, "image", echo, replay_camera_qos(reliable_depth=1), raw=True)
    executor, description = make_executor("events")
    executor.add_node(node)
    node.get_logger().info(f"listening on {sub.topic_name} ({description})")
    spin_node(node, executor)


if __name__ == "__main__":
    main()
