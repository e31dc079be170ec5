"""YOLO Nano object detection for ROS 2.

The package is split into plain-Python cores (model, runtime, pre/post-processing, metrics,
tegrastats parsing) that never import rclpy, and thin ROS nodes under ``yolo_nano_ros.nodes``.
"""

__version__ = "0.1.0"
