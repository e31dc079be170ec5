"""ByteTrack's association (Zhang et al. 2022) with a stamp-driven Kalman filter: one tracker per camera.

Each frame: every track is predicted to the frame's stamp; high-score detections are matched first to all
live tracks (confirmed and lost), by IoU with the Hungarian assignment; then low-score detections to the
confirmed tracks left over (the occluded object whose score dropped keeps its identity); then the high
detections left to the tentative tracks. Unmatched high detections start tentative tracks, which become
confirmed, and get an ID, after `min_hits` matches. A confirmed track unmatched is lost, and is kept for
`lost_buffer_s` seconds of stamp time (so a camera that goes quiet keeps its tracks until then); a
tentative track unmatched ends. Matches stay within a class.

IDs come from this tracker's own counter and are never reused in its lifetime, resets included: several
cameras in one process never share a counter (supervision #1528, ultralytics #21710).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import IntEnum

import numpy as np
from scipy.optimize import linear_sum_assignment

from yolo_nano_ros.errors import ConfigError
from yolo_nano_ros.runtime.postprocess import box_iou
from yolo_nano_ros.tracking import kalman

SECOND_STAGE_IOU = 0.5  # ByteTrack's threshold for low-score matches: they are less certain


class TrackState(IntEnum):
    """A track's state, as stored in the tracker's int8 state column."""

    TENTATIVE = 0
    CONFIRMED = 1
    LOST = 2


@dataclass(frozen=True)
class TrackerSettings:
    high_threshold: float = 0.25  # at or above: first association, may start tracks (Ultralytics' default)
    low_threshold: float = 0.1  # detections in [low, high): second association only
    match_iou: float = 0.2  # least IoU between a prediction and a detection for a first-stage match
    lost_buffer_s: float = 1.0  # a lost track is kept this long (stamp time) before it ends
    min_hits: int = 2  # matches before a track is confirmed and its ID published

    def __post_init__(self) -> None:
        if not 0.0 <= self.low_threshold <= self.high_threshold <= 1.0:
            raise ConfigError(f"tracker thresholds: need 0 <= low ({self.low_threshold}) <= high "
                              f"({self.high_threshold}) <= 1")
        if not 0.0 < self.match_iou <= 1.0:
            raise ConfigError(f"tracker match IoU {self.match_iou} is not in (0, 1]")
        if self.lost_buffer_s < 0 or self.min_hits < 1:
            raise ConfigError(f"tracker lost buffer {self.lost_buffer_s} s must be >= 0 and min hits "
                              f"{self.min_hits} >= 1")


TENTATIVE, CONFIRMED, LOST = TrackState.TENTATIVE, TrackState.CONFIRMED, TrackState.LOST


@dataclass
class TrackerStep:
    """One frame's result: for each input detection its track ID (0: none published), and the time step."""

    ids: np.ndarray  # (N,) int
    dt: float
    active_tracks: int  # confirmed, seen this frame or lost within the buffer


def _empty(n: int = 0) -> dict[str, np.ndarray]:
    return {"mean": np.zeros((n, kalman.STATE)), "cov": np.zeros((n, kalman.STATE, kalman.STATE)),
            "track_id": np.zeros(n, np.int64), "cls": np.zeros(n, np.int64), "state": np.zeros(n, np.int8),
            "hits": np.zeros(n, np.int64), "last_seen": np.zeros(n), "score": np.zeros(n)}


