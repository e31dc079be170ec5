"""The detector's and the stats node's parameters: names, defaults, descriptions and which are read-only or
runtime-changeable. Plain data (no rclpy), so config/*.yaml and the launch plan are checked against it
without ROS; the nodes declare exactly these."""

from __future__ import annotations

from typing import Any, Literal

ExecutorKind = Literal["events", "single_threaded"]
EXECUTOR_KINDS: tuple[ExecutorKind, ...] = ("events", "single_threaded")
STRING_ARRAY = "STRING_ARRAY"  # a default for a string array declared without a value (rclpy's STRING_ARRAY type)

EXIT_WITH_PARENT_DOC = ("stop (cleanly) when the process that started the node dies, e.g. ros2 launch ended by "
                        "SIGTERM or SIGKILL; false for a node daemonised on purpose (read at start-up)")

TRACKER_KINDS: tuple[str, ...] = ("bytetrack", "none")
TRACKER_PARAMETERS = {"tracker", "track_high_threshold", "track_low_threshold", "track_match_iou", "track_buffer_s",
                      "track_min_hits"}
RUNTIME_PARAMETERS = {"conf_threshold", "nms_threshold", "max_detections", "classes", "class_id_format",
                      *TRACKER_PARAMETERS}
# Files the node opens, fixed at start-up: the ROS graph is unauthenticated without SROS2, and an engine
# file can carry TensorRT plugins (native code), so no peer may point the node at another file or folder.
# Replacing the file itself and reconfiguring (lifecycle) reloads it.
DETECTOR_READ_ONLY = frozenset({"model", "engine_cache_dir"})

DETECTOR_PARAMETERS: dict[str, tuple[Any, str]] = {
    "model": ("", "path to .onnx / .engine / .pt; empty = the shipped demo weights (not a deployable detector); "
                  "read-only (start-up)"),
    "backend": ("auto", "auto | tensorrt | openvino | onnxruntime | torch"),
    "output_layout": ("auto", "the model's outputs: auto (from the file: ours, or Ultralytics' export metadata) | "
                              "yolo_nano | ultralytics_detect | ultralytics_end2end, for a file without metadata "
                              "(read at configure)"),
    "class_names": (STRING_ARRAY, "the model's class names in output order; empty = the file's own (read at "
                                  "configure)"),
    "precision": ("fp16", "TensorRT engine precision (fp16 | int8 | fp32); OpenVINO: fp16 = the CPU's native "
                          "reduced precision (bf16 on x86), bf16, fp32"),
    "engine_cache_dir": ("", "TensorRT engine / OpenVINO compiled-model cache (default: beside the ONNX / "
                             "~/.cache/yolo_nano_ros/openvino); read-only (start-up)"),
    # Defaults for a robot that runs other work: one thread, no spinning (docs/benchmarks.md, "CPU per frame").
    "cpu_threads": (1, "CPU backends: threads per inference worker (0 = all cores: lowest latency, ~1.5-2x the CPU "
                       "per frame)"),
    "cpu_spin": (False, "CPU backends: idle threads busy-wait between frames (lower latency, more CPU)"),
    "cpu_graph_optimization": ("all", "ONNX Runtime graph optimisation: all | extended | basic | disabled"),
    "cpu_memory_arena": (True, "ONNX Runtime CPU memory arena (faster; keeps peak memory)"),
    "conf_threshold": (0.25, "minimum detection score [0, 1] (runtime-changeable)"),
    "nms_threshold": (0.45, "NMS IoU threshold [0, 1] (runtime-changeable)"),
    "max_detections": (100, "detections per image (runtime-changeable)"),
    "classes": (STRING_ARRAY, "class names to keep; empty = all (runtime-changeable)"),
    "class_id_format": ("name", "hypothesis.class_id as class 'name' or 'index' (runtime-changeable)"),
    "tracker": ("bytetrack", f"{' | '.join(TRACKER_KINDS)}: persistent IDs in Detection2D.id, one tracker per "
                             "camera (N, or C/N with cameras); none leaves id empty (runtime-changeable)"),
    "track_high_threshold": (0.25, "tracker: detections at or above this score are matched first and may start "
                                  "tracks (runtime-changeable)"),
    "track_low_threshold": (0.1, "tracker: detections from this score up to track_high_threshold only keep "
                                 "existing tracks (ByteTrack's second association; below conf_threshold they "
                                 "never reach the tracker) (runtime-changeable)"),
    "track_match_iou": (0.2, "tracker: least IoU between a track's predicted box and a detection "
                             "(runtime-changeable)"),
    "track_buffer_s": (1.0, "tracker: seconds of image-stamp time a lost track is kept before it ends "
                            "(runtime-changeable)"),
    "track_min_hits": (2, "tracker: matches before a track's ID is published (runtime-changeable)"),
    "compressed": (False, "subscribe to image/compressed (CompressedImage) instead of image"),
    "cameras": (STRING_ARRAY, "camera names C; each: C/image (or C/image/compressed) in, C/detections and "
                              "C/debug_image out, batched into one inference; empty = the single `image` "
                              "input (read at configure)"),
    "max_batch": (0, "frames per inference with several cameras; 0 = one per camera (read at configure; a "
                     "TensorRT engine is built for 1..max_batch)"),
    "inference_workers": (0, "threads running inference side by side on the one loaded model, each camera with at "
                             "most one frame in flight; 0 = one per camera up to the usable cores on a CPU backend, "
                             "1 on TensorRT / a GPU (read at configure)"),
    "zero_copy_input": (True, "take serialized images and decode them in place (rosbags CDR), skipping rclpy's "
                              "per-field conversion (0.85 ms per 640x480 frame here); false: rclpy messages"),
    "qos_reliability": ("best_effort", "input QoS: best_effort (camera default) | reliable"),
    "qos_depth": (1, "input queue depth (1: latest frame only)"),
    "autostart": (True, "configure and activate at start-up"),
    "diagnostics_period": (1.0, "seconds between /diagnostics messages"),
    "exit_with_parent": (True, EXIT_WITH_PARENT_DOC),
    "executor": ("events", f"rclpy executor: {' | '.join(EXECUTOR_KINDS)} (events falls back to single_threaded "
                           "where rclpy lacks it; read at start-up)"),
}


