"""Which topics the detector uses for which camera, and how many frames one inference may take.

Plain Python (no rclpy), so names and limits are checked, with one-line errors, before any subscription
exists. No cameras: today's single input (`image`, `detections`, `debug_image`). Cameras C1..Cn: each has
`C/image` (or `C/image/compressed`), `C/detections` and `C/debug_image`, all relative, so namespaces and
remaps apply as to the single input.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from yolo_nano_ros.errors import YoloNanoError

# A relative ROS name: tokens of letters, digits and underscores, not starting with a digit, joined by '/'.
CAMERA_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(/[A-Za-z_][A-Za-z0-9_]*)*")


class CameraConfigError(YoloNanoError, ValueError):
    """`cameras` or `max_batch` cannot be used: the message names the parameter and the value."""


@dataclass(frozen=True)
class CameraTopics:
    camera: str  # "" for the single unnamed input
    image: str
    detections: str
    debug_image: str

    @property
    def label(self) -> str:
        return self.camera or "image"


def camera_names(cameras: list[str] | None) -> list[str]:
    """The configured names; [""] (YAML's empty list, as for `classes`) and [] mean none."""
    names = [c.strip() for c in cameras or [] if c.strip()]
    bad = [c for c in names if not CAMERA_NAME.fullmatch(c)]
    if bad:
        raise CameraConfigError(f"cameras: {', '.join(repr(c) for c in bad)} is not a relative ROS name (letters, "
                                "digits and _, joined by /, not starting with a digit or /)")
    repeated = sorted({c for c in names if names.count(c) > 1})
    if repeated:
        raise CameraConfigError(f"cameras: {', '.join(repeated)} listed more than once")
    return names


def camera_topics(cameras: list[str] | None, compressed: bool) -> list[CameraTopics]:
    image = "image/compressed" if compressed else "image"
    names = camera_names(cameras)
    if not names:
        return [CameraTopics("", image, "detections", "debug_image")]
    return [CameraTopics(c, f"{c}/{image}", f"{c}/detections", f"{c}/debug_image") for c in names]


def batch_limit(max_batch: int, cameras: int) -> int:
    """Frames per inference: `max_batch` (0 = one per camera), never more than there are cameras."""
    if max_batch < 0:
        raise CameraConfigError(f"max_batch: {max_batch} is negative (0 = one frame per camera, or 1..N)")
    return min(max_batch or cameras, cameras)
