"""Latest-frame-wins slot and rate meter (no ROS)."""

from __future__ import annotations

import threading
import time

import pytest

from yolo_nano_ros.pipeline.frame_pipeline import LatestFrameSlot, RateMeter, rate_hz


def test_newest_frame_wins_and_replacements_count_as_drops():
    slot: LatestFrameSlot[int] = LatestFrameSlot()
    assert slot.put(1) is False
    assert slot.put(2) is True and slot.put(3) is True
    assert slot.take(0.1) == 3
    assert slot.take(0.01) is None
    assert (slot.received, slot.dropped) == (3, 2)


def test_slow_consumer_sees_bounded_staleness():
    """Producer at ~200 Hz, consumer taking 20 ms: each frame processed is at most one interval old."""
    slot: LatestFrameSlot[float] = LatestFrameSlot()
    ages: list[float] = []
    stop = threading.Event()

    def consume() -> None:
        while not stop.is_set():
            stamp = slot.take(0.1)
            if stamp is not None:
                ages.append(time.monotonic() - stamp)
                time.sleep(0.02)

    worker = threading.Thread(target=consume)
    worker.start()
    for _ in range(100):
        slot.put(time.monotonic())
        time.sleep(0.005)
    stop.set()
    slot.close()
    worker.join()
    assert slot.dropped > 50
    assert max(ages) < 0.015, "a processed frame waited longer than one producer interval"


def test_close_releases_a_waiting_consumer():
    slot: LatestFrameSlot[int] = LatestFrameSlot()
    threading.Timer(0.05, slot.close).start()
    t = time.monotonic()
    assert slot.take(5.0) is None and time.monotonic() - t < 1.0


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
