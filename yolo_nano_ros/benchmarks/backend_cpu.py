"""A backend's own CPU time per inference, at a camera's pace, measured as the node bench measures the node:
the process's CPU clock (user + system of every thread, psutil) over N paced inferences, divided by N.

Paced, not back to back: at 30 Hz the runtime's worker threads idle (or spin, with cpu_spin) between
frames exactly as they do in the node, so the two figures are comparable. Runs in its own process
(`python -m yolo_nano_ros.benchmarks.backend_cpu ...`, one JSON line) so nothing else shares its clock.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np


@dataclass(frozen=True)
class BackendCpu:
    backend: str
    cpu_ms_per_inference: float
    infer_ms_p50: float


def measure(model: Path, backend: str, threads: int, spin: bool, images: list[Path], rate_hz: float = 30.0,
            count: int = 150, warmup: int = 10) -> BackendCpu:
    import psutil

    from yolo_nano_ros.runtime.backends.cpu_settings import CpuSettings
    from yolo_nano_ros.runtime.detector import Detector
    from yolo_nano_ros.runtime.stage_bench import load_frames

    detector = Detector.from_path(model, backend, log=lambda _m: None, cpu=CpuSettings(threads=threads, spin=spin))
    batches = [detector.preprocess(frame)[0] for frame in load_frames(images, 640, 480)]
    for i in range(warmup):
        detector.backend.infer(batches[i % len(batches)])
    process, period, times = psutil.Process(), 1.0 / rate_hz, []
    start = process.cpu_times()
    next_at = time.monotonic()
    for i in range(count):
        t0 = time.perf_counter()
        detector.backend.infer(batches[i % len(batches)])
        times.append((time.perf_counter() - t0) * 1e3)
        next_at += period
        time.sleep(max(0.0, next_at - time.monotonic()))
    end = process.cpu_times()
    spent = (end.user - start.user) + (end.system - start.system)
    return BackendCpu(detector.backend.name, 1e3 * spent / count, float(np.percentile(times, 50)))


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--model", type=Path, required=True)
    p.add_argument("--backend", default="auto")
    p.add_argument("--threads", type=int, default=0)
    p.add_argument("--spin", choices=["true", "false"], default="true")
    p.add_argument("--rate", type=float, default=30.0)
    p.add_argument("--count", type=int, default=150)
    p.add_argument("images", nargs="+", type=Path)
    a = p.parse_args(argv)
    result = measure(a.model, a.backend, a.threads, a.spin == "true", a.images, a.rate, a.count)
    print(json.dumps(asdict(result)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
