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
from enum import Enum

import numpy as np
from scipy.optimize import linear_sum_assignment

from yolo_nano_ros.errors import ConfigError
from yolo_nano_ros.tracking import kalman

SECOND_STAGE_IOU = 0.5  # ByteTrack's threshold for low-score matches: they are less certain


def pairwise_iou(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """(N, M) IoU of xyxy boxes, with the fewest temporaries (runtime.postprocess.box_iou is the general one;
    this runs on every frame for every track: 200 x 200 in about a tenth of the time here)."""
    iw = np.minimum(a[:, None, 2], b[None, :, 2]) - np.maximum(a[:, None, 0], b[None, :, 0])
    ih = np.minimum(a[:, None, 3], b[None, :, 3]) - np.maximum(a[:, None, 1], b[None, :, 1])
    np.maximum(iw, 0.0, out=iw)
    np.maximum(ih, 0.0, out=ih)
    inter = iw * ih
    area_a = (a[:, 2] - a[:, 0]) * (a[:, 3] - a[:, 1])
    area_b = (b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1])
    union = area_a[:, None] + area_b[None, :] - inter
    return np.divide(inter, union, out=np.zeros_like(inter), where=union > 0)


class TrackState(Enum):
    TENTATIVE = "tentative"
    CONFIRMED = "confirmed"
    LOST = "lost"


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


@dataclass
class Track:
    track_id: int  # 0 until confirmed
    class_id: int
    mean: np.ndarray  # kalman state (8,)
    cov: np.ndarray  # (8, 8)
    state: TrackState = TrackState.TENTATIVE
    hits: int = 1
    last_seen_s: float = 0.0
    score: float = 0.0

    @property
    def box(self) -> np.ndarray:
        return kalman.cxcywh_to_xyxy(self.mean)[0]


@dataclass
class TrackerStep:
    """One frame's result: for each input detection its track ID (0: none published), and the time step."""

    ids: np.ndarray  # (N,) int
    dt: float
    active_tracks: int  # confirmed, seen this frame or lost within the buffer


