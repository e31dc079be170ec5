"""A node ends when the process that started it dies (parameter `exit_with_parent`, on by default).

`ros2 launch` installs no SIGTERM handler (launch 3.7): a SIGTERM from systemd or `docker stop`, or a
SIGKILL, ends launch at once and leaves its children running with parent 1, holding the camera
subscription, the model and on a Jetson the GPU. So each node watches its parent and, when it changes,
asks its spin loop to stop: the same clean stop as SIGINT (inference thread joined, then ROS shut down).

Why a watch of getppid() and not Linux's PR_SET_PDEATHSIG: the death signal fires when the *thread* that
started the child ends, not the process (prctl(2)), so a parent that starts nodes from a worker thread
(a test harness, an asyncio executor) would kill them while it still runs; and prctl is Linux-only.
Plain Python, no rclpy.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable

POLL_S = 0.2  # the node stops within this plus its teardown after the parent dies
PARENT_AT_START = os.getppid()  # read at import: the node's main imports this before anything slow


def watch_parent(on_death: Callable[[int], None], stop: threading.Event, parent: int = PARENT_AT_START,
                 poll_s: float = POLL_S) -> threading.Thread:
    """A daemon thread calling `on_death(parent)` once, when this process's parent is no longer `parent`
    (it died and the process was re-parented); it ends when `stop` is set."""

    def watch() -> None:
        while not stop.wait(poll_s):
            if os.getppid() != parent:
                on_death(parent)
                return

    thread = threading.Thread(target=watch, name="yolo_nano_parent_watch", daemon=True)
    thread.start()
    return thread
