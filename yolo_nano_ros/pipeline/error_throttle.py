"""Rate-limit error logs per kind of error, not per call site.

rclpy's throttle_duration_sec throttles a logging call site: after a truncated frame, an unknown
encoding arriving a second later would go unreported. Here each key (a kind of error) is logged at
most once per period, and the next log says how many of that kind were suppressed in between.
"""

from __future__ import annotations

import time


class ErrorThrottle:
    def __init__(self, period_s: float = 5.0) -> None:
        self.period = period_s
        self._last: dict[str, float] = {}
        self._suppressed: dict[str, int] = {}

    def admit(self, key: str, now: float | None = None) -> int | None:
        """None: stay quiet. Otherwise log now; the value is how many were suppressed since the last log."""
        now = time.monotonic() if now is None else now
        last = self._last.get(key)
        if last is not None and now - last < self.period:
            self._suppressed[key] = self._suppressed.get(key, 0) + 1
            return None
        self._last[key] = now
        return self._suppressed.pop(key, 0)
