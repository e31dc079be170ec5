"""`yolo-nano-power-sweep --modes MODE_15W,MODE_30W_ALL`: the paper's FPS-per-power-budget experiment.

For each mode: switch (refused with the reason if it needs a reboot and --allow-reboot is not
given), replay real frames into the detector node over DDS for --warmup + --seconds, and measure
the node's output FPS and the board's mean total power over the same measured window (our own
mean, from jtop / tegrastats / the host source). The original mode is restored at the end, whatever
happened. Writes report.html (the page to look at), sweep.csv, sweep.md and sweep.png (FPS and
images/s/W per mode) to --out.
"""

from __future__ import annotations

import argparse
import csv
import os
import re
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from yolo_nano_ros.apps.console import console_script
from yolo_nano_ros.jetson.efficiency import Efficiency, EfficiencyWindow
from yolo_nano_ros.jetson.sources import SOURCES, StatsSource
from yolo_nano_ros.paths import resolve_model, sample_images_dir
from yolo_nano_ros.runtime.backend_select import BACKENDS


@dataclass
class SweepRow:
    mode: str
    mode_id: int | None
    nominal_w: float | None
    status: str  # "measured", or why not
    fps: float | None = None
    power_w: float | None = None
    images_per_s_per_w: float | None = None
    mj_per_frame: float | None = None
    frames: int = 0
    power_samples: int = 0
    jetson_clocks: str = "unknown"
    power_rule: str = ""


def nominal_watts(name: str) -> float | None:
    """The budget a mode's name states ('MODE_15W' -> 15), for the table; never used in the maths."""
    m = re.search(r"(\d+(?:\.\d+)?)W", name)
    return float(m[1]) if m else None


class PowerRecorder:
    """Polls a stats source on its own thread: (wall time, total mW) pairs."""

    def __init__(self, source: StatsSource, interval_s: float) -> None:
        self.source, self.interval_s = source, interval_s
        self.samples: list[tuple[float, float]] = []
        self.rule = ""
        self._stop = threading.Event()
        self._seen: float | None = None
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(self.interval_s):
            sample = self.source.latest()
            if sample is None or sample.power_total_mw is None or sample.time == self._seen:
                continue
            self._seen = sample.time
            self.rule = sample.power_total_rule
            self.samples.append((time.time(), sample.power_total_mw))

    def between(self, start: float, end: float) -> list[tuple[float, float]]:
        return [(t, mw) for t, mw in self.samples if start <= t <= end]

    def close(self) -> None:
        self._stop.set()
        self._thread.join(2.0)


def measure_mode(frames, rate_hz: float, warmup_s: float, seconds: float, recorder: PowerRecorder) -> Efficiency:
    """FPS, mean W and images/s/W over the window after the warm-up (the stats node's arithmetic)."""
    from yolo_nano_ros.harness.session import answered_replay

    total = max(1, int((warmup_s + seconds) * rate_hz))
    sequence = [frames[i % len(frames)] for i in range(total)]
    with answered_replay(sequence[0]) as replay:
        start = time.time()
        result = replay.play(sequence, rate_hz, passes=1, settle_s=1.0)
    window_start, window_end = start + warmup_s, start + warmup_s + seconds
    window = EfficiencyWindow(seconds)
    for arrival in sorted(a for _, a, _ in result.received if window_start <= a <= window_end):
        window.add_frame(arrival)
    for t, mw in recorder.between(window_start, window_end):
        window.add_power(t, mw)
    return window.compute(window_end)


def write_outputs(rows: list[SweepRow], out: Path, title: str) -> None:
    out.mkdir(parents=True, exist_ok=True)
    with (out / "sweep.csv").open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(asdict(rows[0])))
        writer.writeheader()
        writer.writerows(asdict(r) for r in rows)
    fmt = lambda v, d=2: "–" if v is None else f"{v:.{d}f}"  # noqa: E731
    lines = [f"# Power sweep: {title}", "",
             "| mode | ID | budget W | FPS | measured W | images/s/W | mJ/frame | jetson_clocks | status |",
             "|---|---:|---:|---:|---:|---:|---:|---|---|"]
    for r in rows:
        lines.append(f"| {r.mode} | {r.mode_id if r.mode_id is not None else '–'} | {fmt(r.nominal_w, 0)} | "
                     f"{fmt(r.fps, 1)} | {fmt(r.power_w)} | {fmt(r.images_per_s_per_w)} | {fmt(r.mj_per_frame, 0)} | "
                     f"{r.jetson_clocks} | {r.status} |")
    rules = sorted({r.power_rule for r in rows if r.power_rule})
    lines += ["", "images/s/W = FPS / mean measured total power over the same window. Total power: "
              + ("; ".join(rules) or "no power reading") + "."]
    (out / "sweep.md").write_text("\n".join(lines) + "\n")

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    measured = [r for r in rows if r.fps is not None]
    fig, ax_fps = plt.subplots(figsize=(7, 4), dpi=110)
    x = range(len(measured))
    ax_fps.bar([i - 0.2 for i in x], [r.fps or 0.0 for r in measured], width=0.4, label="FPS", color="tab:blue")
    ax_fps.set_ylabel("FPS")
    ax_eff = ax_fps.twinx()
    ax_eff.bar([i + 0.2 for i in x], [r.images_per_s_per_w or 0 for r in measured], width=0.4,
               label="images/s/W", color="tab:green")
    ax_eff.set_ylabel("images/s/W")
    ax_fps.set_xticks(list(x), [r.mode for r in measured])
    ax_fps.set_title(title)
    fig.legend(loc="upper left")
    fig.tight_layout()
    fig.savefig(out / "sweep.png")
    plt.close(fig)

    from yolo_nano_ros.report.page import write_page
    from yolo_nano_ros.report.pages import sweep_page

    rules = sorted({r.power_rule for r in rows if r.power_rule})
    write_page(sweep_page([asdict(r) for r in rows], {"sweep": title, "total power": "; ".join(rules) or
                                                      "no power reading"}), out / "report.html")


