"""k inference workers sharing one loaded model: threads that each take a batch from the camera batcher, hand it
to the node's processing, and release its cameras. Plain Python (no rclpy).

Why several: on a CPU, one inference thread running a multi-threaded kernel spends more CPU per frame than
single-thread kernels side by side (docs/benchmarks.md, "Several cameras"), and ONNX Runtime gains little from a
batch; k workers with one kernel thread each keep every core busy on whole frames. Each camera has at most one
frame in flight (CameraBatcher's hold), so its answers stay in stamp order; a worker still batches whatever
has arrived. On a GPU batching is the lever and k is 1 (a backend without parallel_calls).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Generic, TypeVar

from yolo_nano_ros.errors import ConfigError
from yolo_nano_ros.pipeline.camera_batcher import CameraBatcher

T = TypeVar("T")
POLL_S = 0.2  # how often an idle worker looks at its stop flag


def worker_count(requested: int, cameras: int, cores: int) -> int:
    """The workers to run: `requested`, or for 0 (auto) one per camera up to the usable cores."""
    if requested < 0:
        raise ConfigError(f"inference_workers must be >= 0 (0 = one per camera up to the cores), got {requested}")
    return requested or max(1, min(cameras, cores))


class InferenceWorkers(Generic[T]):
    def __init__(self, batcher: CameraBatcher[T], handle: Callable[[list[tuple[str, T]]], None],
                 on_error: Callable[[Exception], None], count: int, name: str = "yolo_nano_inference") -> None:
        """handle(batch) processes and publishes one batch; an exception from it is given to on_error and the
        worker goes on with the next batch."""
        if count < 1:
            raise ConfigError(f"inference workers: need at least 1, got {count}")
        self.batcher, self.handle, self.on_error, self.count, self.name = batcher, handle, on_error, count, name
        self._running = threading.Event()
        self._threads: list[threading.Thread] = []

    def start(self) -> None:
        self._running.set()
        self._threads = [threading.Thread(target=self._loop, name=f"{self.name}_{i}", daemon=True)
                         for i in range(self.count)]
        for thread in self._threads:
            thread.start()

    def stop(self, timeout_s: float = 5.0) -> list[str]:
        """Stop taking batches, wake every worker and join each; the names of any still running after
        timeout_s (a backend call that hangs), for the caller to report."""
        self._running.clear()
        self.batcher.close()
        for thread in self._threads:
            thread.join(timeout_s)
        alive = [t.name for t in self._threads if t.is_alive()]
        self._threads = []
        return alive

    @property
    def running(self) -> int:
        return sum(t.is_alive() for t in self._threads)

    def _loop(self) -> None:
        while self._running.is_set():
            batch = self.batcher.take_batch(timeout=POLL_S, hold=True)
            if not batch:
                continue
            try:
                if self._running.is_set():
                    self.handle(batch)
            except Exception as exc:  # never let one batch kill the worker
                self.on_error(exc)
            finally:
                self.batcher.release(batch)
