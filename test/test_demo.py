"""`make demo` end to end: a real bag through the real detector node, real model, real DDS."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest


@pytest.mark.ros
def test_make_demo_replays_a_real_bag_through_the_real_node(tmp_path):
    """The README's main job: real images, real bag, real node process, real model, real DDS."""
    r = subprocess.run([sys.executable, "-m", "yolo_nano_ros.apps.demo", "--out", str(tmp_path), "--passes", "1"],
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stdout + r.stderr
    summary = [line for line in r.stdout.splitlines() if line.startswith(("frames sent", "output rate", "end-to-end"))]
    assert "answered 12" in r.stdout and "FPS" in r.stdout and "latency" in r.stdout, summary or r.stdout[-1500:]
    # The demo runs the fastest backend this machine has and says which (OpenVINO once make setup ran).
    from yolo_nano_ros.runtime.backend_select import openvino_unavailable_reason

    expected = "onnxruntime" if openvino_unavailable_reason() else "openvino"
    assert "[demo] detector: model" in r.stdout and f"backend {expected}" in r.stdout, r.stdout
    assert (tmp_path / "demo_bag" / "metadata.yaml").exists()
    annotated = sorted(Path(tmp_path).glob("annotated_*.jpg"))
    assert annotated, r.stdout
    detected = [line for line in r.stdout.splitlines() if line[:5].strip().isdigit() and not line.endswith("-")]
    assert len(detected) >= 6, f"demo weights found objects in too few of the 12 frames:\n{r.stdout}"


@pytest.mark.ros
def test_a_paced_replay_is_answered_frame_for_frame_faster_than_the_node_can_go(tmp_path):
    """The demo's flake (Jazzy, ~1 in 15 runs on a loaded 2-core VM: 11 of 12 answered): a replay at a fixed
    rate loses a frame whenever the machine stalls the node for a frame period (latest frame wins, by design
    for a camera). Paced, each frame waits for the previous answer: here at 500 Hz, far above what the node
    answers, every frame is answered once."""
    from conftest_data import DEMO_MODEL

    from yolo_nano_ros.apps.demo import build_bag
    from yolo_nano_ros.bag.frames import iter_raw_frames
    from yolo_nano_ros.harness.session import detector_session
    from yolo_nano_ros.paths import sample_images_dir

    build_bag(sample_images_dir(), tmp_path / "bag")
    frames = list(iter_raw_frames(tmp_path / "bag"))
    with detector_session(DEMO_MODEL, tmp_path / "node.log", frames[0]) as session:
        result = session.replay.play(frames, 500.0, passes=2, paced=True)
    assert len(result.sent) == 24
    assert sorted(index for index, _, _ in result.received) == sorted([f.index for f in frames] * 2)
