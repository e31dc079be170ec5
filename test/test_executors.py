"""nodes/executors.py: which executor each rclpy gets, and stopping on SIGINT/SIGTERM in order.

rclpy differs between Jazzy (7.1) and Kilted (9.1); each test below runs in both lanes (make test,
make test-jazzy) and states what its distro must take. Humble (rclpy 3.x, not on PyPI) is simulated.
"""

from __future__ import annotations

import importlib.metadata
import os
import signal
import threading

import pytest

pytestmark = pytest.mark.ros

RCLPY_MAJOR = int(importlib.metadata.version("rclpy").split(".")[0])  # 7: Jazzy, 9: Kilted, 3: Humble


def test_executor_choice_and_fallback(monkeypatch):
    import rclpy
    from rclpy.executors import SingleThreadedExecutor

    from yolo_nano_ros.nodes import executors

    context = rclpy.Context()
    rclpy.init(context=context)
    try:
        ex, why = executors.make_executor("single_threaded", context)
        assert isinstance(ex, SingleThreadedExecutor) and "asked for" in why
        ex, why = executors.make_executor("events", context)
        # Jazzy's 7.1 and Kilted's 9.1 both ship rclpy.experimental.EventsExecutor and must get it; Humble not.
        has_events = RCLPY_MAJOR >= 7
        assert (not isinstance(ex, SingleThreadedExecutor), "EventsExecutor" in why) == (has_events, has_events)
        monkeypatch.setattr(executors, "events_executor_class", lambda: None)  # as on Humble
        ex, why = executors.make_executor("events", context)
        assert isinstance(ex, SingleThreadedExecutor) and "no EventsExecutor" in why
        with pytest.raises(ValueError, match="executor must be one of events, single_threaded"):
            executors.make_executor("multi", context)
    finally:
        rclpy.shutdown(context=context)


def test_qos_event_callbacks_come_from_the_module_this_rclpy_has():
    """Iron onwards (Jazzy, Kilted) have rclpy.event_handler; only Humble takes the rclpy.qos_event branch."""
    from yolo_nano_ros.nodes import detector_node

    assert detector_node.SubscriptionEventCallbacks.__module__ == "rclpy.event_handler"


def test_init_ros_leaves_signals_to_spin_node():
    """rclpy's own handlers would shut the context down from the signal, under a publishing thread."""
    import rclpy

    from yolo_nano_ros.nodes.executors import init_ros

    before = signal.getsignal(signal.SIGTERM)
    init_ros([])
    try:
        assert signal.getsignal(signal.SIGTERM) is before and signal.getsignal(signal.SIGINT) is not None
    finally:
        rclpy.try_shutdown()


def test_a_stop_signal_only_asks_the_loop_to_stop_and_later_ones_are_ignored():
    from yolo_nano_ros.nodes.executors import STOP_SIGNALS, stop_on_signals

    previous = {sig: signal.getsignal(sig) for sig in STOP_SIGNALS}
    try:
        with stop_on_signals(threading.Event()):
            pass
        assert {s: signal.getsignal(s) for s in STOP_SIGNALS} == previous, "no stop asked: handlers come back"
        for sig in STOP_SIGNALS:
            stop = threading.Event()
            with stop_on_signals(stop):
                os.kill(os.getpid(), sig)  # handled in this (main) thread before kill returns to Python code
                assert stop.wait(1.0), f"{sig.name} did not set the stop flag"
            assert signal.getsignal(sig) is signal.SIG_IGN, "a second signal would interrupt the teardown"
            os.kill(os.getpid(), sig)  # ignored: this test process goes on
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
