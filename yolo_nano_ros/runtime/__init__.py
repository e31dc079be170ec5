"""Inference runtime: pre-processing, backends, post-processing. Never imports torch or rclpy."""
