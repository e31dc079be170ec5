"""nodes/detector_status: the detector's /diagnostics level, message and values, without ROS."""

from __future__ import annotations

from dataclasses import replace

import pytest

from yolo_nano_ros.nodes.detector_status import MODEL_NOT_LOADED, DetectorSnapshot, StatusLevel, detector_status


def snapshot(**changes) -> DetectorSnapshot:
    return replace(DetectorSnapshot("active", 30.0, 29.5, 300, 5, 0, "/m/model.onnx", "openvino:CPU", "bf16",
                                    {"infer": {"p50": 7.0, "p95": 9.5, "p99": 11.0}}), **changes)


def test_a_healthy_node_is_ok_with_its_state_and_every_value():
    level, message, values = detector_status(snapshot())
    assert (level, message) == (StatusLevel.OK, "active")
    assert values == {"state": "active", "input_rate_hz": 30.0, "processed_fps": 29.5, "frames_received": 300,
                      "frames_dropped": 5, "debug_images_drawn": 0, "model": "/m/model.onnx",
                      "backend": "openvino:CPU", "precision": "bf16", "cpu_ms_per_frame": "n/a",
                      "tracker": "none", "active_tracks": 0, "infer_ms_p50": 7.0, "infer_ms_p95": 9.5}


def test_frame_errors_warn_with_the_last_one_and_count_each_kind():
    level, message, values = detector_status(snapshot(errors={"image": 3, "model": 1},
                                                      last_error="frame skipped (cam): truncated image"))
    assert (level, message) == (StatusLevel.WARN, "last error: frame skipped (cam): truncated image")
    assert values["errors_image"] == 3 and values["errors_model"] == 1


def test_no_model_is_an_error_saying_why_and_has_no_backend():
    level, message, values = detector_status(snapshot(state=MODEL_NOT_LOADED, backend=None, precision=None,
                                                      errors={"model": 1}, last_error="model file not found: /x"))
    assert (level, message) == (StatusLevel.ERROR, "model file not found: /x")
    assert "backend" not in values and values["state"] == MODEL_NOT_LOADED


@pytest.mark.ros
def test_status_levels_are_diagnostic_msgs_own():
    """Against the message package's constants, not a restatement of ours (bytes of one octet in rclpy)."""
    from diagnostic_msgs.msg import DiagnosticStatus

    assert [bytes([level]) for level in StatusLevel] == [DiagnosticStatus.OK, DiagnosticStatus.WARN,
                                                          DiagnosticStatus.ERROR]


def test_cpu_per_frame_is_reported_as_given():
    assert detector_status(snapshot(cpu_ms_per_frame=12.5))[2]["cpu_ms_per_frame"] == 12.5


def camera(**changes):
    from yolo_nano_ros.nodes.detector_status import CameraSnapshot

    return replace(CameraSnapshot("front", "/robot/front/image", 30.0, 29.0, 300, 10, 290,
                                  {"p50": 12.0, "p95": 20.0}, seconds_since_frame=0.03), **changes)


def test_each_camera_reports_its_rates_drops_and_latency_and_warns_when_it_goes_quiet():
    from yolo_nano_ros.nodes.detector_status import camera_status

    level, message, values = camera_status(camera())
    assert (level, message) == (StatusLevel.OK, "receiving")
    assert values == {"camera": "front", "topic": "/robot/front/image", "input_rate_hz": 30.0, "processed_fps": 29.0,
                      "frames_received": 300, "frames_dropped": 10, "frames_answered": 290, "latency_ms_p50": 12.0,
                      "latency_ms_p95": 20.0, "errors": 0}
    assert camera_status(camera(seconds_since_frame=None))[:2] == (StatusLevel.OK,
                                                                   "waiting for frames on /robot/front/image")
    assert camera_status(camera(seconds_since_frame=7.2))[:2] == (StatusLevel.WARN,
                                                                  "no frames on /robot/front/image for 7 s")
    bad = camera_status(camera(errors=2, last_error="frame skipped (front): truncated image"))
    assert bad[:2] == (StatusLevel.WARN, "last error: frame skipped (front): truncated image")


def test_batch_sizes_read_as_size_colon_count():
    from yolo_nano_ros.nodes.detector_status import batch_size_summary

    assert batch_size_summary({4: 240, 1: 12, 2: 3}) == "1:12 2:3 4:240"
    assert batch_size_summary({}) == "none yet"
