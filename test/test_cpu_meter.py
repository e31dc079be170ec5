"""pipeline/cpu_meter: the process's CPU time per answered frame, from a clock given by the test."""

from __future__ import annotations

import pytest

from yolo_nano_ros.pipeline.cpu_meter import CpuPerFrame


def test_cpu_per_frame_divides_the_process_clock_by_the_frames_answered():
    clock = iter([10.0, 10.0, 10.5, 10.9, 12.1]).__next__  # seconds of process CPU at each reading
    meter = CpuPerFrame(clock)
    assert meter.sample(0) is None  # no frame yet: undefined, not 0
    assert meter.sample(50) == pytest.approx(10.0)  # 0.5 s over 50 frames
    assert meter.sample(50) == pytest.approx(10.0)  # idle: the last value; the 0.4 s idle is not charged...
    assert meter.sample(80) == pytest.approx(40.0)  # ...to the next 30 frames (1.2 s)
