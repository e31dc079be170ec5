"""`yolo-nano bench accuracy`: what each CPU precision costs in mAP, with the real evaluator and weights.

The float model at FP32 on ONNX Runtime is the reference; every other case loads the same weights
(or their INT8 quantization, calibrated on real images) through the real backend and is scored on
the same split. The demo weights have seen coco128's training split, so the absolute numbers mean
little; the differences between precisions are what this measures.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from yolo_nano_ros.paths import resolve_model
from yolo_nano_ros.runtime.quantize import QuantizeSettings, default_output, quantize_model


@dataclass(frozen=True)
class AccuracySettings:
    model: Path = field(default_factory=lambda: resolve_model(None))
    data: Path = Path("config/datasets/coco128_voc.yaml")
    split: str = "train"
    calib_images: Path = Path("data/samples/images")
    work_dir: Path = Path("build/bench_models")


# (label, backend, precision, quantization method or None)
CASES: tuple[tuple[str, str, str, str | None], ...] = (
    ("ORT FP32", "onnxruntime", "fp32", None),
    ("ORT INT8 (ORT QDQ)", "onnxruntime", "fp32", "onnxruntime"),
    ("OpenVINO FP32", "openvino", "fp32", None),
    ("OpenVINO BF16", "openvino", "bf16", None),
    ("OpenVINO INT8 (ORT QDQ)", "openvino", "fp16", "onnxruntime"),
    ("OpenVINO INT8 (NNCF)", "openvino", "fp16", "nncf"),
)


def available(backend: str, precision: str, method: str | None) -> str | None:
    """None when the case can run here, else why not."""
    from yolo_nano_ros.runtime.backend_select import openvino_unavailable_reason

    if backend == "openvino":
        why = openvino_unavailable_reason()
        if why:
            return why
        if precision == "bf16":
            from yolo_nano_ros.runtime.backends.openvino_backend import has_native_bf16

            if not has_native_bf16():
                return "no native bf16 on this CPU"
    if method == "nncf":
        try:
            import nncf  # noqa: F401
        except ImportError:
            return "nncf not installed"
    return None


def bench_accuracy(s: AccuracySettings, log: Callable[[str], None] = print) -> dict[str, Any]:
    from yolo_nano_ros.data.dataset_spec import load_split
    from yolo_nano_ros.evaluation.dataset_eval import EVAL_SETTINGS, evaluate_detector
    from yolo_nano_ros.runtime.detector import Detector

    dataset = load_split(s.data, s.split)
    rows: list[dict[str, Any]] = []
    skipped: dict[str, str] = {}
    quantized: dict[str, Path] = {}
    for label, backend, precision, method in CASES:
        why = available(backend, precision, method)
        if why:
            skipped[label] = why
            continue
        model = s.model
        if method:
            if method not in quantized:
                out = s.work_dir / default_output(s.model, method).name  # type: ignore[arg-type]
                quantized[method] = quantize_model(QuantizeSettings(s.model, out, s.calib_images, method), log)  # type: ignore[arg-type]
            model = quantized[method]
        detector = Detector.from_path(model, backend, settings=EVAL_SETTINGS, precision=precision)
        metrics = evaluate_detector(detector, dataset).to_dict()
        rows.append({"case": label, "backend": detector.backend.name, "precision": detector.backend.precision,
                     "map50": metrics["map50_voc07"], "map50_all_point": metrics["map50"],
                     "map50_95": metrics["map50_95"]})
        log(f"{label}: mAP@0.5 {metrics['map50_voc07']:.4f}")
    if rows:
        ref = rows[0]["map50"]
        for r in rows:
            r["delta_points"] = round(100 * (r["map50"] - ref), 2)
    return {"rows": rows, "skipped": skipped, "model": str(s.model), "data": str(s.data), "split": s.split,
            "images": len(dataset.samples), "calib_images": str(s.calib_images)}


def format_accuracy(report: dict[str, Any]) -> str:
    lines = [f"mAP@0.5 (VOC07 11-point) of {Path(report['model']).name} on {report['data']} "
             f"[{report['split']}, {report['images']} images]; change in points vs the first row",
             f"{'case':<26}{'runs as':>30}{'mAP@0.5':>9}{'change':>8}{'mAP@.5:.95':>12}"]
    for r in report["rows"]:
        lines.append(f"{r['case']:<26}{r['backend'] + ' ' + r['precision']:>30}{r['map50']:>9.4f}"
                     f"{r['delta_points']:>+8.2f}{r['map50_95']:>12.4f}")
    if report["skipped"]:
        lines.append("not measured: " + "; ".join(f"{k}: {v}" for k, v in report["skipped"].items()))
    return "\n".join(lines)
