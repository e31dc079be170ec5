"""One decoder per output layout: a batch's raw outputs and a frame's index in, that frame's detections out
(model-input pixels), score threshold, class filter, NMS where the layout needs it and max detections applied.

What each keeps of Ultralytics' own post-processing (its ops.non_max_suppression, read, not copied): the
detect head's candidates are cells whose best class score is above the threshold (strict), boxes are cx cy
w h -> x1 y1 x2 y2, NMS is class-aware greedy on the best class; the end-to-end head's rows are only
thresholded, filtered by class and cut to max detections, in the graph's order.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np

from yolo_nano_ros.errors import ModelLoadError
from yolo_nano_ros.runtime.model_info import ModelInfo
from yolo_nano_ros.runtime.output_layouts import OutputLayout
from yolo_nano_ros.runtime.postprocess import Detections, HeadDecoder, PostprocessSettings, select_and_nms


class Decoder(Protocol):
    def decode(self, outputs: list[np.ndarray], batch_index: int, settings: PostprocessSettings) -> Detections:
        """Detections of frame `batch_index` of the batch, in model-input pixels."""
        ...


@dataclass
class YoloNanoDecoder:
    head: HeadDecoder

    def decode(self, outputs: list[np.ndarray], batch_index: int, settings: PostprocessSettings) -> Detections:
        boxes, scores = self.head.decode(outputs, batch_index, min_objectness=settings.conf_threshold)
        return select_and_nms(boxes, scores, settings)


@dataclass
class UltralyticsDetectDecoder:
    """(N, 4 + C, A): per anchor point cx cy w h in input pixels, then C class scores (already sigmoid'd)."""

    num_classes: int

    def decode(self, outputs: list[np.ndarray], batch_index: int, settings: PostprocessSettings) -> Detections:
        out = outputs[0][batch_index]  # (4 + C, A)
        scores = out[4:4 + self.num_classes]
        # The cells any class scores above the threshold, found on the (C, A) array as it lies (a max down
        # the short axis), so only those columns are transposed and decoded.
        cells = np.flatnonzero(scores.max(0) > settings.conf_threshold)
        xywh = out[:4, cells].T
        half = xywh[:, 2:4] * 0.5
        boxes = np.concatenate([xywh[:, :2] - half, xywh[:, :2] + half], 1)
        return select_and_nms(boxes, np.ascontiguousarray(scores[:, cells].T), settings)


@dataclass
class UltralyticsEnd2EndDecoder:
    """(N, D, 6): x1 y1 x2 y2 score class per row, NMS-free (YOLOv10, YOLO26 end2end): threshold and filter only."""

    def decode(self, outputs: list[np.ndarray], batch_index: int, settings: PostprocessSettings) -> Detections:
        rows = outputs[0][batch_index]
        keep = rows[:, 4] > settings.conf_threshold
        class_ids = rows[:, 5].astype(np.int64)
        if settings.class_filter is not None:
            keep &= np.isin(class_ids, np.fromiter(settings.class_filter, np.int64))
        index = np.flatnonzero(keep)[: settings.max_detections]
        return Detections(rows[index, :4].astype(np.float32), rows[index, 4].astype(np.float32), class_ids[index])


def decoder_for(info: ModelInfo) -> Decoder:
    if info.layout is OutputLayout.YOLO_NANO:
        if info.head is None:
            raise ModelLoadError("a yolo_nano model needs its anchors and strides (our export metadata)")
        return YoloNanoDecoder(HeadDecoder(info.head))
    if info.layout is OutputLayout.ULTRALYTICS_DETECT:
        return UltralyticsDetectDecoder(len(info.class_names))
    return UltralyticsEnd2EndDecoder()
