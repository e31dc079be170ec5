"""Launch file and parameter files: what robot users edit and run.

The launch decisions (which parameters reach which node, in what order; RViz or not) are plain Python
(yolo_nano_ros.nodes.launch_plan), tested here without a launch install; the launch file's mapping of
them onto launch_ros actions is tested through a labelled double of launch (test/fakes/fake_launch.py);
and the real detector node is started with exactly the arguments launch_ros would give it.
"""

from __future__ import annotations

import importlib.util
import sys
import time
from pathlib import Path

import pytest
import yaml
from conftest_data import REPO_ROOT
from fakes.fake_launch import DeclareLaunchArgument, LaunchContext, Node, OpaqueFunction, fake_launch_modules

from yolo_nano_ros.nodes.launch_plan import ARGUMENTS, LaunchArgumentError, NodeSpec, plan_launch, ros_arguments

LAUNCH_FILE = REPO_ROOT / "launch" / "yolo_nano.launch.py"
PACKAGE_YAML = str(REPO_ROOT / "config" / "yolo_nano.yaml")
REQUIRED_ARGUMENTS = {"image", "compressed", "cameras", "camera_image", "model", "backend", "params_file",
                      "namespace", "use_stats", "power_mode", "rviz"}
DETECTOR = Path(sys.executable).parent / "yolo_nano_detector"


def no_rviz(package: str, executable: str) -> bool:
    return False


def detector_of(plan) -> NodeSpec:
    return next(n for n in plan.nodes if n.executable == "yolo_nano_detector")


def robot_yaml(tmp_path: Path, **params) -> Path:
    path = tmp_path / "robot.yaml"
    path.write_text(yaml.safe_dump({"/**": {"ros__parameters": params}}))
    return path


def test_every_launch_argument_is_declared_and_documented():
    assert set(ARGUMENTS) == REQUIRED_ARGUMENTS
    readme = (REPO_ROOT / "README.md").read_text()
    for name, arg in ARGUMENTS.items():
        assert f"`{name}`" in readme, f"launch argument {name} is not in the README"
        assert arg.description
    assert "openvino" in ARGUMENTS["backend"].description


def test_default_launch_passes_the_package_yaml_and_nothing_over_it():
    """An argument left at its default must not override the YAML (it used to set model to "")."""
    plan = plan_launch({}, REPO_ROOT, no_rviz)
    detector = detector_of(plan)
    assert detector.parameters == (PACKAGE_YAML,)
    assert ("image", "camera/image_raw") in detector.remappings
    assert ("image/compressed", "camera/image_raw/compressed") in detector.remappings
    assert [n.name for n in plan.nodes] == ["yolo_nano_detector"] and plan.warnings == () and plan.namespace == ""


def test_package_yaml_then_params_file_then_given_arguments(tmp_path):
    params = robot_yaml(tmp_path, conf_threshold=0.9)
    plan = plan_launch({"params_file": str(params), "model": "/models/robot.onnx", "backend": "openvino",
                        "compressed": "True", "image": "/cam/front/image_raw", "namespace": "front",
                        "some_other_launch_file_arg": "x"}, REPO_ROOT, no_rviz)
    detector = detector_of(plan)
    assert detector.parameters == (PACKAGE_YAML, str(params),
                                   {"model": "/models/robot.onnx", "backend": "openvino", "compressed": True})
    assert ("image/compressed", "/cam/front/image_raw/compressed") in detector.remappings
    assert plan.namespace == "front"


def test_cameras_become_the_cameras_parameter_and_each_camera_reads_its_drivers_topic(tmp_path):
    plan = plan_launch({"cameras": "front, rear/left", "namespace": "robot"}, REPO_ROOT, no_rviz)
    detector = detector_of(plan)
    assert detector.parameters == (PACKAGE_YAML, {"cameras": ["front", "rear/left"]})
    assert {("front/image", "front/image_raw"), ("front/image/compressed", "front/image_raw/compressed"),
            ("rear/left/image", "rear/left/image_raw")} <= set(detector.remappings)
    plan = plan_launch({"cameras": "a", "camera_image": "color/image_rect"}, REPO_ROOT, no_rviz)
    assert ("a/image", "a/color/image_rect") in detector_of(plan).remappings
    assert "cameras" not in str(detector_of(plan_launch({}, REPO_ROOT, no_rviz)).parameters)
    with pytest.raises(LaunchArgumentError, match=r"cameras:='front,/abs': cameras: '/abs' is not a relative ROS"):
        plan_launch({"cameras": "front,/abs"}, REPO_ROOT, no_rviz)


