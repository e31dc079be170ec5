#!/usr/bin/env bash
# GPU check of the TensorRT/pycuda layer, for a machine with an NVIDIA GPU and the CUDA toolkit (nvcc).
# Builds pycuda from its sdist (never a prebuilt wheel) into .gpu-venv and runs scripts/gpu_check.py:
# the backend's real pycuda memory path, and a real TensorRT build + run where tensorrt imports.
#   bash scripts/gpu_check.sh                 # online: pip fetches the pycuda sdist
#   WHEELHOUSE=DIR bash scripts/gpu_check.sh  # offline: DIR from `make gpu-wheelhouse` on a networked machine
set -euo pipefail
cd "$(dirname "$0")/.."
command -v nvidia-smi >/dev/null && nvidia-smi --query-gpu=name,driver_version,compute_cap --format=csv,noheader
if ! command -v nvcc >/dev/null; then
  for d in /usr/local/cuda/bin /usr/local/cuda-*/bin; do [ -x "$d/nvcc" ] && export PATH="$d:$PATH" && break; done
fi
command -v nvcc >/dev/null || { echo "gpu_check: nvcc not found; pycuda's sdist needs the CUDA toolkit" >&2; exit 2; }
export CUDA_ROOT="${CUDA_ROOT:-$(dirname "$(dirname "$(command -v nvcc)")")}"
# System site packages: keep the machine's torch, numpy and (JetPack's) tensorrt visible.
[ -x .gpu-venv/bin/python ] || python3 -m venv --system-site-packages .gpu-venv
pip_args=(--no-binary pycuda)
[ -n "${WHEELHOUSE:-}" ] && pip_args+=(--no-index --find-links "$WHEELHOUSE")
.gpu-venv/bin/python -m pip install -q "${pip_args[@]}" pycuda
.gpu-venv/bin/python -m pip install -q "${pip_args[@]}" numpy opencv-python-headless onnx onnxruntime 2>/dev/null \
  || echo "gpu_check: could not install numpy/opencv/onnx/onnxruntime; using what the system has"
.gpu-venv/bin/python -m pip install -q --no-deps --no-build-isolation -e . 2>/dev/null \
  || export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}"
exec .gpu-venv/bin/python scripts/gpu_check.py "$@"
