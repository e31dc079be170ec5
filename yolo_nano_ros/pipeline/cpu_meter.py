"""CPU time per answered frame: what the whole node process costs the robot's CPU per frame, all threads
included (inference workers, DDS, the executor), between two readings."""

from __future__ import annotations

import time
from collections.abc import Callable


class CpuPerFrame:
    """Reads the process CPU clock (time.process_time: user + system of every thread) at each sample and
    divides what was spent since the previous sample by the frames answered in between."""

    def __init__(self, clock: Callable[[], float] = time.process_time) -> None:
        self._clock = clock
        self._last_cpu_s = clock()
        self._last_frames = 0
        self._last_value: float | None = None

    def sample(self, frames_answered: int) -> float | None:
        """ms of process CPU per frame answered since the last sample. A period without frames keeps the
        last value (None before the first frame): per frame it is undefined, and an idle node's CPU is not
        charged to the frames that follow."""
        cpu_s, frames = self._clock(), frames_answered - self._last_frames
        spent, self._last_cpu_s, self._last_frames = cpu_s - self._last_cpu_s, cpu_s, frames_answered
        if frames > 0:
            self._last_value = 1e3 * spent / frames
        return self._last_value
