"""Several cameras, one inference thread: per camera latest-frame-wins, batches across cameras.

Each camera has its own slot: a new frame replaces that camera's unprocessed one (a drop, counted for
that camera), so a camera never waits behind another's backlog. The inference thread takes a batch:
the newest unprocessed frame of every camera that has one, at most `max_batch`, each frame taken once.
When more cameras wait than fit in a batch, the ones left out go first next time (round robin), so a
fast camera cannot starve a slow one, and a camera that stops publishing simply stops appearing.

Several inference workers take batches side by side (`hold=True`): a camera whose frame a worker holds is
left out of every other batch until that worker releases it, so each camera has at most one frame in flight
and its answers leave in the order its frames came (a frame arriving meanwhile waits in its slot, latest wins).
No rclpy: the node wires subscriptions to put() and its workers to take_batch() and release().
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
        self._held: set[str] = set()  # cameras with a frame in a worker's hands
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

    def _ready(self, camera: str) -> bool:
        return self._slots[camera] is not None and camera not in self._held

    def take_batch(self, timeout: float | None = None, hold: bool = False) -> list[tuple[str, T]]:
        """Waits up to `timeout` for any frame; then every waiting camera's newest (up to max_batch), in
        round-robin order. Empty on timeout or when closed. hold: the batch's cameras are left out of other
        batches until release(batch)."""
        with self._cond:
            if not self._cond.wait_for(lambda: self._closed or any(self._ready(c) for c in self.cameras), timeout):
                return []
            if self._closed:
                return []
            waiting = [c for c in self._order if self._ready(c)]
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
            if hold:
                self._held.update(chosen)
            return batch

    def release(self, batch: list[tuple[str, T]]) -> None:
        """The batch's cameras may be taken again (their frames are answered or given up)."""
        with self._cond:
            self._held.difference_update(camera for camera, _ in batch)
            self._cond.notify_all()

    def in_flight(self) -> int:
        with self._cond:
            return len(self._held)

    def close(self) -> None:
        with self._cond:
            self._closed = True
            self._cond.notify_all()
