"""model/checkpoint.py: checkpoints load with the weights-only unpickler; a crafted .pt runs nothing.

The crafted file's payload would create a marker file when unpickled. The first test proves it does
with a plain torch.load (so the others can fail), then every path that opens a .pt (the loader,
`yolo-nano train --weights`, the detector node's `model` parameter) must refuse it and leave no marker.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

torch = pytest.importorskip("torch")

from yolo_nano_ros.errors import UnsafeCheckpointError  # noqa: E402
from yolo_nano_ros.model.checkpoint import load_checkpoint, load_model, save_checkpoint  # noqa: E402
from yolo_nano_ros.model.config import YoloNanoConfig  # noqa: E402
from yolo_nano_ros.model.yolo_nano import YoloNano  # noqa: E402

BIN = Path(sys.executable).parent
DEMO_DATA = Path(__file__).resolve().parents[1] / "config" / "datasets" / "demo_samples.yaml"


class CreatesAFile:
    """Unpickling this calls open(path, "w"): the smallest stand-in for code run from a checkpoint."""

    def __init__(self, path: Path) -> None:
        self.path = str(path)

    def __reduce__(self):
        return (open, (self.path, "w"))


@pytest.fixture
def crafted(tmp_path: Path) -> tuple[Path, Path]:
    marker = tmp_path / "pwned"
    path = tmp_path / "crafted.pt"
    cfg = YoloNanoConfig(input_size=320)
    torch.save({"config": cfg.to_dict(), "model": YoloNano(cfg).state_dict(), "extra": CreatesAFile(marker)}, path)
    return path, marker


def test_the_crafted_checkpoint_really_runs_code_when_unpickled_unsafely(crafted):
    path, marker = crafted
    code = f"import torch; torch.load({str(path)!r}, weights_only=False)"
    subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, timeout=120)
    assert marker.exists()


def test_the_loader_refuses_it_and_runs_nothing(crafted):
    path, marker = crafted
    with pytest.raises(UnsafeCheckpointError, match=r"refusing checkpoint .*crafted\.pt.*would run code"):
        load_checkpoint(path)
    with pytest.raises(UnsafeCheckpointError):
        load_model(path)
    assert not marker.exists()


def test_our_own_checkpoints_hold_only_plain_data(tmp_path):
    cfg = YoloNanoConfig(input_size=320)
    model = YoloNano(cfg)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    model(torch.zeros(1, 3, 320, 320)).__getitem__(0).sum().backward()
    optimizer.step()
    save_checkpoint(tmp_path / "last.pt", model, cfg, raw_model=model.state_dict(), ema_updates=3,
                    optimizer=optimizer.state_dict(), epoch=1, best_map50=0.5,
                    history=[{"epoch": 1, "lr": 0.01}], settings={"data": "x.yaml"})
    ckpt = load_checkpoint(tmp_path / "last.pt")
    assert ckpt["epoch"] == 1 and ckpt["optimizer"]["param_groups"][0]["momentum"] == 0.9
    _, loaded_cfg = load_model(tmp_path / "last.pt")
    assert loaded_cfg == cfg


def test_train_weights_refuses_it_in_one_line(crafted, tmp_path):
    path, marker = crafted
    r = subprocess.run([str(BIN / "yolo-nano"), "train", "--data", str(DEMO_DATA), "--weights", str(path),
                        "--epochs", "1", "--out", str(tmp_path / "run"), "--input-size", "320", "--workers", "0"],
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 2, r.stdout + r.stderr
    assert "Traceback" not in r.stderr and "refusing checkpoint" in r.stderr, r.stderr
    assert not marker.exists()


@pytest.mark.ros
def test_the_detector_node_refuses_it_and_stays_up(crafted, launcher):
    path, marker = crafted
    node = launcher.start([str(BIN / "yolo_nano_detector"), "--ros-args", "-p", f"model:={path}",
                           "-p", "backend:=torch"], name="detector")
    assert node.wait_for_output("refusing checkpoint", 60), node.output()
    time.sleep(0.5)
    assert node.alive() and not marker.exists()
