"""`yolo-nano-node-bench`: what the node costs on top of inference, measured across processes.

The detector runs as its own process (as on a robot) on a private DDS domain; this process publishes
640x480 rgb8 frames of real photos, restamped at send time, and times each Detection2DArray that
comes back. Two questions, as in the node's performance targets:
  1. input slower than inference (every frame answered): end-to-end latency minus the node's own
     inference time, i.e. the cost of DDS transport, conversion, pre/post-processing and publishing;
  2. input faster than inference (at least 60 Hz and twice what inference sustains): does latency
     stay bounded because frames are dropped instead of queued?
  3. the target's literal case, 30 Hz input with inference slower than 33 ms (ONNX Runtime on one
     thread at 416 here): is p95 latency under 2x inference?
The inference time is the node's own measurement (its /diagnostics), taken in the same run. The same
30 Hz frames are also answered by a node that does nothing (nodes/header_echo.py), side by side: its
round trip is the transport floor, so what remains is the detector's own work around inference.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from yolo_nano_ros.bag.bag_frames import RawFrame

REPO = Path(__file__).resolve().parents[1]
FLOOR_PHASE = "30Hz-floor"


@dataclass
class PhaseResult:
    name: str
    rate_hz: float
    sent: int
    answered: int
    output_fps: float
    latency_p50_ms: float
    latency_p95_ms: float
    node_infer_p50_ms: float
    node_stages_p50_ms: dict[str, float]

    @property
    def dropped(self) -> int:
        return self.sent - self.answered


def rgb8_frames(images: list[Path], width: int, height: int) -> list[RawFrame]:
    from rclpy.serialization import serialize_message
    from sensor_msgs.msg import Image

    from yolo_nano_ros.runtime.stage_bench import load_frames

    frames = []
    for index, rgb in enumerate(load_frames(images, width, height)):
        msg = Image(height=height, width=width, encoding="rgb8", step=3 * width, data=rgb.tobytes())
        msg.header.frame_id = "camera"
        frames.append(RawFrame(index, 0, "sensor_msgs/msg/Image", serialize_message(msg)))
    return frames


def run_phase(name: str, frames: list[RawFrame], rate_hz: float, count: int, diagnostics_wait_s: float
              ) -> PhaseResult:
    from yolo_nano_ros.nodes.bag_replay import LiveReplay

    replay = LiveReplay()
    try:
        if not replay.wait_for_detector():
            raise RuntimeError("the detector never subscribed to 'image'")
        passes = -(-count // len(frames))
        result = replay.play((frames * passes)[:count], rate_hz, passes=1, settle_s=3.0)
        time.sleep(diagnostics_wait_s)  # the node's next diagnostics cover every frame of this phase
        diagnostics = dict(result.detector_diagnostics)
    finally:
        replay.close()
    latency = np.array(result.latencies_ms())
    fps = result.output_fps()
    stages = {k.removesuffix("_ms_p50"): float(v) for k, v in diagnostics.items() if k.endswith("_ms_p50")}
    return PhaseResult(name, rate_hz, len(result.sent), len(result.received), fps,
                       float(np.percentile(latency, 50)) if len(latency) else float("nan"),
                       float(np.percentile(latency, 95)) if len(latency) else float("nan"),
                       stages.get("infer", float("nan")), stages)


def to_text(phases: list[PhaseResult]) -> str:
    lines = [f"{'phase':<10}{'rate Hz':>8}{'sent':>6}{'answered':>9}{'dropped':>8}{'out FPS':>8}"
             f"{'e2e p50':>9}{'e2e p95':>9}{'infer p50':>10}{'e2e-infer':>10}  (ms)"]
    for p in phases:
        infer = ("-", "-") if p.name == FLOOR_PHASE else (f"{p.node_infer_p50_ms:.2f}",
                                                          f"{p.latency_p50_ms - p.node_infer_p50_ms:.2f}")
        lines.append(f"{p.name:<10}{p.rate_hz:>8.1f}{p.sent:>6}{p.answered:>9}{p.dropped:>8}{p.output_fps:>8.1f}"
                     f"{p.latency_p50_ms:>9.2f}{p.latency_p95_ms:>9.2f}{infer[0]:>10}{infer[1]:>10}")
    for p in phases:
        if not p.node_stages_p50_ms:
            continue
        stages = ", ".join(f"{k} {v:.2f}" for k, v in p.node_stages_p50_ms.items() )
        lines.append(f"{p.name} node stages (p50 ms): {stages}")
    floor = next((p for p in phases if p.name == FLOOR_PHASE), None)
    for p in phases:
        if p.name == FLOOR_PHASE:
            lines.append(f"{p.name}: the same 30 Hz frames answered by a node that does nothing (header echo): "
                         f"DDS + rclpy round trip p50 {p.latency_p50_ms:.2f} ms, p95 {p.latency_p95_ms:.2f} ms")
        elif p.name == "30Hz-slow":
            verdict = "under" if p.latency_p95_ms < 2 * p.node_infer_p50_ms else "NOT under"
            lines.append(f"{p.name}: 30 Hz input, inference {p.node_infer_p50_ms:.1f} ms (slower than the 33 ms frame "
                         f"period); p95 {p.latency_p95_ms:.1f} ms = {p.latency_p95_ms / p.node_infer_p50_ms:.2f} x "
                         f"inference ({verdict} 2x); {p.dropped} of {p.sent} frames dropped")
        elif p.dropped == 0:
            overhead = p.latency_p50_ms - p.node_infer_p50_ms
            line = f"{p.name}: every frame answered; end-to-end minus inference p50 {overhead:.2f} ms"
            if floor is not None and p.name == "30Hz":
                line += (f" = {floor.latency_p50_ms:.2f} ms transport floor + {overhead - floor.latency_p50_ms:.2f} ms "
                         "the detector's own work around inference")
            lines.append(line)
        else:
            verdict = "bounded" if p.latency_p95_ms < 2 * p.node_infer_p50_ms else "NOT bounded"
            lines.append(f"{p.name}: input faster than inference; p95 {p.latency_p95_ms:.1f} ms = "
                         f"{p.latency_p95_ms / p.node_infer_p50_ms:.2f} x inference ({verdict}); "
                         f"{p.dropped} of {p.sent} frames dropped, none queued")
    return "\n".join(lines)


def bench_phase(model: Path, name: str, frames: list[RawFrame], rate_hz: float, count: int,
                **node_parameters: object) -> PhaseResult:
    """A fresh detector process per phase, so its diagnostics describe this phase alone."""
    from yolo_nano_ros.detector_process import start_detector

    return phase_against("detector", lambda log: start_detector(model, dict(os.environ), log, diagnostics_period=0.5,
                                                                **node_parameters),
                         name, frames, rate_hz, count, 1.2)


def bench_transport_floor(name: str, frames: list[RawFrame], rate_hz: float, count: int) -> PhaseResult:
    """The same phase against nodes/header_echo.py: what DDS and rclpy alone cost, in the same run."""
    from yolo_nano_ros.detector_process import start_logged

    return phase_against("echo node", lambda log: start_logged(
        [sys.executable, "-m", "yolo_nano_ros.nodes.header_echo"], dict(os.environ), log), name, frames, rate_hz,
        count, 0.0)


def phase_against(what: str, start: Callable[[Path], subprocess.Popen[bytes]], name: str, frames: list[RawFrame],
                  rate_hz: float, count: int, diagnostics_wait_s: float) -> PhaseResult:
    """Start a node process (logging to a temporary file), run one phase against it, stop it."""
    from yolo_nano_ros.detector_process import running_node

    with tempfile.TemporaryDirectory() as tmp, running_node(start, Path(tmp) / "node.log", what):
        return run_phase(name, frames, rate_hz, count, diagnostics_wait_s)


def run_node_bench(model: Path, images: list[Path], frames_per_phase: int, light_rate: float,
                   log: Callable[[str], None] = print) -> list[PhaseResult]:
    """Light load, 30 Hz and overload phases, each against a fresh detector process on a private domain."""
    from yolo_nano_ros.dds_environment import local_dds_environment

    os.environ.update(local_dds_environment(random.randint(110, 200)))
    frames = rgb8_frames(images, 640, 480)
    log(f"detector: {model.name}; {len(frames)} real photos as 640x480 rgb8; {frames_per_phase} frames per "
        "phase, a fresh detector process per phase")
    phases = [bench_phase(model, f"{light_rate:g}Hz", frames, light_rate, frames_per_phase),
              bench_phase(model, "30Hz", frames, 30.0, frames_per_phase),
              bench_transport_floor(FLOOR_PHASE, frames, 30.0, frames_per_phase)]
    overload_rate = max(60.0, 2000.0 / phases[0].node_infer_p50_ms)  # at least twice what inference sustains
    phases.append(bench_phase(model, "overload", frames, overload_rate, frames_per_phase))
    # The target's literal case: 30 Hz input with inference slower than 33 ms. One ONNX Runtime thread
    # at 416 makes inference that slow here; on a Jetson or a small ARM board it simply is.
    from yolo_nano_ros.runtime.stage_bench import save_at_input_size

    with tempfile.TemporaryDirectory() as tmp:
        slow = save_at_input_size(model, 416, Path(tmp) / f"{model.stem}_416.onnx")
        phases.append(bench_phase(slow, "30Hz-slow", frames, 30.0, frames_per_phase, backend="onnxruntime",
                                  cpu_threads=1))
    return phases


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="yolo-nano-node-bench", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--model", type=Path, default=REPO / "models" / "yolo_nano_coco128_voc.onnx")
    p.add_argument("--images", type=Path, default=REPO / "data" / "samples" / "images")
    p.add_argument("--frames", type=int, default=100, help="frames per phase (default 100)")
    p.add_argument("--light-rate", type=float, default=5.0, help="light-load rate in Hz (default 5)")
    p.add_argument("--json", type=Path, default=None, help="also write the results here")
    a = p.parse_args(argv)

    images = sorted(q for q in a.images.iterdir() if q.suffix.lower() in {".jpg", ".jpeg", ".png"})
    if not images:
        print(f"no images in {a.images}", file=sys.stderr)
        return 2
    phases = run_node_bench(a.model, images, a.frames, a.light_rate, log=lambda m: print(m, flush=True))
    print(to_text(phases))
    if a.json:
        a.json.write_text(json.dumps([asdict(ph) | {"dropped": ph.dropped} for ph in phases], indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
