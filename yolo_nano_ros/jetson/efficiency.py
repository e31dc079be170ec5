"""FPS, power and images/s/W over one shared time window, as the paper's AGX Xavier table reports them.

images/s/W divides the frame rate by the *measured* mean total power over the same window as the
frame rate (not by the nominal budget: the paper's 1.97 img/s/W at "15 W" implies ~13.7 W measured).
Our own window mean, because jtop's "avg" is (power + old_avg) // 2, not a mean.
"""

from __future__ import annotations

import threading
from collections import deque
from dataclasses import dataclass

from yolo_nano_ros.pipeline.frame_pipeline import rate_hz


@dataclass(frozen=True)
class Efficiency:
    fps: float
    power_w: float | None
    images_per_s_per_w: float | None
    mj_per_frame: float | None
    frames: int
    power_samples: int
    window_s: float


class EfficiencyWindow:
    """Frame arrivals and power samples (time.monotonic() seconds), kept for `window_s`."""

    def __init__(self, window_s: float = 10.0) -> None:
        self.window_s = window_s
        self._frames: deque[float] = deque()
        self._power: deque[tuple[float, float]] = deque()
        self._lock = threading.Lock()

    def add_frame(self, t: float) -> None:
        with self._lock:
            self._frames.append(t)

    def add_power(self, t: float, total_mw: float) -> None:
        with self._lock:
            self._power.append((t, total_mw))

    def _trim(self, now: float) -> None:
        start = now - self.window_s
        while self._frames and self._frames[0] < start:
            self._frames.popleft()
        while self._power and self._power[0][0] < start:
            self._power.popleft()

    def compute(self, now: float) -> Efficiency:
        with self._lock:
            self._trim(now)
            frames = list(self._frames)
            power = [mw for _, mw in self._power]
        fps = rate_hz(frames)
        watts = sum(power) / len(power) / 1000.0 if power else None
        per_watt = fps / watts if watts and fps > 0 else None
        mj = watts * 1000.0 / fps if watts and fps > 0 else None
        return Efficiency(fps, watts, per_watt, mj, len(frames), len(power), self.window_s)
