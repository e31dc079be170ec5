"""Rate meters: input and output rates of the detector's cameras, in events per second. No rclpy.

(The latest-frame-wins hand-off between subscriptions and the inference thread is
pipeline/camera_batcher.py.)
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Sequence
from typing import TypeVar

T = TypeVar("T")


def rate_hz(times: Sequence[float]) -> float:
    """Events per second over the span sorted event times cover: N events bound N-1 intervals."""
    return (len(times) - 1) / (times[-1] - times[0]) if len(times) > 1 and times[-1] > times[0] else 0.0


class RateMeter:
    """Events per second over the last `window` seconds."""

    def __init__(self, window: float = 5.0) -> None:
        self.window = window
        self._times: deque[float] = deque()
        self._lock = threading.Lock()

    def tick(self, now: float | None = None) -> None:
        with self._lock:
            self._times.append(time.monotonic() if now is None else now)

    def rate(self, now: float | None = None) -> float:
        now = time.monotonic() if now is None else now
        with self._lock:
            while self._times and self._times[0] < now - self.window:
                self._times.popleft()
            if len(self._times) < 2:
                return 0.0
            span = now - self._times[0]
            return (len(self._times) - 1) / span if span > 0 else 0.0
