"""What the detector node reports on /diagnostics, as plain data: the node gathers a snapshot, this decides
the level, message and key/values (unit-tested without ROS), and nodes/messages.py builds the message."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import IntEnum

MODEL_NOT_LOADED = "model not loaded"


class StatusLevel(IntEnum):
    """diagnostic_msgs/DiagnosticStatus levels (OK=0, WARN=1, ERROR=2), without importing the message."""

    OK = 0
    WARN = 1
    ERROR = 2


@dataclass
class DetectorSnapshot:
    state: str  # unconfigured | configured | active | inactive | model not loaded
    input_rate_hz: float
    processed_fps: float
    frames_received: int
    frames_dropped: int
    debug_images_drawn: int
    model: str
    backend: str | None = None
    precision: str | None = None
    latency_ms: Mapping[str, Mapping[str, float]] = field(default_factory=dict)  # stage -> {p50, p95, ...}
    errors: Mapping[str, int] = field(default_factory=dict)  # kind -> count since start
    last_error: str = ""
    cpu_ms_per_frame: float | None = None  # the process's CPU (all threads) per answered frame, last period
    tracker: str = "none"  # bytetrack | none
    active_tracks: int = 0  # confirmed tracks, every camera


def detector_status(s: DetectorSnapshot) -> tuple[StatusLevel, str, dict[str, object]]:
    """ERROR while no model is loaded (the message says why), WARN once any frame or model error happened
    (the message is the last one), else OK with the lifecycle state."""
    values: dict[str, object] = {
        "state": s.state, "input_rate_hz": s.input_rate_hz, "processed_fps": s.processed_fps,
        "frames_received": s.frames_received, "frames_dropped": s.frames_dropped,
        "debug_images_drawn": s.debug_images_drawn, "model": s.model,
    }
    if s.backend is not None:
        values |= {"backend": s.backend, "precision": s.precision}
    values["cpu_ms_per_frame"] = s.cpu_ms_per_frame if s.cpu_ms_per_frame is not None else "n/a"
    values |= {"tracker": s.tracker, "active_tracks": s.active_tracks}
    for stage, summary in s.latency_ms.items():
        values[f"{stage}_ms_p50"], values[f"{stage}_ms_p95"] = summary["p50"], summary["p95"]
    for kind, count in sorted(s.errors.items()):
        values[f"errors_{kind}"] = count
    if s.state == MODEL_NOT_LOADED:
        return StatusLevel.ERROR, s.last_error, values
    if s.errors and s.last_error:
        return StatusLevel.WARN, f"last error: {s.last_error}", values
    return StatusLevel.OK, s.state, values


STALE_AFTER_S = 5.0  # a camera that sent frames and then none for this long is reported stale


@dataclass
class CameraSnapshot:
    """One camera of a multi-camera detector (parameter `cameras`), for its own /diagnostics entry."""

    camera: str
    topic: str  # its resolved input topic
    input_rate_hz: float
    processed_fps: float
    frames_received: int
    frames_dropped: int  # replaced by a newer frame of the same camera before inference took them
    frames_answered: int
    latency_ms: Mapping[str, float]  # arrival -> published: {p50, p95, ...}
    errors: int = 0
    last_error: str = ""
    seconds_since_frame: float | None = None  # None: no frame yet
    active_tracks: int | None = None  # None: no tracker


def camera_status(s: CameraSnapshot) -> tuple[StatusLevel, str, dict[str, object]]:
    """WARN when the camera went quiet after sending (stale) or its last frame was bad, else OK."""
    values: dict[str, object] = {
        "camera": s.camera, "topic": s.topic, "input_rate_hz": s.input_rate_hz, "processed_fps": s.processed_fps,
        "frames_received": s.frames_received, "frames_dropped": s.frames_dropped,
        "frames_answered": s.frames_answered, "latency_ms_p50": s.latency_ms.get("p50", float("nan")),
        "latency_ms_p95": s.latency_ms.get("p95", float("nan")), "errors": s.errors,
    }
    if s.active_tracks is not None:
        values["active_tracks"] = s.active_tracks
    if s.seconds_since_frame is None:
        return StatusLevel.OK, f"waiting for frames on {s.topic}", values
    if s.seconds_since_frame > STALE_AFTER_S:
        return StatusLevel.WARN, f"no frames on {s.topic} for {s.seconds_since_frame:.0f} s", values
    if s.errors and s.last_error:
        return StatusLevel.WARN, f"last error: {s.last_error}", values
    return StatusLevel.OK, "receiving", values


def batch_size_summary(batch_sizes: Mapping[int, int]) -> str:
    """'1:12 2:3 4:240': how many inference calls took each number of frames."""
    return " ".join(f"{size}:{count}" for size, count in sorted(batch_sizes.items())) or "none yet"
