"""Jetson board statistics, power modes and efficiency: plain Python, no rclpy."""
