"""CPU inference settings shared by the ONNX Runtime and OpenVINO backends.

Defaults suit a detector node: one frame at a time, latency first. `threads=0` uses every core the
runtime sees; on a robot that also runs SLAM or planning, pin it lower.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from yolo_nano_ros.errors import ConfigError

GraphOptimization = Literal["all", "extended", "basic", "disabled"]
GRAPH_OPTIMIZATIONS: tuple[GraphOptimization, ...] = ("all", "extended", "basic", "disabled")


def default_cache_dir() -> Path:
    import os

    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "yolo_nano_ros"


def usable_cores() -> int:
    """The cores this process may run on (a container's or taskset's share, not the host's count)."""
    import os

    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


@dataclass(frozen=True)
class CpuSettings:
    """threads: intra-op threads (0 = all cores).
    spin: let idle worker threads busy-wait between frames (lower latency, burns a core; turn off when
        other processes share the CPU or when benchmarks interleave runtimes).
    graph_optimization: ONNX Runtime graph optimisation level (OpenVINO always optimises).
    memory_arena: ONNX Runtime's CPU memory arena (faster; holds on to peak memory).
    cache_dir: OpenVINO's compiled-model cache (None: no cache); a warm cache cuts start-up.
    """

    threads: int = 0
    spin: bool = True
    graph_optimization: GraphOptimization = "all"
    memory_arena: bool = True
    cache_dir: Path | None = None

    def __post_init__(self) -> None:
        if self.threads < 0:
            raise ConfigError(f"threads must be >= 0 (0 = all cores), got {self.threads}")
        if self.graph_optimization not in GRAPH_OPTIMIZATIONS:
            raise ConfigError(f"graph_optimization must be one of {', '.join(GRAPH_OPTIMIZATIONS)}, "
                             f"got {self.graph_optimization!r}")
