"""yolo-nano-power-sweep end to end: the real detector node, the real sweep, and TEST DOUBLES
(test/fakes/bin: tegrastats, nvpmodel, jetson_clocks; not NVIDIA's) at the hardware edge."""

from __future__ import annotations

import csv
import os
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.ros

FAKE_BIN = Path(__file__).resolve().parent / "fakes" / "bin"
BIN = Path(sys.executable).parent


def fake_env(state: Path) -> dict[str, str]:
    return {"PATH": f"{FAKE_BIN}{os.pathsep}{os.environ['PATH']}", "FAKE_JETSON_STATE": str(state)}


def test_power_sweep_end_to_end_with_the_fake_board(tmp_path):
    import subprocess

    state = tmp_path / "jetson"
    out = tmp_path / "sweep"
    env = {**os.environ, **fake_env(state)}
    proc = subprocess.run([str(BIN / "yolo-nano-power-sweep"), "--modes", "MODE_15W,MODE_30W_ALL,MAXN",
                           "--seconds", "2", "--warmup", "1", "--rate", "20", "--interval", "100", "--out", str(out)],
                          env=env, capture_output=True, text=True, timeout=240, stdin=subprocess.DEVNULL)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    rows = {r["mode"]: r for r in csv.DictReader((out / "sweep.csv").open())}
    assert set(rows) == {"MODE_15W", "MODE_30W_ALL", "MAXN"}
    for mode, watts in (("MODE_15W", 13.7), ("MODE_30W_ALL", 29.9)):
        row = rows[mode]
        assert row["status"] == "measured" and float(row["power_w"]) == pytest.approx(watts, abs=0.01)
        assert float(row["fps"]) > 5
        assert float(row["images_per_s_per_w"]) == pytest.approx(float(row["fps"]) / watts, rel=1e-6)
    assert "needs a reboot" in rows["MAXN"]["status"]
    assert (state / "mode").read_text() == "2", "the original mode was not restored"
    assert (out / "sweep.png").stat().st_size > 0 and "| MODE_15W | 2 | 15 |" in (out / "sweep.md").read_text()
