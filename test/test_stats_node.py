"""yolo_nano_stats end to end: the real detector node publishing, the real stats node measuring, and
TEST DOUBLES (test/fakes/bin: tegrastats, nvpmodel, jetson_clocks; not NVIDIA's) at the hardware edge."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import pytest
from conftest_data import REPO_ROOT

pytest.importorskip("rclpy", reason="ROS 2 tests (marker ros): `make setup` installs rclpy")
from diagnostic_msgs.msg import DiagnosticArray
from rcl_interfaces.msg import Parameter as ParameterMsg
from rcl_interfaces.msg import ParameterType, ParameterValue
from rcl_interfaces.srv import SetParameters
from ros_harness import CAMERA_PARAM, camera_qos
from sensor_msgs.msg import Image
from std_msgs.msg import Float32
from std_srvs.srv import SetBool

pytestmark = pytest.mark.ros

FAKE_BIN = Path(__file__).resolve().parent / "fakes" / "bin"
BIN = Path(sys.executable).parent
DEMO_MODEL = REPO_ROOT / "models" / "yolo_nano_coco128_voc.onnx"


def fake_env(state: Path) -> dict[str, str]:
    return {"PATH": f"{FAKE_BIN}{os.pathsep}{os.environ['PATH']}", "FAKE_JETSON_STATE": str(state)}


def set_power_mode(probe, value: str):
    param = ParameterMsg(name="power_mode", value=ParameterValue(type=ParameterType.PARAMETER_STRING,
                                                                 string_value=value))
    return probe.call(SetParameters, "/yolo_nano_stats/set_parameters",
                SetParameters.Request(parameters=[param])).results[0]


def latest_values(diags, timeout: float = 10.0, where=lambda v: True) -> dict[str, str]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for msg in reversed(diags.messages):
            for status in msg.status:
                if status.name.endswith(": power"):
                    values = {kv.key: kv.value for kv in status.values}
                    if where(values):
                        return values | {"_message": status.message}
                    break
        time.sleep(0.1)
    raise AssertionError(f"no matching stats diagnostics; last: {diags.messages[-1:] if diags.messages else None}")


def test_stats_node_measures_the_detector_under_power_modes(launcher, probe, tmp_path):
    import cv2
    import numpy as np

    state = tmp_path / "jetson"
    detector = launcher.start([str(BIN / "yolo_nano_detector"), "--ros-args", "-p", f"model:={DEMO_MODEL}",
                               "-p", CAMERA_PARAM], name="detector")
    assert detector.wait_for_output("listening on", 60), detector.output()
    stats = launcher.start([str(BIN / "yolo_nano_stats"), "--ros-args", "-p", "power_mode:=MODE_15W",
                            "-p", "interval_ms:=100", "-p", "window_s:=3.0", "-p", "publish_period_s:=0.5",
                            "-p", "jetson_clocks:=on"], name="stats", extra_env=fake_env(state))
    assert stats.wait_for_output("measuring FPS on detections", 30), stats.output()
    assert "stats source: tegrastats" in stats.output()
    diags = probe.collect(DiagnosticArray, "/diagnostics")
    fps_topic = probe.collect(Float32, "/yolo_nano_stats/fps")
    pub = probe.publisher(Image, "image", camera_qos())
    assert probe.wait_for_subscribers(pub, timeout=20)
    bgr = cv2.resize(cv2.imread(str(sorted((REPO_ROOT / "data" / "samples" / "images").glob("*.jpg"))[0])),
                     (640, 480))
    frame = Image(height=480, width=640, encoding="bgr8", step=640 * 3, data=np.ascontiguousarray(bgr).tobytes())

    def publish_for(seconds: float, rate: float = 10.0) -> None:
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            pub.publish(frame)
            time.sleep(1 / rate)

    publish_for(4.0)
    values = latest_values(diags, where=lambda v: v.get("power_w", "n/a") != "n/a" and float(v["fps"]) > 5)
    fps, watts = float(values["fps"]), float(values["power_w"])
    assert 7 < fps < 13, values  # 10 Hz of frames, all answered by the detector
    assert watts == pytest.approx(13.7, abs=0.01)  # the fake AGX Xavier's rails sum at MODE_15W
    assert float(values["images_per_s_per_w"]) == pytest.approx(fps / watts, rel=0.02)
    assert values["power_mode"] == "MODE_15W" and values["jetson_clocks"] == "on"
    assert values["power_total_rule"].startswith("sum of 6 module rails")
    assert values["rail_mw[GPU]"] == "5200.000" and "temp_c[GPU]" in values
    assert fps_topic.wait_for(1, 5)

    # Run-time switch through the parameter service: allowed one, then one that needs a reboot.
    assert set_power_mode(probe, "MODE_30W_ALL").successful
    publish_for(4.0)
    values = latest_values(diags, where=lambda v: v["power_mode"] == "MODE_30W_ALL" and v["power_w"] != "n/a"
                           and abs(float(v["power_w"]) - 29.9) < 0.01)
    assert float(values["images_per_s_per_w"]) == pytest.approx(float(values["fps"]) / 29.9, rel=0.05)
    refused = set_power_mode(probe, "MAXN")
    assert not refused.successful and "needs a reboot" in refused.reason
    assert (state / "mode").read_text() == "3"
    answer = probe.call(SetBool, "/yolo_nano_stats/set_jetson_clocks", SetBool.Request(data=False))
    assert answer.success and (state / "clocks").read_text() == "off"
    assert stats.alive() and detector.alive()


def set_bool(probe, name: str, value: bool):
    param = ParameterMsg(name=name, value=ParameterValue(type=ParameterType.PARAMETER_BOOL, bool_value=value))
    return probe.call(SetParameters, "/yolo_nano_stats/set_parameters",
                SetParameters.Request(parameters=[param])).results[0]


def test_nothing_set_from_the_graph_can_reboot_the_board(launcher, probe, tmp_path):
    """An unsecured graph lets anyone set parameters: allow_reboot is read-only, and a run-time switch to a mode
    that needs a reboot is refused even when allow_reboot was true at start-up; allow_runtime_power_mode:=false
    closes run-time switches altogether."""
    state = tmp_path / "jetson"
    stats = launcher.start([str(BIN / "yolo_nano_stats"), "--ros-args", "-p", "allow_reboot:=true"],
                           name="stats", extra_env=fake_env(state))
    assert stats.wait_for_output("measuring FPS on detections", 30), stats.output()
    mode_before = (state / "mode").read_text() if (state / "mode").exists() else None
    for name in ("allow_reboot", "allow_runtime_power_mode"):
        answer = set_bool(probe, name, True)
        assert not answer.successful and "read-only" in answer.reason, (name, answer.reason)
    refused = set_power_mode(probe, "MAXN")
    assert not refused.successful and "needs a reboot" in refused.reason
    assert ((state / "mode").read_text() if (state / "mode").exists() else None) == mode_before
    assert "REBOOT" not in (state / "calls.log").read_text(), "the fake nvpmodel logs a reboot it was allowed"
    assert set_power_mode(probe, "MODE_30W_ALL").successful, "a switch without reboot stays possible"
    stats.stop()

    stats = launcher.start([str(BIN / "yolo_nano_stats"), "--ros-args", "-p", "allow_runtime_power_mode:=false"],
                           name="stats_closed", extra_env=fake_env(state))
    assert stats.wait_for_output("measuring FPS on detections", 30), stats.output()
    refused = set_power_mode(probe, "MODE_15W")
    assert not refused.successful and "allow_runtime_power_mode" in refused.reason
    assert (state / "mode").read_text() == "3", "MODE_30W_ALL (ID 3) from before stays"


def test_stats_node_survives_a_board_without_root_or_tools(launcher, probe, tmp_path):
    env = fake_env(tmp_path / "jetson") | {"FAKE_NVPMODEL": "denied", "FAKE_TEGRASTATS_GARBAGE": "1"}
    stats = launcher.start([str(BIN / "yolo_nano_stats"), "--ros-args", "-p", "power_mode:=MODE_30W_ALL",
                            "-p", "interval_ms:=100", "-p", "publish_period_s:=0.3"], name="stats", extra_env=env)
    assert stats.wait_for_output("needs root", 30), stats.output()
    diags = probe.collect(DiagnosticArray, "/diagnostics")
    values = latest_values(diags, where=lambda v: "errors_power_mode" in v and "source_errors" in v)
    assert values["_message"].startswith("last error: nvpmodel -m 3 needs root")
    assert "parse" in values["source_errors"]
    assert stats.alive()


def test_a_forced_source_that_is_missing_falls_back_to_the_host(launcher, probe, tmp_path):
    stats = launcher.start([str(BIN / "yolo_nano_stats"), "--ros-args", "-p", "source:=jtop",
                            "-p", "publish_period_s:=0.3"], name="stats", extra_env={"PATH": "/usr/bin:/bin"})
    assert stats.wait_for_output("using the host source", 30), stats.output()
    diags = probe.collect(DiagnosticArray, "/diagnostics")
    values = latest_values(diags, where=lambda v: "errors_source" in v and "cpu_util_pct" in v)  # after a reading
    assert values["source"] == "host" and values["errors_source"] == "1"
    assert values["_message"].startswith("last error: stats source 'jtop' unavailable")
    assert stats.alive()


def test_a_tegrastats_that_prints_megabyte_lines_bytes_and_half_lines(launcher, probe, tmp_path):
    """TEST DOUBLE tegrastats writes, before its normal lines: the second half of a real line (a reader that
    starts mid-line), a 1 MB line, invalid UTF-8, and a line cut off without its newline by the next one."""
    real = ("RAM 2721/31927MB (lfb 7291x4MB) SWAP 0/15963MB (cached 0MB) CPU [42%@2265,38%@2265] EMC_FREQ "
            "21%@2133 GR3D_FREQ 87%@1377 GPU@44C CPU@44.5C GPU 9000/9000 CPU 2100/2100 SOC 2900/2900")
    raw = tmp_path / "raw"
    raw.write_bytes(real[len(real) // 2:].encode() + b"\n" + b"X" * (1 << 20) + b"\n"
                    + b"\xff\xfe\x80 RAM \xc3\x28 GPU \xed\xa0\x80\n" + real[:40].encode())
    env = fake_env(tmp_path / "jetson") | {"FAKE_TEGRASTATS_RAW": str(raw)}
    stats = launcher.start([str(BIN / "yolo_nano_stats"), "--ros-args", "-p", "source:=tegrastats",
                            "-p", "interval_ms:=100", "-p", "publish_period_s:=0.3"], name="stats", extra_env=env)
    diags = probe.collect(DiagnosticArray, "/diagnostics")
    values = latest_values(diags, timeout=20,
                           where=lambda v: "source_errors" in v and int(v.get("source_lines", 0)) > 6)
    assert "parse" in values["source_errors"], values  # the megabyte and the bytes: counted, not fatal
    assert values["power_total_rule"] != "n/a" and stats.alive(), values
    assert len(values["_message"]) < 400, "an error message quoting a megabyte line"
