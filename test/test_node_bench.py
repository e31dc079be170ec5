"""The node benchmark's transport floor (a real echo node over real DDS) and how its report reads."""

from __future__ import annotations

import pytest
from conftest_data import coco128_images

from yolo_nano_ros.node_bench import FLOOR_PHASE, PhaseResult, bench_transport_floor, rgb8_frames, to_text


@pytest.mark.ros
def test_transport_floor_answers_every_frame_with_its_header():
    frames = rgb8_frames(coco128_images(3), 640, 480)
    floor = bench_transport_floor(FLOOR_PHASE, frames, 30.0, 15)
    assert (floor.sent, floor.answered) == (15, 15)
    assert 0.0 < floor.latency_p50_ms <= floor.latency_p95_ms < 100.0
    assert floor.node_stages_p50_ms == {}  # the echo runs no model and publishes no diagnostics


def phase(name: str, p50: float, infer: float, sent: int = 100, answered: int = 100) -> PhaseResult:
    stages = {} if name == FLOOR_PHASE else {"infer": infer}
    return PhaseResult(name, 30.0, sent, answered, 30.0, p50, p50 * 1.2, infer, stages)


def test_report_splits_the_overhead_into_transport_floor_and_detector_work():
    text = to_text([phase("30Hz", 9.0, 6.5), phase(FLOOR_PHASE, 1.5, float("nan"))])
    assert "end-to-end minus inference p50 2.50 ms = 1.50 ms transport floor + 1.00 ms the detector's own work" in text
    assert "DDS + rclpy round trip p50 1.50 ms" in text
    floor_row = next(line for line in text.splitlines() if line.startswith(FLOOR_PHASE))
    assert "nan" not in floor_row and floor_row.split()[-2:] == ["-", "-"]
    assert f"{FLOOR_PHASE} node stages" not in text
