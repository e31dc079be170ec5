"""Launch the YOLO Nano detector (and optionally the Jetson stats node and RViz).

    ros2 launch yolo_nano_ros yolo_nano.launch.py image:=/camera/color/image_raw rviz:=true
"""

from launch import LaunchDescription
from launch.actions import DeclareLaunchArgument, GroupAction
from launch.conditions import IfCondition
from launch.substitutions import LaunchConfiguration, PathJoinSubstitution
from launch_ros.actions import Node, PushRosNamespace
from launch_ros.substitutions import FindPackageShare

ARGUMENTS = {
    "image": ("/camera/image_raw", "input image topic (for compressed, the base topic: /compressed is appended)"),
    "compressed": ("false", "subscribe to <image>/compressed (sensor_msgs/CompressedImage)"),
    "model": ("", "model file (.onnx / .engine / .pt); empty = shipped demo weights"),
    "backend": ("auto", "auto | tensorrt | onnxruntime | torch"),
    "params_file": ("", "optional YAML with detector parameters (see config/yolo_nano.yaml)"),
    "namespace": ("", "namespace for the nodes and their topics"),
    "use_stats": ("false", "also start the Jetson stats node (FPS, power, images/s/W)"),
    "power_mode": ("", "nvpmodel mode (name or ID) the stats node sets at start-up; empty = leave as is"),
    "rviz": ("false", "start RViz showing the annotated image"),
}


def generate_launch_description() -> LaunchDescription:
    share = FindPackageShare("yolo_nano_ros")
    args = [DeclareLaunchArgument(name, default_value=default, description=doc)
            for name, (default, doc) in ARGUMENTS.items()]
    cfg = {name: LaunchConfiguration(name) for name in ARGUMENTS}
    detector_params = [{"model": cfg["model"], "backend": cfg["backend"],
                        "compressed": cfg["compressed"]}]
    detector = Node(
        package="yolo_nano_ros", executable="yolo_nano_detector", name="yolo_nano_detector",
        output="screen", emulate_tty=True,
        parameters=[PathJoinSubstitution([share, "config", "yolo_nano.yaml"]), *detector_params],
        remappings=[("image", cfg["image"]), ("image/compressed", [cfg["image"], "/compressed"])],
    )
    stats = Node(
        package="yolo_nano_ros", executable="yolo_nano_stats", name="yolo_nano_stats", output="screen",
        parameters=[PathJoinSubstitution([share, "config", "yolo_nano_stats.yaml"]),
                    {"power_mode": cfg["power_mode"], "detection_topics": ["detections"]}],
        condition=IfCondition(cfg["use_stats"]),
    )
    rviz = Node(
        package="rviz2", executable="rviz2", name="rviz2",
        arguments=["-d", PathJoinSubstitution([share, "config", "yolo_nano.rviz"])],
        condition=IfCondition(cfg["rviz"]),
    )
    group = GroupAction([PushRosNamespace(cfg["namespace"]), detector, stats, rviz])
    return LaunchDescription([*args, group])
