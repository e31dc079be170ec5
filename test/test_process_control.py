"""Stopping a node's process group: polite first, forceful when ignored."""

from __future__ import annotations

import signal
import subprocess
import sys
import time

import pytest

from yolo_nano_ros.harness.process_control import stop_process_group


def start(code: str) -> subprocess.Popen:
    proc = subprocess.Popen([sys.executable, "-c", code], start_new_session=True, stdout=subprocess.PIPE)
    assert proc.stdout.readline().strip() == b"up"
    return proc


def test_sigint_stops_a_cooperative_child():
    # The child installs Python's SIGINT handler itself: a shell's background job (`make test &`) starts
    # with SIGINT ignored, and Python then leaves it ignored in every child it spawns.
    code = "import signal, time; signal.signal(signal.SIGINT, signal.default_int_handler); print('up', flush=True); " \
           "time.sleep(60)"
    proc = start(code)
    assert stop_process_group(proc, 5.0) == -signal.SIGINT


def test_a_child_ignoring_sigint_gets_sigterm():
    code = "import signal, time; signal.signal(signal.SIGINT, signal.SIG_IGN); print('up', flush=True); time.sleep(60)"
    proc = start(code)
    t = time.monotonic()
    assert stop_process_group(proc, 0.5) == -signal.SIGTERM
    assert time.monotonic() - t < 5


def test_an_already_finished_child_is_fine():
    proc = start("print('up', flush=True)")
    proc.wait(5)
    assert stop_process_group(proc) == 0


def test_running_node_waits_for_ready_and_stops_on_leaving(tmp_path):
    from yolo_nano_ros.harness.detector_process import READY_TEXT, running_node, start_logged

    code = f"import time; print('{READY_TEXT} image', flush=True); time.sleep(60)"
    with running_node(lambda log: start_logged([sys.executable, "-c", code], {}, log), tmp_path / "ok.log") as proc:
        assert proc.poll() is None
    assert proc.poll() is not None, "the node process must be stopped when the block ends"


def test_running_node_that_never_becomes_ready_is_a_clear_error(tmp_path):
    from yolo_nano_ros.harness.detector_process import NodeStartError, running_node, start_logged

    code = "print('cannot load model x.onnx', flush=True)"
    never_ready = running_node(lambda log: start_logged([sys.executable, "-c", code], {}, log), tmp_path / "bad.log",
                               "echo node", timeout=10)
    with pytest.raises(NodeStartError, match=r"the echo node did not start \(.*bad\.log\):\ncannot load model"), \
            never_ready:
        pass
