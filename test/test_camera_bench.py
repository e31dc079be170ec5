"""apps/camera_bench (`yolo-nano-node-bench --cameras N`): one node for N cameras against N processes."""

from __future__ import annotations

import pytest
from conftest_data import DEMO_MODEL, coco128_images


@pytest.mark.ros
def test_camera_bench_streams_both_configurations_on_their_own_topics():
    """`--cameras 2`: one node with two cameras and two processes, each answering its own cameras' frames."""
    from yolo_nano_ros.apps.camera_bench import ONE_NODE, PROCESSES, bench_cameras

    one, procs = bench_cameras(DEMO_MODEL, coco128_images(2), cameras=2, frames_per_camera=8, log=lambda _m: None,
                               backend="onnxruntime")
    # Two workers of one kernel thread each on a machine of 2 or more cores (the node's default for 2 cameras).
    assert (one.config, procs.config, one.threads, procs.threads) == (ONE_NODE, PROCESSES, 2, 1)
    for result in (one, procs):
        assert result.sent == 16 and all(c.answered >= 6 for c in result.per_camera), result.per_camera
        assert 0 < result.latency(50) <= result.latency(95) < 1000 and 0 < result.cpu_ms_per_frame < 1000
    assert one.batch_sizes and procs.batch_sizes == ""  # the one node's diagnostics, found by its name
    assert one.rss_mb < procs.rss_mb and one.pss_mb <= one.rss_mb  # one model in memory, not two


def test_camera_table_judges_one_node_against_the_processes_by_the_worst_camera():
    from yolo_nano_ros.apps.camera_bench import ONE_NODE, PROCESSES, CameraRow, ConfigResult, cameras_table, verdicts

    def cams(*answered_p95: tuple[int, float]) -> list[CameraRow]:
        return [CameraRow(150, a, [p95 / 2] * 19 + [p95]) for a, p95 in answered_p95]

    one = ConfigResult(ONE_NODE, 2, 2, 5.0, cams((150, 20.0), (140, 40.0)), 3.0, 300.0, 200.0, "1:10 2:140", 30.0,
                       "openvino")
    procs = ConfigResult(PROCESSES, 2, 1, 5.0, cams((100, 30.0), (100, 30.0)), 3.0, 600.0, 400.0, "", 30.0,
                         "openvino")
    table = cameras_table([one, procs])
    assert "| openvino | 30 | 2 | one node | 2 | 290 / 300 | 58.0 |" in table
    assert "| openvino | 30 | 2 | 2 processes | 1 | 200 / 300 | 40.0 |" in table
    assert "1:10 2:140" in table and "| 10.3 |" in table  # CPU ms per answered frame: 3 s / 290
    text = verdicts([one, procs])[0]
    assert "openvino, N=2 at 30 Hz: one node answers 1.45x the frames of 2 process(es)" in text
    # By hand (numpy's linear interpolation, index 0.95 x 19 = 18.05): the one node's cameras 10.5 and 21.0 ms,
    # the processes' 15.75 and 15.75; the worst camera's is what counts, not the mean's (15.75 for the node).
    assert "worst-camera p95 21.0 vs 15.8 ms" in text


def test_the_goals_are_judged_from_the_cases_they_need():
    """N = 4 at 60 Hz: frames; N = 4 at 30 Hz: CPU per frame, worst p95 and memory; N = 1: no worse."""
    from yolo_nano_ros.apps.camera_bench import ONE_NODE, PROCESSES, CameraRow, ConfigResult, goals

    def result(config: str, cameras: int, rate: float, answered: int, cpu_s: float, p95: float, rss: float):
        rows = [CameraRow(100, answered // cameras, [p95] * 20) for _ in range(cameras)]
        return ConfigResult(config, cameras, 1, 5.0, rows, cpu_s, rss, rss, "", rate, "onnxruntime")

    results = [result(ONE_NODE, 4, 60.0, 400, 4.0, 30.0, 300.0), result(PROCESSES, 4, 60.0, 344, 4.0, 30.0, 900.0),
               result(ONE_NODE, 4, 30.0, 400, 3.0, 20.0, 400.0), result(PROCESSES, 4, 30.0, 400, 4.0, 25.0, 900.0),
               result(ONE_NODE, 1, 30.0, 100, 1.0, 20.0, 300.0), result(PROCESSES, 1, 30.0, 100, 1.0, 23.0, 300.0)]
    lines = goals(results)
    assert lines[0] == "goal onnxruntime N=4 60 Hz frames one node / processes: 1.16x (>= 1.15x): met"
    assert lines[1] == "goal onnxruntime N=4 30 Hz CPU per answered frame: 0.75x (<= 0.85x): met"
    assert lines[2] == "goal onnxruntime N=4 30 Hz worst-camera p95: 0.80x (<= 1x): met"
    assert lines[3] == "goal onnxruntime N=4 RSS: 0.44x (<= 0.5x): met"
    assert lines[4] == ("goal onnxruntime N=1 30 Hz unchanged (one node / one process): frames 1.00x, p95 0.87x "
                        "(frames >= 0.9x, p95 <= 1.1x): met")
    results[1] = result(PROCESSES, 4, 60.0, 360, 4.0, 30.0, 900.0)
    assert goals(results)[0].endswith("1.11x (>= 1.15x): NOT met")
