"""Tracking sequences to score a tracker on: MOTChallenge ground truth turned into the detections a detector
would give (box noise, misses, false positives, dropped frames; seeded), and our tracker run over them.

The ground truth that py-motmetrics ships (TUD-Campus, 71 frames; TUD-Stadtmitte, 179 frames; boxes only, no
images, no data licence stated) is read from the installed package, never copied into this repository.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import numpy as np

from yolo_nano_ros.data.mot_challenge import MotFrame
from yolo_nano_ros.errors import YoloNanoError
from yolo_nano_ros.tracking.byte_tracker import ByteTracker, TrackerSettings

MOTMETRICS_SEQUENCES = {"TUD-Campus": 25.0, "TUD-Stadtmitte": 25.0}  # name -> frame rate (MOTChallenge seqinfo)


@dataclass(frozen=True)
class Noise:
    miss: float = 0.1  # fraction of true boxes the detector misses
    false_per_frame: float = 0.5  # false positives per frame (Poisson mean), anywhere in the image
    box_sigma: float = 0.05  # box edge noise, standard deviation as a fraction of the box's width / height
    drop: float = 0.1  # fraction of frames that never reach the tracker (latest-frame-wins drops)
    seed: int = 0

    @property
    def label(self) -> str:
        return f"miss {self.miss:.0%}, fp {self.false_per_frame:g}/frame, drop {self.drop:.0%}"


@dataclass
class DetectionFrame:
    frame: int
    stamp_s: float
    boxes: np.ndarray  # (N, 4) xyxy
    scores: np.ndarray  # (N,)


def motmetrics_sequence(name: str) -> Path:
    """gt.txt of a sequence py-motmetrics ships, from the installed package."""
    if name not in MOTMETRICS_SEQUENCES:
        raise YoloNanoError(f"unknown sequence {name!r}: motmetrics ships {', '.join(MOTMETRICS_SEQUENCES)}")
    try:
        root = resources.files("motmetrics")
    except ModuleNotFoundError:
        raise YoloNanoError("the TUD sequences come with motmetrics: pip install motmetrics==1.4.0") from None
    path = Path(str(root / "data" / name / "gt.txt"))
    if not path.is_file():
        raise YoloNanoError(f"{path} not found in the installed motmetrics")
    return path


def noisy_detections(truth: dict[int, MotFrame], fps: float, noise: Noise,
                     image_size: tuple[int, int] = (640, 480)) -> list[DetectionFrame]:
    """What a detector at `fps` would hand the tracker: each true box kept with probability 1 - miss, its
    edges jittered, scored in [0.2, 1); Poisson false positives scored in [0.1, 0.5); a `drop` fraction of
    the frames left out (their stamps missing, as the node's dropped frames are)."""
    rng = np.random.default_rng(noise.seed)
    width, height = image_size
    out = []
    for frame in range(min(truth), max(truth) + 1):
        if rng.random() < noise.drop:
            continue
        gt = truth.get(frame)
        boxes, scores = [], []
        if gt is not None:
            keep = rng.random(len(gt.ids)) >= noise.miss
            b = gt.boxes[keep]
            size = np.stack([b[:, 2] - b[:, 0], b[:, 3] - b[:, 1]] * 2, 1)
            boxes.append(b + rng.normal(0.0, noise.box_sigma, b.shape) * size)
            scores.append(rng.uniform(0.2, 1.0, len(b)))
        fp = rng.poisson(noise.false_per_frame)
        if fp:
            wh = rng.uniform([20, 40], [80, 160], (fp, 2))
            xy = rng.uniform([0, 0], [width - 20, height - 40], (fp, 2))
            boxes.append(np.concatenate([xy, xy + wh], 1))
            scores.append(rng.uniform(0.1, 0.5, fp))
        out.append(DetectionFrame(frame, (frame - 1) / fps, np.concatenate(boxes) if boxes else np.zeros((0, 4)),
                                  np.concatenate(scores) if scores else np.zeros(0)))
    return out


def track_sequence(frames: list[DetectionFrame], settings: TrackerSettings | None = None) -> dict[int, MotFrame]:
    """Our tracker over a sequence: per frame the confirmed tracks' detections with their IDs (the boxes the
    node publishes are the detector's, so those are what is scored)."""
    tracker = ByteTracker(settings or TrackerSettings())
    out = {}
    for f in frames:
        step = tracker.update(f.boxes, f.scores, np.zeros(len(f.scores), np.int64), f.stamp_s)
        keep = step.ids > 0
        out[f.frame] = MotFrame(step.ids[keep], f.boxes[keep], f.scores[keep])
    return out