def test_stats_node_gets_its_yaml_the_params_file_and_power_mode_only_when_given(tmp_path):
    params = robot_yaml(tmp_path)
    plan = plan_launch({"use_stats": "true", "params_file": str(params)}, REPO_ROOT, no_rviz)
    stats = next(n for n in plan.nodes if n.executable == "yolo_nano_stats")
    assert stats.parameters == (str(REPO_ROOT / "config" / "yolo_nano_stats.yaml"), str(params))
    plan = plan_launch({"use_stats": "true", "power_mode": "MODE_15W"}, REPO_ROOT, no_rviz)
    assert next(n for n in plan.nodes if n.executable == "yolo_nano_stats").parameters[-1] == {"power_mode": "MODE_15W"}
    plan = plan_launch({"power_mode": "MODE_15W"}, REPO_ROOT, no_rviz)
    assert len(plan.nodes) == 1 and "ignored without use_stats" in plan.warnings[0]


def test_rviz_without_rviz2_is_one_warning_and_the_detector_still_starts():
    plan = plan_launch({"rviz": "true"}, REPO_ROOT, no_rviz)
    assert [n.name for n in plan.nodes] == ["yolo_nano_detector"]
    assert len(plan.warnings) == 1 and "rviz2 is not installed" in plan.warnings[0]
    plan = plan_launch({"rviz": "true"}, REPO_ROOT, lambda package, exe: (package, exe) == ("rviz2", "rviz2"))
    rviz = next(n for n in plan.nodes if n.package == "rviz2")
    assert rviz.arguments == ("-d", str(REPO_ROOT / "config" / "yolo_nano.rviz")) and plan.warnings == ()


@pytest.mark.parametrize(("given", "message"), [
    ({"rviz": "maybe"}, r"rviz:='maybe' is not a boolean"),
    ({"use_stats": "2"}, r"use_stats:='2' is not a boolean"),
    ({"backend": "cuda"}, r"backend:='cuda': use one of auto, tensorrt, openvino, onnxruntime, torch"),
    ({"params_file": "/nonexistent/robot.yaml"}, r"params_file:='/nonexistent/robot.yaml': no such file"),
    # rcl refuses these as remap rules (the node used to die with an RCLError and launch exited 0)
    ({"image": "bad name"}, r"image:='bad name' is not a ROS topic name"),
    ({"image": "/camera/"}, r"image:='/camera/' is not a ROS topic name"),
    ({"image": "camera/1image"}, r"image:='camera/1image' is not a ROS topic name"),
    ({"cameras": "a", "camera_image": "bad name"}, r"camera_image:='bad name' is not a relative ROS name"),
    ({"cameras": "a", "camera_image": "/image_raw"}, r"camera_image:='/image_raw' is not a relative ROS name"),
    ({"cameras": "a,,b"}, r"cameras:='a,,b': entry 2 is empty"),
    ({"cameras": "a,b,"}, r"cameras:='a,b,': entry 3 is empty"),
    ({"namespace": "robot 1"}, r"namespace:='robot 1' is not a ROS namespace"),
])
def test_bad_launch_arguments_are_one_line_errors(given, message):
    with pytest.raises(LaunchArgumentError, match=message):
        plan_launch(given, REPO_ROOT, no_rviz)


@pytest.mark.parametrize("image", ["camera/image_raw", "/camera/color/image_raw", "~/image", "cam_0/image_raw"])
def test_valid_topic_arguments_pass_unchanged(image):
    assert ("image", image) in detector_of(plan_launch({"image": image}, REPO_ROOT, no_rviz)).remappings


def test_the_default_input_is_relative_so_a_namespace_moves_it_with_the_outputs():
    """image_pipeline's convention: relative names, remapped; `namespace:=robot1` gives /robot1/camera/image_raw
    in and /robot1/detections out (an absolute default used to leave the input at /camera/image_raw)."""
    plan = plan_launch({"namespace": "robot1"}, REPO_ROOT, no_rviz)
    remapped = dict(detector_of(plan).remappings)
    assert not remapped["image"].startswith("/") and plan.namespace == "robot1"


def test_stats_node_watches_each_cameras_detections():
    plan = plan_launch({"cameras": "front,rear", "use_stats": "true"}, REPO_ROOT, no_rviz)
    stats = next(n for n in plan.nodes if n.executable == "yolo_nano_stats")
    assert {"detection_topics": ["front/detections", "rear/detections"]} in stats.parameters
    single = plan_launch({"use_stats": "true"}, REPO_ROOT, no_rviz)
    stats = next(n for n in single.nodes if n.executable == "yolo_nano_stats")
    assert not any(isinstance(entry, dict) and "detection_topics" in entry for entry in stats.parameters)


