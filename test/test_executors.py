"""nodes/executors.py: which executor each rclpy gets, and stopping on SIGINT/SIGTERM in order.

rclpy differs between Jazzy (7.1) and Kilted (9.1); each test below runs in both lanes (make test,
make test-jazzy) and states what its distro must take. Humble (rclpy 3.x, not on PyPI) is simulated.
"""

from __future__ import annotations

import importlib.metadata
import subprocess
import sys
import textwrap

import pytest

pytestmark = pytest.mark.ros

RCLPY_MAJOR = int(importlib.metadata.version("rclpy").split(".")[0])  # 7: Jazzy, 9: Kilted, 3: Humble


def test_executor_choice_and_fallback(monkeypatch):
    import rclpy
    from rclpy.executors import SingleThreadedExecutor

    from yolo_nano_ros.nodes import executors

    context = rclpy.Context()
    rclpy.init(context=context)
    made = []
    try:
        ex, why = executors.make_executor("single_threaded", context)
        made.append(ex)
        assert isinstance(ex, SingleThreadedExecutor) and "asked for" in why
        ex, why = executors.make_executor("events", context)
        made.append(ex)
        # Jazzy's 7.1 and Kilted's 9.1 both ship rclpy.experimental.EventsExecutor and must get it; Humble not.
        has_events = RCLPY_MAJOR >= 7
        assert (not isinstance(ex, SingleThreadedExecutor), "EventsExecutor" in why) == (has_events, has_events)
        monkeypatch.setattr(executors, "events_executor_class", lambda: None)  # as on Humble
        ex, why = executors.make_executor("events", context)
        made.append(ex)
        assert isinstance(ex, SingleThreadedExecutor) and "no EventsExecutor" in why
        with pytest.raises(ValueError, match="executor must be one of events, single_threaded"):
            executors.make_executor("multi", context)
    finally:
        for ex in made:  # executors go before their context: a C++ EventsExecutor outliving it can crash
            ex.shutdown()
        rclpy.shutdown(context=context)


def test_qos_event_callbacks_come_from_the_module_this_rclpy_has():
    """Iron onwards (Jazzy, Kilted) have rclpy.event_handler; only Humble takes the rclpy.qos_event branch."""
    from yolo_nano_ros.nodes import detector_node

    assert detector_node.SubscriptionEventCallbacks.__module__ == "rclpy.event_handler"


def run_isolated(code: str) -> None:
    """Signal handling is process-wide and rclpy installs C-level handlers of its own when the test probes
    initialise it: check it in a fresh interpreter (the venv's, as the ROS wheels need)."""
    r = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0 and r.stdout.strip().endswith("ok"), r.stdout + r.stderr


def test_init_ros_leaves_signals_to_spin_node():
    """rclpy's own handlers would shut the context down from the signal, under a publishing thread (with them,
    this fails on Jazzy's rclpy 7.1; Kilted's 9.1 defers the shutdown either way)."""
    run_isolated("""
        import os, signal, time, rclpy
        from yolo_nano_ros.nodes.executors import init_ros
        init_ros([])
        try:
            os.kill(os.getpid(), signal.SIGINT)
            time.sleep(0.5)
        except KeyboardInterrupt:  # Python's own handler: what spin_node replaces with a stop request
            pass
        assert rclpy.ok(), "SIGINT shut the context down from the signal"
        rclpy.try_shutdown()
        print("ok")
    """)


def test_a_stop_signal_only_asks_the_loop_to_stop_and_later_ones_are_ignored():
    run_isolated("""
        import os, signal, threading
        from yolo_nano_ros.nodes.executors import STOP_SIGNALS, stop_on_signals
        previous = {sig: signal.getsignal(sig) for sig in STOP_SIGNALS}
        with stop_on_signals(threading.Event()):
            pass
        assert {s: signal.getsignal(s) for s in STOP_SIGNALS} == previous, "no stop asked: handlers come back"
        for sig in STOP_SIGNALS:
            stop = threading.Event()
            with stop_on_signals(stop):
                os.kill(os.getpid(), sig)  # handled in this (main) thread before kill returns to Python code
                assert stop.wait(1.0), f"{sig.name} did not set the stop flag"
            assert signal.getsignal(sig) is signal.SIG_IGN, "a second signal would interrupt the teardown"
            os.kill(os.getpid(), sig)  # ignored: the process goes on
        print("ok")
    """)


def test_a_second_signal_arriving_inside_the_first_handler_does_not_deadlock():
    """The stop-under-stream hang (test_detector_node's double SIGINT, 1 in ~100 on Jazzy): the second Ctrl-C
    ran its handler while the first was inside threading.Event.set(), holding the Event's lock, and waited
    for it forever on the same thread. Here the second signal is raised exactly there, every time."""
    run_isolated("""
        import signal, threading
        from yolo_nano_ros.nodes.executors import stop_on_signals

        class SecondSignalInsideSet(threading.Event):
            nested = False
            deadlocked = False

            def set(self):
                if not self._cond.acquire(timeout=2.0):  # the real Event blocks here forever
                    SecondSignalInsideSet.deadlocked = True
                    return
                try:
                    if not SecondSignalInsideSet.nested:
                        SecondSignalInsideSet.nested = True
                        signal.raise_signal(signal.SIGINT)  # its handler runs now, while the lock is held
                        for _ in range(1000):  # bytecodes: where Python runs pending handlers
                            pass
                    self._flag = True
                    self._cond.notify_all()
                finally:
                    self._cond.release()

        stop = SecondSignalInsideSet()
        with stop_on_signals(stop):
            signal.raise_signal(signal.SIGINT)
            assert stop.wait(5.0)
        assert SecondSignalInsideSet.nested, "the second signal was not raised inside the first handler"
        assert not SecondSignalInsideSet.deadlocked, "the nested handler waited for the lock its thread held"
        print("ok")
    """)
