"""Latency statistics over a bounded window (percentiles in ms), shared by bench, node diagnostics and eval."""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable

import numpy as np


def percentile(values_ms: Iterable[float], q: float) -> float:
    """The q-th percentile of the samples; NaN when there are none (a phase nothing answered)."""
    samples = np.fromiter(values_ms, float)
    return float(np.percentile(samples, q)) if samples.size else float("nan")


class LatencyWindow:
    """The last `size` samples of one quantity; percentiles on demand."""

    def __init__(self, size: int = 300) -> None:
        self.samples: deque[float] = deque(maxlen=size)

    def add(self, value_ms: float) -> None:
        self.samples.append(float(value_ms))

    def __len__(self) -> int:
        return len(self.samples)

    def percentile(self, q: float) -> float:
        return percentile(self.samples, q)

    def summary(self) -> dict[str, float]:
        return {"p50": self.percentile(50), "p95": self.percentile(95), "p99": self.percentile(99),
                "mean": float(np.mean(self.samples)) if self.samples else float("nan"), "n": len(self.samples)}
