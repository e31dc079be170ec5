"""The rosbags type store every bag tool and serializer uses: ROS 2 message definitions plus vision_msgs."""

from __future__ import annotations

from rosbags.typesys import Stores, get_typestore

from yolo_nano_ros.msgs.vision_msgs_types import register_vision_msgs


def typestore():
    store = get_typestore(Stores.ROS2_HUMBLE)  # Humble's definitions: the oldest distro users replay on
    register_vision_msgs(store)
    return store
