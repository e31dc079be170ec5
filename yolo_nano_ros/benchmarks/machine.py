"""What machine a benchmark ran on, so every number in docs/benchmarks.md names its hardware."""

from __future__ import annotations

import platform
from importlib import metadata
from pathlib import Path
from typing import Any

from yolo_nano_ros.runtime.backends.cpu_settings import usable_cores

ISA_FLAGS = ("avx2", "avx512f", "avx512_vnni", "avx512_bf16", "amx_bf16", "amx_int8", "asimd", "fphp")


def cpu_model() -> str:
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.is_file():
        for line in cpuinfo.read_text(errors="replace").splitlines():
            if line.lower().startswith(("model name", "hardware")):
                return line.split(":", 1)[1].strip()
    return platform.processor() or platform.machine()


def cpu_flags() -> list[str]:
    cpuinfo = Path("/proc/cpuinfo")
    if not cpuinfo.is_file():
        return []
    for line in cpuinfo.read_text(errors="replace").splitlines():
        if line.lower().startswith(("flags", "features")):
            present = set(line.split(":", 1)[1].split())
            return [f for f in ISA_FLAGS if f in present]
    return []


def package_version(name: str) -> str | None:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None


def gpu_name() -> str | None:
    try:
        import torch
    except ImportError:
        return None
    return torch.cuda.get_device_name(0) if torch.cuda.is_available() else None


def machine_info() -> dict[str, Any]:
    return {
        "cpu": cpu_model(), "arch": platform.machine(), "cores_usable": usable_cores(), "isa": cpu_flags(),
        "os": f"{platform.system()} {platform.release()}", "python": platform.python_version(),
        "gpu": gpu_name(),
        "versions": {name: package_version(name) for name in ("onnxruntime", "openvino", "torch", "nncf")},
    }


def describe(info: dict[str, Any]) -> str:
    versions = ", ".join(f"{k} {v}" for k, v in info["versions"].items() if v)
    return (f"{info['cpu']} ({info['arch']}, {info['cores_usable']} usable cores, "
            f"{'/'.join(info['isa']) or 'no listed ISA extensions'}), GPU: {info['gpu'] or 'none'}; {versions}")
