"""Several cameras, one inference thread: per camera latest-frame-wins, batches across cameras.

Each camera has its own slot: a new frame replaces that camera's unprocessed one (a drop, counted for
that camera), so a camera never waits behind another's backlog. The inference thread takes a batch:
the newest unprocessed frame of every camera that has one, at most `max_batch`, each frame taken once.
When more cameras wait than fit in a batch, the ones left out go first next time (round robin), so a
fast camera cannot starve a slow one, and a camera that stops publishing simply stops appearing.
No rclpy: the node wires subscriptions to put() and its worker to take_batch().
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Generic, TypeVar

T = TypeVar("T")


@dataclass
class CameraCounts:
    received: int = 0
    dropped: int = 0  # replaced before inference took them
    taken: int = 0


class CameraBatcher(Generic[T]):
    def __init__(self, cameras: list[str], max_batch: int | None = None) -> None:
        if not cameras:
            raise ValueError("CameraBatcher needs at least one camera")
        if len(set(cameras)) != len(cameras):
            raise ValueError(f"camera names must be unique, got {cameras}")
        self.cameras = list(cameras)
        self.max_batch = max_batch or len(cameras)
        if self.max_batch < 1:
            raise ValueError(f"max_batch must be >= 1, got {max_batch}")
        self._cond = threading.Condition()
        self._slots: dict[str, T | None] = dict.fromkeys(cameras)
        self._order = list(cameras)  # who goes first when not everyone fits
        self._closed = False
        self.counts = {c: CameraCounts() for c in cameras}
        self.batch_sizes: dict[int, int] = {}  # batch size -> how many batches had it

    def put(self, camera: str, item: T) -> bool:
        """Store `camera`'s newest frame; True when it replaced one inference never took."""
        with self._cond:
            if camera not in self._slots:
                raise KeyError(f"unknown camera {camera!r}; configured: {', '.join(self.cameras)}")
            replaced = self._slots[camera] is not None
            self._slots[camera] = item
            counts = self.counts[camera]
            counts.received += 1
            counts.dropped += replaced
            self._cond.notify()
            return replaced

    def take_batch(self, timeout: float | None = None) -> list[tuple[str, T]]:
        """Waits up to `timeout` for any frame; then every waiting camera's newest (up to max_batch), in
        round-robin order. Empty on timeout or when closed."""
        with self._cond:
            if not self._cond.wait_for(lambda: self._closed or any(v is not None for v in self._slots.values()),
                                       timeout):
                return []
            if self._closed:
                return []
            waiting = [c for c in self._order if self._slots[c] is not None]
            chosen = waiting[:self.max_batch]
            batch = []
            for camera in chosen:
                item = self._slots[camera]
                assert item is not None
                batch.append((camera, item))
                self._slots[camera] = None
                self.counts[camera].taken += 1
            # Served cameras move to the back, in the order they were served.
            self._order = [c for c in self._order if c not in chosen] + chosen
            self.batch_sizes[len(batch)] = self.batch_sizes.get(len(batch), 0) + 1
            return batch

    def close(self) -> None:
        with self._cond:
            self._closed = True
            self._cond.notify_all()
