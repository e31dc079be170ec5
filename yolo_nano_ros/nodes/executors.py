"""Which rclpy executor spins a node, and a spin loop that works for both kinds.

rclpy's SingleThreadedExecutor rebuilds its wait set in Python on every wake-up; for a 30 Hz camera
that is a few hundred microseconds per frame, held under the GIL while the inference thread wants to
start. rclpy's EventsExecutor (C++, Jazzy backport and Kilted onwards, still under
`rclpy.experimental`) dispatches from C++ instead; measured here it takes 0.1-0.25 ms off each
frame's transport and hand-off (docs/performance_notes.md). Where it does not exist (Humble) the
node falls back to the single-threaded executor and says so.

The loop calls spin_once rather than spin: on rclpy 9.1 EventsExecutor.spin() never ran timers and
did not return on shutdown here, while spin_once behaved (test/test_detector_node.py covers the node
on both executors).

Stopping: rclpy's own SIGINT/SIGTERM handlers shut the context down at once, from the signal, while
our inference thread may be publishing: on Jazzy that logged `publisher's context is invalid`. So
`init_ros` turns rclpy's handlers off and `spin_node` installs its own, which only ask the loop to
stop; the node is then destroyed (its threads joined) before the context shuts down.
"""

from __future__ import annotations

import faulthandler
import signal
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import FrameType
from typing import Any

import rclpy
from rclpy.executors import Executor, ExternalShutdownException, SingleThreadedExecutor
from rclpy.node import Node
from rclpy.signals import SignalHandlerOptions

from yolo_nano_ros.nodes.parameters import EXECUTOR_KINDS
from yolo_nano_ros.nodes.parent_watch import watch_parent

SPIN_TIMEOUT_S = 0.1  # how often the loop looks at rclpy.ok() and stop requests; work wakes it at once
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)
TEARDOWN_LIMIT_S = 10.0


def init_ros(args: list[str] | None = None) -> None:
    """rclpy.init without rclpy's signal handlers (spin_node installs ones that stop in order). `kill -USR1`
    prints every thread's stack to stderr: where a node that seems stuck is, without stopping it."""
    faulthandler.register(signal.SIGUSR1, all_threads=True)
    rclpy.init(args=args, signal_handler_options=SignalHandlerOptions.NO)


def events_executor_class() -> Any | None:
    try:
        from rclpy.experimental import EventsExecutor
    except ImportError:  # Humble; early Jazzy
        return None
    return EventsExecutor


def make_executor(kind: str, context: rclpy.Context | None = None) -> tuple[Executor, str]:
    """(executor, one line saying which and why); unknown kinds are a ValueError."""
    if kind not in EXECUTOR_KINDS:
        raise ValueError(f"executor must be one of {', '.join(EXECUTOR_KINDS)}, got {kind!r}")
    if kind == "events":
        events = events_executor_class()
        if events is not None:
            return events(context=context), "events executor (rclpy.experimental.EventsExecutor)"
        return (SingleThreadedExecutor(context=context),
                "single-threaded executor: this rclpy has no EventsExecutor (Jazzy backport / Kilted onwards)")
    return SingleThreadedExecutor(context=context), "single-threaded executor (asked for)"


@contextmanager
def stop_on_signals(stop: threading.Event) -> Iterator[None]:
    """SIGINT / SIGTERM set `stop`. Once one came, later ones stay ignored to the end of the process: under
    ros2 launch a Ctrl-C arrives twice (terminal and launch), and the second must not interrupt the teardown
    or the interpreter's exit. Without a stop request the previous handlers come back."""

    requested = False

    def request_stop(signum: int, frame: FrameType | None) -> None:
        # Python runs a handler between any two bytecodes of the main thread, a handler included: a second
        # signal arriving while the first handler is inside stop.set() (which holds the Event's lock, not
        # re-entrant) would call stop.set() again on the same thread and wait for that lock forever. It did
        # (1 in ~100 double Ctrl-Cs at 30 Hz on Jazzy, seen on Kilted too): the node never stopped, and ros2
        # launch escalated to SIGKILL. So the flag is taken before the lock, and a nested handler returns.
        nonlocal requested
        if requested:
            return
        requested = True
        stop.set()

    previous = {sig: signal.signal(sig, request_stop) for sig in STOP_SIGNALS}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, signal.SIG_IGN if stop.is_set() else handler)


def spin_until_shutdown(executor: Executor, context: rclpy.Context | None = None,
                        stop: threading.Event | None = None) -> None:
    context = context or rclpy.get_default_context()
    while context.ok() and not (stop is not None and stop.is_set()):
        executor.spin_once(timeout_sec=SPIN_TIMEOUT_S)


def spin_node(node: Node, executor: Executor, start: Callable[[], None] | None = None,
              exit_with_parent: bool = True) -> None:
    """A node main's ending: `start()` (e.g. lifecycle transitions), spin until SIGINT, SIGTERM, an external
    shutdown or (with `exit_with_parent`) the death of the process that started this one, then destroy the
    node (which stops its threads) and only then shut rclpy down, so nothing publishes or logs through a
    context that is gone."""
    stop = threading.Event()

    def parent_died(parent: int) -> None:
        node.get_logger().warning(f"the process that started this node ({parent}) has ended: stopping "
                                  "(exit_with_parent: false keeps a node started on purpose in the background)")
        stop.set()

    with stop_on_signals(stop):
        if exit_with_parent:
            watch_parent(parent_died, stop)
        try:
            if start is not None:
                start()
            spin_until_shutdown(executor, node.context, stop)
        except (KeyboardInterrupt, ExternalShutdownException):
            pass
        finally:
            # A teardown that hangs prints every thread's stack and exits 1, instead of waiting for SIGKILL.
            faulthandler.dump_traceback_later(TEARDOWN_LIMIT_S, exit=True)
            executor.shutdown(timeout_sec=TEARDOWN_LIMIT_S / 2)  # no callback runs while the node goes
            node.destroy_node()
            rclpy.try_shutdown()
            faulthandler.cancel_dump_traceback_later()
