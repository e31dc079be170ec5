"""Ultralytics' side of the parity checks, run with the Ultralytics venv's Python (make setup-ultralytics), never
imported by the package: Ultralytics is AGPL-3.0 and a check of us, not a part of us.

    export   a trained .pt, or a model built from Ultralytics' yaml (no weights are downloaded) given varied
             outputs, exported to ONNX or OpenVINO
    predict  Ultralytics' own per-frame pipeline (YOLO(file).predict) on images; boxes (and timings) as JSON
    train    memorise a dataset copy (the evaluation-parity benchmark needs a model that finds things); a .pt
    val      Ultralytics' own evaluation of a model file on a dataset yaml: mAP50 and mAP50-95
    metrics  Ultralytics' matching and AP formula on detections given as arrays (ours)

Varied outputs without training: random weights score every cell alike (features vanish through the layers),
so BatchNorm's running statistics are recomputed on real photos (a few forward passes in train mode, no
gradient step), which keeps every layer's features at unit scale, and the class-score bias is shifted so a
chosen share of cells clears the score threshold. Good enough to compare decoders box by box; worthless as
a detector.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("YOLO_OFFLINE", "1")
os.environ.setdefault("YOLO_VERBOSE", "False")

import cv2
import numpy as np


def image_paths(folder: Path, limit: int) -> list[Path]:
    paths = sorted(p for p in folder.rglob("*") if p.suffix.lower() in (".jpg", ".jpeg", ".png"))
    return paths[:limit] if limit else paths


def letterboxed_batch(paths: list[Path], size: int) -> np.ndarray:
    from ultralytics.data.augment import LetterBox

    box = LetterBox((size, size), auto=False)
    images = [box(image=cv2.imread(str(p)))[..., ::-1] for p in paths]
    return np.ascontiguousarray(np.stack(images).transpose(0, 3, 1, 2)).astype(np.float32) / 255


def calibrate(model, batch: np.ndarray, share: float, conf: float) -> dict:  # type: ignore[no-untyped-def]
    """BatchNorm statistics from `batch`, then class biases shifted so `share` of the cells score above `conf`."""
    import torch

    net = model.model
    for m in net.modules():
        if isinstance(m, torch.nn.BatchNorm2d):
            m.reset_running_stats()
            m.momentum = None  # cumulative average over the passes
    x = torch.from_numpy(batch)
    net.train()
    with torch.no_grad():
        for chunk in x.split(8):
            net(chunk)
    net.eval()
    head = net.model[-1]
    convs = [seq[-1] for name in ("cv3", "one2one_cv3") if hasattr(head, name) for seq in getattr(head, name)]
    box_convs = [seq[-1] for name in ("cv2", "one2one_cv2") if hasattr(head, name) for seq in getattr(head, name)]
    with torch.no_grad():
        # Box sides of about 0.5-3 strides, not the 7.5 of a uniform distribution over 16 bins (boxes that
        # cover the whole input after clipping, indistinguishable from each other): damp the weights and
        # favour the low bins (DFL) or a small positive distance (reg_max 1, direct regression).
        for conv in box_convs:
            conv.weight *= 0.3
            bins = torch.arange(head.reg_max, dtype=conv.bias.dtype).repeat(4)
            conv.bias[:] = -0.6 * bins if head.reg_max > 1 else 1.2
        out = net(x[:16])
        out = out[0] if isinstance(out, tuple | list) else out
        if out.shape[-1] == 6:  # end-to-end rows: (N, D, 6), scores already top-k'd; use the raw one-to-one head
            raise SystemExit("calibrate the end-to-end model through its one-to-many head: export end2end after")
        best = out[:, 4:, :].amax(1).flatten().clamp(1e-6, 1 - 1e-6)
        logits = torch.log(best / (1 - best))
        shift = float(np.log(conf / (1 - conf)) - torch.quantile(logits, 1 - share))
        for conv in convs:
            conv.bias += shift
    return {"bias_shift": shift}


def export(args: argparse.Namespace) -> None:
    import torch
    from ultralytics import YOLO
    from ultralytics.utils import ROOT, YAML

    torch.manual_seed(args.seed)
    facts: dict = {}
    if args.weights:  # a trained model: exported as it is
        model = YOLO(str(args.weights))
    else:
        model = YOLO(f"{args.arch}.yaml")
        model.model.names = YAML.load(ROOT / "cfg/datasets/coco.yaml")["names"]  # COCO's 80, as a trained export
        batch = letterboxed_batch(image_paths(args.images, args.calib_images), args.imgsz)
        head = model.model.model[-1]
        end2end_capable = hasattr(head, "end2end")
        if end2end_capable:
            head.end2end = False  # calibrate through the one-to-many outputs (N, 4+C, A), then restore
        facts = calibrate(model, batch, args.share, args.conf)
        if end2end_capable:
            head.end2end = True
    head = model.model.model[-1]
    extra = {"end2end": args.end2end} if hasattr(head, "end2end") else {}
    path = model.export(format=args.format, imgsz=args.imgsz, dynamic=args.dynamic, batch=1,
                        **({"simplify": True, "opset": args.opset} if args.format == "onnx" else {}), **extra)
    target = args.out
    target.parent.mkdir(parents=True, exist_ok=True)
    if target.exists() and target.is_dir():
        import shutil

        shutil.rmtree(target)
    Path(path).replace(target)
    print(json.dumps({"model": str(target), "arch": args.arch, **facts}))


def predict(args: argparse.Namespace) -> None:
    from ultralytics import YOLO

    model = YOLO(str(args.model), task="detect")
    results, timings = [], []
    paths = image_paths(args.images, args.limit)
    kwargs = {"imgsz": args.imgsz, "conf": args.conf, "iou": args.iou, "max_det": args.max_det, "verbose": False}
    model.predict(cv2.imread(str(paths[0])), **kwargs)  # warm-up: sessions open, shapes settle
    groups = [paths[i:i + args.batch] for i in range(0, len(paths), args.batch)]
    for round_index in range(max(1, args.rounds)):
        for group in groups:
            images = [cv2.imread(str(p)) for p in group]
            t0 = time.perf_counter()
            predicted = model.predict(images if args.batch > 1 else images[0], **kwargs)
            elapsed = (time.perf_counter() - t0) * 1e3
            for p, r in zip(group, predicted, strict=True):
                timings.append({"image": p.name, "total_ms": elapsed / len(group),
                                **{f"{k}_ms": v for k, v in r.speed.items()}})
                if round_index == 0:
                    b = r.boxes
                    results.append({"image": p.name, "boxes": b.xyxy.numpy().tolist(),
                                    "scores": b.conf.numpy().tolist(), "classes": b.cls.numpy().astype(int).tolist()})
    json.dump({"results": results, "timings": timings, "names": model.names}, args.out.open("w"))


def train(args: argparse.Namespace) -> None:
    from ultralytics import YOLO

    model = YOLO(f"{args.arch}.yaml")
    import torch

    torch.manual_seed(args.seed)
    # Memorising a small set quickly (the evaluation-parity benchmark needs boxes, not a general detector):
    # no mosaic, colour or geometric augmentation but flips.
    plain = {"mosaic": 0.0, "mixup": 0.0, "hsv_h": 0.0, "hsv_s": 0.0, "hsv_v": 0.0, "translate": 0.0, "scale": 0.0,
             "close_mosaic": 0, "optimizer": "AdamW", "lr0": 0.002, "warmup_epochs": 1} if args.no_augment else {}
    model.train(data=str(args.data), epochs=args.epochs, imgsz=args.imgsz, batch=args.batch, workers=0,
                device="cpu", project=str(args.project), name="train", exist_ok=True, plots=False, val=False,
                amp=False, verbose=False, seed=args.seed, **plain)
    weights = args.project / "train" / "weights" / "last.pt"
    args.out.parent.mkdir(parents=True, exist_ok=True)
    weights.replace(args.out)
    print(json.dumps({"weights": str(args.out)}))


def val(args: argparse.Namespace) -> None:
    from ultralytics import YOLO

    metrics = YOLO(str(args.model), task="detect").val(
        data=str(args.data), imgsz=args.imgsz, batch=1, workers=0, device="cpu", conf=args.conf, iou=args.iou,
        plots=False, verbose=False, project=str(args.project), name="val", exist_ok=True)
    print(json.dumps({"map50": float(metrics.box.map50), "map": float(metrics.box.map)}))


def metrics(args: argparse.Namespace) -> None:
    """Ultralytics' matching and AP (its validator's match_predictions, ultralytics.utils.metrics.ap_per_class) on
    detections someone else made: which part of a difference between two evaluators is the formula."""
    import torch
    from ultralytics.engine.validator import BaseValidator
    from ultralytics.utils.metrics import ap_per_class, box_iou

    data = np.load(args.detections)
    matcher = argparse.Namespace(iouv=torch.linspace(0.5, 0.95, 10))
    tp, conf, pred_cls, target_cls = [], [], [], []
    for i in range(int(data["images"])):
        boxes, scores, classes = data[f"{i}/boxes"], data[f"{i}/scores"], data[f"{i}/classes"]
        gt_boxes, gt_classes = data[f"{i}/gt_boxes"], data[f"{i}/gt_classes"]
        order = np.argsort(-scores, kind="stable")
        boxes, scores, classes = boxes[order], scores[order], classes[order]
        target_cls.append(gt_classes)
        if len(gt_boxes) and len(boxes):
            iou = box_iou(torch.from_numpy(gt_boxes).float(), torch.from_numpy(boxes).float())
            correct = BaseValidator.match_predictions(matcher, torch.from_numpy(classes), torch.from_numpy(gt_classes),
                                                      iou).numpy()
        else:
            correct = np.zeros((len(boxes), 10), bool)
        tp.append(correct)
        conf.append(scores)
        pred_cls.append(classes)
    result = ap_per_class(np.concatenate(tp), np.concatenate(conf), np.concatenate(pred_cls),
                          np.concatenate(target_cls))
    ap = result[5]  # (classes, 10): AP at IoU 0.5..0.95
    print(json.dumps({"map50": float(ap[:, 0].mean()), "map": float(ap.mean())}))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    e = sub.add_parser("export")
    e.add_argument("--arch", default="yolo11n", help="yolov8n | yolo11n | yolo26n (Ultralytics' yaml names)")
    e.add_argument("--weights", type=Path, default=None, help="a trained .pt to export instead (no calibration)")
    e.add_argument("--format", default="onnx", choices=["onnx", "openvino"])
    e.add_argument("--images", type=Path, default=None, help="photos for the BatchNorm statistics")
    e.add_argument("--calib-images", type=int, default=32)
    e.add_argument("--imgsz", type=int, default=320)
    e.add_argument("--share", type=float, default=0.01, help="share of cells to score above --conf")
    e.add_argument("--conf", type=float, default=0.25)
    e.add_argument("--dynamic", action="store_true")
    e.add_argument("--end2end", action="store_true")
    e.add_argument("--opset", type=int, default=17)
    e.add_argument("--seed", type=int, default=0, help="the random weights' seed")
    e.add_argument("--out", type=Path, required=True)
    p = sub.add_parser("predict")
    p.add_argument("--model", type=Path, required=True)
    p.add_argument("--images", type=Path, required=True)
    p.add_argument("--limit", type=int, default=0)
    p.add_argument("--imgsz", type=int, required=True)
    p.add_argument("--conf", type=float, default=0.25)
    p.add_argument("--iou", type=float, default=0.45)
    p.add_argument("--max-det", type=int, default=300)
    p.add_argument("--rounds", type=int, default=1, help="passes over the images (timings from all)")
    p.add_argument("--batch", type=int, default=1, help="images per predict call (a list: one batch)")
    p.add_argument("--out", type=Path, required=True)
    t = sub.add_parser("train")
    t.add_argument("--arch", default="yolo11n")
    t.add_argument("--data", type=Path, required=True, help="a dataset yaml in a temporary folder")
    t.add_argument("--epochs", type=int, default=100)
    t.add_argument("--imgsz", type=int, default=320)
    t.add_argument("--batch", type=int, default=16)
    t.add_argument("--seed", type=int, default=0)
    t.add_argument("--no-augment", action="store_true", help="flips only, AdamW at 2e-3: memorise the set fast")
    t.add_argument("--project", type=Path, required=True)
    t.add_argument("--out", type=Path, required=True, help="where the trained .pt goes")
    v = sub.add_parser("val")
    v.add_argument("--model", type=Path, required=True)
    v.add_argument("--data", type=Path, required=True)
    v.add_argument("--imgsz", type=int, required=True)
    v.add_argument("--conf", type=float, default=0.001)
    v.add_argument("--iou", type=float, default=0.7)
    v.add_argument("--project", type=Path, required=True)
    m = sub.add_parser("metrics")
    m.add_argument("--detections", type=Path, required=True, help="npz: images, and per image i: i/boxes, "
                   "i/scores, i/classes, i/gt_boxes, i/gt_classes (xyxy pixels)")
    args = parser.parse_args(argv)
    {"export": export, "predict": predict, "train": train, "val": val, "metrics": metrics}[args.command](args)


if __name__ == "__main__":
    sys.exit(main())
