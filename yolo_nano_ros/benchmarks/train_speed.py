"""Training throughput: images/s of the real trainer on coco128, in one process and under torchrun.

Each case is `yolo-nano train` itself (AMP on CUDA, the real data loader), for `epochs` epochs with no
validation; the last epoch's images_per_s column is the figure (the first warms up). The scaling ratio
is the torchrun case over the one-process case, taken in one run on one machine.
"""

from __future__ import annotations

import csv
import subprocess
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from yolo_nano_ros.errors import YoloNanoError


@dataclass(frozen=True)
class TrainSpeedSettings:
    data: Path
    device: str = "cuda"
    ranks: int = 2  # the torchrun case (the one-process case always runs)
    input_size: int = 416
    batch_per_rank: int = 16
    epochs: int = 2
    workers: int = 2


@dataclass(frozen=True)
class TrainSpeed:
    ranks: int
    global_batch: int
    images_per_s: float


def train_speed(s: TrainSpeedSettings, log: Callable[[str], None] = print) -> list[TrainSpeed]:
    out = []
    for ranks in (1, s.ranks) if s.ranks > 1 else (1,):
        batch = s.batch_per_rank * ranks
        with tempfile.TemporaryDirectory() as tmp:
            cmd = [str(Path(sys.executable).parent / "yolo-nano"), "train", "--data", str(s.data), "--out", tmp,
                   "--epochs", str(s.epochs), "--eval-every", str(10**6), "--batch-size", str(batch),
                   "--input-size", str(s.input_size), "--device", s.device, "--workers", str(s.workers)]
            if ranks > 1:
                cmd = [str(Path(sys.executable).parent / "torchrun"), "--standalone", "--nproc_per_node", str(ranks),
                       "--no-python", *cmd]
            log(f"training {s.epochs} epochs on {ranks} rank(s), global batch {batch}, {s.input_size} px ...")
            proc = subprocess.run(cmd, capture_output=True, text=True, stdin=subprocess.DEVNULL)
            if proc.returncode != 0:
                raise YoloNanoError(f"training on {ranks} rank(s) failed: {proc.stderr.strip().splitlines()[-1:]}")
            rows = list(csv.DictReader((Path(tmp) / "results.csv").open()))
        # The last epoch without validation ends with a checkpoint write: fine, it is outside the timed loop.
        out.append(TrainSpeed(ranks, batch, float(rows[-1]["images_per_s"])))
    return out


def format_train_speed(rows: list[TrainSpeed], machine: str) -> str:
    lines = [f"Training throughput ({machine}):", "", "| ranks | global batch | images/s | scaling |",
             "|---:|---:|---:|---:|"]
    base = rows[0].images_per_s
    for r in rows:
        lines.append(f"| {r.ranks} | {r.global_batch} | {r.images_per_s:.1f} | {r.images_per_s / base:.2f}x |")
    return "\n".join(lines)
