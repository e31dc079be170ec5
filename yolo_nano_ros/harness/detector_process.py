"""The detector node as a child process (its own process group), for the demo, benchmarks and live eval."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from yolo_nano_ros.errors import YoloNanoError

READY_TEXT = "listening on"  # what the detector (and the echo node) log once subscribed


class NodeStartError(YoloNanoError, RuntimeError):
    """A node process that exited or never became ready; the message ends with its log."""


def start_detector(model: Path, env: dict[str, str], log: Path, **parameters: object) -> subprocess.Popen[bytes]:
    """`yolo_nano_detector` with model:=MODEL and each parameter as -p name:=value (a list as [a, b]), output
    to `log`. `namespace` is not a parameter: the node runs in it (-r __ns:=/NAMESPACE).

    Stop it with process_control.stop_process_group: it runs in a new session so its whole group goes.
    Its input QoS matches what our replay tools publish (nodes.qos.replay_reliability) unless given.
    """
    from yolo_nano_ros.errors import ModelLoadError
    from yolo_nano_ros.nodes.qos import replay_reliability

    if not Path(model).is_file():  # say so here, not after a node start and a log to read
        raise ModelLoadError(f"model file not found: {model}")
    namespace = str(parameters.pop("namespace", "")).strip("/")
    parameters.setdefault("qos_reliability", replay_reliability())
    exe = Path(sys.executable).parent / "yolo_nano_detector"
    launcher = [str(exe)] if exe.exists() else [sys.executable, "-m", "yolo_nano_ros.nodes.detector_node"]
    cmd = [*launcher, "--ros-args", "-p", f"model:={model}"]
    for name, value in parameters.items():
        text = (str(value).lower() if isinstance(value, bool) else f"[{', '.join(map(str, value))}]"
                if isinstance(value, list | tuple) else value)
        cmd += ["-p", f"{name}:={text}"]
    if namespace:
        cmd += ["-r", f"__ns:=/{namespace}"]
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


@contextmanager
def running_node(start: Callable[[Path], subprocess.Popen[bytes]], log: Path, what: str = "detector",
                 timeout: float = 120.0) -> Iterator[subprocess.Popen[bytes]]:
    """A node process started with `start(log)`, ready (READY_TEXT in its log), stopped on leaving."""
    from yolo_nano_ros.harness.process_control import stop_process_group

    proc = start(log)
    try:
        if not wait_for_log(log, READY_TEXT, proc, timeout):
            raise NodeStartError(f"the {what} did not start ({log}):\n{log.read_text(errors='replace')[-2000:]}")
        yield proc
    finally:
        stop_process_group(proc)
