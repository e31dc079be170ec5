"""`yolo-nano train` under torchrun (DistributedDataParallel, gloo on the CPU), in real processes."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import cv2
import pytest
from conftest_data import REPO_ROOT

from yolo_nano_ros.training.distributed import (
    DistributedContext,
    TrainingError,
    context_from_environment,
    per_rank_batch,
)

BIN = Path(sys.executable).parent
COCO128 = sorted((REPO_ROOT / "data" / "coco128" / "images" / "train2017").glob("*.jpg"))
COMMON = ["--input-size", "128", "--workers", "0", "--device", "cpu", "--eval-every", "1"]


def test_the_torchrun_environment_is_read_and_checked():
    assert context_from_environment({}) == DistributedContext()
    ctx = context_from_environment({"WORLD_SIZE": "4", "RANK": "3", "LOCAL_RANK": "1"})
    assert (ctx.enabled, ctx.is_main, ctx.describe()) == (True, False, "rank 3 of 4")
    with pytest.raises(TrainingError, match="inconsistent torchrun environment: RANK 4, WORLD_SIZE 4"):
        context_from_environment({"WORLD_SIZE": "4", "RANK": "4"})
    with pytest.raises(TrainingError, match="are not integers"):
        context_from_environment({"WORLD_SIZE": "two"})
    assert per_rank_batch(8, ctx) == 2
    with pytest.raises(TrainingError, match="--batch-size 10 is the global batch: it must divide by the 4 ranks"):
        per_rank_batch(10, ctx)


def equal_box_dataset(root: Path, n: int = 16) -> Path:
    """n real photos at 128x128, each labelled with the same box: every rank's share then holds the same
    number of matched targets, which makes the per-rank loss means add up to the one-process mean exactly."""
    (root / "images").mkdir(parents=True)
    (root / "labels").mkdir()
    for path in COCO128[:n]:
        cv2.imwrite(str(root / "images" / path.name), cv2.resize(cv2.imread(str(path)), (128, 128)))
        (root / "labels" / f"{path.stem}.txt").write_text("0 0.5 0.5 0.3 0.4\n")
    (root / "data.yaml").write_text("path: .\ntrain: images\nval: images\nnames: [thing]\n")
    return root


def train(tmp_path: Path, out: str, *args: str, ranks: int = 1, timeout: float = 300) -> subprocess.CompletedProcess:
    cmd = [str(BIN / "yolo-nano"), "train", "--out", str(tmp_path / out), *COMMON, *args]
    if ranks > 1:
        cmd = [str(BIN / "torchrun"), "--standalone", "--nproc_per_node", str(ranks), "--no-python", *cmd]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, cwd=tmp_path, stdin=subprocess.DEVNULL)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return proc


def weights(path: Path) -> dict:
    import torch

    return {k: v.double() for k, v in torch.load(path, weights_only=True)["raw_model"].items()
            if v.dtype.is_floating_point}


@pytest.mark.slow
def test_two_ranks_with_global_batch_8_equal_one_process_with_batch_8(tmp_path):
    """2 optimizer steps (16 images, global batch 8), no augmentation, BatchNorm frozen (--freeze-bn: PyTorch's
    SyncBatchNorm has no CPU implementation, and per-rank batch statistics differ from the global batch's)."""
    data = str(equal_box_dataset(tmp_path / "ds"))
    same = ["--data", data, "--epochs", "1", "--batch-size", "8", "--no-augment", "--freeze-bn", "--warmup-epochs", "0"]
    train(tmp_path, "one", *same)
    two = train(tmp_path, "two", *same, ranks=2)
    train(tmp_path, "still", *same, "--lr", "0")  # the starting weights, for scale
    assert "global batch 8 = 2 x 4" in two.stdout
    one_w, two_w, start = weights(tmp_path / "one" / "last.pt"), weights(tmp_path / "two" / "last.pt"), \
        weights(tmp_path / "still" / "last.pt")
    moved = max(float((one_w[k] - start[k]).abs().max()) for k in one_w)
    apart = max(float((one_w[k] - two_w[k]).abs().max()) for k in one_w)
    assert moved > 1e-3, "training did not change the weights: the comparison would prove nothing"
    assert apart < 1e-6, f"2 ranks drifted {apart:.2e} from one process (the weights moved {moved:.2e})"


@pytest.mark.slow
def test_two_ranks_on_coco128_evaluate_checkpoint_once_and_resume(tmp_path):
    (tmp_path / "sixteen.txt").write_text("".join(f"{p}\n" for p in COCO128[:16]))
    (tmp_path / "coco128.yaml").write_text(
        f"path: {REPO_ROOT / 'data' / 'coco128'}\ntrain: {tmp_path / 'sixteen.txt'}\nval: {tmp_path / 'sixteen.txt'}\n"
        "names: [" + ", ".join(f"c{i}" for i in range(80)) + "]\n")
    data = ["--data", str(tmp_path / "coco128.yaml"), "--batch-size", "8"]
    first = train(tmp_path, "run", *data, "--epochs", "1", ranks=2)
    assert first.stdout.count("best checkpoint:") == 1 and first.stdout.count("val mAP@0.5") == 1, first.stdout
    rows = (tmp_path / "run" / "results.csv").read_text().splitlines()
    assert len(rows) == 2, "one header and one epoch, written by rank 0 only"
    import torch

    assert torch.load(tmp_path / "run" / "last.pt", weights_only=True)["world_size"] == 2
    train(tmp_path, "run", *data, "--epochs", "2", "--resume", ranks=2)
    resumed = torch.load(tmp_path / "run" / "last.pt", weights_only=True)
    assert resumed["epoch"] == 1 and len(resumed["history"]) == 2
    assert len((tmp_path / "run" / "results.csv").read_text().splitlines()) == 3


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.slow
def test_a_killed_rank_ends_the_run_with_a_message_instead_of_a_hang(tmp_path):
    """Two ranks started as torchrun would (its environment, no agent to clean up), rank 1 killed mid-run:
    rank 0 must stop within --ddp-timeout and say why in one line."""
    data = str(equal_box_dataset(tmp_path / "ds"))
    port = free_port()
    procs = []
    for rank in (0, 1):
        env = {**os.environ, "WORLD_SIZE": "2", "RANK": str(rank), "LOCAL_RANK": str(rank),
               "MASTER_ADDR": "127.0.0.1", "MASTER_PORT": str(port)}
        procs.append(subprocess.Popen(
            [str(BIN / "yolo-nano"), "train", "--data", data, "--out", str(tmp_path / "run"), *COMMON,
             "--epochs", "200", "--batch-size", "4", "--ddp-timeout", "20"],
            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=tmp_path,
            stdin=subprocess.DEVNULL))
    try:
        csv = tmp_path / "run" / "results.csv"
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and (not csv.exists() or len(csv.read_text().splitlines()) < 2):
            assert procs[0].poll() is None, procs[0].communicate()
            time.sleep(0.2)
        assert csv.exists() and len(csv.read_text().splitlines()) >= 2, "the run never finished an epoch"
        procs[1].send_signal(signal.SIGKILL)
        killed = time.monotonic()
        _, err = procs[0].communicate(timeout=60)
        assert time.monotonic() - killed < 45, "rank 0 waited past --ddp-timeout"
        assert procs[0].returncode == 2, err[-3000:]
        last = err.strip().splitlines()[-1]
        assert last.startswith("yolo-nano: error: rank 0 of 2: lost the other ranks"), err[-3000:]
        assert "Traceback" not in err
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
                p.communicate()
