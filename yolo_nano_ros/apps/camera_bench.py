"""`yolo-nano-node-bench --cameras N`: one detector node for N cameras against N detector processes.

N cameras publish 640x480 rgb8 real photos at 30 Hz each (their phases spread evenly over the frame
period, as free-running cameras are), and at 60 Hz, more than a small machine answers (saturation), from
this process, to (a) one node with `cameras` = N names and (b) N separate detector processes, one per camera;
same model and backend. Threads: each of the N processes runs `--threads` kernel threads (the node default,
1); the one node runs its default inference workers (one per camera up to the usable cores, each with
`--threads` kernel threads; `--node-workers` to choose), so neither side has more threads than cores.
Both configurations are up for the whole run and take turns block by block, so a shared machine's load
drifts onto both alike. Per configuration: aggregate answered FPS, per-camera latency (publish to
answer, p50/p95), drops, the node processes' CPU time per answered frame (/proc, psutil) and their
memory (RSS summed, and PSS, which counts pages the processes share once).
"""

from __future__ import annotations

import tempfile
import threading
import time
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from yolo_nano_ros.harness.camera_frames import rgb8_frames
from yolo_nano_ros.harness.process_control import process_cpu_s
from yolo_nano_ros.pipeline.inference_workers import worker_count
from yolo_nano_ros.runtime.backends.cpu_settings import usable_cores
from yolo_nano_ros.runtime.latency import percentile

if TYPE_CHECKING:
    import subprocess

    from yolo_nano_ros.bag.frames import RawFrame
    from yolo_nano_ros.nodes.bag_replay import LiveReplay

RATES_HZ = (30.0, 60.0)  # free-running cameras, and more than a 2-core machine answers (saturation)
BLOCKS = 4
ONE_NODE, PROCESSES = "one node", "processes"
ONE_NODE_NAMESPACE = "one_node"  # the one node's cameras: /one_node/cam<i>/image
PROCESS_NAMESPACE = "proc"  # process i: /proc<i>/image


@dataclass
class CameraRow:
    sent: int = 0
    answered: int = 0
    latencies_ms: list[float] = field(default_factory=list)

    @property
    def dropped(self) -> int:
        return self.sent - self.answered


@dataclass
class ConfigResult:
    config: str  # ONE_NODE or PROCESSES
    cameras: int
    threads: int  # kernel threads per process (the one node: per worker x workers)
    seconds: float  # time the cameras were streaming to it
    per_camera: list[CameraRow]
    cpu_s: float  # its processes' CPU (user + system) while streaming
    rss_mb: float  # summed over its processes, at the end
    pss_mb: float
    batch_sizes: str = ""  # the one node's frames per inference call
    rate_hz: float = 30.0  # each camera's
    backend: str = ""

    @property
    def answered(self) -> int:
        return sum(c.answered for c in self.per_camera)

    @property
    def sent(self) -> int:
        return sum(c.sent for c in self.per_camera)

    @property
    def fps(self) -> float:
        return self.answered / self.seconds if self.seconds else 0.0

    @property
    def cpu_ms_per_frame(self) -> float:
        return 1e3 * self.cpu_s / self.answered if self.answered else float("nan")

    def latency(self, q: float) -> float:
        """The worst camera's q-th percentile: no camera may be worse off than this."""
        return max(percentile(c.latencies_ms, q) for c in self.per_camera)


def process_memory_mb(pids: list[int]) -> tuple[float, float]:
    import psutil

    infos = [psutil.Process(pid).memory_full_info() for pid in pids]
    return sum(i.rss for i in infos) / 2**20, sum(getattr(i, "pss", i.rss) for i in infos) / 2**20


