"""Cross-process ROS 2 test helpers: isolated DDS, node subprocesses, discovery waits, collection.

Every helper has a timeout and every process it starts is stopped at teardown (its whole process
group), so a failing test cannot leave DDS participants behind for the next one.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from yolo_nano_ros.harness.dds_environment import local_dds_environment
from yolo_nano_ros.harness.process_control import stop_process_group
from yolo_nano_ros.nodes.qos import replay_reliability

REPO_ROOT = Path(__file__).resolve().parents[1]
PEERS_DIR = Path(__file__).resolve().parent / "peers"


# The QoS the tests stream camera frames with, and the detector parameter that matches it: best effort
# (what cameras use) except on Fast DDS 2.x (Jazzy), where best-effort large frames reach a freshly
# started subscriber only after seconds (see nodes.qos.replay_reliability).
CAMERA_RELIABILITY = replay_reliability()
CAMERA_PARAM = f"qos_reliability:={CAMERA_RELIABILITY}"


def camera_qos() -> Any:
    from yolo_nano_ros.nodes.qos import replay_camera_qos

    return replay_camera_qos()


def isolated_dds_env(domain_id: int) -> dict[str, str]:
    """Environment that keeps DDS on this host, on one domain, with the large-frame SHM profile."""
    return local_dds_environment(domain_id)


def wait_until(predicate: Callable[[], bool], timeout: float, interval: float = 0.02) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return predicate()


@dataclass
class NodeProcess:
    """A node (or any program) in its own process group, output captured to a log file."""

    name: str
    popen: subprocess.Popen[bytes]
    log_path: Path

    def alive(self) -> bool:
        return self.popen.poll() is None

    def output(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def wait_for_output(self, text: str, timeout: float) -> bool:
        return wait_until(lambda: text in self.output(), timeout, interval=0.05)

    def stop(self, timeout: float = 5.0) -> int | None:
        return stop_process_group(self.popen, timeout)


@dataclass
class NodeLauncher:
    """Starts processes for one test and guarantees they are all stopped afterwards."""

    log_dir: Path
    env: dict[str, str]
    processes: list[NodeProcess] = field(default_factory=list)

    def start(self, args: list[str], name: str, extra_env: dict[str, str] | None = None) -> NodeProcess:
        env = {**os.environ, **self.env, **(extra_env or {})}
        log_path = self.log_dir / f"{name}.log"
        log = log_path.open("wb")
        popen = subprocess.Popen(
            args, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env,
            start_new_session=True,
        )
        log.close()
        proc = NodeProcess(name, popen, log_path)
        self.processes.append(proc)
        return proc

    def start_python(self, script_or_module: str | Path, *args: str, name: str, **kw: Any) -> NodeProcess:
        """Run a Python file or `-m module` with this venv's interpreter (the ROS wheels need it)."""
        target = str(script_or_module)
        cmd = [sys.executable, "-m", target[3:]] if target.startswith("-m ") else [sys.executable, target]
        return self.start([*cmd, *args], name=name, **kw)

    def stop_all(self) -> None:
        for proc in self.processes:
            proc.stop()


class RosProbe:
    """An rclpy node in the test process, spun by a background executor thread.

    Tests publish and collect through it; it owns its own rclpy Context so tests cannot leak
    state into each other.
    """

    def __init__(self, name: str = "test_probe") -> None:
        import rclpy
        from rclpy.executors import SingleThreadedExecutor

        self._rclpy = rclpy
        self.context = rclpy.Context()
        rclpy.init(context=self.context)
        self.node = rclpy.create_node(name, context=self.context)
        self.executor = SingleThreadedExecutor(context=self.context)
        self.executor.add_node(self.node)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._spin, daemon=True)
        self._thread.start()

    def _spin(self) -> None:
        while not self._stop.is_set() and self.context.ok():
            self.executor.spin_once(timeout_sec=0.01)

    def call(self, srv_type: type, service: str, request: Any, timeout: float = 15.0) -> Any:
        """One service call, answered within `timeout` (the service offered within 30 s), or an AssertionError."""
        client = self.node.create_client(srv_type, service)
        assert client.wait_for_service(30), f"{service} not offered"
        future = client.call_async(request)
        deadline = time.monotonic() + timeout
        while not future.done() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert future.done(), f"{service} did not answer within {timeout} s"
        return future.result()

    def publisher(self, msg_type: type, topic: str, qos: Any = 10) -> Any:
        return self.node.create_publisher(msg_type, topic, qos)

    def collect(self, msg_type: type, topic: str, qos: Any = 10) -> Collected:
        collected = Collected()
        self.node.create_subscription(msg_type, topic, collected.append, qos)
        return collected

    def wait_for_subscribers(self, publisher: Any, count: int = 1, timeout: float = 10.0) -> bool:
        return wait_until(lambda: publisher.get_subscription_count() >= count, timeout)

    def wait_for_publishers(self, topic: str, count: int = 1, timeout: float = 10.0) -> bool:
        return wait_until(lambda: self.node.count_publishers(topic) >= count, timeout)

    def close(self) -> None:
        self._stop.set()
        self._thread.join(2.0)
        self.executor.shutdown()
        self.node.destroy_node()
        self._rclpy.shutdown(context=self.context)


class Collected:
    """Messages received on one subscription, with their local arrival times."""

    def __init__(self) -> None:
        self.messages: list[Any] = []
        self.arrival: list[float] = []  # monotonic
        self.wall_arrival: list[float] = []  # wall clock, comparable with ROS header stamps
        self._lock = threading.Lock()

    def append(self, msg: Any) -> None:
        with self._lock:
            self.messages.append(msg)
            self.arrival.append(time.monotonic())
            self.wall_arrival.append(time.time())

    def __len__(self) -> int:
        with self._lock:
            return len(self.messages)

    def wait_for(self, count: int, timeout: float) -> bool:
        return wait_until(lambda: len(self) >= count, timeout)


@contextmanager
def ros_probe(name: str = "test_probe") -> Iterator[RosProbe]:
    probe = RosProbe(name)
    try:
        yield probe
    finally:
        probe.close()
