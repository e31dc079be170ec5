"""Stopping a node's process group: polite first, forceful when ignored."""

from __future__ import annotations

import signal
import subprocess
import sys
import time

from yolo_nano_ros.process_control import stop_process_group


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