def play_together(replays: list[LiveReplay], stream: list[RawFrame], in_phase: bool = False,
                  rate_hz: float = 30.0) -> tuple[list[CameraRow], float]:
    """Every replay streams `stream` at rate_hz at once, phases spread over one frame period (or all at
    the same instant: hardware-triggered cameras); (rows, the streaming time in seconds: answers still in
    flight arrive in the settle time after it)."""

    def play(i: int) -> None:
        delay = 0.0 if in_phase else i / (len(replays) * rate_hz)
        replays[i].play(stream, rate_hz, passes=1, settle_s=1.0, start_delay_s=delay)

    threads = [threading.Thread(target=play, args=(i,), daemon=True) for i in range(len(replays))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    rows = [CameraRow(len(r.result.sent), len(r.result.received), r.result.latencies_ms()) for r in replays]
    return rows, len(stream) / rate_hz


def merge(total: list[CameraRow], block: list[CameraRow]) -> None:
    for t, b in zip(total, block, strict=True):
        t.sent += b.sent
        t.answered += b.answered
        t.latencies_ms += b.latencies_ms


def bench_cameras(model: Path, images: list[Path], cameras: int, frames_per_camera: int, threads: int = 1,
                  backend: str = "auto", node_workers: int = 0, in_phase: bool = False,
                  log: Callable[[str], None] = print, rate_hz: float = 30.0) -> list[ConfigResult]:
    """The two configurations for `cameras` cameras, `frames_per_camera` frames each, in BLOCKS turns.
    node_workers: the one node's inference workers; 0 = its default (one per camera up to the usable cores).
    in_phase: every camera sends at the same instant (triggered together) instead of spread phases."""
    from yolo_nano_ros.harness.dds_environment import private_dds_domain
    from yolo_nano_ros.harness.detector_process import running_node, start_detector
    from yolo_nano_ros.harness.session import answered_replay

    frames = rgb8_frames(images, 640, 480)
    stream = (frames * -(-frames_per_camera // len(frames)))[:frames_per_camera]
    workers = worker_count(node_workers, cameras, usable_cores())  # what the node will run (a CPU backend)
    names = [f"cam{i}" for i in range(cameras)]
    with private_dds_domain() as env, tempfile.TemporaryDirectory() as tmp, ExitStack() as stack:

        def start(namespace: str, **params: object) -> Callable[[Path], subprocess.Popen[bytes]]:
            return lambda log_path: start_detector(model, env, log_path, namespace=namespace, backend=backend,
                                                   diagnostics_period=0.5, **params)

        one = stack.enter_context(running_node(start(ONE_NODE_NAMESPACE, cameras=names, cpu_threads=threads,
                                                     inference_workers=workers),
                                               Path(tmp) / "one_node.log", "one-node detector"))
        procs = [stack.enter_context(running_node(start(f"{PROCESS_NAMESPACE}{i}", cpu_threads=threads),
                                                  Path(tmp) / f"proc{i}.log", f"detector process {i}"))
                 for i in range(cameras)]
        replays = {ONE_NODE: [stack.enter_context(answered_replay(
                       frames[0], f"one-node detector ({c})", image_topic=f"/{ONE_NODE_NAMESPACE}/{c}/image",
                       detections_topic=f"/{ONE_NODE_NAMESPACE}/{c}/detections", node_name=f"bench_one_{c}"))
                       for c in names],
                   PROCESSES: [stack.enter_context(answered_replay(
                       frames[0], f"detector process {i}", image_topic=f"/{PROCESS_NAMESPACE}{i}/image",
                       detections_topic=f"/{PROCESS_NAMESPACE}{i}/detections", node_name=f"bench_proc_{i}"))
                       for i in range(cameras)]}
        pids = {ONE_NODE: [one.pid], PROCESSES: [p.pid for p in procs]}
        phase = "in phase" if in_phase else "phases spread"
        log(f"{backend}: {cameras} camera(s) x {frames_per_camera} frames at {rate_hz:g} Hz ({phase}): one node "
            f"({workers} worker(s) x {threads} thread(s)) and {cameras} process(es) ({threads} thread(s) each), "
            f"{BLOCKS} blocks in turn")
        time.sleep(1.0)  # start-up work stays out of the measured window
        totals = {c: [CameraRow() for _ in range(cameras)] for c in replays}
        seconds = dict.fromkeys(replays, 0.0)
        cpu = dict.fromkeys(replays, 0.0)
        size = -(-frames_per_camera // BLOCKS)
        for first in range(0, frames_per_camera, size):
            for config, config_replays in replays.items():
                before = sum(map(process_cpu_s, pids[config]))
                rows, elapsed = play_together(config_replays, stream[first:first + size], in_phase, rate_hz)
                cpu[config] += sum(map(process_cpu_s, pids[config])) - before
                merge(totals[config], rows)
                seconds[config] += elapsed
        time.sleep(1.2)  # the one node's next diagnostics cover every block
        diagnostics = replays[ONE_NODE][0].result.diagnostics_by_name
        batch_sizes = diagnostics.get(f"/{ONE_NODE_NAMESPACE}/yolo_nano_detector: detector", {}).get("batch_sizes", "")
        results = []
        for config in replays:
            rss, pss = process_memory_mb(pids[config])
            results.append(ConfigResult(config, cameras, workers * threads if config == ONE_NODE else threads,
                                        seconds[config], totals[config], cpu[config], rss, pss,
                                        batch_sizes if config == ONE_NODE else "", rate_hz, backend))
        return results


def cameras_table(results: list[ConfigResult]) -> str:
    lines = ["| backend | Hz per camera | cameras | configuration | threads | answered / sent | aggregate FPS | "
             "worst camera p50 ms | worst camera p95 ms | drops | CPU ms / answered frame | RSS MB | PSS MB | "
             "batch sizes (size:calls) |",
             "|---|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|"]
    for r in results:
        config = r.config if r.config == ONE_NODE else f"{r.cameras} process{'es' if r.cameras > 1 else ''}"
        lines.append(f"| {r.backend} | {r.rate_hz:g} | {r.cameras} | {config} | {r.threads} | {r.answered} / {r.sent} "
                     f"| {r.fps:.1f} | "
                     f"{r.latency(50):.1f} | {r.latency(95):.1f} | {sum(c.dropped for c in r.per_camera)} | "
                     f"{r.cpu_ms_per_frame:.1f} | {r.rss_mb:.0f} | {r.pss_mb:.0f} | {r.batch_sizes or '-'} |")
    return "\n".join(lines)


def pair(results: list[ConfigResult], backend: str, cameras: int, rate_hz: float
         ) -> tuple[ConfigResult, ConfigResult] | None:
    found = {r.config: r for r in results if (r.backend, r.cameras, r.rate_hz) == (backend, cameras, rate_hz)}
    return (found[ONE_NODE], found[PROCESSES]) if len(found) == 2 else None


def verdicts(results: list[ConfigResult]) -> list[str]:
    """Per backend, camera count and rate: one node against the processes, as ratios measured side by side;
    then the goals (issue 31) where the run has the cases they need."""
    out = []
    for backend, n, rate in sorted({(r.backend, r.cameras, r.rate_hz) for r in results}):
        found = pair(results, backend, n, rate)
        if found is None:
            continue
        one, procs = found
        out.append(f"{backend or 'auto'}, N={n} at {rate:g} Hz: one node answers "
                   f"{one.answered / max(1, procs.answered):.2f}x the frames of {n} process(es); worst-camera p95 "
                   f"{one.latency(95):.1f} vs {procs.latency(95):.1f} ms; CPU per answered frame "
                   f"{one.cpu_ms_per_frame:.1f} vs {procs.cpu_ms_per_frame:.1f} ms; RSS {one.rss_mb:.0f} vs "
                   f"{procs.rss_mb:.0f} MB (PSS {one.pss_mb:.0f} vs {procs.pss_mb:.0f} MB)")
    return out + goals(results)


def goals(results: list[ConfigResult]) -> list[str]:
    """At N = 4: frames at saturation >= 1.15x, CPU per answered frame at 30 Hz <= 0.85x, worst-camera p95 no
    worse, RSS <= 0.5x; at N = 1: the one node within 10 % of the process on frames and p95."""
    out = []

    def line(label: str, value: float, goal: str, met: bool) -> None:
        out.append(f"goal {label}: {value:.2f}x ({goal}): {'met' if met else 'NOT met'}")

    for backend in sorted({r.backend for r in results}):
        if (saturated := pair(results, backend, 4, 60.0)) is not None:
            one, procs = saturated
            line(f"{backend} N=4 60 Hz frames one node / processes", one.answered / max(1, procs.answered),
                 ">= 1.15x", one.answered >= 1.15 * procs.answered)
        if (steady := pair(results, backend, 4, 30.0)) is not None:
            one, procs = steady
            line(f"{backend} N=4 30 Hz CPU per answered frame", one.cpu_ms_per_frame / procs.cpu_ms_per_frame,
                 "<= 0.85x", one.cpu_ms_per_frame <= 0.85 * procs.cpu_ms_per_frame)
            line(f"{backend} N=4 30 Hz worst-camera p95", one.latency(95) / procs.latency(95), "<= 1x",
                 one.latency(95) <= procs.latency(95))
            line(f"{backend} N=4 RSS", one.rss_mb / procs.rss_mb, "<= 0.5x", one.rss_mb <= 0.5 * procs.rss_mb)
        if (single := pair(results, backend, 1, 30.0)) is not None:
            one, procs = single
            frames, p95 = one.answered / max(1, procs.answered), one.latency(95) / procs.latency(95)
            met = frames >= 0.9 and p95 <= 1.1
            out.append(f"goal {backend} N=1 30 Hz unchanged (one node / one process): frames {frames:.2f}x, p95 "
                       f"{p95:.2f}x (frames >= 0.9x, p95 <= 1.1x): {'met' if met else 'NOT met'}")
    return out
