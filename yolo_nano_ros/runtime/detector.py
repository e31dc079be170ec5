"""The Detector facade: a numpy image in, detections in that image's pixels out, whatever the backend."""

from __future__ import annotations

import threading
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from yolo_nano_ros.msgs.image_encodings import ColorOrder
from yolo_nano_ros.runtime.backends.base import Backend
from yolo_nano_ros.runtime.decoders import decoder_for
from yolo_nano_ros.runtime.postprocess import Detections, PostprocessSettings
from yolo_nano_ros.runtime.preprocess import Letterbox, letterbox, to_input_tensor, unletterbox_boxes


@dataclass(frozen=True)
class Detection:
    x1: float
    y1: float
    x2: float
    y2: float
    class_id: int
    class_name: str
    score: float

    def to_json(self) -> dict[str, object]:
        return {"bbox": [round(v, 2) for v in (self.x1, self.y1, self.x2, self.y2)],
                "class_id": self.class_id, "class_name": self.class_name, "score": round(self.score, 5)}


@dataclass(frozen=True)
class StageTimes:
    pre_ms: float
    infer_ms: float
    post_ms: float

    @property
    def total_ms(self) -> float:
        return self.pre_ms + self.infer_ms + self.post_ms


@dataclass
class DetectionResult:
    detections: Detections  # source-image pixels
    class_names: tuple[str, ...]
    times: StageTimes

    def as_list(self) -> list[Detection]:
        d = self.detections
        out = []
        for i in range(len(d)):
            x1, y1, x2, y2 = (float(v) for v in d.boxes[i])
            out.append(Detection(x1, y1, x2, y2, int(d.class_ids[i]), self.class_names[int(d.class_ids[i])],
                                 float(d.scores[i])))
        return out


class Detector:
    def __init__(self, backend: Backend, settings: PostprocessSettings | None = None) -> None:
        self.backend = backend
        self.info = backend.info
        self.settings = settings or PostprocessSettings()
        self.decoder = decoder_for(self.info)
        self.selection_reason = backend.name
        self.calls: Counter[int] = Counter()  # frames per backend call -> how many calls took that many
        self._calls_lock = threading.Lock()  # inference workers count side by side

    @classmethod
    def from_path(cls, path: str | Path, backend: str = "auto", settings: PostprocessSettings | None = None,
                  **select_kwargs: object) -> Detector:
        from yolo_nano_ros.runtime.backend_select import select_backend

        selection = select_backend(path, backend, **select_kwargs)  # type: ignore[arg-type]
        detector = cls(selection.backend, settings)
        detector.selection_reason = selection.reason
        return detector

    @property
    def class_names(self) -> tuple[str, ...]:
        return self.info.class_names

    def preprocess(self, image: np.ndarray, color: ColorOrder = "rgb", rect: bool = True
                   ) -> tuple[np.ndarray, Letterbox]:
        """rect: pad to the model's stride only, where the model takes any input size (rect_stride); frames
        batched together must have one shape, so mixed sizes go square."""
        if image.ndim != 3 or image.shape[2] != 3 or image.dtype != np.uint8:
            raise ValueError(f"expected an HxWx3 uint8 image, got shape {image.shape} dtype {image.dtype}")
        boxed, lb = letterbox(image, self.info.input_size, rect_stride=self.info.rect_stride if rect else 0)
        if not self.info.uint8_input:
            return to_input_tensor(boxed, bgr=color == "bgr"), lb  # the swap in the same pass
        if color == "bgr":
            boxed = cv2.cvtColor(boxed, cv2.COLOR_BGR2RGB)  # after resizing: fewer pixels to swap
        return boxed[None], lb

    def postprocess(self, maps: list[np.ndarray], lb: Letterbox, batch_index: int = 0) -> Detections:
        dets = self.decoder.decode(maps, batch_index, self.settings)
        dets.boxes = unletterbox_boxes(dets.boxes, lb)
        return dets

    def detect_many(self, frames: list[tuple[np.ndarray, ColorOrder]]) -> list[DetectionResult]:
        """Several frames (cameras) in one inference where the model has a batch axis, else one call each.

        Each frame is letterboxed on its own and its boxes are mapped back to its own size, so frames may
        differ in resolution and colour order. A frame's infer time is the call it was part of.
        """
        if len(frames) <= 1 or not self.backend.batch_axis:
            return [self.detect(image, color) for image, color in frames]
        t0 = time.perf_counter()
        rect = len({image.shape for image, _ in frames}) == 1
        prepared = [self.preprocess(image, color, rect) for image, color in frames]
        t1 = time.perf_counter()
        maps = self.backend.infer(np.concatenate([batch for batch, _ in prepared]))
        t2 = time.perf_counter()
        with self._calls_lock:
            self.calls[len(frames)] += 1
        pre_ms, infer_ms = (t1 - t0) * 1e3 / len(frames), (t2 - t1) * 1e3
        results = []
        for i, (_, lb) in enumerate(prepared):
            t3 = time.perf_counter()
            dets = self.postprocess(maps, lb, batch_index=i)
            results.append(DetectionResult(dets, self.class_names,
                                           StageTimes(pre_ms, infer_ms, (time.perf_counter() - t3) * 1e3)))
        return results

    def detect(self, image: np.ndarray, color: ColorOrder = "rgb") -> DetectionResult:
        t0 = time.perf_counter()
        batch, lb = self.preprocess(image, color)
        t1 = time.perf_counter()
        maps = self.backend.infer(batch)
        t2 = time.perf_counter()
        with self._calls_lock:
            self.calls[1] += 1
        dets = self.postprocess(maps, lb)
        t3 = time.perf_counter()
        return DetectionResult(dets, self.class_names, StageTimes((t1 - t0) * 1e3, (t2 - t1) * 1e3, (t3 - t2) * 1e3))
