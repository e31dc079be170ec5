"""Our mAP against pycocotools and against a devkit-style VOC reference, on the same detections."""

from __future__ import annotations

import contextlib
import io

import numpy as np
import pytest

from yolo_nano_ros.evaluation.metrics import (
    GroundTruth,
    Predictions,
    ap_all_points,
    ap_voc07,
    evaluate_detections,
)

NUM_CLASSES = 4


def random_scene(seed: int, n_images: int = 40) -> tuple[list[GroundTruth], list[Predictions]]:
    """Ground truth plus noisy detections: jittered true boxes, misses, duplicates, false positives."""
    rng = np.random.default_rng(seed)
    gts, preds = [], []
    for _ in range(n_images):
        n = rng.integers(0, 8)
        xy = rng.uniform(0, 400, (n, 2))
        wh = rng.uniform(8, 200, (n, 2))
        boxes = np.concatenate([xy, xy + wh], 1)
        labels = rng.integers(0, NUM_CLASSES, n)
        gts.append(GroundTruth(boxes, labels))
        keep = rng.random(n) > 0.2
        jitter = rng.normal(0, 0.12, (n, 4)) * np.concatenate([wh, wh], 1)
        jittered = boxes + jitter
        det_boxes = np.concatenate([np.minimum(jittered[:, :2], jittered[:, 2:]),
                                    np.maximum(jittered[:, :2], jittered[:, 2:]) + 1], 1)[keep]
        det_labels = labels[keep].copy()
        flip = rng.random(len(det_labels)) < 0.1
        det_labels[flip] = rng.integers(0, NUM_CLASSES, int(flip.sum()))
        dup = det_boxes[: rng.integers(0, len(det_boxes) + 1)] + rng.normal(0, 3, (1, 4))
        fp_n = rng.integers(0, 5)
        fp_xy = rng.uniform(0, 400, (fp_n, 2))
        fp = np.concatenate([fp_xy, fp_xy + rng.uniform(8, 150, (fp_n, 2))], 1)
        all_boxes = np.concatenate([det_boxes, dup, fp]).reshape(-1, 4)
        all_labels = np.concatenate([det_labels, det_labels[: len(dup)], rng.integers(0, NUM_CLASSES, fp_n)])
        scores = rng.uniform(0.05, 1.0, len(all_boxes))
        preds.append(Predictions(all_boxes, scores, all_labels.astype(np.int64)))
    return gts, preds


def pycocotools_stats(gts: list[GroundTruth], preds: list[Predictions]) -> np.ndarray:
    from pycocotools.coco import COCO
    from pycocotools.cocoeval import COCOeval

    images, annotations, detections = [], [], []
    for i, (g, p) in enumerate(zip(gts, preds, strict=True)):
        images.append({"id": i, "width": 640, "height": 640})
        for b, c in zip(g.boxes, g.labels, strict=True):
            w, h = b[2] - b[0], b[3] - b[1]
            annotations.append({"id": len(annotations) + 1, "image_id": i, "category_id": int(c),
                                "bbox": [float(b[0]), float(b[1]), float(w), float(h)], "area": float(w * h),
                                "iscrowd": 0})
        for b, s, c in zip(p.boxes, p.scores, p.labels, strict=True):
            detections.append({"image_id": i, "category_id": int(c), "score": float(s),
                               "bbox": [float(b[0]), float(b[1]), float(b[2] - b[0]), float(b[3] - b[1])]})
    coco = COCO()
    coco.dataset = {"images": images, "annotations": annotations,
                    "categories": [{"id": c, "name": str(c)} for c in range(NUM_CLASSES)]}
    with contextlib.redirect_stdout(io.StringIO()):
        coco.createIndex()
        dt = coco.loadRes(detections)
        ev = COCOeval(coco, dt, "bbox")
        ev.evaluate()
        ev.accumulate()
        ev.summarize()
    return ev.stats


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_coco_map_equals_pycocotools(seed):
    gts, preds = random_scene(seed)
    ours = evaluate_detections(gts, preds, [str(c) for c in range(NUM_CLASSES)])
    stats = pycocotools_stats(gts, preds)
    assert ours.map50_95 == pytest.approx(stats[0], abs=1e-9)
    assert ours.map50_coco == pytest.approx(stats[1], abs=1e-9)
    assert 0.1 < ours.map50_95 < 0.9  # the scene is neither trivial nor hopeless


