"""tracking/: identities over time, on sequences whose truth is known by construction (boxes moving at
known velocities), each case one rule of ByteTrack's association or of the stamp-driven filter."""

from __future__ import annotations

import numpy as np
import pytest

from yolo_nano_ros.errors import ConfigError
from yolo_nano_ros.tracking.byte_tracker import ByteTracker, TrackerSettings
from yolo_nano_ros.tracking.camera_trackers import TrackerBank, track_label

PERIOD = 1 / 30


def box(cx: float, cy: float, w: float = 40, h: float = 80) -> list[float]:
    return [cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2]


def step(tracker: ByteTracker, boxes: list[list[float]], t: float, scores=None, classes=None) -> list[int]:
    n = len(boxes)
    result = tracker.update(np.array(boxes, float).reshape(-1, 4), np.array(scores or [0.9] * n),
                            np.array(classes or [0] * n), t)
    return result.ids.tolist()


def test_an_object_keeps_its_id_across_missed_and_dropped_frames():
    """Moving 300 px/s: missed for 5 frames (no detection), then 4 frames dropped (stamps jump): same ID,
    because the filter integrates the velocity over the stamps' time, not per call."""
    tracker = ByteTracker()
    ids = [step(tracker, [box(100 + 300 * k * PERIOD, 200)], k * PERIOD) for k in range(10)]
    assert ids[0] == [0] and ids[1] == [1] and all(i == [1] for i in ids[1:]), ids
    for k in range(10, 15):  # the object is occluded: frames arrive, empty
        assert step(tracker, [], k * PERIOD) == []
    assert step(tracker, [box(100 + 300 * 15 * PERIOD, 200)], 15 * PERIOD) == [1]
    for k in (20, 21, 25):  # frames 16-19 and 22-24 dropped by the node
        assert step(tracker, [box(100 + 300 * k * PERIOD, 200)], k * PERIOD) == [1]


def test_without_the_stamps_time_step_the_dropped_frames_would_lose_the_track():
    """Six frames dropped at 300 px/s (60 px, more than the box is wide): matched when the step is the stamps'
    time; with the stamps ignored (the step one frame, as in ByteTrack) the prediction falls short and the
    object gets a new track. This is what the stamp-driven step buys."""
    for stamp_of_jump, expected_same in ((16 * PERIOD, True), (10 * PERIOD, False)):
        tracker = ByteTracker()
        for k in range(10):
            step(tracker, [box(100 + 300 * k * PERIOD, 200)], k * PERIOD)
        assert (step(tracker, [box(100 + 300 * 16 * PERIOD, 200)], stamp_of_jump) == [1]) is expected_same


def test_two_crossing_objects_keep_their_ids():
    tracker = ByteTracker()
    seen: dict[int, set[int]] = {0: set(), 1: set()}
    for k in range(40):
        left, right = 100 + 8 * k, 420 - 8 * k  # they cross at k = 20
        ids = step(tracker, [box(left, 200), box(right, 205)], k * PERIOD)
        if k:
            seen[0].add(ids[0])
            seen[1].add(ids[1])
    assert seen == {0: {1}, 1: {2}}, seen


def test_a_low_score_detection_keeps_a_track_but_starts_none():
    tracker = ByteTracker(TrackerSettings(high_threshold=0.5))
    for k in range(3):
        step(tracker, [box(100 + 5 * k, 200)], k * PERIOD)
    assert step(tracker, [box(115, 200)], 3 * PERIOD, scores=[0.3]) == [1], "second association (low score)"
    assert step(tracker, [box(500, 200)] * 1, 4 * PERIOD, scores=[0.3]) == [0]
    assert step(tracker, [box(500, 200)], 5 * PERIOD, scores=[0.3]) == [0], "low scores never start a track"


def test_matches_stay_within_a_class():
    tracker = ByteTracker()
    for k in range(3):
        step(tracker, [box(100, 200)], k * PERIOD, classes=[14])
    assert step(tracker, [box(100, 200)], 3 * PERIOD, classes=[8]) == [0]
    assert step(tracker, [box(100, 200)], 4 * PERIOD, classes=[8]) == [2]


def test_a_quiet_camera_keeps_its_tracks_until_the_buffer_expires():
    tracker = ByteTracker(TrackerSettings(lost_buffer_s=1.0))
    for k in range(3):
        step(tracker, [box(100, 200)], k * PERIOD)
    assert step(tracker, [box(100, 200)], 2 * PERIOD + 0.9) == [1], "0.9 s without a frame: kept"
    step(tracker, [], 2 * PERIOD + 0.95)
    assert step(tracker, [box(100, 200)], 2 * PERIOD + 0.9 + 1.2) == [0], "1.2 s lost: ended, a new track"
    assert step(tracker, [box(100, 200)], 2 * PERIOD + 0.9 + 1.2 + PERIOD) == [2], "never the old ID again"


def test_equal_stamps_are_a_step_of_zero():
    tracker = ByteTracker()
    step(tracker, [box(100, 200)], 1.0)
    result = tracker.update(np.array([box(100, 200)]), np.array([0.9]), np.array([0]), 1.0)
    assert result.dt == 0.0 and result.ids.tolist() == [1]


def test_a_backwards_stamp_resets_that_camera_only_and_ids_are_never_reused():
    resets = []
    bank = TrackerBank(on_reset=lambda camera, last, now: resets.append((camera, last, now)))
    for k in range(3):
        front = bank.update("front", np.array([box(100, 200)]), np.array([0.9]), np.array([0]), 10 + k * PERIOD)
        rear = bank.update("rear", np.array([box(100, 200)]), np.array([0.9]), np.array([0]), 10 + k * PERIOD)
    assert (front, rear) == (["front/1"], ["rear/1"]), "each camera its own counter, IDs unique in the node"
    again = bank.update("front", np.array([box(100, 200)]), np.array([0.9]), np.array([0]), 5.0)  # bag looped
    assert again == [""] and resets == [("front", 10 + 2 * PERIOD, 5.0)]
    assert bank.update("front", np.array([box(100, 200)]), np.array([0.9]), np.array([0]), 5 + PERIOD) == ["front/2"]
    rear = bank.update("rear", np.array([box(100, 200)]), np.array([0.9]), np.array([0]), 10 + 3 * PERIOD)
    assert rear == ["rear/1"], "the other camera kept its track"
    assert track_label("", 7) == "7" and track_label("cam", 0) == ""


def test_min_hits_one_publishes_at_once_and_bad_settings_are_one_line_errors():
    tracker = ByteTracker(TrackerSettings(min_hits=1))
    assert step(tracker, [box(100, 200)], 0.0) == [1]
    with pytest.raises(ConfigError, match=r"need 0 <= low \(0.6\) <= high \(0.25\)"):
        TrackerSettings(low_threshold=0.6)
    with pytest.raises(ConfigError, match="match IoU"):
        TrackerSettings(match_iou=0.0)
