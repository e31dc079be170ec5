"""The node benchmark: the transport floor (a real echo node over real DDS), turns beside the detector, the report."""

from __future__ import annotations

import pytest
from conftest_data import DEMO_MODEL, coco128_images

from yolo_nano_ros.apps.node_bench import (
    FLOOR_SUFFIX,
    SLOW_PHASE,
    PhaseResult,
    bench_against,
    bench_transport_floor,
    detector_starter,
    echo_starter,
    to_text,
)
from yolo_nano_ros.harness.camera_frames import rgb8_frames

FLOOR = "30Hz" + FLOOR_SUFFIX


@pytest.mark.ros
def test_transport_floor_answers_every_frame_with_its_header():
    frames = rgb8_frames(coco128_images(3), 640, 480)
    floor = bench_transport_floor(FLOOR, frames, 30.0, 15)
    assert (floor.sent, floor.answered) == (15, 15)
    assert 0.0 < floor.latency_p50_ms <= floor.latency_p95_ms < 100.0
    assert floor.node_stages_p50_ms == {}  # the echo runs no model and publishes no diagnostics


@pytest.mark.ros
def test_detector_and_floor_take_turns_on_their_own_topics():
    frames = rgb8_frames(coco128_images(2), 640, 480)
    detector, floor = bench_against([("30Hz", detector_starter(DEMO_MODEL)), (FLOOR, echo_starter)], frames, 30.0,
                                    12, blocks=3)
    assert (detector.sent, detector.answered, floor.sent, floor.answered) == (12, 12, 12, 12)
    assert detector.node_infer_p50_ms > 0 and "post" in detector.node_stages_p50_ms
    assert floor.node_stages_p50_ms == {}  # the detector's diagnostics are not mistaken for the floor's
    assert floor.latency_p50_ms < detector.latency_p50_ms


def phase(name: str, p50: float, infer: float, sent: int = 100, answered: int = 100, p95: float | None = None,
          infer_p95: float = float("nan")) -> PhaseResult:
    stages = {} if name.endswith(FLOOR_SUFFIX) else {"handoff": 0.1, "infer": infer, "post": 0.3, "transport": 0.9}
    return PhaseResult(name, 30.0, sent, answered, 30.0, p50, p95 or p50 * 1.2, infer, stages, infer_p95)


def test_report_splits_the_overhead_into_transport_floor_and_detector_work():
    text = to_text([phase("30Hz", 9.0, 6.5), phase(FLOOR, 1.5, float("nan"))])
    assert ("end-to-end minus inference p50 2.50 ms; the detector's own work around inference by its stage clocks "
            "0.40 ms; a do-nothing node's round trip in the same turns 1.50 ms, +1.00 ms from it") in text
    assert "DDS + rclpy round trip p50 1.50 ms" in text
    floor_row = next(line for line in text.splitlines() if line.startswith(FLOOR))
    assert "nan" not in floor_row and floor_row.split()[-2:] == ["-", "-"]
    assert f"{FLOOR} node stages" not in text


@pytest.mark.parametrize(("p95", "verdict"), [(17.9, "bounded"), (18.1, "NOT bounded")])
def test_overload_is_judged_against_latest_frame_wins_limit(p95, verdict):
    """Limit = 2 x inference p95 (one running, then its own) + the smallest measured overhead (2 ms here)."""
    text = to_text([phase("5Hz", 9.0, 7.0), phase("overload", 14.0, 7.0, answered=50, p95=p95, infer_p95=8.0),
                    phase(SLOW_PHASE, 60.0, 40.0, answered=80, p95=75.0)])
    assert f"= {p95 / 7:.2f} x inference, {verdict} by latest-frame-wins' limit" in text and "(18.0 ms)" in text
    assert f"{SLOW_PHASE}: 30 Hz input" in text and "1.88 x inference (under 2x)" in text


def test_a_slow_phase_whose_inference_is_not_slow_here_says_it_tests_nothing():
    assert "(slower than the 33 ms frame period)" in to_text([phase(SLOW_PHASE, 60.0, 40.0, p95=75.0)])
    text = to_text([phase(SLOW_PHASE, 31.0, 29.2, p95=35.0)])
    assert "(NOT slower than the 33 ms frame period on this machine: the phase does not test its case here)" in text


def test_a_frame_lost_at_30hz_does_not_turn_the_phase_into_an_overload():
    text = to_text([phase("30Hz", 9.0, 6.5, sent=150, answered=148)])
    assert "30Hz: 2 of 150 frames dropped; end-to-end minus inference p50 2.50 ms" in text
    assert "input faster than inference" not in text


def test_the_slow_phase_picks_the_smallest_input_size_that_is_slow_enough_here(tmp_path):
    from yolo_nano_ros.apps.node_bench import SLOW_SIZES, slow_model
    from yolo_nano_ros.runtime.detector import Detector

    size, path = slow_model(DEMO_MODEL, tmp_path, target_ms=0.0)  # anything is slow enough
    assert size == SLOW_SIZES[0] and Detector.from_path(path, "onnxruntime").info.input_size == size