@dataclass
class ByteTracker:
    """The tracks are columns of arrays (structure of arrays): one frame is a few batched NumPy calls
    whatever the number of objects, not a Python loop over tracks."""

    settings: TrackerSettings = field(default_factory=TrackerSettings)
    columns: dict[str, np.ndarray] = field(default_factory=_empty)
    last_stamp_s: float | None = None
    next_id: int = 1

    def reset(self) -> None:
        """Forget every track (a bag looping, a new configure); the ID counter goes on, IDs are never reused."""
        self.columns = _empty()
        self.last_stamp_s = None

    def __len__(self) -> int:
        return len(self.columns["track_id"])

    def active_count(self) -> int:
        return int(np.count_nonzero(self.columns["state"] != TENTATIVE))

    def update(self, boxes: np.ndarray, scores: np.ndarray, class_ids: np.ndarray, stamp_s: float) -> TrackerStep:
        """Associate one frame's detections (xyxy, scores, classes) taken at `stamp_s`. A stamp before the last
        is the caller's to handle (TrackerBank resets); here it counts as no time passed."""
        s = self.settings
        boxes = np.asarray(boxes, np.float64).reshape(-1, 4)
        scores = np.asarray(scores, np.float64).reshape(-1)
        class_ids = np.asarray(class_ids, np.int64).reshape(-1)
        dt = 0.0 if self.last_stamp_s is None else max(0.0, stamp_s - self.last_stamp_s)
        self.last_stamp_s = stamp_s if self.last_stamp_s is None else max(stamp_s, self.last_stamp_s)
        c = self.columns
        # lost tracks past the buffer end before anything can match them (a quiet camera's included)
        self._keep((c["state"] != LOST) | (stamp_s - c["last_seen"] <= s.lost_buffer_s))
        c = self.columns
        if dt > 0 and len(self):
            c["mean"], c["cov"] = kalman.predict(c["mean"], c["cov"], dt)
        predicted = kalman.cxcywh_to_xyxy(c["mean"])
        ids = np.zeros(len(scores), np.int64)
        high = np.flatnonzero(scores >= s.high_threshold)
        low = np.flatnonzero((scores >= s.low_threshold) & (scores < s.high_threshold))
        state = c["state"]
        # 1: high detections with confirmed and lost tracks
        t1, d1 = self._match(np.flatnonzero(state != TENTATIVE), high, predicted, boxes, class_ids, s.match_iou)
        # 2: low detections with the confirmed tracks still unmatched (not lost ones: ByteTrack's rule)
        unmatched = np.ones(len(self), bool)
        unmatched[t1] = False
        t2, d2 = self._match(np.flatnonzero(unmatched & (state == CONFIRMED)), low, predicted, boxes, class_ids,
                             SECOND_STAGE_IOU)
        # 3: high detections left with tentative tracks
        high_left = np.setdiff1d(high, d1, assume_unique=True)
        t3, d3 = self._match(np.flatnonzero(state == TENTATIVE), high_left, predicted, boxes, class_ids,
                             s.match_iou)
        high_left = np.setdiff1d(high_left, d3, assume_unique=True)
        tracks, dets = np.concatenate([t1, t2, t3]), np.concatenate([d1, d2, d3])
        if len(tracks):
            c["mean"][tracks], c["cov"][tracks] = kalman.update(c["mean"][tracks], c["cov"][tracks], boxes[dets])
            c["hits"][tracks] += 1
            c["last_seen"][tracks] = stamp_s
            c["score"][tracks] = scores[dets]
            confirm = (state[tracks] == LOST) | ((state[tracks] == TENTATIVE) & (c["hits"][tracks] >= s.min_hits))
            self._confirm(tracks[confirm])
            published = c["state"][tracks] == CONFIRMED
            ids[dets[published]] = c["track_id"][tracks[published]]
        matched = np.zeros(len(self), bool)
        matched[tracks] = True
        # unmatched: a track never confirmed ends at its first miss; a confirmed one is lost
        c["state"][~matched & (c["state"] == CONFIRMED)] = LOST
        self._keep(matched | (c["state"] != TENTATIVE))
        if len(high_left):
            self._add(boxes[high_left], scores[high_left], class_ids[high_left], stamp_s)
            if s.min_hits <= 1:
                new = np.arange(len(self) - len(high_left), len(self))
                self._confirm(new)
                ids[high_left] = self.columns["track_id"][new]
        return TrackerStep(ids, dt, self.active_count())

    def _keep(self, mask: np.ndarray) -> None:
        if not mask.all():
            self.columns = {k: v[mask] for k, v in self.columns.items()}

    def _add(self, boxes: np.ndarray, scores: np.ndarray, class_ids: np.ndarray, stamp_s: float) -> None:
        mean, cov = kalman.initiate(boxes)
        new = _empty(len(boxes))
        new.update(mean=mean, cov=cov, cls=class_ids, hits=np.ones(len(boxes), np.int64),
                   last_seen=np.full(len(boxes), stamp_s), score=scores)
        self.columns = {k: np.concatenate([v, new[k]]) for k, v in self.columns.items()}

    def _confirm(self, tracks: np.ndarray) -> None:
        c = self.columns
        fresh = tracks[c["track_id"][tracks] == 0]
        c["track_id"][fresh] = np.arange(self.next_id, self.next_id + len(fresh))
        self.next_id += len(fresh)
        c["state"][tracks] = CONFIRMED

    def _match(self, tracks: np.ndarray, dets: np.ndarray, predicted: np.ndarray, boxes: np.ndarray,
               class_ids: np.ndarray, min_iou: float) -> tuple[np.ndarray, np.ndarray]:
        """Hungarian assignment on IoU, pairs below `min_iou` or across classes refused: (tracks, dets) matched."""
        if not len(tracks) or not len(dets):
            return np.zeros(0, np.int64), np.zeros(0, np.int64)
        # float32: a third faster, and IoU needs no more than 7 digits
        iou = box_iou(predicted[tracks].astype(np.float32), boxes[dets].astype(np.float32))
        same_class = self.columns["cls"][tracks][:, None] == class_ids[dets][None, :]
        iou = np.where(same_class & (iou >= min_iou), iou, 0.0)  # a refused pair adds nothing to the total
        rows, cols = linear_sum_assignment(-iou)
        ok = iou[rows, cols] >= min_iou
        return tracks[rows[ok]], dets[cols[ok]]
