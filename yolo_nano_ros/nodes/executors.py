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
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal

import rclpy
from rclpy.executors import Executor, ExternalShutdownException, SingleThreadedExecutor
from rclpy.node import Node

ExecutorKind = Literal["events", "single_threaded"]
EXECUTOR_KINDS: tuple[ExecutorKind, ...] = ("events", "single_threaded")
SPIN_TIMEOUT_S = 0.1  # how often the loop looks at rclpy.ok(); wake-ups for work are immediate


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


def spin_until_shutdown(executor: Executor, context: rclpy.Context | None = None) -> None:
    context = context or rclpy.get_default_context()
    while context.ok():
        executor.spin_once(timeout_sec=SPIN_TIMEOUT_S)


def spin_node(node: Node, executor: Executor, start: Callable[[], None] | None = None) -> None:
    """A node main's ending: `start()` (e.g. lifecycle transitions), spin until shutdown, then destroy the
    node and shut rclpy down, also after Ctrl-C or an external shutdown during either."""
    try:
        if start is not None:
            start()
        spin_until_shutdown(executor, node.context)
    except (KeyboardInterrupt, ExternalShutdownException):
        pass
    finally:
        node.destroy_node()
        rclpy.try_shutdown()
