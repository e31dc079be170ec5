"""`yolo-nano bench ultralytics`: registered by cli.py, run from here (benchmarks/ultralytics_compare.py)."""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path
from typing import Any

from yolo_nano_ros.errors import YoloNanoError
from yolo_nano_ros.paths import sample_data_dir

# make setup-ultralytics builds it
ULTRALYTICS_VENV = Path(__file__).resolve().parents[2] / ".venv-ultralytics" / "bin" / "python"


def add_bench_parser(bench: Any) -> None:
    p = bench.add_parser("ultralytics", help="our pipeline against Ultralytics' predict (speed) and val "
                                             "(evaluation) on the same YOLO11n files; trains one (minutes)")
    p.add_argument("--python", type=Path, default=ULTRALYTICS_VENV,
                   help=f"Ultralytics' interpreter (default {ULTRALYTICS_VENV}: make setup-ultralytics)")
    p.add_argument("--weights", type=Path, default=None, help="a trained YOLO11n .pt (default: train one)")
    p.add_argument("--epochs", type=int, default=150, help="training epochs (default 150: ~20 min on 2 cores)")
    p.add_argument("--imgsz", type=int, default=320, help="train, export and input size (default 320)")
    p.add_argument("--frames", type=int, default=64, help="photos per speed round (default 64)")
    p.add_argument("--rounds", type=int, default=3, help="speed rounds, theirs and ours in turns (default 3)")
    p.add_argument("--work-dir", type=Path, default=None, help="keep the dataset copy, runs and exports here "
                                                               "(default: a temporary folder, removed)")
    p.add_argument("--json", action="store_true", help="the report as JSON")
    p.set_defaults(func=run_bench)


def run_bench(args: argparse.Namespace) -> int:
    from yolo_nano_ros.benchmarks.ultralytics_compare import (
        UltralyticsBenchSettings,
        ultralytics_bench,
        ultralytics_markdown,
    )

    data = sample_data_dir()
    if data is None or not (data / "coco128" / "images").is_dir():
        raise YoloNanoError("bench ultralytics needs data/coco128 of a source checkout")
    with tempfile.TemporaryDirectory(prefix="yolo_nano_ultralytics_") as tmp:
        settings = UltralyticsBenchSettings(args.python, data / "coco128", (args.work_dir or Path(tmp)).resolve(),
                                            args.weights, args.epochs, args.imgsz, args.frames, args.rounds)
        report = ultralytics_bench(settings, progress=lambda m: print(f"[bench ultralytics] {m}", file=sys.stderr))
    print(json.dumps(report, indent=1) if args.json else ultralytics_markdown(report))
    return 0
