"""`yolo-nano bench stages`: the cost of everything around inference, stage by stage, on real frames.

The runtime's performance targets are about the CPU work the package adds around the network
(letterbox, normalisation, decode of all raw candidates, NMS, mapping boxes back) compared with the
network itself on ONNX Runtime CPU. The shipped model is fixed at 320; its graph is fully
convolutional, so the input's spatial dimensions are made symbolic in memory and the same trained
weights run at any multiple of 32 (416 gives the paper's 10,647 raw candidates). Real images and
real trained outputs matter: how many cells pass the objectness prefilter decides the post cost.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np

from yolo_nano_ros.errors import ConfigError
from yolo_nano_ros.runtime.latency import LatencyWindow
from yolo_nano_ros.runtime.model_info import onnx_with_free_input_size, read_onnx_metadata
from yolo_nano_ros.runtime.postprocess import HeadDecoder, PostprocessSettings, select_and_nms
from yolo_nano_ros.runtime.preprocess import letterbox, to_input_tensor, unletterbox_boxes


@dataclass
class StageReport:
    model: str
    input_size: int
    frame_shape: tuple[int, int]
    raw_candidates: int
    runs: int
    stages: dict[str, dict[str, float]] = field(default_factory=dict)
    mean_prefiltered_candidates: float = 0.0

    @property
    def around_inference_p50_ms(self) -> float:
        return sum(self.stages[k]["p50"] for k in ("letterbox", "normalise", "decode_nms", "unletterbox"))

    @property
    def around_inference_ratio(self) -> float:
        return self.around_inference_p50_ms / self.stages["inference"]["p50"]

    def to_text(self) -> str:
        h, w = self.frame_shape
        lines = [f"model {self.model} at {self.input_size} ({self.raw_candidates} raw candidates), "
                 f"{w}x{h} frames, {self.runs} runs per stage; times in ms",
                 f"{'stage':<14}{'p50':>9}{'p95':>9}{'mean':>9}"]
        for name, s in self.stages.items():
            lines.append(f"{name:<14}{s['p50']:>9.3f}{s['p95']:>9.3f}{s['mean']:>9.3f}")
        lines.append(f"candidates past the objectness prefilter: {self.mean_prefiltered_candidates:.1f} per frame")
        lines.append(f"around inference (p50 sum): {self.around_inference_p50_ms:.3f} ms = "
                     f"{100 * self.around_inference_ratio:.1f} % of ONNX Runtime CPU inference")
        return "\n".join(lines)

    def to_json(self) -> dict[str, object]:
        return {"model": self.model, "input_size": self.input_size, "frame_shape": list(self.frame_shape),
                "raw_candidates": self.raw_candidates, "runs": self.runs, "stages": self.stages,
                "mean_prefiltered_candidates": self.mean_prefiltered_candidates,
                "around_inference_p50_ms": self.around_inference_p50_ms,
                "around_inference_ratio": self.around_inference_ratio}


def bench_stages(model: Path, frames: Sequence[np.ndarray], input_size: int = 416, runs: int = 300,
                 settings: PostprocessSettings | None = None, threads: int = 0) -> StageReport:
    """Times each stage separately over `runs` iterations cycling through `frames` (HxWx3 uint8 RGB)."""
    import onnxruntime as ort

    if not frames:
        raise ConfigError("no frames to benchmark")
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    session = ort.InferenceSession(onnx_with_free_input_size(model, input_size), options,
                                   providers=["CPUExecutionProvider"])
    info = read_onnx_metadata(model, session.get_modelmeta().custom_metadata_map)
    if info.uint8_input:
        raise ConfigError("bench stages measures CPU normalisation; give it a float-input model")
    head = info.head
    if head is None:
        raise ConfigError("bench stages times YOLO Nano's decoder; give it one of our exports")
    input_name = session.get_inputs()[0].name
    settings = settings or PostprocessSettings()
    decoder = HeadDecoder(head)
    names = ("letterbox", "normalise", "inference", "decode_nms", "unletterbox")
    windows = {k: LatencyWindow(runs) for k in names}
    raw = 3 * sum((input_size // s) ** 2 for s in head.strides)
    prefiltered: list[int] = []
    for i in range(runs + 10):  # the first 10 warm caches and ONNX Runtime's arena; not recorded
        frame = frames[i % len(frames)]
        t0 = time.perf_counter()
        boxed, lb = letterbox(frame, input_size)
        t1 = time.perf_counter()
        tensor = to_input_tensor(boxed)
        t2 = time.perf_counter()
        maps = session.run(None, {input_name: tensor})
        t3 = time.perf_counter()
        boxes, scores = decoder.decode(maps, min_objectness=settings.conf_threshold)
        dets = select_and_nms(boxes, scores, settings)
        t4 = time.perf_counter()
        unletterbox_boxes(dets.boxes, lb)
        t5 = time.perf_counter()
        if i >= 10:
            for name, start, stop in zip(names, (t0, t1, t2, t3, t4), (t1, t2, t3, t4, t5), strict=True):
                windows[name].add((stop - start) * 1e3)
            prefiltered.append(len(boxes))
    report = StageReport(str(model), input_size, frames[0].shape[:2], raw, runs,
                         {k: w.summary() for k, w in windows.items()})
    report.mean_prefiltered_candidates = float(np.mean(prefiltered))
    return report


def load_frames(paths: Sequence[Path], width: int, height: int) -> list[np.ndarray]:
    """Real photos as RGB, resized to the camera resolution the targets are stated for."""
    frames = []
    for path in paths:
        bgr = cv2.imread(str(path))
        if bgr is None:
            raise ConfigError(f"{path}: not a readable image")
        frames.append(cv2.cvtColor(cv2.resize(bgr, (width, height), interpolation=cv2.INTER_AREA), cv2.COLOR_BGR2RGB))
    return frames