def run_launch_file_with_the_double(monkeypatch, configurations: dict[str, str]):
    packages = pytest.importorskip("ament_index_python.packages")
    monkeypatch.setattr(packages, "get_package_share_directory", lambda name: str(REPO_ROOT))
    monkeypatch.setattr("yolo_nano_ros.nodes.launch_plan.executable_in_ament_index", no_rviz)
    with fake_launch_modules() as logger:
        spec = importlib.util.spec_from_file_location("yolo_nano_launch_under_double", LAUNCH_FILE)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        monkeypatch.setattr(module, "plan_launch", lambda given, share: plan_launch(given, share, no_rviz))
        description = module.generate_launch_description()
        declared = {a.name: a.default_value for a in description.entities if isinstance(a, DeclareLaunchArgument)}
        opaque = [a for a in description.entities if isinstance(a, OpaqueFunction)]
        assert len(opaque) == 1, "the nodes must be made at launch time, from the plan"
        defaults = {name: value or "" for name, value in declared.items()}
        actions = opaque[0].function(LaunchContext({**defaults, **configurations}))
    return declared, actions, logger.warnings


@pytest.mark.ros  # it imports ament_index_python (the launch file finds the package share through it)
def test_the_launch_file_maps_the_plan_onto_launch_ros_nodes(monkeypatch, tmp_path):
    params = robot_yaml(tmp_path, conf_threshold=0.9)
    declared, actions, warnings = run_launch_file_with_the_double(
        monkeypatch, {"params_file": str(params), "rviz": "true", "namespace": "front", "use_stats": "true"})
    assert declared == {name: arg.default for name, arg in ARGUMENTS.items()}
    assert all(isinstance(a, Node) for a in actions)
    detector, stats = (a.kwargs for a in actions)
    assert detector["executable"] == "yolo_nano_detector" and detector["namespace"] == "front"
    assert detector["parameters"] == [PACKAGE_YAML, str(params)]
    assert ("image", "camera/image_raw") in detector["remappings"]
    assert stats["executable"] == "yolo_nano_stats"
    assert warnings == ["rviz:=true but rviz2 is not installed here (apt install ros-$ROS_DISTRO-rviz2); "
                        "starting without RViz"]


@pytest.mark.skipif(importlib.util.find_spec("launch_ros") is None,
                    reason="launch/launch_ros are not installable from PyPI; exercised where ROS 2 is installed")
