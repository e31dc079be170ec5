"""Thin ROS 2 nodes: parameters and topics wired to the plain-Python cores."""
