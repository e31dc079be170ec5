"""apps/camera_bench (`yolo-nano-node-bench --cameras N`): one node for N cameras against N processes."""

from __future__ import annotations

import pytest
from conftest_data import DEMO_MODEL, coco128_images


@pytest.mark.ros
def test_camera_bench_streams_both_configurations_on_their_own_topics():
    """`--cameras 2`: one node with two cameras and two processes, each answering its own cameras' frames."""
    from yolo_nano_ros.apps.camera_bench import ONE_NODE, PROCESSES, bench_cameras

    one, procs = bench_cameras(DEMO_MODEL, coco128_images(2), cameras=2, frames_per_camera=8, log=lambda _m: None)
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

    one = ConfigResult(ONE_NODE, 2, 2, 5.0, cams((150, 20.0), (140, 40.0)), 3.0, 300.0, 200.0, "1:10 2:140")
    procs = ConfigResult(PROCESSES, 2, 1, 5.0, cams((100, 30.0), (100, 30.0)), 3.0, 600.0, 400.0)
    table = cameras_table([one, procs])
    assert "| 2 | one node | 2 | 290 / 300 | 58.0 |" in table and "| 2 | 2 processes | 1 | 200 / 300 | 40.0 |" in table
    assert "1:10 2:140" in table and "| 10.3 |" in table  # CPU ms per answered frame: 3 s / 290
    text = verdicts([one, procs])[0]
    assert "one node answers 1.45x the frames of 2 process(es)" in text
    # By hand (numpy's linear interpolation, index 0.95 x 19 = 18.05): the one node's cameras 10.5 and 21.0 ms,
    # the processes' 15.75 and 15.75; the worst camera's is what counts, not the mean's (15.75 for the node).
    assert "worst-camera p95 21.0 vs 15.8 ms" in text
