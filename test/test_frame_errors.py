"""evaluation/frame_errors: matches, the confusion matrix and the worst frames, on frames worked out by hand."""

from __future__ import annotations

import numpy as np

from yolo_nano_ros.evaluation.frame_errors import confusion_matrix, match_frame, worst_frames
from yolo_nano_ros.evaluation.metrics import GroundTruth, Predictions


def gt(boxes, labels, difficult=None) -> GroundTruth:
    return GroundTruth(np.array(boxes, float).reshape(-1, 4), np.array(labels), None if difficult is None
                       else np.array(difficult, bool))


def pred(boxes, labels, scores) -> Predictions:
    return Predictions(np.array(boxes, float).reshape(-1, 4), np.array(scores, float), np.array(labels))


A, B, C = [0, 0, 10, 10], [20, 20, 40, 40], [100, 100, 120, 130]


def test_a_frame_with_a_hit_a_confusion_a_miss_and_a_false_positive():
    truth = gt([A, B, C], [0, 1, 2])
    dets = pred([A, B, [60, 60, 70, 70], C], [0, 2, 1, 2], [0.9, 0.8, 0.7, 0.1])  # C's detection below 0.25
    m = match_frame(truth, dets)
    assert sorted(m.pairs) == [(0, 0), (1, 1)] and m.missed == [2] and m.false == [2]
    assert m.errors(truth, dets) == (2, 2), "the class-1 box taken as class 2 is one missed and one false"
    matrix = confusion_matrix([truth], [dets], 3)
    expected = np.zeros((4, 4), int)
    expected[0, 0] = 1  # detected 0, true 0
    expected[2, 1] = 1  # detected 2, true 1
    expected[3, 2] = 1  # background row: true 2 missed
    expected[1, 3] = 1  # background column: a class-1 detection of nothing
    np.testing.assert_array_equal(matrix, expected)


def test_difficult_boxes_are_neither_missed_nor_matched_and_worst_frames_rank_by_errors():
    truth = gt([A, B], [0, 0], difficult=[False, True])
    m = match_frame(truth, pred([B], [0], [0.9]))
    assert m.pairs == [] and m.missed == [0] and m.false == [], "a detection on a difficult box is not false"
    frames = [gt([A], [0]), gt([A, B, C], [0, 0, 0]), gt([A], [0])]
    preds = [pred([A], [0], [0.9]), pred([], [], []), pred([C], [0], [0.9])]
    assert worst_frames(frames, preds, count=5) == [(1, 3, 0), (2, 1, 1)], "perfect frames are not listed"
