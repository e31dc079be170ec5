"""`yolo-nano bench tracking`: our tracker against a reference ByteTrack (Roboflow trackers, run from the
reference venv by scripts/reference_bytetrack.py), on the same detections, in turns.

1. Identity: the TUD sequences py-motmetrics ships, made into detections at 10 % and 30 % misses (plus false
   positives and dropped frames, seeded): IDF1, ID switches, MOTA for each tracker, scored the same way.
2. Time per frame: crowds of 20 and 200 objects moving across 1080p for 300 frames: p50 / p95 of one update
   call, ours and the reference's, alternating rounds.
"""

from __future__ import annotations

import subprocess
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from yolo_nano_ros.data.mot_challenge import MotFrame, read_mot
from yolo_nano_ros.errors import YoloNanoError
from yolo_nano_ros.evaluation.track_metrics import identity_metrics
from yolo_nano_ros.evaluation.track_sequences import (
    MOTMETRICS_SEQUENCES,
    DetectionFrame,
    Noise,
    motmetrics_sequence,
    noisy_detections,
    track_sequence,
)
from yolo_nano_ros.tracking.byte_tracker import ByteTracker

REFERENCE_SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "reference_bytetrack.py"
MISSES = (0.1, 0.3)
CROWDS = (20, 200)


def crowd(objects: int, frames: int = 300, fps: float = 30.0, seed: int = 0) -> list[DetectionFrame]:
    """`objects` boxes crossing a 1920x1080 image at random constant velocities, 10 % of them missed a frame."""
    rng = np.random.default_rng(seed)
    start = rng.uniform([0, 0], [1800, 960], (objects, 2))
    velocity = rng.uniform(-120, 120, (objects, 2))  # pixels per second
    size = rng.uniform([20, 40], [60, 120], (objects, 2))
    out = []
    for k in range(frames):
        xy = (start + velocity * k / fps) % [1860, 1000]
        keep = rng.random(objects) >= 0.1
        boxes = np.concatenate([xy, xy + size], 1)[keep]
        out.append(DetectionFrame(k + 1, k / fps, boxes, rng.uniform(0.3, 1.0, len(boxes))))
    return out


def save_sequences(path: Path, sequences: dict[str, tuple[float, list[DetectionFrame]]]) -> None:
    arrays: dict[str, np.ndarray] = {}
    for name, (fps, frames) in sequences.items():
        arrays[f"{name}/fps"] = np.array(fps)
        arrays[f"{name}/frames"] = np.array([f.frame for f in frames])
        arrays[f"{name}/stamps"] = np.array([f.stamp_s for f in frames])
        for k, f in enumerate(frames):
            arrays[f"{name}/boxes/{k}"], arrays[f"{name}/scores/{k}"] = f.boxes, f.scores
    np.savez(path, **arrays)  # type: ignore[arg-type]  # numpy types the first keyword as allow_pickle


def run_reference(python: Path, sequences: dict[str, tuple[float, list[DetectionFrame]]]) -> dict[str, Any]:
    """{name: (per-frame MotFrames, per-call ms)} from the reference tracker in its own interpreter."""
    with tempfile.TemporaryDirectory(prefix="yolo_nano_trackbench_") as tmp:
        source, out = Path(tmp) / "sequences.npz", Path(tmp) / "tracked.npz"
        save_sequences(source, sequences)
        done = subprocess.run([str(python), str(REFERENCE_SCRIPT), str(source), str(out)], capture_output=True,
                              text=True, check=False, timeout=1800)
        if done.returncode != 0:
            raise YoloNanoError(f"the reference tracker failed ({python}): {done.stderr.strip()[-500:]}")
        data = np.load(out)
        results = {}
        for name in sequences:
            rows = data[f"{name}/rows"]
            frames = {}
            for frame in np.unique(rows[:, 0]).astype(int).tolist():
                r = rows[rows[:, 0] == frame]
                frames[frame] = MotFrame(r[:, 1].astype(np.int64), r[:, 2:6], np.ones(len(r)))
            results[name] = (frames, data[f"{name}/ms"])
        return results


