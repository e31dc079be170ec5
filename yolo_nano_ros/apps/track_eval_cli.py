"""`yolo-nano track-eval`: our tracker on MOTChallenge sequences, scored with MOTA, IDF1, ID switches and
fragmentations. A sequence is a gt.txt (with identities) and either the detections of a det.txt or, by
default, detections made from the ground truth with the given misses, false positives and dropped frames
(seeded). `--sequence TUD-Campus` uses the ground truth that py-motmetrics ships."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from yolo_nano_ros.tracking.byte_tracker import TrackerSettings


def add_parser(sub: Any) -> None:
    p = sub.add_parser("track-eval", help="tracker identity metrics (MOTA, IDF1, ID switches) on MOTChallenge "
                                          "sequences", description=__doc__)
    p.add_argument("gt", nargs="*", type=Path, help="MOTChallenge gt.txt files (frame, id, x, y, w, h, conf, ...)")
    p.add_argument("--sequence", nargs="+", default=[], help="sequences py-motmetrics ships: TUD-Campus, "
                                                             "TUD-Stadtmitte")
    p.add_argument("--det", type=Path, default=None, help="a det.txt to track instead of noisy ground truth "
                                                          "(one gt only)")
    p.add_argument("--fps", type=float, default=None, help="frame rate of the gt files (default 25, MOT's TUD)")
    p.add_argument("--miss", type=float, nargs="+", default=[0.1, 0.3], help="fractions of boxes missed "
                                                                             "(default 0.1 0.3)")
    p.add_argument("--fp", type=float, default=0.5, help="false positives per frame (default 0.5)")
    p.add_argument("--drop", type=float, default=0.1, help="fraction of frames dropped (default 0.1)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--json", action="store_true", help="one JSON object per sequence and noise level")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from yolo_nano_ros.data.mot_challenge import read_mot
    from yolo_nano_ros.errors import ConfigError
    from yolo_nano_ros.evaluation.track_metrics import identity_metrics
    from yolo_nano_ros.evaluation.track_sequences import (
        MOTMETRICS_SEQUENCES,
        DetectionFrame,
        Noise,
        motmetrics_sequence,
        noisy_detections,
        track_sequence,
    )

    sequences = [(name, motmetrics_sequence(name), MOTMETRICS_SEQUENCES[name]) for name in args.sequence]
    sequences += [(path.parent.name or path.name, path, args.fps or 25.0) for path in args.gt]
    if not sequences:
        raise ConfigError("track-eval: give gt.txt files or --sequence TUD-Campus")
    if args.det is not None and len(sequences) != 1:
        raise ConfigError("track-eval --det: one ground truth at a time")
    settings = TrackerSettings()
    for name, path, fps in sequences:
        truth = read_mot(path, min_confidence=0.5)
        runs: list[tuple[str, list[DetectionFrame]]]
        if args.det is not None:
            dets = read_mot(args.det)
            runs = [(f"detections {args.det.name}", [DetectionFrame(f, (f - 1) / fps, d.boxes, d.scores)
                                                     for f, d in sorted(dets.items())])]
        else:
            runs = [(noise.label, noisy_detections(truth, fps, noise)) for noise in
                    (Noise(miss=m, false_per_frame=args.fp, drop=args.drop, seed=args.seed) for m in args.miss)]
        for label, frames in runs:
            metrics = identity_metrics(truth, track_sequence(frames, settings))
            if args.json:
                print(json.dumps({"sequence": name, "input": label, **metrics}))
            else:
                print(f"{name:<16} {label:<36} MOTA {metrics['mota']:6.3f}  IDF1 {metrics['idf1']:6.3f}  "
                      f"ID switches {metrics['num_switches']:4d}  fragmentations {metrics['num_fragmentations']:4d}"
                      f"  ({metrics['num_frames']} frames)")
    return 0


REFERENCE_VENV = Path(__file__).resolve().parents[2] / ".venv-reference" / "bin" / "python"  # make setup-reference


def add_bench_parser(bench: Any) -> None:
    p = bench.add_parser("tracking", help="our tracker against a reference ByteTrack: IDF1, ID switches, time "
                                          "per frame at 20 and 200 objects")
    p.add_argument("--reference-python", type=Path, default=None,
                   help=f"interpreter with Roboflow trackers (default {REFERENCE_VENV} if there: make "
                        "setup-reference); without one only ours is measured")
    p.add_argument("--rounds", type=int, default=3, help="timing rounds, ours and the reference in turns")
    p.add_argument("--json", action="store_true", help="the report as JSON")
    p.set_defaults(func=run_bench)


def run_bench(args: argparse.Namespace) -> int:
    import sys

    from yolo_nano_ros.benchmarks.tracking import tracking_bench, tracking_markdown

    python = args.reference_python or (REFERENCE_VENV if REFERENCE_VENV.is_file() else None)
    report = tracking_bench(python, args.rounds, progress=lambda m: print(f"[bench tracking] {m}", file=sys.stderr))
    print(json.dumps(report, indent=1) if args.json else tracking_markdown(report))
    return 0
