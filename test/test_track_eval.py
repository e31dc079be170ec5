"""Tracker evaluation: MOTChallenge files, identity metrics against cases whose answer is known by hand, our
tracker on the TUD sequences py-motmetrics ships (read from the installed package), and the command."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from yolo_nano_ros.data.mot_challenge import MotFileError, MotFrame, read_mot, write_mot

pytest.importorskip("motmetrics", reason="make setup installs motmetrics (the dev and mot extras)")

from yolo_nano_ros.evaluation.track_metrics import identity_metrics
from yolo_nano_ros.evaluation.track_sequences import (
    Noise,
    motmetrics_sequence,
    noisy_detections,
    track_sequence,
)

BIN = Path(sys.executable).parent


def two_walkers(frames: int = 20) -> dict[int, MotFrame]:
    return {f: MotFrame(np.array([1, 2]), np.array([[10.0 * f, 0, 10.0 * f + 40, 80],
                                                    [400 - 10.0 * f, 200, 440 - 10.0 * f, 280]]), np.ones(2))
            for f in range(1, frames + 1)}


def test_mot_files_round_trip_and_bad_lines_name_the_place(tmp_path):
    truth = two_walkers(3)
    write_mot(tmp_path / "t.txt", truth)
    back = read_mot(tmp_path / "t.txt")
    assert sorted(back) == [1, 2, 3] and back[2].ids.tolist() == [1, 2]
    np.testing.assert_allclose(back[2].boxes, truth[2].boxes, atol=0.01)
    (tmp_path / "bad.txt").write_text("1,1,10,10,5,5,1\nnot,a,row\n")
    with pytest.raises(MotFileError, match=r"bad.txt:2: not 'frame, id"):
        read_mot(tmp_path / "bad.txt")


def test_identity_metrics_of_cases_worked_out_by_hand():
    truth = two_walkers()
    perfect = identity_metrics(truth, {f: MotFrame(g.ids + 100, g.boxes, g.scores) for f, g in truth.items()})
    assert (perfect["mota"], perfect["idf1"], perfect["num_switches"]) == (1.0, 1.0, 0)
    # The two hypotheses swap labels from frame 11 on: two ID switches; IDF1 = 2*10/(2*20+... ) -> 0.5
    swapped = {f: MotFrame(g.ids[::-1] if f > 10 else g.ids, g.boxes, g.scores) for f, g in truth.items()}
    result = identity_metrics(truth, swapped)
    assert result["num_switches"] == 2 and result["idf1"] == pytest.approx(0.5)
    # Object 2 is not reported in frames 5-9: 5 misses out of 40 boxes, one fragmentation
    gap = {f: MotFrame(g.ids[:1], g.boxes[:1], g.scores[:1]) if 5 <= f <= 9 else g for f, g in truth.items()}
    result = identity_metrics(truth, gap)
    assert result["num_misses"] == 5 and result["num_fragmentations"] == 1
    assert result["mota"] == pytest.approx(1 - 5 / 40)


def test_our_tracker_on_tud_campus_keeps_identities_through_noise():
    truth = read_mot(motmetrics_sequence("TUD-Campus"), min_confidence=0.5)
    clean = identity_metrics(truth, track_sequence(noisy_detections(truth, 25.0, Noise(0, 0, 0.02, 0))))
    assert clean["idf1"] > 0.9 and clean["num_switches"] <= 2, clean
    noisy = identity_metrics(truth, track_sequence(noisy_detections(truth, 25.0, Noise(0.3, 0.5, 0.05, 0.1))))
    assert noisy["idf1"] > 0.55 and noisy["num_switches"] <= 6, noisy


def test_track_eval_command_prints_a_row_per_sequence_and_noise_level():
    r = subprocess.run([str(BIN / "yolo-nano"), "track-eval", "--sequence", "TUD-Campus", "--miss", "0.1", "0.3",
                        "--json"], capture_output=True, text=True, timeout=120, check=False)
    assert r.returncode == 0, r.stderr
    rows = [json.loads(line) for line in r.stdout.splitlines()]
    assert [(row["sequence"], row["input"].split(",")[0]) for row in rows] == [("TUD-Campus", "miss 10%"),
                                                                              ("TUD-Campus", "miss 30%")]
    assert all(0 < row["idf1"] <= 1 and row["num_frames"] == 71 for row in rows)


def test_tracking_bench_scores_every_sequence_and_noise_level_and_times_both_crowds():
    """The benchmark without a reference venv: ours only, every row there, the table says why no reference."""
    from yolo_nano_ros.benchmarks.tracking import CROWDS, MISSES, tracking_bench, tracking_markdown

    report = tracking_bench(None, rounds=1, progress=lambda _m: None)
    assert [row["sequence"] for row in report["identity"]] == [f"{name} miss {m:.0%}" for name in
                                                               ("TUD-Campus", "TUD-Stadtmitte") for m in MISSES]
    assert [row["objects"] for row in report["time_ms"]] == list(CROWDS)
    assert all(0 < row["ours"]["p50"] <= row["ours"]["p95"] for row in report["time_ms"])
    assert "make setup-reference" in tracking_markdown(report)
