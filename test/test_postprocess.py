"""Decode, NMS and letterbox: hand-computed cases and brute-force references."""

from __future__ import annotations

import numpy as np
import pytest

from yolo_nano_ros.runtime.postprocess import (
    HeadDecoder,
    HeadSpec,
    PostprocessSettings,
    batched_nms,
    box_iou,
    nms,
    select_and_nms,
)
from yolo_nano_ros.runtime.preprocess import letterbox, letterbox_boxes, unletterbox_boxes


def brute_force_nms(boxes: np.ndarray, scores: np.ndarray, classes: np.ndarray, thr: float) -> list[int]:
    """O(n^2) greedy reference: walk boxes by score, keep one unless a kept same-class box overlaps it."""
    order = sorted(range(len(scores)), key=lambda i: (-scores[i], i))
    kept: list[int] = []
    for i in order:
        ok = True
        for k in kept:
            if classes[k] != classes[i]:
                continue
            x1, y1 = max(boxes[i, 0], boxes[k, 0]), max(boxes[i, 1], boxes[k, 1])
            x2, y2 = min(boxes[i, 2], boxes[k, 2]), min(boxes[i, 3], boxes[k, 3])
            inter = max(0.0, x2 - x1) * max(0.0, y2 - y1)
            union = ((boxes[i, 2] - boxes[i, 0]) * (boxes[i, 3] - boxes[i, 1])
                     + (boxes[k, 2] - boxes[k, 0]) * (boxes[k, 3] - boxes[k, 1]) - inter)
            if inter / union > thr:
                ok = False
                break
        if ok:
            kept.append(i)
    return kept


@pytest.mark.parametrize("seed", range(5))
def test_class_aware_nms_equals_brute_force_on_thousands_of_boxes(seed):
    rng = np.random.default_rng(seed)
    n = 2000
    xy = rng.uniform(0, 400, (n, 2))
    boxes = np.concatenate([xy, xy + rng.uniform(5, 120, (n, 2))], 1)
    scores = rng.random(n)
    classes = rng.integers(0, 5, n)
    thr = rng.choice([0.3, 0.45, 0.7])
    assert batched_nms(boxes, scores, classes, thr).tolist() == brute_force_nms(boxes, scores, classes, thr)


def test_boxes_past_the_image_edge_never_suppress_another_class():
    """Class shifts must separate classes even with negative coordinates (a max-coordinate shift does not)."""
    boxes = np.array([[-200.0, -200.0, 20.0, 20.0], [-199.0, -199.0, 21.0, 21.0], [-200.0, -200.0, 20.0, 20.0]])
    scores = np.array([0.9, 0.8, 0.7])
    classes = np.array([1, 1, 0])
    assert batched_nms(boxes, scores, classes, 0.5).tolist() == [0, 2] == brute_force_nms(boxes, scores, classes, 0.5)


def test_equal_scores_keep_the_lower_index():
    boxes = np.array([[0.0, 0, 10, 10], [1, 1, 11, 11], [50, 50, 60, 60]])
    scores = np.array([0.5, 0.5, 0.5])
    assert batched_nms(boxes, scores, np.zeros(3, int), 0.3).tolist() == [0, 2]
    assert batched_nms(boxes[::-1].copy(), scores, np.zeros(3, int), 0.3).tolist() == [0, 1]


def test_nms_of_nothing():
    assert nms(np.zeros((0, 4)), np.zeros(0), 0.5).tolist() == []


def test_decode_hand_computed_cell():
    """One class, one level of 2x2 cells at stride 32, anchors (10, 20)/(30, 40)/(50, 60)."""
    spec = HeadSpec(num_classes=1, anchors=(((10, 20), (30, 40), (50, 60)),), strides=(32,))
    raw = np.zeros((1, 3 * 6, 2, 2), np.float32)  # all logits 0 -> sigmoid 0.5 everywhere
    raw[0, 6 + 4, 1, 0] = 10.0  # anchor 1, row 1, col 0: objectness logit 10
    boxes, scores = HeadDecoder(spec).decode([raw])
    assert boxes.shape == (12, 4) and scores.shape == (12, 1)
    # xy = (2*0.5 - 0.5 + (col, row)) * 32 = (16, 48); wh = (2*0.5)^2 * (30, 40) = (30, 40)
    i = 1 * 4 + 1 * 2 + 0  # (anchor, row, col) flattened
    np.testing.assert_allclose(boxes[i], [16 - 15, 48 - 20, 16 + 15, 48 + 20], atol=1e-5)
    expected_score = 1 / (1 + np.exp(-10.0)) * 0.5
    assert scores[i, 0] == pytest.approx(expected_score, rel=1e-5)
    assert np.argmax(scores[:, 0]) == i


