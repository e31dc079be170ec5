"""`yolo-nano-node-bench`: what the node costs on top of inference, measured across processes.

The detector runs as its own process (as on a robot) on a private DDS domain; this process publishes
640x480 rgb8 frames of real photos, restamped at send time, and times each Detection2DArray that
comes back. Three questions, as in the node's performance targets:
  1. input slower than inference (every frame answered): end-to-end latency minus the node's own
     inference time, i.e. the cost of DDS transport, conversion, pre/post-processing and publishing;
  2. input faster than inference (at least 60 Hz and twice what inference sustains): does latency
     stay bounded because frames are dropped instead of queued?
  3. the target's literal case, 30 Hz input with inference slower than 33 ms (ONNX Runtime on one
     thread at 416 here): is p95 latency under 2x inference?
The inference time is the node's own measurement (its /diagnostics), taken in the same run. In the
first two phases the same frames are also answered by a node that does nothing (nodes/header_echo.py),
the two nodes taking turns block by block: its round trip is the transport floor, so what remains is
the detector's own work around inference.

Instead of those phases: --cpu-cost (CPU per answered frame against the backend's own), --soak (RSS,
fds, threads and latency over many frames), --cameras N... (one node for N cameras against N detector
processes, apps/camera_bench.py).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from yolo_nano_ros.apps.console import console_script
from yolo_nano_ros.bag.frames import RawFrame
from yolo_nano_ros.errors import YoloNanoError
from yolo_nano_ros.harness.camera_frames import rgb8_frames
from yolo_nano_ros.harness.detector_process import NodeStartError
from yolo_nano_ros.harness.process_control import process_cpu_s
from yolo_nano_ros.paths import resolve_model, sample_images_dir
from yolo_nano_ros.runtime.latency import percentile
from yolo_nano_ros.runtime.media import list_images

if TYPE_CHECKING:
    from yolo_nano_ros.nodes.bag_replay import LiveReplay, ReplayResult

FLOOR_SUFFIX = "-floor"  # a phase answered by the do-nothing echo node: the transport floor
FLOOR_NAMESPACE = "transport_floor"
SLOW_PHASE = "30Hz-slow"
OVERLOAD_PHASE = "overload"
DETECTOR_WORK_STAGES = ("handoff", "convert", "pre", "post", "publish")  # the node's clocks, besides inference
BLOCKS = 4  # turns the detector and the transport floor take within one phase


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
    node_infer_p95_ms: float = float("nan")

    @property
    def dropped(self) -> int:
        return self.sent - self.answered


def phase_result(name: str, rate_hz: float, blocks: list[ReplayResult], diagnostics: dict[str, str]) -> PhaseResult:
    latency = [ms for block in blocks for ms in block.latencies_ms()]
    stages = {k.removesuffix("_ms_p50"): float(v) for k, v in diagnostics.items() if k.endswith("_ms_p50")}
    return PhaseResult(name, rate_hz, sum(len(b.sent) for b in blocks), sum(len(b.received) for b in blocks),
                       float(np.mean([b.output_fps() for b in blocks])), percentile(latency, 50),
                       percentile(latency, 95),
                       stages.get("infer", float("nan")), stages,
                       float(diagnostics.get("infer_ms_p95", "nan")))


def run_phases(names: list[str], replays: list[LiveReplay], frames: list[RawFrame], rate_hz: float, count: int,
               blocks: int, diagnostics_wait_s: float) -> list[PhaseResult]:
    """`count` frames to each replay's node (each has answered once), in `blocks` turns: the nodes alternate
    block by block.

    Alternating puts the detector and the transport floor under the same machine load: on a shared
    machine, load drifts over seconds, and two phases run one after the other differ by more than
    the difference being measured.
    """
    stream = (frames * -(-count // len(frames)))[:count]
    size = -(-count // blocks)
    results: list[list[ReplayResult]] = [[] for _ in replays]
    for start in range(0, count, size):
        for replay, out in zip(replays, results, strict=True):
            out.append(replay.play(stream[start:start + size], rate_hz, passes=1, settle_s=3.0))
    time.sleep(diagnostics_wait_s)  # the detector's next diagnostics cover every frame of this phase
    return [phase_result(name, rate_hz, out, dict(replay.result.detector_diagnostics) if not is_floor(name) else {})
            for name, replay, out in zip(names, replays, results, strict=True)]


def is_floor(name: str) -> bool:
    return name.endswith(FLOOR_SUFFIX)


def to_text(phases: list[PhaseResult]) -> str:
    lines = [f"{'phase':<11}{'rate Hz':>8}{'sent':>6}{'answered':>9}{'dropped':>8}{'out FPS':>8}"
             f"{'e2e p50':>9}{'e2e p95':>9}{'infer p50':>10}{'e2e-infer':>10}  (ms)"]
    for p in phases:
        infer = ("-", "-") if is_floor(p.name) else (f"{p.node_infer_p50_ms:.2f}",
                                                     f"{p.latency_p50_ms - p.node_infer_p50_ms:.2f}")
        lines.append(f"{p.name:<11}{p.rate_hz:>8.1f}{p.sent:>6}{p.answered:>9}{p.dropped:>8}{p.output_fps:>8.1f}"
                     f"{p.latency_p50_ms:>9.2f}{p.latency_p95_ms:>9.2f}{infer[0]:>10}{infer[1]:>10}")
    for p in phases:
        if p.node_stages_p50_ms:
            stages = ", ".join(f"{k} {v:.2f}" for k, v in p.node_stages_p50_ms.items())
            lines.append(f"{p.name} node stages (p50 ms): {stages}")
    by_name = {p.name: p for p in phases}
    answered_all = [p for p in phases if not is_floor(p.name) and p.name not in (OVERLOAD_PHASE, SLOW_PHASE)]
    overhead = min((p.latency_p50_ms - p.node_infer_p50_ms for p in answered_all), default=float("nan"))
    for p in phases:
        if is_floor(p.name):
            lines.append(f"{p.name}: the same frames at the same rate, block by block in turn with the detector, "
                         f"answered by a node that does nothing (header echo): DDS + rclpy round trip p50 "
                         f"{p.latency_p50_ms:.2f} ms, p95 {p.latency_p95_ms:.2f} ms")
        elif p.name == SLOW_PHASE:
            verdict = "under" if p.latency_p95_ms < 2 * p.node_infer_p50_ms else "NOT under"
            period_ms = 1e3 / p.rate_hz
            slower = (f"slower than the {period_ms:.0f} ms frame period" if p.node_infer_p50_ms > period_ms else
                      f"NOT slower than the {period_ms:.0f} ms frame period on this machine: the phase does not "
                      "test its case here")
            lines.append(f"{p.name}: 30 Hz input, inference {p.node_infer_p50_ms:.1f} ms ({slower}); p95 "
                         f"{p.latency_p95_ms:.1f} ms = {p.latency_p95_ms / p.node_infer_p50_ms:.2f} x "
                         f"inference ({verdict} 2x); {p.dropped} of {p.sent} frames dropped")
        elif p.name != OVERLOAD_PHASE:  # input slower than inference: every frame is meant to be answered
            around = p.latency_p50_ms - p.node_infer_p50_ms
            own = sum(v for k, v in p.node_stages_p50_ms.items() if k in DETECTOR_WORK_STAGES)
            line = (f"{p.name}: every frame answered; end-to-end minus inference p50 {around:.2f} ms; the detector's "
                    f"own work around inference by its stage clocks {own:.2f} ms")
            floor = by_name.get(p.name + FLOOR_SUFFIX)
            if floor is not None:
                line += (f"; a do-nothing node's round trip in the same turns {floor.latency_p50_ms:.2f} ms, "
                         f"{around - floor.latency_p50_ms:+.2f} ms from it")
            lines.append(line.replace("every frame answered", f"{p.dropped} of {p.sent} frames dropped")
                         if p.dropped else line)
        else:
            # Latest frame wins: a frame waits at most for the inference already running, then its own.
            # Both at their p95: overload also loads the CPU inference runs on.
            infer_p95 = p.node_infer_p50_ms if math.isnan(p.node_infer_p95_ms) else p.node_infer_p95_ms
            bound = 2 * infer_p95 + overhead
            verdict = "bounded" if p.latency_p95_ms < bound else "NOT bounded"
            lines.append(f"{p.name}: input faster than inference; p95 {p.latency_p95_ms:.1f} ms = "
                         f"{p.latency_p95_ms / p.node_infer_p50_ms:.2f} x inference, {verdict} by latest-frame-wins' "
                         f"limit of one inference in progress + its own + overhead ({bound:.1f} ms); "
                         f"{p.dropped} of {p.sent} frames dropped, none queued")
    return "\n".join(lines)


def detector_starter(model: Path, **node_parameters: object) -> Callable[[Path], subprocess.Popen[bytes]]:
    from yolo_nano_ros.harness.detector_process import start_detector

    return lambda log: start_detector(model, dict(os.environ), log, diagnostics_period=0.5, **node_parameters)


def echo_starter(log: Path) -> subprocess.Popen[bytes]:
    """nodes/header_echo.py in its own namespace, so it runs beside the detector without sharing topics."""
    from yolo_nano_ros.harness.detector_process import start_logged

    return start_logged([sys.executable, "-m", "yolo_nano_ros.nodes.header_echo", "--ros-args", "-r",
                         f"__ns:=/{FLOOR_NAMESPACE}"], dict(os.environ), log)


def bench_against(nodes: list[tuple[str, Callable[[Path], subprocess.Popen[bytes]]]], frames: list[RawFrame],
                  rate_hz: float, count: int, blocks: int = 1) -> list[PhaseResult]:
    """Start each (phase name, node) process, run the phase against all of them in turn, stop them.

    Fresh processes per phase, so the detector's diagnostics describe this phase alone.
    """
    from yolo_nano_ros.harness.detector_process import running_node
    from yolo_nano_ros.harness.session import answered_replay

    with tempfile.TemporaryDirectory() as tmp, ExitStack() as stack:
        replays: list[LiveReplay] = []
        for name, start in nodes:
            what = "echo node" if is_floor(name) else "detector"
            stack.enter_context(running_node(start, Path(tmp) / f"{name}.log", what))
            prefix = f"{FLOOR_NAMESPACE}/" if is_floor(name) else ""
            replays.append(stack.enter_context(answered_replay(
                frames[0], what, image_topic=prefix + "image", detections_topic=prefix + "detections",
                node_name=f"yolo_nano_bench_{len(replays)}")))  # one name per node, as ROS expects
        wait = 0.0 if all(is_floor(name) for name, _ in nodes) else 1.2
        return run_phases([name for name, _ in nodes], replays, frames, rate_hz, count, blocks, wait)


def bench_transport_floor(name: str, frames: list[RawFrame], rate_hz: float, count: int) -> PhaseResult:
    """The transport floor alone: what DDS and rclpy cost, with no detector."""
    return bench_against([(name, echo_starter)], frames, rate_hz, count)[0]


def run_node_bench(model: Path, images: list[Path], frames_per_phase: int, light_rate: float,
                   log: Callable[[str], None] = print) -> list[PhaseResult]:
    """Light load and 30 Hz (each beside the transport floor), overload and the slow-model 30 Hz case."""
    from yolo_nano_ros.harness.dds_environment import private_dds_domain

    with private_dds_domain():
        return bench_phases(model, images, frames_per_phase, light_rate, log)


def bench_phases(model: Path, images: list[Path], frames_per_phase: int, light_rate: float,
                 log: Callable[[str], None]) -> list[PhaseResult]:
    frames = rgb8_frames(images, 640, 480)
    log(f"detector: {model.name}; {len(frames)} real photos as 640x480 rgb8; {frames_per_phase} frames per "
        f"phase, fresh node processes per phase; detector and transport floor take turns in {BLOCKS} blocks")
    phases: list[PhaseResult] = []
    for rate in (light_rate, 30.0):
        name = f"{rate:g}Hz"
        phases += bench_against([(name, detector_starter(model)), (name + FLOOR_SUFFIX, echo_starter)], frames, rate,
                                frames_per_phase, BLOCKS)
    overload_rate = max(60.0, 2000.0 / phases[0].node_infer_p50_ms)  # at least twice what inference sustains
    phases += bench_against([(OVERLOAD_PHASE, detector_starter(model))], frames, overload_rate, frames_per_phase)
    # The target's literal case: 30 Hz input with inference slower than 33 ms. One ONNX Runtime thread at a
    # larger input size makes inference that slow here; on a Jetson or a small ARM board it simply is.
    from yolo_nano_ros.runtime.model_info import describe_onnx_file
    from yolo_nano_ros.runtime.output_layouts import OutputLayout

    if model.suffix != ".onnx" or describe_onnx_file(model).layout is not OutputLayout.YOLO_NANO:
        log(f"{SLOW_PHASE}: skipped (it re-sizes our own exports only)")
        return phases
    with tempfile.TemporaryDirectory() as tmp:
        size, slow = slow_model(model, Path(tmp), SLOW_TARGET_MS)
        log(f"{SLOW_PHASE}: ONNX Runtime, one thread, input {size}")
        phases += bench_against([(SLOW_PHASE, detector_starter(slow, backend="onnxruntime", cpu_threads=1))], frames,
                                30.0, frames_per_phase)
    return phases


SLOW_TARGET_MS = 40.0  # comfortably over the 33 ms period of 30 Hz
SLOW_SIZES = (416, 480, 512, 576, 640, 704, 768)


def slow_model(model: Path, folder: Path, target_ms: float) -> tuple[int, Path]:
    """The model at the smallest input size (of SLOW_SIZES) where one ONNX Runtime thread takes at least
    `target_ms` per frame on this machine (timed here, 5 runs after a warm-up), else the largest."""
    from yolo_nano_ros.runtime.backends.cpu_settings import CpuSettings
    from yolo_nano_ros.runtime.detector import Detector
    from yolo_nano_ros.runtime.model_info import save_at_input_size

    for size in SLOW_SIZES:
        path = save_at_input_size(model, size, folder / f"{model.stem}_{size}.onnx")
        detector = Detector.from_path(path, "onnxruntime", log=lambda _m: None,
                                      cpu=CpuSettings(threads=1, spin=False))
        batch, _ = detector.preprocess(np.zeros((480, 640, 3), np.uint8))  # the pixels do not change the time
        detector.backend.infer(batch)
        t0 = time.perf_counter()
        for _ in range(5):
            detector.backend.infer(batch)
        if (time.perf_counter() - t0) / 5 * 1e3 >= target_ms:
            return size, path
    return size, path  # the largest


# --cpu-cost: (backend, cpu_threads, cpu_spin) cases at 30 Hz; threads 0 = every core.
CPU_COST_CASES: tuple[tuple[str, int, bool], ...] = (
    ("openvino", 0, True), ("openvino", 0, False), ("openvino", 1, True), ("openvino", 1, False),
    ("onnxruntime", 0, True), ("onnxruntime", 0, False), ("onnxruntime", 1, True), ("onnxruntime", 1, False))


@dataclass
class CpuCost:
    backend: str
    threads: int
    spin: bool
    sent: int
    answered: int
    node_cpu_ms_per_frame: float  # the node process (all threads) per answered frame, psutil
    backend_cpu_ms_per_inference: float  # the backend alone, paced at the same rate, measured the same way
    latency_p50_ms: float
    latency_p95_ms: float
    infer_p50_ms: float

    @property
    def ratio(self) -> float:
        return self.node_cpu_ms_per_frame / self.backend_cpu_ms_per_inference


def run_cpu_cost(model: Path, images: list[Path], count: int, cases: tuple[tuple[str, int, bool], ...] = CPU_COST_CASES,
                 rate_hz: float = 30.0, log: Callable[[str], None] = print) -> list[CpuCost]:
    """Per case: a fresh node at `rate_hz` for `count` frames (its CPU from /proc via psutil), then the
    backend alone in its own process at the same pace (benchmarks/backend_cpu.py), one after the other."""
    from yolo_nano_ros.harness.session import detector_session

    rows = []
    frames = rgb8_frames(images, 640, 480)
    stream = (frames * -(-count // len(frames)))[:count]
    for backend, threads, spin in cases:
        log(f"{backend} threads={threads} spin={spin}: node at {rate_hz:g} Hz, then the backend alone ...")
        with tempfile.TemporaryDirectory() as tmp, detector_session(
                model, Path(tmp) / "node.log", frames[0], diagnostics_period=0.5, backend=backend,
                cpu_threads=threads, cpu_spin=spin) as session:
            time.sleep(1.0)  # start-up work (model load, first frames) stays out of the window
            before = process_cpu_s(session.process.pid)
            result = session.replay.play(stream, rate_hz, passes=1, settle_s=2.0)
            spent = process_cpu_s(session.process.pid) - before
            infer = float(result.detector_diagnostics.get("infer_ms_p50", "nan"))
        alone = subprocess.run([sys.executable, "-m", "yolo_nano_ros.benchmarks.backend_cpu", "--model", str(model),
                                "--backend", backend, "--threads", str(threads), "--spin", str(spin).lower(),
                                "--rate", str(rate_hz), "--count", str(count), *map(str, images)],
                               capture_output=True, text=True, check=True, stdin=subprocess.DEVNULL)
        backend_cpu = json.loads(alone.stdout.strip().splitlines()[-1])["cpu_ms_per_inference"]
        latency = result.latencies_ms()
        rows.append(CpuCost(backend, threads, spin, len(result.sent), len(result.received),
                            1e3 * spent / max(1, len(result.received)), backend_cpu,
                            percentile(latency, 50), percentile(latency, 95), infer))
    return rows


def cpu_cost_text(rows: list[CpuCost], rate_hz: float = 30.0) -> str:
    lines = ["| backend | threads | spin | node CPU ms/frame | backend CPU ms/inference | ratio | e2e p50 | e2e p95 "
             "| infer p50 | answered |", "|---|---:|---|---:|---:|---:|---:|---:|---:|---:|"]
    for r in rows:
        lines.append(f"| {r.backend} | {r.threads or 'all'} | {'on' if r.spin else 'off'} | "
                     f"{r.node_cpu_ms_per_frame:.1f} | {r.backend_cpu_ms_per_inference:.1f} | {r.ratio:.2f} | "
                     f"{r.latency_p50_ms:.1f} | {r.latency_p95_ms:.1f} | {r.infer_p50_ms:.1f} | "
                     f"{r.answered}/{r.sent} |")
    return "\n".join(lines) + f"\n\n{rate_hz:g} Hz 640x480 rgb8 input; ratio = node / backend (goal <= 1.2)."


@dataclass
class SoakBlock:
    frames: int  # answered so far
    rss_mb: float
    open_fds: int
    threads: int
    latency_p50_ms: float
    latency_p99_ms: float
    unanswered: int  # frames of this block resent after 5 s without an answer


def run_soak(model: Path, images: list[Path], total: int, block: int = 10_000,
             log: Callable[[str], None] = print) -> list[SoakBlock]:
    """`total` frames through one node as fast as it answers (the next frame goes out when the last one's
    answer is in); the node's RSS, open fds and threads (psutil) and latency per `block` frames."""
    import psutil

    from yolo_nano_ros.harness.session import detector_session

    rows: list[SoakBlock] = []
    frames = rgb8_frames(images, 640, 480)
    with tempfile.TemporaryDirectory() as tmp, detector_session(model, Path(tmp) / "node.log", frames[0],
                                                                diagnostics_period=0.5) as session:
        node = psutil.Process(session.process.pid)
        latencies: list[float] = []
        unanswered = 0
        for i in range(total):
            t0 = time.perf_counter()
            if not session.replay.wait_until_answering(frames[i % len(frames)], timeout=30.0, retry_s=5.0):
                raise NodeStartError(f"the node stopped answering after {i} frames")
            elapsed = (time.perf_counter() - t0) * 1e3
            unanswered += elapsed > 5000.0
            latencies.append(elapsed)
            if (i + 1) % block == 0 or i + 1 == total:
                rows.append(SoakBlock(i + 1, node.memory_info().rss / 2**20, node.num_fds(), node.num_threads(),
                                      percentile(latencies, 50), percentile(latencies, 99), unanswered))
                log(f"{i + 1} frames: RSS {rows[-1].rss_mb:.1f} MB, fds {rows[-1].open_fds}, threads "
                    f"{rows[-1].threads}, round trip p50 {rows[-1].latency_p50_ms:.2f} / p99 "
                    f"{rows[-1].latency_p99_ms:.2f} ms")
                latencies, unanswered = [], 0
    return rows