def devkit_voc_ap(gts, preds, cls, use_07: bool) -> float:
    """Reference: the Pascal devkit's voc_eval structure, written out independently."""
    records = {i: {"bbox": g.boxes[g.labels == cls], "det": [False] * int((g.labels == cls).sum())}
               for i, g in enumerate(gts)}
    npos = sum(len(r["bbox"]) for r in records.values())
    dets = [(s, i, b) for i, p in enumerate(preds) for b, s, c in zip(p.boxes, p.scores, p.labels, strict=True)
            if c == cls]
    dets.sort(key=lambda d: -d[0])
    tp, fp = [], []
    for _, i, bb in dets:
        r = records[i]
        ovmax, jmax = -np.inf, -1
        for j, g in enumerate(r["bbox"]):
            iw = max(min(bb[2], g[2]) - max(bb[0], g[0]), 0.0)
            ih = max(min(bb[3], g[3]) - max(bb[1], g[1]), 0.0)
            inter = iw * ih
            uni = (bb[2] - bb[0]) * (bb[3] - bb[1]) + (g[2] - g[0]) * (g[3] - g[1]) - inter
            if inter / uni > ovmax:
                ovmax, jmax = inter / uni, j
        hit = ovmax > 0.5 and not r["det"][jmax]
        if hit:
            r["det"][jmax] = True
        tp.append(float(hit))
        fp.append(float(not hit))
    rec = np.cumsum(tp) / npos
    prec = np.cumsum(tp) / (np.cumsum(tp) + np.cumsum(fp))
    if use_07:
        return sum((prec[rec >= t].max() if (rec >= t).any() else 0.0) for t in np.arange(0, 1.1, 0.1)) / 11
    mrec = np.concatenate(([0.0], rec, [1.0]))
    mpre = np.concatenate(([0.0], prec, [0.0]))
    for k in range(len(mpre) - 1, 0, -1):
        mpre[k - 1] = max(mpre[k - 1], mpre[k])
    idx = np.where(mrec[1:] != mrec[:-1])[0]
    return float(np.sum((mrec[idx + 1] - mrec[idx]) * mpre[idx + 1]))


@pytest.mark.parametrize("seed", [0, 3])
def test_voc_ap_equals_devkit_reference(seed):
    gts, preds = random_scene(seed)
    ours = evaluate_detections(gts, preds, [str(c) for c in range(NUM_CLASSES)])
    for c in ours.per_class:
        cls = int(c.name)
        assert c.ap50 == pytest.approx(devkit_voc_ap(gts, preds, cls, use_07=False), abs=1e-12)
        assert c.ap50_voc07 == pytest.approx(devkit_voc_ap(gts, preds, cls, use_07=True), abs=1e-12)


def test_perfect_detections_score_one_and_shuffled_score_low():
    gts, _ = random_scene(5)
    perfect = [Predictions(g.boxes, np.ones(len(g.labels)), g.labels) for g in gts]
    m = evaluate_detections(gts, perfect, [str(c) for c in range(NUM_CLASSES)])
    assert (m.map50_voc07, m.map50, m.map50_95) == (pytest.approx(1.0), pytest.approx(1.0), pytest.approx(1.0))
    shuffled = [perfect[(i + 1) % len(perfect)] for i in range(len(perfect))]
    assert evaluate_detections(gts, shuffled, [str(c) for c in range(NUM_CLASSES)]).map50 < 0.2


def test_difficult_boxes_are_neither_required_nor_penalised():
    gt = GroundTruth(np.array([[0, 0, 10, 10], [50, 50, 90, 90]], float), np.array([0, 0]), np.array([False, True]))
    only_easy = Predictions(np.array([[0, 0, 10, 10]], float), np.array([0.9]), np.array([0]))
    both = Predictions(np.array([[0, 0, 10, 10], [50, 50, 90, 90]], float), np.array([0.9, 0.8]), np.array([0, 0]))
    assert evaluate_detections([gt], [only_easy], ["a"]).map50 == pytest.approx(1.0)
    assert evaluate_detections([gt], [both], ["a"]).map50 == pytest.approx(1.0)


def test_interpolation_by_hand():
    recall = np.array([0.5, 0.5, 1.0])
    precision = np.array([1.0, 0.5, 2 / 3])
    assert ap_all_points(recall, precision) == pytest.approx(0.5 * 1.0 + 0.5 * 2 / 3)
    assert ap_voc07(recall, precision) == pytest.approx((6 * 1.0 + 5 * 2 / 3) / 11)
