"""ONNX Runtime backend: CPU everywhere (the embedded default), CUDA / TensorRT providers when present."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from yolo_nano_ros.runtime.model_info import ModelInfo, ModelLoadError, read_onnx_metadata

GPU_PROVIDERS = ("TensorrtExecutionProvider", "CUDAExecutionProvider")


class OnnxRuntimeBackend:
    def __init__(self, path: Path, providers: list[str] | None = None, threads: int = 0) -> None:
        import onnxruntime as ort

        if not path.is_file():
            raise ModelLoadError(f"ONNX model not found: {path}")
        available = ort.get_available_providers()
        wanted = providers or [p for p in (*GPU_PROVIDERS, "CPUExecutionProvider") if p in available]
        options = ort.SessionOptions()
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        if threads:
            options.intra_op_num_threads = threads
        try:
            self.session = ort.InferenceSession(str(path), options, providers=wanted)
        except Exception as exc:  # onnxruntime raises several unrelated types for a bad file
            raise ModelLoadError(f"ONNX Runtime cannot load {path}: {exc}") from exc
        self.info: ModelInfo = read_onnx_metadata(path, self.session.get_modelmeta().custom_metadata_map)
        self.input_name = self.session.get_inputs()[0].name
        self.output_names = [o.name for o in self.session.get_outputs()]
        self.name = f"onnxruntime:{self.session.get_providers()[0]}"
        self.precision = "fp32"

    def infer(self, batch: np.ndarray) -> list[np.ndarray]:
        return self.session.run(self.output_names, {self.input_name: batch})
