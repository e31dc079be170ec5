"""Report which optional pieces of the stack this Python can use.

Robot users hit "it imports on my laptop but not on the Jetson" constantly; one command that
says what is present (and why not) saves a round of guessing.
"""

from __future__ import annotations

import importlib
import json
import sys
from dataclasses import asdict, dataclass

from yolo_nano_ros.apps.console import console_script

COMPONENTS: dict[str, str] = {
    "rclpy": "ROS 2 client library",
    "sensor_msgs.msg": "ROS 2 image messages",
    "vision_msgs.msg": "vision_msgs 4.x interfaces",
    "diagnostic_msgs.msg": "ROS 2 diagnostics",
    "onnxruntime": "ONNX Runtime backend (embedded default)",
    "tensorrt": "TensorRT backend (Jetson / NVIDIA GPU)",
    "pycuda.driver": "pycuda buffers for TensorRT",
    "torch": "PyTorch backend, training and export",
    "cv2": "OpenCV pre-processing",
    "rosbags": "rosbag2 read/write without ROS",
    "jtop": "jetson-stats (jtop) power source",
}


@dataclass(frozen=True)
class ComponentStatus:
    module: str
    purpose: str
    available: bool
    version: str | None
    reason: str | None


def probe(module: str, purpose: str) -> ComponentStatus:
    try:
        mod = importlib.import_module(module)
    except Exception as exc:  # any import failure is a "not available", with its reason
        return ComponentStatus(module, purpose, False, None, f"{type(exc).__name__}: {exc}")
    root = sys.modules.get(module.split(".")[0], mod)
    return ComponentStatus(module, purpose, True, getattr(root, "__version__", None), None)


@console_script("yolo-nano-ros-check")
def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    statuses = [probe(name, purpose) for name, purpose in COMPONENTS.items()]
    if "--json" in args:
        print(json.dumps([asdict(s) for s in statuses], indent=2))
        return 0
    for s in statuses:
        mark = "ok " if s.available else "-- "
        detail = s.version or "" if s.available else s.reason
        print(f"{mark}{s.module:<20} {s.purpose:<42} {detail}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
