"""ONNX Runtime backend: CPU everywhere (the embedded default), CUDA / TensorRT providers when present."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from yolo_nano_ros.errors import ModelLoadError
from yolo_nano_ros.runtime.backends.cpu_settings import CpuSettings
from yolo_nano_ros.runtime.model_info import QUANTIZATION_KEY, ModelInfo, ModelOverrides, as_shape, describe_model

GPU_PROVIDERS = ("TensorrtExecutionProvider", "CUDAExecutionProvider")
GRAPH_LEVELS = {"all": "ORT_ENABLE_ALL", "extended": "ORT_ENABLE_EXTENDED", "basic": "ORT_ENABLE_BASIC",
                "disabled": "ORT_DISABLE_ALL"}


def create_session(path: Path, providers: list[str] | None = None, cpu: CpuSettings | None = None) -> Any:
    """An InferenceSession with our CPU settings (shared with `yolo-nano bench speed`)."""
    import onnxruntime as ort

    cpu = cpu or CpuSettings()
    if not path.is_file():
        raise ModelLoadError(f"ONNX model not found: {path}")
    available = ort.get_available_providers()
    wanted = providers or [p for p in (*GPU_PROVIDERS, "CPUExecutionProvider") if p in available]
    options = ort.SessionOptions()
    options.graph_optimization_level = getattr(ort.GraphOptimizationLevel, GRAPH_LEVELS[cpu.graph_optimization])
    options.enable_cpu_mem_arena = cpu.memory_arena
    if cpu.threads:
        options.intra_op_num_threads = cpu.threads
    if not cpu.spin:
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    try:
        return ort.InferenceSession(str(path), options, providers=wanted)
    except Exception as exc:  # onnxruntime raises several unrelated types for a bad file
        raise ModelLoadError(f"ONNX Runtime cannot load {path}: {exc}") from exc


class OnnxRuntimeBackend:
    def __init__(self, path: Path, providers: list[str] | None = None, cpu: CpuSettings | None = None,
                 overrides: ModelOverrides | None = None) -> None:
        self.session = create_session(path, providers, cpu)
        metadata = self.session.get_modelmeta().custom_metadata_map
        self.info: ModelInfo = describe_model(path, metadata, as_shape(self.session.get_inputs()[0].shape),
                                              [as_shape(o.shape) for o in self.session.get_outputs()], overrides)
        self.input_name = self.session.get_inputs()[0].name
        self.batch_axis = not isinstance(self.session.get_inputs()[0].shape[0], int)  # "batch" when dynamic
        self.output_names = [o.name for o in self.session.get_outputs()]
        self.name = f"onnxruntime:{self.session.get_providers()[0]}"
        # Session.run is thread-safe; several concurrent runs are a CPU's lever, not a GPU's (k = 1 there).
        self.parallel_calls = self.session.get_providers()[0] == "CPUExecutionProvider"
        self.precision = "int8" if QUANTIZATION_KEY in metadata else "fp32"

    def infer(self, batch: np.ndarray) -> list[np.ndarray]:
        return self.session.run(self.output_names, {self.input_name: batch})
