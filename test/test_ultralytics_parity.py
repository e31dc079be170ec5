"""Our detections on real Ultralytics exports equal Ultralytics' own predictor's, box by box.

YOLOv8n and YOLO11n (detect head, NMS in our decoder) and YOLO26n exported end-to-end (NMS in the graph),
built by Ultralytics from its yaml files in its own venv (make setup-ultralytics; scripts/ultralytics_reference.py:
BatchNorm statistics from coco128 photos, no training), exported with `dynamic=True`, then run by its
`predict` on real photos of several sizes (640x480, 640x426, 481x640, 381x500, ...) and by our Detector on
ONNX Runtime and OpenVINO (fp32: its bf16 default would not be the same computation). Every Ultralytics box
must have one of ours of the same class, score within 1e-3 and IoU >= 0.99; the counts must be equal; each
comparison covers at least 50 boxes. Single frames (padded to the stride, as Ultralytics pads such an
export) and batches of four frames of mixed sizes (padded to squares, as Ultralytics does then).
"""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import pytest
from ultralytics_reference_runs import IMAGES, IMGSZ, export, needs_ultralytics, reference

from yolo_nano_ros.runtime.detector import Detector
from yolo_nano_ros.runtime.output_layouts import OutputLayout
from yolo_nano_ros.runtime.postprocess import Detections, PostprocessSettings, box_iou

CONF, IOU, MAX_DET, FRAMES, BATCH = 0.25, 0.45, 300, 16, 4
# Scores this close above the threshold may fall either side of it: Ultralytics divides the pixels by 255 where
# we multiply by 1/255, a last-bit difference in the input. Such boxes are neither required nor counted.
BORDERLINE = 1e-4
MODELS = {"yolov8n": OutputLayout.ULTRALYTICS_DETECT, "yolo11n": OutputLayout.ULTRALYTICS_DETECT,
          "yolo26n": OutputLayout.ULTRALYTICS_END2END}

pytestmark = needs_ultralytics


@pytest.fixture(scope="session")
def ultralytics_runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Path, dict, dict]]:
    """arch -> (its ONNX, Ultralytics' single-frame predictions, its batch-of-four predictions)."""
    runs = {}
    for arch, layout in MODELS.items():
        folder = tmp_path_factory.mktemp(arch)
        onnx = export(arch, folder, end2end=layout is OutputLayout.ULTRALYTICS_END2END)
        predicted = []
        for batch in (1, BATCH):
            out = folder / f"predict_b{batch}.json"
            reference(["predict", "--model", str(onnx), "--images", str(IMAGES), "--limit", str(FRAMES), "--imgsz",
                       str(IMGSZ), "--conf", str(CONF), "--iou", str(IOU), "--max-det", str(MAX_DET), "--batch",
                       str(batch), "--out", str(out)], folder)
            predicted.append(json.loads(out.read_text()))
        runs[arch] = (onnx, predicted[0], predicted[1])
    return runs


def unmatched(theirs: dict, ours: Detections) -> list[str]:
    """Ultralytics' boxes without one of ours of the same class, score within 1e-3 and IoU >= 0.99."""
    boxes = np.asarray(theirs["boxes"], np.float32).reshape(-1, 4)
    classes, scores = np.asarray(theirs["classes"]), np.asarray(theirs["scores"])
    same = (classes[:, None] == ours.class_ids[None, :]) & (np.abs(scores[:, None] - ours.scores[None, :]) < 1e-3)
    iou = np.where(same, box_iou(boxes, ours.boxes), 0.0)
    # A box without area has no IoU (the random weights invert some, and some lie outside the image, clipped to
    # a line along its edge): its corners must agree instead, to a tenth of a pixel.
    no_area = (boxes[:, 2] <= boxes[:, 0]) | (boxes[:, 3] <= boxes[:, 1])
    corners = same & (np.abs(boxes[:, None, :] - ours.boxes[None, :, :]).max(2, initial=0.0) < 0.1)
    ok = np.where(no_area, corners.any(1), iou.max(1, initial=0.0) >= 0.99) | (scores <= CONF + BORDERLINE)
    def nearest(i: int) -> str:
        if not len(ours):
            return "none"
        j = int(np.abs(ours.boxes - boxes[i]).max(1).argmin())
        return f"class {ours.class_ids[j]} score {ours.scores[j]:.4f} box {ours.boxes[j].round(1).tolist()}"

    return [f"{theirs['image']}: class {classes[i]} score {scores[i]:.4f} box {boxes[i].round(1).tolist()}; ours "
            f"nearest: {nearest(i)}" for i in np.flatnonzero(~ok)]