def soak_text(rows: list[SoakBlock]) -> str:
    lines = ["| frames | RSS MB | open fds | threads | round trip p50 ms | p99 ms | resent |",
             "|---:|---:|---:|---:|---:|---:|---:|"]
    lines += [f"| {r.frames} | {r.rss_mb:.1f} | {r.open_fds} | {r.threads} | {r.latency_p50_ms:.2f} | "
              f"{r.latency_p99_ms:.2f} | {r.unanswered} |" for r in rows]
    if len(rows) >= 2:
        first, last = rows[0], rows[-1]
        growth = 100 * (last.rss_mb - first.rss_mb) / first.rss_mb
        p99 = 100 * (last.latency_p99_ms - first.latency_p99_ms) / first.latency_p99_ms
        lines += ["", f"RSS after the first block {growth:+.2f} % (goal < 1 %); open fds {first.open_fds} -> "
                      f"{last.open_fds}, threads {first.threads} -> {last.threads} (goal: constant); p99 of the last "
                      f"block {p99:+.1f} % from the first (goal within 10 %)"]
    return "\n".join(lines)


@console_script("yolo-nano-node-bench")
def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="yolo-nano-node-bench", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--model", type=Path, default=None, help="model file (default: the shipped demo weights)")
    p.add_argument("--images", type=Path, default=None,
                   help="folder of photos to replay (default: data/samples/images)")
    p.add_argument("--frames", type=int, default=100, help="frames per phase (default 100)")
    p.add_argument("--light-rate", type=float, default=5.0, help="light-load rate in Hz (default 5)")
    p.add_argument("--json", type=Path, default=None, help="also write the results here")
    mode = p.add_mutually_exclusive_group()
    mode.add_argument("--cpu-cost", action="store_true",
                      help="instead: node CPU per answered frame vs the backend's own CPU per inference at 30 Hz, "
                           "for backends x threads x spin (--frames per case)")
    mode.add_argument("--soak", type=int, default=0, metavar="FRAMES",
                      help="instead: FRAMES frames through one node as fast as it answers; RSS, fds, threads and "
                           "latency per 10,000")
    mode.add_argument("--cameras", type=int, nargs="+", default=[], metavar="N",
                      help="instead: N cameras into one node with cameras=N vs N detector processes, for each N "
                           "given (e.g. --cameras 1 4; --frames per camera), at each --rates, for each --backends")
    p.add_argument("--backends", nargs="+", default=["auto"], help="--cameras: the detectors' backends, in turn "
                                                                   "(default auto; e.g. openvino onnxruntime)")
    p.add_argument("--rates", type=float, nargs="+", default=[30.0, 60.0],
                   help="--cameras: Hz per camera (default 30 and 60: free-running, and saturating 2 cores)")
    p.add_argument("--threads", type=int, default=1,
                   help="--cameras: kernel threads per process and per inference worker (default 1)")
    p.add_argument("--in-phase", action="store_true",
                   help="--cameras: every camera sends at the same instant (hardware-triggered), not spread")
    p.add_argument("--node-workers", type=int, default=0,
                   help="--cameras: the one node's inference workers (default 0: its own default, one per "
                        "camera up to the cores)")
    a = p.parse_args(argv)
    a.model = resolve_model(a.model)
    a.images = a.images or sample_images_dir() / "images"

    images = list_images(a.images, recursive=False)
    if not images:
        print(f"no images in {a.images}", file=sys.stderr)
        return 2
    def log(message: str) -> None:
        print(message, flush=True)

    if a.cameras:
        from yolo_nano_ros.apps.camera_bench import bench_cameras, cameras_table, verdicts

        results = []
        for backend in a.backends:
            for n in a.cameras:
                if n < 1:
                    raise YoloNanoError(f"--cameras: {n} is not a camera count (1 or more)")
                for rate in a.rates:
                    results += bench_cameras(a.model, images, n, a.frames, a.threads, backend, a.node_workers,
                                             a.in_phase, log=log, rate_hz=rate)
        print(cameras_table(results))
        print("\n".join(verdicts(results)))
        if a.json:
            a.json.write_text(json.dumps([asdict(r) | {"fps": r.fps, "cpu_ms_per_frame": r.cpu_ms_per_frame,
                                                       "p50_ms": r.latency(50), "p95_ms": r.latency(95)}
                                          for r in results], indent=2))
        return 0
    if a.cpu_cost or a.soak:
        rows: list[CpuCost] | list[SoakBlock] = []
        if a.cpu_cost:
            cost = run_cpu_cost(a.model, images, a.frames, log=log)
            rows, text = cost, cpu_cost_text(cost)
        else:
            soak = run_soak(a.model, images, a.soak, log=log)
            rows, text = soak, soak_text(soak)
        print(text)
        if a.json:
            a.json.write_text(json.dumps([asdict(r) for r in rows], indent=2))
        return 0
    phases = run_node_bench(a.model, images, a.frames, a.light_rate, log=log)
    print(to_text(phases))
    if a.json:
        a.json.write_text(json.dumps([asdict(ph) | {"dropped": ph.dropped} for ph in phases], indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
