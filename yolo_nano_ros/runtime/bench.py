"""`yolo-nano bench`: per-stage latency (pre, infer, post) of a Detector on a real frame."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from yolo_nano_ros.runtime.detector import Detector
from yolo_nano_ros.runtime.latency import LatencyWindow


@dataclass
class StageLatency:
    backend: str
    runs: int
    stages: dict[str, dict[str, float]]

    def to_text(self) -> str:
        lines = [f"backend {self.backend}, {self.runs} runs (ms)", f"{'stage':<8}{'p50':>9}{'p95':>9}{'mean':>9}"]
        for name, s in self.stages.items():
            lines.append(f"{name:<8}{s['p50']:>9.3f}{s['p95']:>9.3f}{s['mean']:>9.3f}")
        return "\n".join(lines)


def bench_detector(detector: Detector, frame: np.ndarray, runs: int = 100, warmup: int = 10) -> StageLatency:
    for _ in range(warmup):
        detector.detect(frame)
    windows = {k: LatencyWindow(runs) for k in ("pre", "infer", "post", "total")}
    for _ in range(runs):
        t = detector.detect(frame).times
        for key, value in (("pre", t.pre_ms), ("infer", t.infer_ms), ("post", t.post_ms), ("total", t.total_ms)):
            windows[key].add(value)
    return StageLatency(detector.backend.name, runs, {k: w.summary() for k, w in windows.items()})