def compare(detector: Detector, predictions: dict, batch: int) -> int:
    """How many boxes matched (asserting every one does and the counts agree)."""
    paths = {p.name: p for p in IMAGES.rglob("*.jpg")}
    results = predictions["results"]
    problems, boxes = [], 0
    for start in range(0, len(results), batch):
        group = results[start:start + batch]
        frames = [(cv2.imread(str(paths[r["image"]])), "bgr") for r in group]
        ours = detector.detect_many(frames) if batch > 1 else [detector.detect(*frames[0])]  # type: ignore[arg-type]
        for theirs, mine in zip(group, ours, strict=True):
            clear = sum(score > CONF + BORDERLINE for score in theirs["scores"])
            boxes += clear
            if (mine.detections.scores > CONF + BORDERLINE).sum() != clear:
                problems.append(f"{theirs['image']}: {len(mine.detections)} boxes, Ultralytics {len(theirs['boxes'])}")
            problems += unmatched(theirs, mine.detections)
    assert not problems, "\n".join(problems[:20])
    return boxes


@pytest.mark.parametrize("backend", ["onnxruntime", "openvino"])
@pytest.mark.parametrize("arch", list(MODELS))
def test_detections_equal_ultralytics_predict(ultralytics_runs, arch: str, backend: str) -> None:
    onnx, single, batched = ultralytics_runs[arch]
    settings = PostprocessSettings(conf_threshold=CONF, iou_threshold=IOU, max_detections=MAX_DET)
    detector = Detector.from_path(onnx, backend, settings, precision="fp32", max_batch=BATCH)
    assert detector.info.layout is MODELS[arch] and detector.class_names[:2] == ("person", "bicycle")
    assert detector.info.rect_stride == 32  # dynamic=True: any size, padded to the stride
    assert compare(detector, single, 1) >= 50
    assert detector.backend.batch_axis
    assert compare(detector, batched, BATCH) >= 50
    assert detector.calls[BATCH] == FRAMES // BATCH  # the batches went through as batches


def test_an_export_quantizes_to_int8_and_runs_on_both_cpu_backends(ultralytics_runs, tmp_path: Path) -> None:
    """`yolo-nano quantize` on an any-size export: calibrated on input_size squares, the INT8 file takes those
    (rect_stride 0) and keeps the layout and names. Its accuracy needs a trained model: the benchmark."""
    from yolo_nano_ros.runtime.quantize import QuantizeSettings, quantize_model

    onnx, _, _ = ultralytics_runs["yolo11n"]
    out = quantize_model(QuantizeSettings(onnx, tmp_path / "yolo11n.int8.onnx", IMAGES, calib_limit=8),
                         log=lambda _m: None)
    frame = cv2.imread(str(next(IMAGES.rglob("*.jpg"))))
    for backend, precision in (("onnxruntime", "fp32"), ("openvino", "int8")):
        detector = Detector.from_path(out, backend, precision=precision)
        assert detector.backend.precision.startswith("int8")
        assert (detector.info.layout, detector.info.rect_stride) == (OutputLayout.ULTRALYTICS_DETECT, 0)
        assert len(detector.class_names) == 80
        detector.detect(frame, "bgr")


def test_bag_evaluation_with_an_export_maps_classes_by_name(ultralytics_runs, tmp_path: Path) -> None:
    """yolo-nano-bag make + yolo-nano-eval with a COCO-named YOLO11n export: ground truth with COCO's names scores
    exactly as the dataset evaluation does, and VOC-named ground truth finds the COCO classes by name ("aeroplane"
    is "airplane"), nothing skipped as unknown."""
    from yolo_nano_ros.apps.eval_cli import main
    from yolo_nano_ros.bag.writer import BagSettings, write_bag
    from yolo_nano_ros.data.class_names import COCO_CLASSES
    from yolo_nano_ros.data.dataset_spec import load_split
    from yolo_nano_ros.evaluation.dataset_eval import EVAL_SETTINGS, evaluate_detector

    onnx, _, _ = ultralytics_runs["yolo11n"]
    coco_yaml = tmp_path / "coco128.yaml"  # Ultralytics' data.yaml form, COCO's 80 names
    coco_yaml.write_text(f"path: {IMAGES.parent}\nval: images/train2017\nnames:\n"
                         + "".join(f"  {i}: {name}\n" for i, name in enumerate(COCO_CLASSES)))
    voc_yaml = Path(__file__).resolve().parents[1] / "config" / "datasets" / "coco128_voc.yaml"
    for yaml_path, exact in ((coco_yaml, True), (voc_yaml, False)):
        dataset = load_split(yaml_path, "val")
        dataset.samples = dataset.samples[:12]
        bag, out = tmp_path / f"bag_{yaml_path.stem}", tmp_path / f"eval_{yaml_path.stem}"
        write_bag(dataset, BagSettings(bag), progress=False)
        assert main([str(bag), "--model", str(onnx), "--backend", "onnxruntime", "--out", str(out), "--quiet"]) == 0
        report = json.loads((out / "report.json").read_text())
        assert report["frames_scored"] == 12 and report["skipped"] == {}, report["skipped"]
        if exact:
            detector = Detector.from_path(onnx, "onnxruntime", EVAL_SETTINGS)
            reference = evaluate_detector(detector, dataset, progress=False)
            assert report["map50"] == pytest.approx(reference.map50, abs=1e-9)
            assert report["map50_95"] == pytest.approx(reference.map50_95, abs=1e-9)
