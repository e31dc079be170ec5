"""What `ros2 launch yolo_nano_ros yolo_nano.launch.py` starts, decided in plain Python.

launch/yolo_nano.launch.py is a thin mapping of a LaunchPlan onto launch_ros actions, so everything that
can go wrong here is tested without a launch install:
- parameters reach each node in this order, later ones winning: the package YAML, then `params_file`,
  then only the arguments given on the command line (an argument left at its empty default overrides
  nothing, so a params_file can set `conf_threshold`, `backend`, ...);
- an empty `model` anywhere means the shipped demo weights (the node resolves it: paths.resolve_model);
- RViz is started only where rviz2 is installed; elsewhere one warning, and the detector still runs
  (launch_ros would abort the whole launch on a missing package and orphan the nodes already started).
No rclpy or launch import here.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from yolo_nano_ros.errors import YoloNanoError
from yolo_nano_ros.nodes.camera_topics import CAMERA_NAME, CameraConfigError, camera_names
from yolo_nano_ros.runtime.backend_select import BACKENDS

PACKAGE = "yolo_nano_ros"
# rcl_validate_topic_name's rules, less substitutions ({node}): camera_topics.CAMERA_NAME (a relative name),
# optionally absolute (/) or private (~/).
TOPIC = re.compile(r"(/|~/)?" + CAMERA_NAME.pattern)
NAMESPACE = re.compile(r"/?" + CAMERA_NAME.pattern)
TRUE_WORDS, FALSE_WORDS = ("true", "1", "yes", "on"), ("false", "0", "no", "off")


class LaunchArgumentError(YoloNanoError, ValueError):
    """A launch argument that cannot mean anything: names the argument, the value and what it takes."""


@dataclass(frozen=True)
class LaunchArgument:
    default: str
    description: str


# Empty defaults mean "not given": the YAML files decide. Their values are documented in config/*.yaml.
ARGUMENTS: dict[str, LaunchArgument] = {
    "image": LaunchArgument("camera/image_raw", "input image topic (with compressed:=true the base topic; "
                                                "/compressed is appended); relative names are resolved in "
                                                "`namespace`, a name starting with / is used as it is"),
    "compressed": LaunchArgument("", "true: subscribe to <image>/compressed (sensor_msgs/CompressedImage); "
                                     "empty = the YAML's value (false)"),
    "cameras": LaunchArgument("", "comma-separated camera names C: one detector, batched, for all of them; each "
                                  "C/<camera_image> in, C/detections and C/debug_image out; empty = the YAML's "
                                  "(none: the single `image` input)"),
    "camera_image": LaunchArgument("image_raw", "with cameras: the image topic under each camera name (camera "
                                                "drivers publish C/image_raw); /compressed is appended with "
                                                "compressed:=true"),
    "model": LaunchArgument("", "model file (.onnx / .engine / .pt); empty = params_file's, else the shipped "
                                "demo weights"),
    "backend": LaunchArgument("", f"{' | '.join(BACKENDS)}; empty = the YAML's value (auto)"),
    "params_file": LaunchArgument("", "YAML with parameters for the detector (and stats) node, applied after "
                                      "the package's config/yolo_nano.yaml; see that file for every parameter"),
    "namespace": LaunchArgument("", "namespace for the nodes and their topics"),
    "use_stats": LaunchArgument("false", "also start the Jetson stats node (FPS, power, images/s/W)"),
    "power_mode": LaunchArgument("", "nvpmodel mode (name or ID) the stats node sets at start-up; empty = "
                                     "leave as is"),
    "rviz": LaunchArgument("false", "start RViz showing the annotated image (skipped with a warning where "
                                    "rviz2 is not installed)"),
}


@dataclass(frozen=True)
class NodeSpec:
    """One node to start; `parameters` are YAML paths and dicts, applied in order (later wins)."""

    package: str
    executable: str
    name: str
    parameters: tuple[str | dict[str, Any], ...] = ()
    remappings: tuple[tuple[str, str], ...] = ()
    arguments: tuple[str, ...] = ()


@dataclass(frozen=True)
class LaunchPlan:
    namespace: str
    nodes: tuple[NodeSpec, ...]
    warnings: tuple[str, ...] = field(default=())


def parse_bool(name: str, value: str) -> bool:
    word = value.strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise LaunchArgumentError(f"launch argument {name}:={value!r} is not a boolean (use true or false)")


def topic_argument(name: str, value: str, relative_only: bool = False) -> str:
    """`value` if it is a valid ROS topic name (rcl's rules: tokens of letters, digits and _, not starting with
    a digit, joined by /; absolute with a leading /, or ~ for the node's private namespace), else a
    LaunchArgumentError naming the argument and the rule, so no node starts with a remap rcl refuses."""
    pattern = CAMERA_NAME if relative_only else TOPIC
    if not pattern.fullmatch(value):
        rule = ("a relative ROS name: letters, digits and _, joined by /, no leading / or digit" if relative_only
                else "a ROS topic name: letters, digits and _, joined by /, a token not starting with a digit; "
                     "a leading / makes it absolute")
        raise LaunchArgumentError(f"launch argument {name}:={value!r} is not {rule}")
    return value


def executable_in_ament_index(package: str, executable: str) -> bool:
    """Whether launch_ros could start `package`'s `executable` (it looks in <prefix>/lib/<package>/)."""
    try:
        from ament_index_python.packages import PackageNotFoundError, get_package_prefix
    except ImportError:
        return False
    try:
        prefix = Path(get_package_prefix(package))
    except (PackageNotFoundError, ValueError, OSError):  # OSError: AMENT_PREFIX_PATH unset (no ROS sourced)
        return False
    return (prefix / "lib" / package / executable).is_file()


def plan_launch(given: Mapping[str, str], share_dir: Path,
                executable_exists: Callable[[str, str], bool] = executable_in_ament_index) -> LaunchPlan:
    """The nodes for these launch arguments (launch's context.launch_configurations: every value a string;
    configurations that are not ours are ignored). LaunchArgumentError for a value that means nothing."""
    args = {name: str(given.get(name, arg.default)) for name, arg in ARGUMENTS.items()}
    config = share_dir / "config"
    params_file = args["params_file"].strip()
    if params_file and not Path(params_file).expanduser().is_file():
        raise LaunchArgumentError(f"launch argument params_file:={params_file!r}: no such file")
    extra_files: tuple[str, ...] = (str(Path(params_file).expanduser()),) if params_file else ()

    overrides: dict[str, Any] = {}
    if args["model"].strip():
        overrides["model"] = args["model"].strip()
    if args["backend"].strip():
        if args["backend"].strip() not in BACKENDS:
            raise LaunchArgumentError(f"launch argument backend:={args['backend']!r}: use one of {', '.join(BACKENDS)}")
        overrides["backend"] = args["backend"].strip()
    if args["compressed"].strip():
        overrides["compressed"] = parse_bool("compressed", args["compressed"])
    image = topic_argument("image", args["image"].strip() or ARGUMENTS["image"].default)
    remappings = [("image", image), ("image/compressed", image.rstrip("/") + "/compressed")]
    if args["cameras"].strip():
        entries = [c.strip() for c in args["cameras"].split(",")]
        if "" in entries:
            raise LaunchArgumentError(f"launch argument cameras:={args['cameras']!r}: entry {entries.index('') + 1} "
                                      "is empty (comma-separated names, e.g. front,rear)")
        try:
            cameras = camera_names(entries)
        except CameraConfigError as exc:
            raise LaunchArgumentError(f"launch argument cameras:={args['cameras']!r}: {exc}") from None
        overrides["cameras"] = cameras
        suffix = topic_argument("camera_image", args["camera_image"].strip() or ARGUMENTS["camera_image"].default,
                                relative_only=True)
        for camera in cameras:  # relative on both sides: the namespace applies to the cameras' topics too
            remappings += [(f"{camera}/image", f"{camera}/{suffix}"),
                           (f"{camera}/image/compressed", f"{camera}/{suffix}/compressed")]
    detector = NodeSpec(
        PACKAGE, "yolo_nano_detector", "yolo_nano_detector",
        parameters=(str(config / "yolo_nano.yaml"), *extra_files, *((overrides,) if overrides else ())),
        remappings=tuple(remappings),
    )
    nodes = [detector]
    warnings: list[str] = []
    if parse_bool("use_stats", args["use_stats"]):
        power_mode = args["power_mode"].strip()
        stats_overrides: dict[str, Any] = {"power_mode": power_mode} if power_mode else {}
        if "cameras" in overrides:  # the detector publishes C/detections per camera, no plain `detections`
            stats_overrides["detection_topics"] = [f"{camera}/detections" for camera in overrides["cameras"]]
        nodes.append(NodeSpec(PACKAGE, "yolo_nano_stats", "yolo_nano_stats", parameters=(
            str(config / "yolo_nano_stats.yaml"), *extra_files, *((stats_overrides,) if stats_overrides else ()))))
    elif args["power_mode"].strip():
        warnings.append(f"power_mode:={args['power_mode']} is ignored without use_stats:=true")
    if parse_bool("rviz", args["rviz"]):
        if executable_exists("rviz2", "rviz2"):
            nodes.append(NodeSpec("rviz2", "rviz2", "rviz2", arguments=("-d", str(config / "yolo_nano.rviz"))))
        else:
            warnings.append("rviz:=true but rviz2 is not installed here (apt install ros-$ROS_DISTRO-rviz2); "
                            "starting without RViz")
    namespace = args["namespace"].strip()
    if namespace and not NAMESPACE.fullmatch(namespace):
        raise LaunchArgumentError(f"launch argument namespace:={namespace!r} is not a ROS namespace: letters, "
                                  "digits and _, joined by /, a token not starting with a digit")
    return LaunchPlan(namespace=namespace, nodes=tuple(nodes), warnings=tuple(warnings))


def ros_arguments(spec: NodeSpec, namespace: str, write_yaml: Callable[[dict[str, Any]], Path]) -> list[str]:
    """The `--ros-args` launch_ros gives a Node for this spec: every parameter entry as a --params-file in
    order (dicts written as a `/**` YAML first), remappings as -r, the namespace as __ns. Used by the tests
    to start the real node exactly as a launch would."""
    out = ["--ros-args"]
    for entry in spec.parameters:
        path = write_yaml({"/**": {"ros__parameters": entry}}) if isinstance(entry, dict) else Path(entry)
        out += ["--params-file", str(path)]
    for src, dst in spec.remappings:
        out += ["-r", f"{src}:={dst}"]
    if namespace:
        out += ["-r", f"__ns:={namespace if namespace.startswith('/') else '/' + namespace}"]
    return out