def test_launch_description_builds():
    spec = importlib.util.spec_from_file_location("yolo_nano_launch", LAUNCH_FILE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    description = module.generate_launch_description()
    from launch.actions import DeclareLaunchArgument as RealDeclare
    from launch.actions import OpaqueFunction as RealOpaque

    declared = {a.name for a in description.entities if isinstance(a, RealDeclare)}
    assert declared == REQUIRED_ARGUMENTS
    assert any(isinstance(a, RealOpaque) for a in description.entities)


def test_parameter_file_documents_every_node_parameter():
    from yolo_nano_ros.nodes.parameters import DETECTOR_PARAMETERS, DETECTOR_READ_ONLY, RUNTIME_PARAMETERS

    params = yaml.safe_load((REPO_ROOT / "config" / "yolo_nano.yaml").read_text())["/**"]["ros__parameters"]
    assert set(params) == set(DETECTOR_PARAMETERS)
    assert params["model"] == "" and DETECTOR_PARAMETERS["model"][0] == "", "empty model = the demo weights"
    for name in DETECTOR_READ_ONLY:  # the description says what the graph cannot change
        assert "read-only" in DETECTOR_PARAMETERS[name][1], name
    for name in RUNTIME_PARAMETERS:
        assert "runtime-changeable" in DETECTOR_PARAMETERS[name][1], name
    assert not DETECTOR_READ_ONLY & RUNTIME_PARAMETERS


def test_stats_parameter_file_documents_every_stats_parameter():
    from yolo_nano_ros.nodes.parameters import STATS_PARAMETERS, STATS_READ_ONLY

    text = (REPO_ROOT / "config" / "yolo_nano_stats.yaml").read_text()
    params = yaml.safe_load(text)["/**/yolo_nano_stats"]["ros__parameters"]
    assert set(params) == set(STATS_PARAMETERS)
    assert params["jetson_clocks"] == "unchanged" and params["detection_topics"] == ["detections"]
    assert all("read-only" in STATS_PARAMETERS[name][1] for name in STATS_READ_ONLY)


@pytest.mark.ros
def test_the_nodes_declare_exactly_the_schema(launcher, probe):
    """The running detector has every parameter of nodes/parameters.py, and no other."""
    from rcl_interfaces.srv import ListParameters

    from yolo_nano_ros.nodes.parameters import DETECTOR_PARAMETERS

    launcher.start([str(DETECTOR), "--ros-args", "-p", "autostart:=false"], name="detector")
    answer = probe.call(ListParameters, "/yolo_nano_detector/list_parameters", ListParameters.Request())
    declared = set(answer.result.names) - {"use_sim_time", "start_type_description_service"}
    assert declared == set(DETECTOR_PARAMETERS)


# ----------------------------------------------------------------------------------- the real node
def yaml_writer(folder: Path):
    """What launch_ros does with a dict of parameters: a numbered YAML file per dict."""
    counter = iter(range(100))

    def write_yaml(content: dict) -> Path:
        path = folder / f"launch_params_{next(counter)}.yaml"
        path.write_text(yaml.safe_dump(content))
        return path

    return write_yaml


def get_parameters(probe, *names: str) -> list:
    from rcl_interfaces.srv import GetParameters

    return list(probe.call(GetParameters, "/yolo_nano_detector/get_parameters",
                           GetParameters.Request(names=list(names))).values)


def answers_one_image(probe, qos, image: str = "image", detections: str = "detections") -> None:
    import cv2
    from conftest_data import coco128_images
    from sensor_msgs.msg import Image
    from vision_msgs.msg import Detection2DArray

    dets = probe.collect(Detection2DArray, detections)
    pub = probe.publisher(Image, image, qos)
    bgr = cv2.imread(str(coco128_images(1)[0]))
    msg = Image(height=bgr.shape[0], width=bgr.shape[1], encoding="bgr8", step=bgr.shape[1] * 3, data=bgr.tobytes())
    msg.header.frame_id = "launch_test"
    assert probe.wait_for_subscribers(pub, timeout=20)
    deadline = time.monotonic() + 20
    while not len(dets) and time.monotonic() < deadline:
        pub.publish(msg)
        dets.wait_for(1, 0.3)
    assert len(dets) and dets.messages[0].header.frame_id == "launch_test"


@pytest.mark.ros
def test_params_file_reaches_the_real_node_as_launch_passes_it(launcher, probe, tmp_path):
    """The issue's case: a params_file setting conf 0.9, 7 detections, reliable QoS used to leave 0.25 / 100 /
    best_effort in effect. Here the node gets exactly the --ros-args launch_ros builds from the plan."""
    from rclpy.qos import QoSProfile, ReliabilityPolicy

    params = robot_yaml(tmp_path, conf_threshold=0.9, max_detections=7, qos_reliability="reliable")
    plan = plan_launch({"params_file": str(params), "image": "/image"}, REPO_ROOT, no_rviz)
    write_yaml = yaml_writer(tmp_path)
    node = launcher.start([str(DETECTOR), *ros_arguments(detector_of(plan), plan.namespace, write_yaml)],
                          name="detector")
    assert node.wait_for_output("listening on", 60), node.output()
    assert "listening on /image (reliable" in node.output()
    conf, max_dets = get_parameters(probe, "conf_threshold", "max_detections")
    assert (conf.double_value, max_dets.integer_value) == (0.9, 7)
    assert "yolo_nano_coco128_voc.onnx" in node.output(), "empty model = the shipped demo weights"
    answers_one_image(probe, QoSProfile(depth=5, reliability=ReliabilityPolicy.RELIABLE))


@pytest.mark.ros
def test_launch_cameras_reach_the_real_node_on_the_drivers_topics_in_the_namespace(launcher, probe, tmp_path):
    from ros_harness import CAMERA_RELIABILITY, camera_qos

    params = robot_yaml(tmp_path, qos_reliability=CAMERA_RELIABILITY)
    plan = plan_launch({"cameras": "front,rear", "namespace": "robot", "params_file": str(params)}, REPO_ROOT,
                       no_rviz)
    write_yaml = yaml_writer(tmp_path)
    node = launcher.start([str(DETECTOR), *ros_arguments(detector_of(plan), plan.namespace, write_yaml)],
                          name="detector")
    assert node.wait_for_output("listening on", 60), node.output()
    assert "listening on /robot/front/image_raw, /robot/rear/image_raw" in node.output()
    answers_one_image(probe, camera_qos(), "/robot/rear/image_raw", "/robot/rear/detections")


@pytest.mark.ros
def test_the_package_yaml_alone_starts_the_demo_weights_and_answers(launcher, probe):
    """`yolo_nano_detector --ros-args --params-file config/yolo_nano.yaml`, no model parameter: active, answering."""
    from ros_harness import CAMERA_PARAM, camera_qos

    args = [str(DETECTOR), "--ros-args", "--params-file", PACKAGE_YAML]
    if "best_effort" not in CAMERA_PARAM:  # Fast DDS 2.x (Jazzy): see nodes.qos.replay_reliability
        args += ["-p", CAMERA_PARAM]
    node = launcher.start(args, name="detector")
    assert node.wait_for_output("listening on", 60), node.output()
    assert "models/yolo_nano_coco128_voc.onnx" in node.output()
    answers_one_image(probe, camera_qos())
