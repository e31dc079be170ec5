"""One error policy for every console script.

A known failure (a YoloNanoError; a file that is missing, exists already or cannot be opened; an optional
dependency the command needs and this machine lacks) prints one line, `<script>: error: <what and where>`,
and exits 2. Ctrl-C exits 130 without a traceback. Anything
else is a bug: its traceback is printed and the exit code is 1, as Python does.
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from typing import TypeVar

from yolo_nano_ros.errors import YoloNanoError

KNOWN_ERRORS: tuple[type[BaseException], ...] = (
    YoloNanoError, FileNotFoundError, FileExistsError, NotADirectoryError, IsADirectoryError, PermissionError)
EXIT_KNOWN_ERROR, EXIT_INTERRUPTED = 2, 130

Main = TypeVar("Main", bound=Callable[..., int])

# Optional dependencies a command may need, and how a user gets each (top-level module -> hint).
OPTIONAL_DEPENDENCIES = {
    "rclpy": "ROS 2: source /opt/ros/<distro>/setup.bash, or use the `make setup` venv",
    "vision_msgs": "vision_msgs: apt install ros-<distro>-vision-msgs, or use the `make setup` venv",
    "torch": "PyTorch: pip install torch (training, export and .pt models need it)",
    "openvino": "OpenVINO: pip install openvino",
    "onnxruntime": "ONNX Runtime: pip install onnxruntime",
    "onnx": "onnx: pip install onnx",
    "tensorrt": "TensorRT: part of JetPack on a Jetson",
    "pycuda": "pycuda: pip install pycuda (JetPack has CUDA)",
}


def console_script(name: str) -> Callable[[Main], Main]:
    """Wrap a script's main(argv=None) -> exit code in the policy above."""

    def wrap(main: Main) -> Main:
        @functools.wraps(main)
        def run(*args: object, **kwargs: object) -> int:
            try:
                return int(main(*args, **kwargs) or 0)
            except KNOWN_ERRORS as exc:
                print(f"{name}: error: {one_line(exc)}", file=sys.stderr)
                return EXIT_KNOWN_ERROR
            except ModuleNotFoundError as exc:
                hint = OPTIONAL_DEPENDENCIES.get((exc.name or "").split(".")[0])
                if hint is None:
                    raise  # a module of ours or a required dependency: a broken install, keep the traceback
                print(f"{name}: error: this command needs {hint} (no module named {exc.name!r})", file=sys.stderr)
                return EXIT_KNOWN_ERROR
            except KeyboardInterrupt:
                print(f"{name}: interrupted", file=sys.stderr)
                return EXIT_INTERRUPTED

        return run  # type: ignore[return-value]

    return wrap


def one_line(exc: BaseException) -> str:
    """The message's first line (a node's log tail stays in its log file); OSErrors as 'reason: path'."""
    if isinstance(exc, OSError) and exc.filename is not None and exc.strerror:
        return f"{exc.strerror}: {exc.filename}"
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    return lines[0].rstrip(":") if lines else type(exc).__name__