def our_times(frames: list[DetectionFrame]) -> np.ndarray:
    tracker = ByteTracker()
    times = []
    for f in frames:
        t0 = time.perf_counter()
        tracker.update(f.boxes, f.scores, np.zeros(len(f.scores), np.int64), f.stamp_s)
        times.append((time.perf_counter() - t0) * 1e3)
    return np.array(times)


def tracking_bench(reference_python: Path | None, rounds: int = 3,
                   progress: Callable[[str], None] = print) -> dict[str, Any]:
    truth = {name: read_mot(motmetrics_sequence(name), min_confidence=0.5) for name in MOTMETRICS_SEQUENCES}
    identity_inputs = {f"{name} miss {miss:.0%}": (fps, noisy_detections(truth[name], fps,
                                                                         Noise(miss=miss, seed=1)))
                       for name, fps in MOTMETRICS_SEQUENCES.items() for miss in MISSES}
    report: dict[str, Any] = {"identity": [], "time_ms": [], "noise": Noise(miss=0.0, seed=1).label.split(", ", 1)[1],
                              "reference": "trackers 2.6.1 ByteTrackTracker (defaults, frame_rate = the sequence's)"
                              if reference_python else None}
    progress("identity: ours")
    reference = run_reference(reference_python, identity_inputs) if reference_python else {}
    for label, (_, frames) in identity_inputs.items():
        gt = truth[label.split(" miss ")[0]]
        row: dict[str, Any] = {"sequence": label, "ours": identity_metrics(gt, track_sequence(frames))}
        if label in reference:
            row["reference"] = identity_metrics(gt, reference[label][0])
        report["identity"].append(row)
    crowds = {f"crowd {n}": (30.0, crowd(n)) for n in CROWDS}
    samples: dict[str, dict[str, list[np.ndarray]]] = {name: {"ours": [], "reference": []} for name in crowds}
    for k in range(rounds):  # in turns: a busy machine slows both alike
        progress(f"time per frame: round {k + 1}/{rounds}")
        for name, (_, frames) in crowds.items():
            samples[name]["ours"].append(our_times(frames))
        if reference_python:
            for name, (_, ms) in run_reference(reference_python, crowds).items():
                samples[name]["reference"].append(ms[10:])  # its first calls warm caches up
    for name, by in samples.items():
        row = {"objects": int(name.split()[1])}
        for who, arrays in by.items():
            if arrays:
                ms = np.concatenate(arrays)
                row[who] = {"p50": float(np.percentile(ms, 50)), "p95": float(np.percentile(ms, 95))}
        report["time_ms"].append(row)
    return report


def tracking_markdown(report: dict[str, Any]) -> str:
    ref = report["reference"] is not None
    lines = [f"Identity ({report['noise']}; IoU 0.5 matching, py-motmetrics)", "",
             "| sequence | IDF1 ours | IDF1 ref | ID switches ours | ID switches ref | MOTA ours | MOTA ref |",
             "|---|---:|---:|---:|---:|---:|---:|"]
    for row in report["identity"]:
        o, r = row["ours"], row.get("reference", {})
        cell = (lambda d, k, f: f.format(d[k]) if k in d else "-")  # noqa: E731
        lines.append(f"| {row['sequence']} | {o['idf1']:.3f} | {cell(r, 'idf1', '{:.3f}')} | {o['num_switches']} | "
                     f"{cell(r, 'num_switches', '{}')} | {o['mota']:.3f} | {cell(r, 'mota', '{:.3f}')} |")
    lines += ["", "Time per frame (one update call, ms)", "", "| objects | ours p50 | ours p95 | ref p50 | ref p95 |",
              "|---:|---:|---:|---:|---:|"]
    for row in report["time_ms"]:
        r = row.get("reference", {})
        ref_cells = f"{r['p50']:.3f} | {r['p95']:.3f}" if r else "- | -"
        lines.append(f"| {row['objects']} | {row['ours']['p50']:.3f} | {row['ours']['p95']:.3f} | {ref_cells} |")
    if not ref:
        lines += ["", "(no reference: make setup-reference builds .venv-reference with Roboflow trackers)"]
    return "\n".join(lines)