def run_sweep(args: argparse.Namespace) -> list[SweepRow]:
    from yolo_nano_ros.bag.frames import iter_raw_frames
    from yolo_nano_ros.harness.dds_environment import private_dds_domain
    from yolo_nano_ros.harness.detector_process import running_node, start_detector
    from yolo_nano_ros.jetson.power_modes import PowerMode, PowerModeControl, PowerModeError, clocks_label, resolve_mode
    from yolo_nano_ros.jetson.sources import open_source

    control = PowerModeControl(args.timeout)
    modes, _ = control.modes()
    original = control.current()
    wanted = [m.strip() for m in args.modes.split(",") if m.strip()]
    targets: list[tuple[str, PowerMode | PowerModeError]] = []
    for w in wanted:
        try:
            targets.append((w, resolve_mode(w, modes)))
        except PowerModeError as exc:
            targets.append((w, exc))
    frames = list(iter_raw_frames(args.bag, args.image_topic))
    source, reason = open_source(args.source, args.interval)
    print(f"stats source: {source.name} ({reason}); original mode {original.name} ({original.id})", flush=True)
    recorder = PowerRecorder(source, args.interval / 1000)
    rows: list[SweepRow] = []
    compressed = frames[0].msgtype.endswith("CompressedImage")

    def start(log: Path) -> subprocess.Popen[bytes]:
        # Called inside private_dds_domain below: os.environ then holds the private domain's settings.
        return start_detector(args.model, dict(os.environ), log, backend=args.backend, compressed=compressed)

    try:
        with (private_dds_domain(), tempfile.TemporaryDirectory() as tmp,
              running_node(start, Path(tmp) / "detector.log")):
            for label, target in targets:
                if isinstance(target, PowerModeError):
                    rows.append(SweepRow(label, None, nominal_watts(label), f"skipped: {target}"))
                    continue
                row = SweepRow(target.name, target.id, nominal_watts(target.name), "measured")
                try:
                    control.set_mode(target.id, args.allow_reboot)
                except PowerModeError as exc:
                    row.status = f"skipped: {exc}"
                    rows.append(row)
                    print(f"[{target.name}] {row.status}", flush=True)
                    continue
                row.jetson_clocks = clocks_label(control.clocks_pinned())
                print(f"[{target.name}] warm-up {args.warmup:g} s, measuring {args.seconds:g} s ...", flush=True)
                eff = measure_mode(frames, args.rate, args.warmup, args.seconds, recorder)
                row.fps, row.frames, row.power_samples = eff.fps, eff.frames, eff.power_samples
                row.power_w = eff.power_w
                row.images_per_s_per_w, row.mj_per_frame = eff.images_per_s_per_w, eff.mj_per_frame
                row.power_rule = recorder.rule
                if row.power_w is None:
                    row.status = "measured (no power reading from the source)"
                rows.append(row)
                print(f"[{target.name}] {row.fps:.1f} FPS, "
                      f"{'n/a' if row.power_w is None else f'{row.power_w:.2f} W'}", flush=True)
    finally:
        recorder.close()
        source.close()
        try:
            if control.current().id != original.id:
                control.set_mode(original.id, allow_reboot=False)
            print(f"restored power mode {original.name} ({original.id})", flush=True)
        except PowerModeError as exc:
            print(f"could not restore power mode {original.name} ({original.id}): {exc}", file=sys.stderr)
    return rows


def default_bag(out: Path) -> Path:
    """The demo's bag of real photos (built once from data/samples)."""
    from yolo_nano_ros.bag.writer import BagSettings, dataset_from_folder, write_bag

    bag = out / "sweep_bag"
    if not bag.exists():
        write_bag(dataset_from_folder("yolo", sample_images_dir(), "voc"), BagSettings(bag), progress=False)
    return bag


@console_script("yolo-nano-power-sweep")
def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="yolo-nano-power-sweep", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--modes", required=True, help="comma-separated mode names or IDs, e.g. MODE_15W,MODE_30W_ALL")
    p.add_argument("--bag", type=Path, default=None, help="frames to replay (default: the demo photos)")
    p.add_argument("--image-topic", default=None)
    p.add_argument("--model", type=Path, default=None, help="model file (default: the shipped demo weights)")
    p.add_argument("--backend", default="auto", choices=BACKENDS)
    p.add_argument("--rate", type=float, default=100.0, help="replay rate in Hz; above the model's FPS so it is "
                   "the bottleneck (default 100)")
    p.add_argument("--warmup", type=float, default=5.0, help="seconds after each switch before measuring")
    p.add_argument("--seconds", type=float, default=20.0, help="measured seconds per mode (default 20)")
    p.add_argument("--source", default="auto", choices=SOURCES)
    p.add_argument("--interval", type=int, default=250, help="power sampling interval in ms (default 250)")
    p.add_argument("--allow-reboot", action="store_true", help="allow a mode switch that reboots the board")
    p.add_argument("--timeout", type=float, default=10.0, help="timeout of each nvpmodel call")
    p.add_argument("--out", type=Path, default=Path("runs") / "power_sweep")
    args = p.parse_args(argv)
    args.model = resolve_model(args.model)
    args.out.mkdir(parents=True, exist_ok=True)
    args.bag = args.bag or default_bag(args.out)
    rows = run_sweep(args)
    write_outputs(rows, args.out, f"{args.model.name}, {args.seconds:g} s per mode")
    print((args.out / "sweep.md").read_text())
    print(f"report: {args.out / 'report.html'}")
    return 0 if any(r.fps is not None for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
