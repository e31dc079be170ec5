"""Architecture table against published figures, and the interleaved speed benchmark's mechanics."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

torch = pytest.importorskip("torch")

from yolo_nano_ros.benchmarks.arch_table import arch_row  # noqa: E402
from yolo_nano_ros.benchmarks.speed import (  # noqa: E402
    SpeedSettings,
    add_ratios,
    bench_speed,
    cpu_goals,
    format_speed,
    measure_interleaved,
)
from yolo_nano_ros.model.complexity import measure  # noqa: E402
from yolo_nano_ros.model.zoo import NETWORKS  # noqa: E402


@pytest.mark.parametrize(("name", "size_mb", "ops"), [("tiny-yolov2", 60.5, 6.97e9), ("tiny-yolov3", 33.4, 5.52e9)])
def test_tiny_yolos_match_the_papers_table_within_2_percent(name, size_mb, ops):
    row = arch_row(name)
    assert row["size_fp32_mb"] == pytest.approx(size_mb, rel=0.02)
    assert row["ops"] == pytest.approx(ops, rel=0.02)


def test_yolov4_tiny_with_coco_heads_matches_darknet():
    from yolo_nano_ros.model.baselines.tiny_yolo import YoloV4Tiny

    c = measure(YoloV4Tiny(80), 416)  # darknet prints 6.06 M params, 6.910 BFLOPs for yolov4-tiny.cfg
    assert c.params == pytest.approx(6.06e6, rel=0.02) and c.ops == pytest.approx(6.91e9, rel=0.02)


def test_nanodet_m_matches_its_readme_and_its_flops_are_2x_macs():
    row = arch_row("nanodet-m")
    assert row["input"] == 320 and row["params"] == pytest.approx(0.95e6, rel=0.05)
    assert row["ops"] == pytest.approx(0.72e9, rel=0.05)  # 2 x MACs
    assert row["macs"] < 0.5 * 0.72e9  # so the published "FLOPs" are not MACs
    # ShuffleNetV2 0.5x, sometimes quoted for NanoDet-m, gives a third of the published parameters.
    from yolo_nano_ros.model.baselines.nanodet import NanoDet

    assert measure(NanoDet(model_size="0.5x"), 320).params < 0.4e6


def test_aligned_variant_rounds_every_width_to_8():
    model = NETWORKS["yolo-nano-aligned8"].build()
    widths = [m.out_channels for m in model.modules() if isinstance(m, torch.nn.Conv2d)][:-3]  # not the heads
    assert widths and all(w % 8 == 0 for w in widths)
    assert arch_row("yolo-nano-aligned8")["params"] > arch_row("yolo-nano")["params"]


def test_bench_arch_cli_json_has_the_documented_keys():
    r = subprocess.run([sys.executable, "-m", "yolo_nano_ros.apps.cli", "bench", "arch", "--json",
                        "--networks", "yolo-nano", "tiny-yolov3"], capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    rows = json.loads(r.stdout)
    assert [row["name"] for row in rows] == ["yolo-nano", "tiny-yolov3"]
    for row in rows:
        assert {"name", "input", "params", "size_fp32_mb", "macs", "ops"} <= set(row)
        assert row["ops"] == 2 * row["macs"]


def test_interleaving_gives_every_case_the_same_number_of_timed_runs():
    calls: dict[str, int] = {"a": 0, "b": 0}

    def runner(key: str):
        return lambda: calls.__setitem__(key, calls[key] + 1)

    times = measure_interleaved({"a": runner("a"), "b": runner("b")}, rounds=3, block=4)
    assert {k: len(v) for k, v in times.items()} == {"a": 12, "b": 12}
    assert calls == {"a": 15, "b": 15}  # plus one untimed run per block


def test_ratios_and_goals_are_computed_per_backend():
    rows = [{"network": n, "backend": b, "precision": p, "p50_ms": t, "p95_ms": t}
            for n, b, p, t in [("yolo-nano", "onnxruntime", "fp32", 20.0), ("tiny-yolov3", "onnxruntime", "fp32", 16.0),
                               ("yolo-nano", "openvino", "bf16", 8.0), ("tiny-yolov3", "openvino", "bf16", 4.0)]]
    add_ratios(rows)
    assert rows[0]["ratio_to_tiny_yolov3"] == 1.25 and rows[2]["ratio_to_tiny_yolov3"] == 2.0
    goals = cpu_goals({"rows": rows})
    assert goals["best_case"] == "OpenVINO BF16" and goals["speedup_vs_ort_fp32"] == 2.5
    assert goals["latency_ratio_to_tiny_yolov3"] == 2.0


def test_speed_bench_runs_real_exports_through_the_cpu_backends(tmp_path):
    cases = [("onnxruntime", "fp32")]
    try:
        import openvino  # noqa: F401

        cases.append(("openvino", "fp32"))
    except ImportError:
        pass
    settings = SpeedSettings(networks=("yolo-nano", "nanodet-m"), cases=tuple(cases), rounds=2, block=2,
                             cache_dir=tmp_path)
    report = bench_speed(settings, log=lambda _m: None)
    assert len(report["rows"]) == 2 * len(cases)
    for row in report["rows"]:
        assert row["runs"] == 4 and 0 < row["p50_ms"] <= row["p95_ms"]
    assert {p.name for p in tmp_path.iterdir()} == {"yolo-nano-416.onnx", "nanodet-m-320.onnx"}
    nano = [r for r in report["rows"] if r["network"] == "yolo-nano"]
    assert all(r["ratio_to_yolo_nano"] == 1.0 for r in nano)
    text = format_speed(report)
    assert "nanodet-m" in text and "ORT FP32" in text
    with pytest.raises(ValueError, match="unknown cases"):
        bench_speed(SpeedSettings(cases=(("onnxruntime", "fp8"),), cache_dir=tmp_path))


def test_report_names_the_machine_and_states_each_goal_from_the_numbers():
    from yolo_nano_ros.apps.bench_report import render
    from yolo_nano_ros.benchmarks.arch_table import arch_table
    from yolo_nano_ros.benchmarks.machine import describe, machine_info

    info = machine_info()
    assert 1 <= info["cores_usable"] <= (os.cpu_count() or 1) and info["versions"]["onnxruntime"]
    rows = [{"network": n, "backend": b, "precision": "fp32", "p50_ms": t, "p95_ms": t}
            for n, b, t in [("yolo-nano", "onnxruntime", 20.0), ("tiny-yolov3", "onnxruntime", 16.0),
                            ("yolo-nano", "openvino", 9.0), ("tiny-yolov3", "openvino", 12.0)]]
    add_ratios(rows)
    results = {"date": "2026-11-24T00:00:00+00:00", "machine": info, "quick": True,
               "arch": arch_table(("yolo-nano", "tiny-yolov2", "tiny-yolov3", "nanodet-m")),
               "speed": {"rows": rows, "skipped": {}, "rounds": 1, "block": 1, "threads": 0}}
    text = render(results, "SPEED", "ACCURACY", "STAGES", "NODE")
    assert describe(info) in text and "quick smoke run" in text
    assert "| 0.75 on OpenVINO FP32 | yes |" in text  # 9 / 12
    assert "| 2.22x (OpenVINO FP32, 9.00 ms) | yes |" in text  # 20 / 9
    for section in ("SPEED", "ACCURACY", "STAGES", "NODE", "0.74 x Tiny YOLOv3's operations"):
        assert section in text


def test_layer_profile_accounts_for_every_executed_layer(tmp_path):
    pytest.importorskip("openvino")
    from yolo_nano_ros.benchmarks.layer_profile import format_profiles, layer_kind, profile_network

    profile = profile_network("nanodet-m", "fp32", runs=3, cache_dir=tmp_path)
    assert profile.precision == "fp32" and len(profile.layers) > 20
    kinds = profile.by("kind")
    assert sum(n for _, n, _ in kinds) == len(profile.layers)
    assert sum(ms for _, _, ms in kinds) == pytest.approx(profile.layer_ms)
    assert {"depthwise conv", "conv 1x1"} <= {k for k, _, _ in kinds}  # ShuffleNetV2 has both
    assert 0.2 * profile.wall_ms < profile.layer_ms < 1.5 * profile.wall_ms
    text = format_profiles([profile])
    assert "nanodet-m (fp32): time by layer kind" in text and "time by output resolution" in text
    assert layer_kind("Convolution", "brgconv_avx512_1x1", "[24,7,1,1]") == "conv 1x1"
    assert layer_kind("GroupConvolution", "jit_avx512_dw", "[7,1,1,3,3]") == "depthwise conv"


def test_batch_bench_times_single_frames_and_batches_per_frame(tmp_path):
    """`yolo-nano bench batch`, one backend and thread count, one round: the three cases, each timed per
    frame, the batched one reporting the model's batch axis."""
    from conftest_data import DEMO_MODEL, coco128_images

    from yolo_nano_ros.benchmarks.batch_speed import batch_table, bench_batch

    rows = bench_batch(DEMO_MODEL, coco128_images(2), ["onnxruntime"], [1], batch=2, rounds=1, calls=2,
                       log=lambda _m: None)
    assert [(r.case.opened_for, r.case.batch) for r in rows] == [(1, 1), (2, 1), (2, 2)]
    assert all(0 < r.ms_per_frame < 1000 for r in rows) and rows[2].batch_axis
    table = batch_table(rows)
    assert "| onnxruntime | 1 | 2 | 2 | yes |" in table and table.splitlines()[2].endswith("| 1.00 |")
