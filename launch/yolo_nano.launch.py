"""Launch the YOLO Nano detector (and optionally the Jetson stats node and RViz).

    ros2 launch yolo_nano_ros yolo_nano.launch.py image:=/camera/color/image_raw rviz:=true
    ros2 launch yolo_nano_ros yolo_nano.launch.py params_file:=my_robot.yaml

`ros2 launch yolo_nano_ros yolo_nano.launch.py --show-args` lists every argument. What is started, with
which parameters in which order, is decided by yolo_nano_ros.nodes.launch_plan (plain Python, tested
without a launch install); this file only maps that plan onto launch_ros actions.
"""

from pathlib import Path

from ament_index_python.packages import get_package_share_directory
from launch import LaunchDescription
from launch.actions import DeclareLaunchArgument, OpaqueFunction
from launch.logging import get_logger
from launch_ros.actions import Node

from yolo_nano_ros.nodes.launch_plan import ARGUMENTS, plan_launch


def start_nodes(context, *args, **kwargs):
    plan = plan_launch(context.launch_configurations, Path(get_package_share_directory("yolo_nano_ros")))
    for warning in plan.warnings:
        get_logger("yolo_nano.launch").warning(warning)
    return [
        Node(package=spec.package, executable=spec.executable, name=spec.name, namespace=plan.namespace or None,
             parameters=list(spec.parameters), remappings=list(spec.remappings), arguments=list(spec.arguments),
             output="screen", emulate_tty=True)
        for spec in plan.nodes
    ]


def generate_launch_description():
    declared = [DeclareLaunchArgument(name, default_value=arg.default, description=arg.description)
                for name, arg in ARGUMENTS.items()]
    return LaunchDescription([*declared, OpaqueFunction(function=start_nodes)])
