"""pipeline/camera_batcher: per-camera latest-frame-wins and batches across cameras (issue 18's core)."""

from __future__ import annotations

import threading
import time

import pytest

from yolo_nano_ros.pipeline.camera_batcher import CameraBatcher


def test_a_batch_holds_each_waiting_cameras_newest_frame_once():
    b: CameraBatcher[str] = CameraBatcher(["front", "left", "right"])
    b.put("front", "f1")
    b.put("front", "f2")  # replaces f1: a drop for front only
    b.put("left", "l1")
    assert b.take_batch(0) == [("front", "f2"), ("left", "l1")]
    assert b.take_batch(0) == [], "a frame is never inferred twice"
    assert (b.counts["front"].received, b.counts["front"].dropped, b.counts["front"].taken) == (2, 1, 1)
    assert b.counts["right"].received == 0 and b.batch_sizes == {2: 1}


def test_more_waiting_cameras_than_max_batch_take_turns():
    b: CameraBatcher[int] = CameraBatcher(["a", "b", "c", "d"], max_batch=2)
    served = []
    for i in range(6):
        for cam in "abcd":
            b.put(cam, i)
        served.append([cam for cam, _ in b.take_batch(0)])
    assert served[:2] == [["a", "b"], ["c", "d"]]
    assert all(sum(cam in batch for batch in served) == 3 for cam in "abcd"), served  # nobody starves


def test_a_fast_camera_cannot_starve_a_slow_one_and_a_silent_one_stalls_nothing():
    b: CameraBatcher[int] = CameraBatcher(["fast", "slow", "dead"], max_batch=1)
    taken = []
    for i in range(20):
        b.put("fast", i)
        if i % 4 == 0:
            b.put("slow", i)
        taken += [cam for cam, _ in b.take_batch(0)]
    assert taken.count("slow") == 5 and "dead" not in taken and len(taken) == 20


def test_take_waits_for_a_frame_and_close_wakes_it():
    b: CameraBatcher[str] = CameraBatcher(["cam"])
    threading.Timer(0.05, lambda: b.put("cam", "late")).start()
    started = time.monotonic()
    assert b.take_batch(2.0) == [("cam", "late")] and time.monotonic() - started < 1.0
    threading.Timer(0.05, b.close).start()
    assert b.take_batch(2.0) == []
    assert b.take_batch(0.01) == []


def test_bad_configuration_is_a_clear_error():
    with pytest.raises(ValueError, match="at least one camera"):
        CameraBatcher([])
    with pytest.raises(ValueError, match="unique"):
        CameraBatcher(["a", "a"])
    with pytest.raises(KeyError, match="unknown camera 'z'; configured: a, b"):
        CameraBatcher(["a", "b"]).put("z", 1)


def test_a_held_camera_is_left_out_of_other_batches_until_released():
    """Two workers: while one holds camera a's frame, a's next frame waits (latest wins) and the other worker
    takes only b; after release, a's newest frame is taken. So a camera never has two frames in flight."""
    batcher = CameraBatcher(["a", "b"])
    batcher.put("a", 1)
    first = batcher.take_batch(0, hold=True)
    assert first == [("a", 1)] and batcher.in_flight() == 1
    batcher.put("a", 2)
    batcher.put("a", 3)  # replaces 2 (a drop), still waiting for the hold to end
    batcher.put("b", 10)
    assert batcher.take_batch(0, hold=True) == [("b", 10)]
    assert batcher.take_batch(0.05, hold=True) == [], "a is held: nothing else may be taken"
    batcher.release(first)
    assert batcher.take_batch(0, hold=True) == [("a", 3)]
    assert batcher.counts["a"].dropped == 1