def test_multi_level_decode_matches_the_formula_cell_by_cell():
    """Every raw prediction of every level, in (level, anchor, row, column) order, against the docstring's formula."""
    rng = np.random.default_rng(3)
    spec = HeadSpec(2, (((10, 13), (16, 30)), ((30, 61), (62, 45))), strides=(8, 16))
    maps = [rng.normal(0, 2, (1, 2 * 7, s, s + 1)).astype(np.float32) for s in (4, 2)]
    decoder = HeadDecoder(spec)
    boxes, scores = decoder.decode(maps)
    i = 0
    for level, raw in enumerate(maps):
        for a, (aw, ah) in enumerate(spec.anchors[level]):
            for row in range(raw.shape[2]):
                for col in range(raw.shape[3]):
                    t = 1 / (1 + np.exp(-raw[0, a * 7:(a + 1) * 7, row, col].astype(np.float64)))
                    x, y = (2 * t[0] - 0.5 + col) * spec.strides[level], (2 * t[1] - 0.5 + row) * spec.strides[level]
                    w, h = (2 * t[2]) ** 2 * aw, (2 * t[3]) ** 2 * ah
                    np.testing.assert_allclose(boxes[i], [x - w / 2, y - h / 2, x + w / 2, y + h / 2], rtol=1e-5,
                                               atol=1e-4)
                    np.testing.assert_allclose(scores[i], t[5:] * t[4], rtol=1e-5)
                    i += 1
    assert i == len(boxes) == len(scores)
    assert decoder.priors(((4, 5), (2, 3))) is decoder.priors(((4, 5), (2, 3)))  # built once per input size


def test_select_threshold_class_filter_and_max_detections():
    boxes = np.array([[0, 0, 10, 10], [0, 0, 10, 10], [50, 50, 60, 60], [100, 100, 120, 120]], np.float32)
    scores = np.array([[0.9, 0.0], [0.8, 0.0], [0.0, 0.7], [0.1, 0.05]], np.float32)
    d = select_and_nms(boxes, scores, PostprocessSettings(conf_threshold=0.25))
    assert d.class_ids.tolist() == [0, 1] and d.scores.tolist() == pytest.approx([0.9, 0.7])
    only_1 = select_and_nms(boxes, scores, PostprocessSettings(conf_threshold=0.25, class_filter=frozenset({1})))
    assert only_1.class_ids.tolist() == [1]
    assert len(select_and_nms(boxes, scores, PostprocessSettings(conf_threshold=0.25, max_detections=1))) == 1


@pytest.mark.parametrize(("h", "w"), [(480, 640), (640, 480), (333, 517), (416, 416), (100, 1000)])
def test_letterbox_round_trip(h, w):
    img = np.random.default_rng(0).integers(0, 255, (h, w, 3), dtype=np.uint8)
    out, lb = letterbox(img, 416)
    assert out.shape == (416, 416, 3)
    boxes = np.array([[0, 0, w, h], [w * 0.25, h * 0.5, w * 0.5, h * 0.75]], np.float32)
    there = letterbox_boxes(boxes, lb)
    assert there.min() >= -0.5 and there.max() <= 416.5
    np.testing.assert_allclose(unletterbox_boxes(there, lb), boxes, atol=1e-3)


def test_box_iou_known_values():
    a = np.array([[0, 0, 10, 10]], float)
    b = np.array([[0, 0, 10, 10], [5, 0, 15, 10], [20, 20, 30, 30]], float)
    np.testing.assert_allclose(box_iou(a, b)[0], [1.0, 50 / 150, 0.0])


def test_objectness_prefilter_keeps_every_detection():
    """Dropping cells by objectness first must not change the final detections."""
    rng = np.random.default_rng(1)
    spec = HeadSpec(20, (((10, 13), (16, 30), (33, 23)), ((30, 61), (62, 45), (59, 119)),
                         ((116, 90), (156, 198), (373, 326))))
    maps = [rng.normal(-3, 1.5, (1, 75, s, s)).astype(np.float32) for s in (52, 26, 13)]
    settings = PostprocessSettings(conf_threshold=0.3)
    full = select_and_nms(*HeadDecoder(spec).decode(maps), settings)
    fast_boxes, fast_scores = HeadDecoder(spec).decode(maps, min_objectness=0.3)
    assert len(fast_scores) < 10647 // 4
    fast = select_and_nms(fast_boxes, fast_scores, settings)
    assert len(full) > 10
    np.testing.assert_array_equal(full.boxes, fast.boxes)
    np.testing.assert_array_equal(full.class_ids, fast.class_ids)


def test_nan_and_inf_in_the_head_give_no_boxes_and_leave_the_rest():
    """FP16 overflow: a cell with inf objectness would score 1.0 and a NaN box would poison NMS; both are dropped."""
    spec = HeadSpec(num_classes=2, anchors=(((10, 20), (30, 40), (50, 60)),), strides=(32,))
    raw = np.full((1, 3 * 7, 4, 4), -10.0, np.float32)
    raw[0, 4, 1, 1], raw[0, 5, 1, 1] = 5.0, 5.0  # one good cell: anchor 0, objectness and class 0 high
    raw[0, 4, 2, 2] = np.inf  # inf objectness
    raw[0, 7 + 4, 3, 3], raw[0, 7 + 0, 3, 3] = 5.0, np.nan  # confident, but a NaN box
    raw[0, 14 + 4, 0, 0], raw[0, 14 + 6, 0, 0] = 5.0, np.inf  # confident, inf class logit
    boxes, scores = HeadDecoder(spec).decode([raw], min_objectness=0.01)
    assert len(boxes) == 1 and np.isfinite(boxes).all() and np.isfinite(scores).all()
    dets = select_and_nms(boxes, scores, PostprocessSettings(conf_threshold=0.25))
    assert len(dets) == 1 and int(dets.class_ids[0]) == 0 and dets.scores[0] < 1.0
