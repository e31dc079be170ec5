"""One ByteTracker per camera, IDs that name their camera, and what a stamp going backwards means.

A bag that loops or a replay restarted sends a stamp before the last one: that camera's tracker is reset
(its tracks forgotten, its counter kept, so no ID is reused) and the caller is told once. Equal stamps are
a step of zero. With several cameras an ID is `camera/N`, so IDs are unique across the node; the single
unnamed input publishes `N`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from yolo_nano_ros.tracking.byte_tracker import ByteTracker, TrackerSettings


def track_label(camera: str, track_id: int) -> str:
    """Detection2D.id of a track: "" for none (not yet confirmed), `N`, or `camera/N`."""
    if track_id <= 0:
        return ""
    return f"{camera}/{track_id}" if camera else str(track_id)


@dataclass
class TrackerBank:
    settings: TrackerSettings = field(default_factory=TrackerSettings)
    on_reset: Callable[[str, float, float], None] = lambda camera, last, now: None  # (camera, last stamp, now)
    trackers: dict[str, ByteTracker] = field(default_factory=dict)
    resets: int = 0

    def tracker(self, camera: str) -> ByteTracker:
        if camera not in self.trackers:
            self.trackers[camera] = ByteTracker(self.settings)
        return self.trackers[camera]

    def update(self, camera: str, boxes: np.ndarray, scores: np.ndarray, class_ids: np.ndarray,
               stamp_s: float) -> list[str]:
        """Detection2D.id for each detection of this camera's frame."""
        tracker = self.tracker(camera)
        if tracker.last_stamp_s is not None and stamp_s < tracker.last_stamp_s:
            self.on_reset(camera, tracker.last_stamp_s, stamp_s)
            tracker.reset()
            self.resets += 1
        step = tracker.update(boxes, scores, class_ids, stamp_s)
        return [track_label(camera, int(i)) for i in step.ids]

    def retune(self, settings: TrackerSettings) -> None:
        """New thresholds from the next frame on, tracks kept (a run-time parameter change)."""
        self.settings = settings
        for tracker in self.trackers.values():
            tracker.settings = settings

    def reset(self) -> None:
        for tracker in self.trackers.values():
            tracker.reset()

    def active_tracks(self) -> dict[str, int]:
        # A copy: an inference worker may add a camera's tracker while diagnostics count them.
        return {camera: tracker.active_count() for camera, tracker in list(self.trackers.items())}
