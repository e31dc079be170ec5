"""`yolo-nano bench batch`: inference time per frame at batch 1 and batch N, per CPU backend and thread count.

What one detector for N cameras gains from one call for N frames depends on the backend's kernels, and
what a batch axis costs single frames depends on how the backend compiles it. So per (backend, threads):
the model compiled for one frame per call (`single`: what a one-camera node runs), the same model opened
for N frames per call (max_batch = N) running one frame, and running N frames. Real photos, letterboxed
as the node does; the cases take turns round by round (a shared machine's load drifts onto all alike),
and the median of the rounds is reported per frame, with the ratio to `single`.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from yolo_nano_ros.runtime.latency import percentile


@dataclass(frozen=True)
class BatchCase:
    backend: str
    threads: int
    opened_for: int  # max_batch the backend was opened with
    batch: int  # frames per call

    @property
    def label(self) -> str:
        return "single" if self.opened_for == 1 else f"max_batch {self.opened_for}, {self.batch} per call"


@dataclass(frozen=True)
class BatchTiming:
    case: BatchCase
    ms_per_frame: float  # median over rounds
    batch_axis: bool  # what the backend declared when opened


def bench_batch(model: Path, images: list[Path], backends: list[str], threads: list[int], batch: int = 4,
                rounds: int = 8, calls: int = 10,
                log: Callable[[str], None] = print) -> list[BatchTiming]:
    from yolo_nano_ros.runtime.backends.cpu_settings import CpuSettings
    from yolo_nano_ros.runtime.detector import Detector
    from yolo_nano_ros.runtime.stage_bench import load_frames

    frames = load_frames(images, 640, 480)
    opened: list[tuple[BatchCase, Detector, np.ndarray]] = []
    for backend in backends:
        for n_threads in threads:
            for opened_for, per_call in ((1, 1), (batch, 1), (batch, batch)):
                detector = Detector.from_path(model, backend, log=lambda _m: None, max_batch=opened_for,
                                              cpu=CpuSettings(threads=n_threads, spin=False, cache_dir=None))
                tensors = [detector.preprocess(frames[i % len(frames)])[0] for i in range(per_call)]
                opened.append((BatchCase(backend, n_threads, opened_for, per_call), detector,
                               np.concatenate(tensors)))
    log(f"{len(opened)} cases x {rounds} rounds x {calls} calls, batch {batch}, {len(frames)} photos at 640x480")
    for _, detector, x in opened:  # warm-up: first calls allocate
        for _ in range(3):
            detector.backend.infer(x)
    samples: dict[BatchCase, list[float]] = {case: [] for case, _, _ in opened}
    for _ in range(rounds):
        for case, detector, x in opened:
            t0 = time.perf_counter()
            for _ in range(calls):
                detector.backend.infer(x)
            samples[case].append((time.perf_counter() - t0) * 1e3 / (calls * case.batch))
    return [BatchTiming(case, percentile(samples[case], 50), detector.backend.batch_axis)
            for case, detector, _ in opened]


def batch_table(rows: list[BatchTiming]) -> str:
    single = {(r.case.backend, r.case.threads): r.ms_per_frame for r in rows if r.case.opened_for == 1}
    lines = ["| backend | threads | opened for | frames per call | batch axis | ms per frame (median) | vs single |",
             "|---|---:|---:|---:|---|---:|---:|"]
    for r in rows:
        ratio = r.ms_per_frame / single[(r.case.backend, r.case.threads)]
        lines.append(f"| {r.case.backend} | {r.case.threads or 'all'} | {r.case.opened_for} | {r.case.batch} | "
                     f"{'yes' if r.batch_axis else 'no'} | {r.ms_per_frame:.2f} | {ratio:.2f} |")
    return "\n".join(lines)