STATS_PARAMETERS: dict[str, tuple[Any, str]] = {
    "source": ("auto", "auto (jtop, then tegrastats, then host) | jtop | tegrastats | host"),
    "interval_ms": (500, "sampling interval of the stats source in ms"),
    "detection_topics": (["detections"], "Detection2DArray topics whose rate is the FPS (summed)"),
    "window_s": (10.0, "FPS and mean power are computed over this window (seconds)"),
    "publish_period_s": (1.0, "diagnostics and numeric topics period (seconds)"),
    "power_mode": ("", "nvpmodel mode name or ID to switch to; empty = leave as is (runtime-changeable)"),
    "allow_reboot": (False, "start-up only (read-only): let the start-up power_mode switch reboot the board; "
                            "run-time switches never reboot"),
    "allow_runtime_power_mode": (True, "start-up only (read-only): accept `ros2 param set power_mode` at run "
                                       "time (modes that need no reboot only)"),
    "jetson_clocks": ("unchanged", "unchanged | on | off, applied at start-up"),
    "command_timeout_s": (10.0, "timeout for each nvpmodel / jetson_clocks call"),
    "tegrastats_path": ("tegrastats", "tegrastats executable (name on PATH or a path)"),
    "exit_with_parent": (True, EXIT_WITH_PARENT_DOC),
}


# Closed ranges (inclusive) the nodes put into the parameter descriptors: `ros2 param describe` shows them
# and rclpy refuses a value outside before the node sees it. A start-up value outside is logged and the
# default used (the node must not die of a typo in a YAML).
PARAMETER_RANGES: dict[str, tuple[float, float]] = {
    "conf_threshold": (0.0, 1.0), "nms_threshold": (0.0, 1.0), "max_detections": (1, 100_000),
    "track_high_threshold": (0.0, 1.0), "track_low_threshold": (0.0, 1.0), "track_match_iou": (0.01, 1.0),
    "track_buffer_s": (0.0, 3600.0), "track_min_hits": (1, 1000),
    "cpu_threads": (0, 1024), "max_batch": (0, 1024), "inference_workers": (0, 256),
    "qos_depth": (1, 10_000), "diagnostics_period": (0.01, 3600.0),
    "interval_ms": (10, 3_600_000), "window_s": (0.1, 86_400.0), "publish_period_s": (0.01, 3600.0),
    "command_timeout_s": (0.1, 3600.0),
}

# What the graph must not change once the node runs: rclpy refuses to set these.
STATS_READ_ONLY = frozenset({"allow_reboot", "allow_runtime_power_mode"})
