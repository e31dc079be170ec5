"""TEST DOUBLE state shared by the fake tegrastats / nvpmodel / jetson_clocks (not NVIDIA tools).

The board is an AGX Xavier as jetson.md describes it: modes 0=MAXN .. 6, default 2=MODE_15W; its
rails have no input rail, so the total is their sum. State lives in $FAKE_JETSON_STATE (a folder).
"""

import os
from pathlib import Path

MODES = {0: "MAXN", 1: "MODE_10W", 2: "MODE_15W", 3: "MODE_30W_ALL", 4: "MODE_30W_6CORE", 5: "MODE_30W_4CORE",
         6: "MODE_30W_2CORE"}
DEFAULT_MODE = 2
NEEDS_REBOOT = {0}  # a different GPU power-gating mask than the others
# Total module power (mW) the fake board draws per mode while the detector runs.
POWER_MW = {0: 38000, 1: 9800, 2: 13700, 3: 29900, 4: 28000, 5: 26000, 6: 24000}


def state_dir() -> Path:
    path = Path(os.environ.get("FAKE_JETSON_STATE", "/tmp/fake_jetson_state"))
    path.mkdir(parents=True, exist_ok=True)
    return path


def read(name: str, default: str) -> str:
    path = state_dir() / name
    return path.read_text().strip() if path.exists() else default


def write(name: str, value: str) -> None:
    (state_dir() / name).write_text(value)


def log(entry: str) -> None:
    with (state_dir() / "calls.log").open("a") as handle:
        handle.write(entry + "\n")
