"""Rate meter and error throttle (no ROS)."""

from __future__ import annotations

import pytest

from yolo_nano_ros.pipeline.frame_pipeline import RateMeter, rate_hz


def test_rate_meter():
    m = RateMeter(window=2.0)
    for i in range(21):
        m.tick(100.0 + i * 0.1)
    assert m.rate(now=102.0) == pytest.approx(10.0)
    assert m.rate(now=110.0) == 0.0


def test_error_throttle_is_per_kind_and_counts_suppressed():
    from yolo_nano_ros.pipeline.error_throttle import ErrorThrottle

    t = ErrorThrottle(5.0)
    assert t.admit("truncated", now=0.0) == 0
    assert t.admit("truncated", now=1.0) is None
    assert t.admit("unknown_encoding", now=1.5) == 0, "another kind is not silenced by the first"
    assert t.admit("truncated", now=2.0) is None
    assert t.admit("truncated", now=6.0) == 2


def test_rate_hz_counts_intervals_not_events():
    assert rate_hz([10.0, 10.1, 10.2, 10.3, 10.4]) == pytest.approx(10.0)  # 5 frames, 4 intervals, 0.4 s
    assert rate_hz([]) == rate_hz([3.0]) == rate_hz([3.0, 3.0]) == 0.0  # no span: no rate, no division by zero
