"""`yolo-nano bench ultralytics`: our pipeline against Ultralytics' own on the same model files and photos.

Ultralytics runs in its own venv (make setup-ultralytics) through scripts/ultralytics_reference.py; the package
never imports it. One run:

1. A YOLO11n trained by Ultralytics to memorise data/coco128 (a copy in the work folder: Ultralytics writes label
   caches beside a dataset), unless --weights names a .pt; exported to ONNX (dynamic=True) and to OpenVINO.
2. Speed, in turns: Ultralytics' `predict` per frame (what yolo_ros runs) against our Detector, on ONNX Runtime
   (both on the ONNX file) and OpenVINO (theirs on its OpenVINO export, ours on the ONNX), the same photos:
   pre + post around the inference call (Ultralytics' own `speed` numbers; our StageTimes), p50 and p95.
3. Evaluation: `yolo-nano evaluate`'s evaluator and Ultralytics `val` on the same ONNX and data/coco128, at
   Ultralytics' validation settings (conf 0.001, IoU 0.7, 300 detections) and at ours (IoU 0.5, 100).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from yolo_nano_ros.errors import YoloNanoError
from yolo_nano_ros.runtime.media import list_images

REFERENCE_SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "ultralytics_reference.py"
GOAL_RATIO = 0.5  # ours <= 0.5x theirs: pre + post per frame


@dataclass(frozen=True)
class UltralyticsBenchSettings:
    python: Path  # Ultralytics' venv Python
    data: Path  # a YOLO-format dataset folder (images/, labels/): data/coco128
    work: Path  # a temporary folder: the dataset copy, runs, exports
    weights: Path | None = None  # a trained .pt; None: train one here
    epochs: int = 150
    imgsz: int = 320
    frames: int = 64
    rounds: int = 3


def reference(s: UltralyticsBenchSettings, *args: str) -> str:
    done = subprocess.run([str(s.python), str(REFERENCE_SCRIPT), *args], cwd=s.work, capture_output=True, text=True)
    if done.returncode != 0:
        raise YoloNanoError(f"Ultralytics {args[0]} failed: {done.stderr.strip().splitlines()[-1:]}")
    return done.stdout


def dataset_copy(s: UltralyticsBenchSettings) -> Path:
    """The dataset copied into the work folder with an Ultralytics data.yaml (its 128 photos as train and val)."""
    from yolo_nano_ros.data.class_names import COCO_CLASSES

    target = s.work / "coco128"
    if not target.exists():
        shutil.copytree(s.data, target)
    yaml_path = s.work / "coco128.yaml"
    split = str(next(p for p in (target / "images").iterdir() if p.is_dir()).relative_to(target))
    lines = [f"path: {target}", f"train: {split}", f"val: {split}", "names:"]
    lines += [f"  {i}: {name}" for i, name in enumerate(COCO_CLASSES)]
    yaml_path.write_text("\n".join(lines) + "\n")
    return yaml_path


def percentile_row(values: list[float]) -> dict[str, float]:
    return {"p50": float(np.percentile(values, 50)), "p95": float(np.percentile(values, 95))}


def ours(model: Path, backend: str, images: list[Path]) -> dict[str, list[float]]:
    from yolo_nano_ros.runtime.backends.cpu_settings import CpuSettings
    from yolo_nano_ros.runtime.detector import Detector
    from yolo_nano_ros.runtime.postprocess import PostprocessSettings

    # Ultralytics' predict defaults (conf 0.25, IoU 0.7, 300) and all cores, as its runtimes take them, with the
    # node's default of no busy-waiting between calls (cpu_spin: false; it made no measurable difference here).
    detector = Detector.from_path(model, backend, PostprocessSettings(0.25, 0.7, 300), log=lambda _m: None,
                                  cpu=CpuSettings(threads=0, spin=False))
    frames = [frame for frame in (cv2.imread(str(p)) for p in images) if frame is not None]
    detector.detect(frames[0], "bgr")
    out: dict[str, list[float]] = {"pre_post_ms": [], "total_ms": []}
    for frame in frames:
        t0 = time.perf_counter()
        times = detector.detect(frame, "bgr").times
        out["total_ms"].append((time.perf_counter() - t0) * 1e3)
        out["pre_post_ms"].append(times.pre_ms + times.post_ms)
    return out


def theirs(s: UltralyticsBenchSettings, model: Path, images: Path) -> dict[str, list[float]]:
    out_json = s.work / "predict.json"
    reference(s, "predict", "--model", str(model), "--images", str(images), "--limit", str(s.frames), "--imgsz",
              str(s.imgsz), "--conf", "0.25", "--iou", "0.7", "--max-det", "300", "--out", str(out_json))
    timings = json.loads(out_json.read_text())["timings"]
    return {"pre_post_ms": [t["preprocess_ms"] + t["postprocess_ms"] for t in timings],
            "total_ms": [t["total_ms"] for t in timings]}


def evaluate_ours(onnx: Path, data_yaml: Path, iou: float, max_det: int, save: Path | None = None
                  ) -> dict[str, float]:
    """Our evaluator (COCO's AP: equal to pycocotools, test_metrics.py); save: our detections and the ground
    truth as arrays, for Ultralytics' formula to score too."""
    from yolo_nano_ros.data.dataset_spec import load_split
    from yolo_nano_ros.evaluation.dataset_eval import detect_dataset
    from yolo_nano_ros.evaluation.metrics import evaluate_detections
    from yolo_nano_ros.runtime.detector import Detector
    from yolo_nano_ros.runtime.postprocess import PostprocessSettings

    detector = Detector.from_path(onnx, "onnxruntime", PostprocessSettings(0.001, iou, max_det, multi_label=True),
                                  log=lambda _m: None)
    dataset = load_split(data_yaml, "val", classes=detector.class_names)
    run = detect_dataset(detector, dataset, progress=False)
    metrics = evaluate_detections(run.gts, run.preds, dataset.names)
    if save is not None:
        arrays: dict[str, np.ndarray] = {"images": np.array(len(run.preds))}
        for i, (gt, pred) in enumerate(zip(run.gts, run.preds, strict=True)):
            arrays |= {f"{i}/boxes": pred.boxes, f"{i}/scores": pred.scores, f"{i}/classes": pred.labels,
                       f"{i}/gt_boxes": gt.boxes, f"{i}/gt_classes": gt.labels}
        np.savez(save, **arrays)  # type: ignore[arg-type]
    return {"map50": metrics.map50_coco, "map50_95": metrics.map50_95, "map50_voc": metrics.map50}


def ultralytics_bench(s: UltralyticsBenchSettings, progress: Callable[[str], None] = print) -> dict[str, Any]:
    if not s.python.exists():
        raise YoloNanoError(f"Ultralytics' venv is missing ({s.python}): make setup-ultralytics")
    s.work.mkdir(parents=True, exist_ok=True)
    data_yaml = dataset_copy(s)
    weights = s.weights
    trained_s = 0.0
    if weights is None:
        progress(f"training YOLO11n on coco128 for {s.epochs} epochs at {s.imgsz} (minutes)")
        t0 = time.monotonic()
        weights = s.work / "yolo11n_coco128.pt"
        reference(s, "train", "--arch", "yolo11n", "--data", str(data_yaml), "--epochs", str(s.epochs), "--imgsz",
                  str(s.imgsz), "--no-augment", "--project", str(s.work / "runs"), "--out", str(weights))
        trained_s = time.monotonic() - t0
    onnx, ov = s.work / "yolo11n.onnx", s.work / "yolo11n_openvino_model"
    progress("exporting to ONNX and OpenVINO")
    reference(s, "export", "--weights", str(weights), "--format", "onnx", "--imgsz", str(s.imgsz), "--dynamic",
              "--out", str(onnx))
    reference(s, "export", "--weights", str(weights), "--format", "openvino", "--imgsz", str(s.imgsz), "--dynamic",
              "--out", str(ov))
    images = s.work / "coco128" / "images"
    paths = list_images(images)[: s.frames]
    speed: dict[str, dict[str, list[float]]] = {}
    for r in range(s.rounds):
        for backend, their_model in (("onnxruntime", onnx), ("openvino", ov)):
            progress(f"speed round {r + 1}/{s.rounds}: {backend}, theirs then ours")
            for who, numbers in ((f"ultralytics {backend}", theirs(s, their_model, images)),
                                 (f"ours {backend}", ours(onnx, backend, paths))):
                for key, values in numbers.items():
                    speed.setdefault(who, {}).setdefault(key, []).extend(values)
    progress("evaluation: Ultralytics val, then ours at its settings and at ours")
    val = json.loads(reference(s, "val", "--model", str(onnx), "--data", str(data_yaml), "--imgsz", str(s.imgsz),
                               "--project", str(s.work / "runs")).strip().splitlines()[-1])
    arrays = s.work / "our_detections.npz"
    same = evaluate_ours(onnx, data_yaml, 0.7, 300, save=arrays)
    formula = json.loads(reference(s, "metrics", "--detections", str(arrays)).strip().splitlines()[-1])
    evaluation = {"ultralytics val (conf 0.001, IoU 0.7, 300)": {"map50": val["map50"], "map50_95": val["map"]},
                  "ours at Ultralytics' settings (conf 0.001, IoU 0.7, 300)": same,
                  "Ultralytics' matching and AP formula on our detections": {"map50": formula["map50"],
                                                                             "map50_95": formula["map"]},
                  "ours at our settings (conf 0.001, IoU 0.5, 100)": evaluate_ours(onnx, data_yaml, 0.5, 100)}
    return {"imgsz": s.imgsz, "frames": len(paths), "rounds": s.rounds, "epochs": s.epochs if s.weights is None else 0,
            "train_s": trained_s,
            "speed": {who: {k: percentile_row(v) for k, v in d.items()} for who, d in speed.items()},
            "evaluation": evaluation}


def ultralytics_markdown(report: dict[str, Any]) -> str:
    speed = report["speed"]
    lines = [f"Speed, YOLO11n at {report['imgsz']}, {report['frames']} coco128 photos x {report['rounds']} rounds in "
             "turns, all cores, conf 0.25 / IoU 0.7 / 300 (Ultralytics' predict defaults):", "",
             "| pipeline | pre + post p50 ms | pre + post p95 ms | whole call p50 ms | whole call p95 ms |",
             "|---|---:|---:|---:|---:|"]
    for who, d in speed.items():
        lines.append(f"| {who} | {d['pre_post_ms']['p50']:.2f} | {d['pre_post_ms']['p95']:.2f} | "
                     f"{d['total_ms']['p50']:.2f} | {d['total_ms']['p95']:.2f} |")
    lines.append("")
    for backend in ("onnxruntime", "openvino"):
        mine, their = speed[f"ours {backend}"]["pre_post_ms"], speed[f"ultralytics {backend}"]["pre_post_ms"]
        ratios = {q: mine[q] / their[q] for q in ("p50", "p95")}
        met = all(r <= GOAL_RATIO for r in ratios.values())
        lines.append(f"- {backend}: pre + post ours / theirs = {ratios['p50']:.2f}x at p50, {ratios['p95']:.2f}x at "
                     f"p95 (goal <= {GOAL_RATIO}x): {'met' if met else 'NOT met'}")
    lines += ["", "Evaluation on data/coco128 (the model memorised it: the check is of the evaluators, not the model):",
              "", "| evaluator | mAP50 | mAP50-95 |", "|---|---:|---:|"]
    for who, m in report["evaluation"].items():
        lines.append(f"| {who} | {m['map50']:.4f} | {m['map50_95']:.4f} |")
    ev = list(report["evaluation"].values())
    d50, d95 = (ev[1]["map50"] - ev[0]["map50"]) * 100, (ev[1]["map50_95"] - ev[0]["map50_95"]) * 100
    f50, f95 = (ev[1]["map50"] - ev[2]["map50"]) * 100, (ev[1]["map50_95"] - ev[2]["map50_95"]) * 100
    r50, r95 = (ev[2]["map50"] - ev[0]["map50"]) * 100, (ev[2]["map50_95"] - ev[0]["map50_95"]) * 100
    lines += ["", f"- the evaluators on the same detections (ours, COCO's AP, against Ultralytics' matching and AP): "
              f"{f50:+.2f} points mAP50, {f95:+.2f} mAP50-95 (goal within 0.5): "
              f"{'met' if abs(f50) <= 0.5 and abs(f95) <= 0.5 else 'NOT met'}; the rest is the detections (ours, "
              f"equal to its predict's, against those its validator made): {r50:+.2f} / {r95:+.2f} points"]
    lines += [f"- same settings: ours - Ultralytics = {d50:+.2f} points mAP50, {d95:+.2f} points mAP50-95 "
              f"(goal within 0.5): {'met' if abs(d50) <= 0.5 and abs(d95) <= 0.5 else 'NOT met'}; "
              f"the model's mAP50 {ev[0]['map50']:.2f} (goal >= 0.2): {'met' if ev[0]['map50'] >= 0.2 else 'NOT met'}"]
    return "\n".join(lines)
