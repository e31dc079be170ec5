"""TensorRT engine cache: which engine file fits this ONNX, this TensorRT and this GPU, and whether to rebuild.

Engines are not portable across TensorRT versions or GPUs; the most common complaint of Isaac ROS and
jetson-inference users is an engine that silently breaks after a JetPack upgrade. Every engine we build
gets a JSON sidecar (`<engine>.json`) recording what it was built from and for; loading compares it
with the running system. Plain Python: no tensorrt import, so it is tested everywhere.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from enum import Enum
from pathlib import Path

from yolo_nano_ros.errors import ModelLoadError

SIDECAR_VERSION = 1


class EngineMismatchError(ModelLoadError):
    """An engine built for another TensorRT, GPU or ONNX file, with no ONNX at hand to rebuild it."""


class Precision(str, Enum):
    FP32 = "fp32"
    FP16 = "fp16"
    INT8 = "int8"


@dataclass(frozen=True)
class Platform:
    """The running system, as far as engine compatibility goes."""

    tensorrt_version: str
    gpu_name: str
    compute_capability: str  # "8.7"


@dataclass(frozen=True)
class EngineSidecar:
    onnx_sha256: str
    tensorrt_version: str
    gpu_name: str
    compute_capability: str
    precision: str
    input_shape: tuple[int, ...]
    class_names: tuple[str, ...]
    model_config: dict = field(default_factory=dict)
    dla_core: int | None = None
    sidecar_version: int = SIDECAR_VERSION
    max_batch: int = 1  # frames per call its optimization profile takes (1..max_batch); older sidecars: 1
    model_info: dict = field(default_factory=dict)  # ModelInfo.to_dict(): layout, names, size; older: model_config

    def write(self, engine_path: Path) -> Path:
        path = sidecar_path(engine_path)
        path.write_text(json.dumps(asdict(self), indent=2))
        return path

    @classmethod
    def read(cls, engine_path: Path) -> EngineSidecar:
        path = sidecar_path(engine_path)
        try:
            d = json.loads(path.read_text())
            d["input_shape"] = tuple(d["input_shape"])
            d["class_names"] = tuple(d["class_names"])
            return cls(**d)
        except FileNotFoundError:
            raise ModelLoadError(f"{engine_path} has no sidecar {path.name}: build engines with "
                                 "`yolo-nano build-engine` so their origin can be checked") from None
        except (ValueError, TypeError, KeyError) as exc:
            raise ModelLoadError(f"unreadable engine sidecar {path}: {exc}") from exc

    def mismatches(self, platform: Platform, onnx_sha256: str | None = None) -> list[str]:
        problems = []
        if self.tensorrt_version != platform.tensorrt_version:
            problems.append(f"built with TensorRT {self.tensorrt_version}, running {platform.tensorrt_version}")
        if (self.gpu_name, self.compute_capability) != (platform.gpu_name, platform.compute_capability):
            problems.append(f"built for {self.gpu_name} (sm {self.compute_capability}), running on "
                            f"{platform.gpu_name} (sm {platform.compute_capability})")
        if onnx_sha256 is not None and onnx_sha256 != self.onnx_sha256:
            problems.append("the ONNX file changed since the engine was built")
        return problems


def sidecar_path(engine_path: Path) -> Path:
    return engine_path.with_name(engine_path.name + ".json")


def file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def default_engine_path(onnx: Path, platform: Platform, precision: Precision, cache_dir: Path | None = None,
                        max_batch: int = 1) -> Path:
    """An engine name that keys on everything that makes engines incompatible, and on the batch range (a
    one-camera and a four-camera detector on one robot keep an engine each)."""
    gpu = "_".join("".join(c if c.isalnum() else " " for c in platform.gpu_name).split()).lower()
    batch = f".b{max_batch}" if max_batch > 1 else ""
    name = (f"{onnx.stem}.{precision.value}{batch}.trt{platform.tensorrt_version}.{gpu}_sm"
            f"{platform.compute_capability}.engine")
    return (cache_dir or onnx.parent) / name.replace("..", ".")


@dataclass(frozen=True)
class EngineDecision:
    engine: Path
    rebuild: bool
    reason: str


def decide(engine: Path | None, onnx: Path | None, platform: Platform, precision: Precision,
           cache_dir: Path | None = None, force_rebuild: bool = False, max_batch: int = 1) -> EngineDecision:
    """Use the engine as is, rebuild it from the ONNX, or explain why neither is possible. An engine for
    fewer frames per call than `max_batch` is rebuilt when the ONNX is at hand, else used (the backend
    then runs larger batches in parts)."""
    if engine is None and onnx is None:
        raise ModelLoadError("need an engine file or an ONNX model to build one from")
    onnx_sha = file_sha256(onnx) if onnx is not None and onnx.is_file() else None
    if onnx is not None and onnx_sha is None:
        raise ModelLoadError(f"ONNX model not found: {onnx}")
    target = engine or default_engine_path(onnx, platform, precision, cache_dir, max_batch)  # type: ignore[arg-type]
    if force_rebuild and onnx_sha:
        return EngineDecision(target, True, "rebuild forced")
    if not target.is_file():
        if onnx_sha:
            return EngineDecision(target, True, f"no engine at {target}: building it from {onnx.name}")  # type: ignore[union-attr]
        raise ModelLoadError(f"engine not found: {target}, and no ONNX model given to build it from")
    try:
        sidecar = EngineSidecar.read(target)
        problems = sidecar.mismatches(platform, onnx_sha)
    except ModelLoadError as exc:
        sidecar, problems = None, [str(exc)]
    if not problems and sidecar is not None and sidecar.max_batch < max_batch:
        if onnx_sha:
            return EngineDecision(target, True, f"rebuilding: built for up to {sidecar.max_batch} frames per call, "
                                                f"max_batch {max_batch} wanted")
        return EngineDecision(target, False, f"engine matches this TensorRT, GPU and ONNX; it takes up to "
                                             f"{sidecar.max_batch} frames per call (max_batch {max_batch}: larger "
                                             "batches run in parts; give the ONNX to rebuild it)")
    if not problems:
        return EngineDecision(target, False, "engine matches this TensorRT, GPU and ONNX")
    if onnx_sha:
        return EngineDecision(target, True, "rebuilding: " + "; ".join(problems))
    raise EngineMismatchError(
        f"cannot use {target}: " + "; ".join(problems)
        + ". Pass the ONNX model (parameter `model: x.onnx`) so the engine is rebuilt for this system, "
          "or rebuild it with `yolo-nano build-engine`.")
