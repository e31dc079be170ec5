"""mAP of a detector (any backend) on a dataset split."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from tqdm import tqdm

from yolo_nano_ros.data.annotations import Dataset, DatasetError
from yolo_nano_ros.data.dataset_spec import load_split
from yolo_nano_ros.data.images import read_rgb
from yolo_nano_ros.errors import ConfigError
from yolo_nano_ros.evaluation.metrics import DetectionMetrics, GroundTruth, Predictions, evaluate_detections
from yolo_nano_ros.evaluation.report import metrics_markdown, save_metrics
from yolo_nano_ros.runtime.detector import Detector
from yolo_nano_ros.runtime.model_info import ModelOverrides
from yolo_nano_ros.runtime.postprocess import PostprocessSettings

# mAP is computed over the whole PR curve: keep low-score detections, one per class per box.
EVAL_SETTINGS = PostprocessSettings(conf_threshold=0.001, iou_threshold=0.5, max_detections=100, multi_label=True)


@dataclass
class EvaluationReport:
    metrics: DetectionMetrics
    images: int
    run: DatasetRun | None = None  # each image's ground truth, detections and time (for report.html)
    dataset: Dataset | None = None
    info: dict[str, object] | None = None  # what report.json records beside the metrics

    def to_markdown(self) -> str:
        return metrics_markdown(self.metrics, f"Detection accuracy on {self.images} images")


@dataclass
class DatasetRun:
    """Each image's ground truth and detections, and the detector's time on it (pre + infer + post)."""

    gts: list[GroundTruth]
    preds: list[Predictions]
    times_ms: list[float]


def detect_dataset(detector: Detector, dataset: Dataset, progress: bool = True) -> DatasetRun:
    if tuple(detector.class_names) != tuple(dataset.names):
        raise ConfigError(f"model classes {detector.class_names[:5]}... differ from the dataset's "
                         f"{dataset.names[:5]}...")
    run = DatasetRun([], [], [])
    for sample in tqdm(dataset.samples, desc="evaluate", unit="img", disable=not progress, leave=False):
        result = detector.detect(read_rgb(sample))
        d = result.detections
        run.gts.append(GroundTruth(sample.boxes, sample.labels, sample.difficult))
        run.preds.append(Predictions(d.boxes, d.scores, d.class_ids))
        run.times_ms.append(result.times.total_ms)
    return run


def evaluate_detector(detector: Detector, dataset: Dataset, progress: bool = True) -> DetectionMetrics:
    run = detect_dataset(detector, dataset, progress)
    return evaluate_detections(run.gts, run.preds, dataset.names)


def evaluate_checkpoint_or_model(model: Path, data: Path, split: str = "val", out_dir: Path | None = None,
                                 conf_threshold: float = 0.001, backend: str = "auto",
                                 precision: str = "fp32", overrides: ModelOverrides | None = None
                                 ) -> EvaluationReport:
    """precision fp32 by default: accuracy is measured at full precision unless a lower one is asked for."""
    from dataclasses import replace

    detector = Detector.from_path(model, backend, settings=replace(EVAL_SETTINGS, conf_threshold=conf_threshold),
                                  precision=precision, overrides=overrides)
    # The dataset's boxes mapped onto the model's classes by name (COCO names onto VOC ones too).
    dataset = load_split(data, split, classes=detector.class_names)
    if not any(len(s.labels) for s in dataset.samples) and dataset.skipped.get("boxes_unmapped"):
        raise DatasetError(f"{data}: none of its {dataset.skipped['boxes_unmapped']} boxes is of a class the model "
                           f"knows ({', '.join(detector.class_names[:6])}, ...)")
    run = detect_dataset(detector, dataset)
    metrics = evaluate_detections(run.gts, run.preds, dataset.names)
    info: dict[str, object] = {"model": str(model), "data": str(data), "split": split,
                               "backend": detector.backend.name, "precision": detector.backend.precision,
                               "images": len(dataset.samples)}
    if out_dir:
        save_metrics(metrics, out_dir, info)
    return EvaluationReport(metrics, len(dataset.samples), run, dataset, info)


