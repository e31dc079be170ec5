# yolo_nano_ros: one-command set-up, tests, demo and benchmarks on any Linux machine.
# Everything runs from .venv (ROS 2 Kilted wheels + locally built vision_msgs); the Jazzy lane from
# .venv-jazzy (Jazzy wheels, rclpy 7.1, Fast DDS 2.14); see README.md.
VENV ?= .venv
VENV_JAZZY ?= .venv-jazzy
PY := $(VENV)/bin/python
PYTEST_ARGS ?=

.PHONY: setup-reference setup-ultralytics setup setup-jazzy lint typecheck test test-jazzy test-fast demo bench gpu-check gpu-wheelhouse clean

setup:
	@bash scripts/setup_env.sh $(VENV) kilted

setup-jazzy:
	@bash scripts/setup_env.sh $(VENV_JAZZY) jazzy

# ruff, and vermin: nothing in the package, the launch file or the scripts needs a Python newer than 3.10
# (the oldest a robot runs: Humble on Ubuntu 22.04); our venvs run 3.11 only because the ROS wheels do.
# `--exclude long`: torch.Tensor.long() is not Python 2's long.
# For `yolo-nano bench tracking`: Roboflow trackers' ByteTrack, the reference our tracker is measured against
# (it needs numpy >= 2 and opencv-python, so it lives in a venv of its own; the package never imports it).
setup-reference:
	@[ -x .venv-reference/bin/python ] || python3 -m venv .venv-reference
	.venv-reference/bin/python -m pip install -q trackers==2.6.1

# Ultralytics (AGPL-3.0), what our decoders of its exports are checked against (test/test_ultralytics_parity.py,
# `yolo-nano bench ultralytics`): a venv of its own (torch + torchvision, about 5.5 GB; one minute here), never
# imported by the package. onnxslim first, or its exporter tries to install it itself.
ULTRALYTICS_VENV ?= .venv-ultralytics
# torch and torchvision builds that import together (PyPI's torchvision fails beside other torch builds)
ULTRALYTICS_TORCH := $(if $(filter aarch64,$(shell uname -m)),torch==2.9.1 torchvision==0.24.1,torch==2.14.1 torchvision==0.29.1)
setup-ultralytics:
	@[ -x $(ULTRALYTICS_VENV)/bin/python ] || python3 -m venv $(ULTRALYTICS_VENV)
	@$(ULTRALYTICS_VENV)/bin/python -c "import ultralytics, onnxslim, onnxruntime, openvino" 2>/dev/null || \
	  $(ULTRALYTICS_VENV)/bin/python -m pip install -q $(ULTRALYTICS_TORCH) onnx onnxslim onnxruntime openvino \
	    ultralytics==8.4.190

lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/vermin --target=3.10- --violations --no-tips --eval-annotations --exclude long -q yolo_nano_ros launch scripts test

# mypy on the package, the TensorRT layer against NVIDIA's API (tensorrt-stubs; mypy.ini).
typecheck: setup
	$(VENV)/bin/mypy

# Two halves: everything not marked `ros` with ROS 2's Python packages blocked (test/blockers/no_ros: a
# test that needs rclpy without the marker fails), then the `ros` half with ROS. pytest exits 5 when it
# collects no tests: make treats that as a failure, as it should.
# Both end by failing if the run left anything new in the repository (scripts/tree_clean.sh names it).
NO_ROS := PYTHONPATH=$(CURDIR)/test/blockers/no_ros
test: setup setup-ultralytics lint typecheck
	@bash scripts/tree_clean.sh snapshot $(VENV)/.tree-before-test
	$(NO_ROS) $(PY) -m pytest -m "not ros" $(PYTEST_ARGS)
	$(PY) -m pytest -m ros $(PYTEST_ARGS)
	@bash scripts/tree_clean.sh check $(VENV)/.tree-before-test

# Every test that touches ROS (marker `ros`: rclpy, DDS, node processes, colcon), on ROS 2 Jazzy.
test-jazzy: setup-jazzy
	@bash scripts/tree_clean.sh snapshot $(VENV_JAZZY)/.tree-before-test
	$(VENV_JAZZY)/bin/python -m pytest -m ros $(PYTEST_ARGS)
	@bash scripts/tree_clean.sh check $(VENV_JAZZY)/.tree-before-test

test-fast: setup
	$(PY) -m pytest -m "not slow" $(PYTEST_ARGS)

# The main job on the embedded default: a rosbag of real images through the real node (ONNX Runtime CPU
# here, TensorRT on a Jetson), detections, FPS and latency printed, annotated images in demo_output/.
demo: setup
	$(VENV)/bin/yolo-nano-demo

# Benchmarks are commands, not timed tests: this runs them all (arch, speed, layers, accuracy, stages, node;
# about 15 minutes on 2 cores) and writes docs/benchmarks.md + .json with the machine and the date.
bench: setup
	$(VENV)/bin/yolo-nano bench all --out docs/benchmarks.md

# On a machine with an NVIDIA GPU: pycuda built from its sdist, the backend's real memory path, TensorRT if present.
gpu-check:
	bash scripts/gpu_check.sh

# For an offline GPU machine: the pycuda sdist and its dependencies, fetched here (WHEELHOUSE=.gpu-wheelhouse).
gpu-wheelhouse:
	python3 -m pip download --no-binary pycuda pycuda -d .gpu-wheelhouse

clean:
	rm -rf build install log .pytest_cache .ruff_cache demo_output  # the venvs stay: rm -rf .venv .venv-jazzy
