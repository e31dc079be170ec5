"""The detector node as a child process (its own process group), for the demo, benchmarks and live eval."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path


def start_detector(model: Path, env: dict[str, str], log: Path, **parameters: object) -> subprocess.Popen[bytes]:
    """`yolo_nano_detector` with model:=MODEL and each parameter as -p name:=value, output to `log`.

    Stop it with process_control.stop_process_group: it runs in a new session so its whole group goes.
    """
    exe = Path(sys.executable).parent / "yolo_nano_detector"
    launcher = [str(exe)] if exe.exists() else [sys.executable, "-m", "yolo_nano_ros.nodes.detector_node"]
    cmd = [*launcher, "--ros-args", "-p", f"model:={model}"]
    for name, value in parameters.items():
        cmd += ["-p", f"{name}:={str(value).lower() if isinstance(value, bool) else value}"]
    return start_logged(cmd, env, log)


def start_logged(cmd: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    """`cmd` in a new session (stop it with process_control.stop_process_group), output to `log`."""
    return subprocess.Popen(cmd, env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                            start_new_session=True)


def wait_for_log(log: Path, text: str, proc: subprocess.Popen[bytes], timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and proc.poll() is None:
        if text in log.read_text(errors="replace"):
            return True
        time.sleep(0.1)
    return False
