"""ament_python package: builds with `colcon build` on a robot and `pip install -e .` anywhere."""

from glob import glob

from setuptools import find_packages, setup

PACKAGE = "yolo_nano_ros"

# Runtime needs of the nodes and tools. On a robot, rclpy / sensor_msgs / vision_msgs come from
# ROS (package.xml); these come from pip (see README "Install on a robot").
INSTALL_REQUIRES = [
    "numpy>=1.23",
    "opencv-python-headless>=4.8,<5",
    "onnxruntime>=1.16",
    "PyYAML>=6",
    "rosbags==0.11.9",
    "mcap>=1.2,<2",  # rewrites an mcap bag's channel QoS for Humble (yolo-nano-bag convert)
    "psutil>=5.9",
    "tqdm>=4.66",
    "matplotlib>=3.7",
    "scipy>=1.8",  # the tracker's Hungarian assignment (python3-scipy: 1.8 on Ubuntu 22.04)
    "Jinja2>=3.0",  # the HTML evaluation report (python3-jinja2: 3.0 on Ubuntu 22.04)
    "Pillow>=9",  # reads a compressed image's declared size before OpenCV decodes it (decompression bombs)
]
EXTRAS_REQUIRE = {
    # Training and export: a development-time tool, never imported by the nodes.
    "train": ["torch==2.13.0", "onnx>=1.15"],
    # The fastest CPU backend we measured (x86 and ARM CPUs); `backend: auto` picks it when installed.
    "openvino": ["openvino>=2024.6"],
    # NNCF, one of the two INT8 methods of `yolo-nano quantize` (the other is ONNX Runtime's, always there).
    "quantize": ["nncf>=2.14", "onnx>=1.15"],
    # Jetson-only: jtop talks to the jetson-stats service; tegrastats works without it.
    "jetson": ["jetson-stats>=4.2"],
    # Host power source on non-Jetson machines with an NVIDIA GPU (optional: CPU/RAM work without it).
    "nvml": ["nvidia-ml-py>=12"],
    # Tracker identity metrics (yolo-nano track-eval): MOTA, IDF1, ID switches; ships the TUD ground truth.
    "mot": ["motmetrics==1.4.0"],
    "dev": [
        "motmetrics==1.4.0",
        "pytest>=8",
        "pytest-timeout>=2.3",
        "ruff==0.17.5",
        "mypy==2.4.1",
        "vermin==1.9.2",  # the oldest Python the package needs (3.10: Humble on Ubuntu 22.04)
        "playwright==1.65.2",  # drives Debian's Chromium in the report test (no browser download)
        "catkin-pkg==1.1.1",
        "colcon-common-extensions==0.3.0",
        "pycocotools>=2.0.8",
    ],
}

setup(
    name=PACKAGE,
    version="0.1.0",
    packages=find_packages(exclude=["test", "test.*"]),
    data_files=[
        ("share/ament_index/resource_index/packages", [f"resource/{PACKAGE}"]),
        (f"share/{PACKAGE}", ["package.xml"]),
        (f"share/{PACKAGE}/launch", glob("launch/*.launch.py")),
        (f"share/{PACKAGE}/config", glob("config/*.yaml") + glob("config/*.xml") + glob("config/*.rviz")),
        (f"share/{PACKAGE}/models", glob("models/*.onnx") + glob("models/*.json") + glob("models/*.md")),
        # The demo's 12 sample photos, so `yolo-nano-demo` and the node bench run from an install too.
        (f"share/{PACKAGE}/data/samples",
         glob("data/samples/*.md") + glob("data/samples/*.yaml") + glob("data/samples/LICENSE*")),
        (f"share/{PACKAGE}/data/samples/images", glob("data/samples/images/*.jpg")),
        (f"share/{PACKAGE}/data/samples/labels", glob("data/samples/labels/*.txt")),
    ],
    python_requires=">=3.10",  # Humble (Ubuntu 22.04) 3.10, Jazzy and Kilted (24.04) 3.12, Lyrical (26.04) 3.14
    install_requires=INSTALL_REQUIRES,
    extras_require=EXTRAS_REQUIRE,
    zip_safe=True,
    maintainer="yolo_nano_ros developers",
    maintainer_email="yolo-nano-ros@example.com",
    description="YOLO Nano object detection for ROS 2: TensorRT on Jetson, ONNX Runtime anywhere.",
    license="Apache-2.0",
    entry_points={
        "console_scripts": [
            "yolo-nano = yolo_nano_ros.apps.cli:main",
            "yolo_nano_detector = yolo_nano_ros.nodes.detector_node:main",
            "yolo-nano-bag = yolo_nano_ros.apps.bag_cli:main",
            "yolo-nano-demo = yolo_nano_ros.apps.demo:main",
            "yolo-nano-ros-check = yolo_nano_ros.apps.environment_check:main",
            "yolo-nano-node-bench = yolo_nano_ros.apps.node_bench:main",
            "yolo-nano-eval = yolo_nano_ros.apps.eval_cli:main",
            "yolo_nano_stats = yolo_nano_ros.nodes.stats_node:main",
            "yolo-nano-jetson = yolo_nano_ros.apps.jetson_cli:main",
            "yolo-nano-power-sweep = yolo_nano_ros.apps.power_sweep:main",
        ],
    },
)
