"""Persistent object identities: a ByteTrack-style tracker per camera, as a stage between detection and
publishing (plain Python, numpy and scipy; no rclpy)."""