@dataclass
class ByteTracker:
    settings: TrackerSettings = field(default_factory=TrackerSettings)
    tracks: list[Track] = field(default_factory=list)
    last_stamp_s: float | None = None
    next_id: int = 1

    def reset(self) -> None:
        """Forget every track (a bag looping, a new configure); the ID counter goes on, IDs are never reused."""
        self.tracks = []
        self.last_stamp_s = None

    def update(self, boxes: np.ndarray, scores: np.ndarray, class_ids: np.ndarray, stamp_s: float) -> TrackerStep:
        """Associate one frame's detections (xyxy, scores, classes) taken at `stamp_s`. A stamp before the last
        is the caller's to handle (TrackerBank resets); here it counts as no time passed."""
        s = self.settings
        boxes = np.asarray(boxes, np.float64).reshape(-1, 4)
        scores = np.asarray(scores, np.float64).reshape(-1)
        class_ids = np.asarray(class_ids, np.int64).reshape(-1)
        dt = 0.0 if self.last_stamp_s is None else max(0.0, stamp_s - self.last_stamp_s)
        self.last_stamp_s = stamp_s if self.last_stamp_s is None else max(stamp_s, self.last_stamp_s)
        # lost tracks past the buffer end before anything can match them (a quiet camera's included)
        self.tracks = [t for t in self.tracks if t.state is not TrackState.LOST or
                       stamp_s - t.last_seen_s <= s.lost_buffer_s]
        self._predict(dt)
        ids = np.zeros(len(scores), np.int64)
        high = np.flatnonzero(scores >= s.high_threshold)
        low = np.flatnonzero((scores >= s.low_threshold) & (scores < s.high_threshold))

        live = [t for t in self.tracks if t.state is not TrackState.TENTATIVE]
        tentative = [t for t in self.tracks if t.state is TrackState.TENTATIVE]
        matched_tracks: set[int] = set()
        # 1: high detections with confirmed and lost tracks
        pairs, high_left = self._match(live, high, boxes, class_ids, s.match_iou)
        # 2: low detections with the confirmed tracks still unmatched (not lost ones: ByteTrack's rule)
        first = {id(p) for p, _ in pairs}
        still_tracked = [t for t in live if id(t) not in first and t.state is TrackState.CONFIRMED]
        low_pairs, _ = self._match(still_tracked, low, boxes, class_ids, SECOND_STAGE_IOU)
        # 3: high detections left with tentative tracks
        tentative_pairs, high_left = self._match(tentative, high_left, boxes, class_ids, s.match_iou)
        all_pairs = pairs + low_pairs + tentative_pairs
        self._correct(all_pairs, boxes, scores, stamp_s)
        for track, det in all_pairs:
            matched_tracks.add(id(track))
            if track.state is TrackState.CONFIRMED:
                ids[det] = track.track_id

        kept: list[Track] = []
        for track in self.tracks:
            if id(track) in matched_tracks:
                kept.append(track)
            elif track.state is TrackState.TENTATIVE:
                continue  # a track never confirmed ends at its first miss
            elif stamp_s - track.last_seen_s <= s.lost_buffer_s:
                track.state = TrackState.LOST
                kept.append(track)
        if len(high_left):
            mean, cov = kalman.initiate(boxes[high_left])
            for j, det in enumerate(high_left):
                track = Track(0, int(class_ids[det]), mean[j], cov[j], last_seen_s=stamp_s, score=float(scores[det]))
                if s.min_hits <= 1:
                    self._confirm(track)
                    ids[det] = track.track_id
                kept.append(track)
        self.tracks = kept
        active = sum(t.state is not TrackState.TENTATIVE for t in kept)
        return TrackerStep(ids, dt, active)

    def _predict(self, dt: float) -> None:
        if not self.tracks or dt <= 0:
            return
        mean, cov = kalman.predict(np.stack([t.mean for t in self.tracks]), np.stack([t.cov for t in self.tracks]),
                                   dt)
        for i, track in enumerate(self.tracks):
            track.mean, track.cov = mean[i], cov[i]

    def _correct(self, pairs: list[tuple[Track, int]], boxes: np.ndarray, scores: np.ndarray, stamp_s: float) -> None:
        if not pairs:
            return
        tracks = [t for t, _ in pairs]
        mean, cov = kalman.update(np.stack([t.mean for t in tracks]), np.stack([t.cov for t in tracks]),
                                  boxes[[d for _, d in pairs]])
        for i, (track, det) in enumerate(pairs):
            track.mean, track.cov = mean[i], cov[i]
            track.hits += 1
            track.last_seen_s = stamp_s
            track.score = float(scores[det])
            if track.state is TrackState.LOST or (track.state is TrackState.TENTATIVE and
                                                  track.hits >= self.settings.min_hits):
                self._confirm(track)

    def _confirm(self, track: Track) -> None:
        if track.track_id == 0:
            track.track_id = self.next_id
            self.next_id += 1
        track.state = TrackState.CONFIRMED

    @staticmethod
    def _match(tracks: list[Track], dets: np.ndarray, boxes: np.ndarray, class_ids: np.ndarray,
               min_iou: float) -> tuple[list[tuple[Track, int]], np.ndarray]:
        """Hungarian assignment on 1 - IoU, pairs below `min_iou` or across classes refused; (pairs, dets left)."""
        if not tracks or not len(dets):
            return [], dets
        predicted = kalman.cxcywh_to_xyxy(np.stack([t.mean for t in tracks]))
        iou = pairwise_iou(predicted, boxes[dets])
        same_class = np.array([t.class_id for t in tracks])[:, None] == class_ids[dets][None, :]
        iou = np.where(same_class & (iou >= min_iou), iou, 0.0)  # a refused pair adds nothing to the total
        rows, cols = linear_sum_assignment(-iou)
        ok = iou[rows, cols] >= min_iou
        pairs = [(tracks[r], int(dets[c])) for r, c in zip(rows[ok], cols[ok], strict=True)]
        taken = set(cols[ok].tolist())
        return pairs, np.array([d for k, d in enumerate(dets) if k not in taken], np.int64)
