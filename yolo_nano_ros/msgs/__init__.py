"""ROS messages without rclpy: image CDR decoding, image encodings, vision_msgs types, detection arrays."""
