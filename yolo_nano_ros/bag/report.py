"""Score a detector on a rosbag: detections matched to ground truth by header stamp.

Offline (default): every image of the bag goes through the Detector in this process (any backend),
which gives accuracy and per-stage latency. Live (harness/live_eval.py): the bag is played over DDS into
a running detector node and what the node publishes is scored instead. Both end in the same
report: DIR/report.html, report.json, report.md, PR-curve and latency PNGs, and DIR/detections, a bag with
the images, the ground truth and our detections on /yolo_nano/detections for RViz or Foxglove.
"""

from __future__ import annotations

import json
from pathlib import Path

from yolo_nano_ros.bag.frames import BagError
from yolo_nano_ros.bag.ros_distro import DEFAULT_DISTRO, RosDistro
from yolo_nano_ros.bag.runs import BagRun
from yolo_nano_ros.bag.scoring import Scored
from yolo_nano_ros.bag.writer import write_detections_bag
from yolo_nano_ros.evaluation.metrics import DetectionMetrics
from yolo_nano_ros.evaluation.report import metrics_markdown, save_pr_curves
from yolo_nano_ros.runtime.latency import LatencyWindow


def latency_summary(run: BagRun) -> dict[str, dict[str, float]]:
    windows: dict[str, LatencyWindow] = {}
    for frame in run.frames:
        for stage, ms in frame.times_ms.items():
            windows.setdefault(stage, LatencyWindow(len(run.frames))).add(ms)
    return {stage: w.summary() for stage, w in windows.items()}


def save_latency_plot(run: BagRun, path: Path) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    stages = sorted({s for f in run.frames for s in f.times_ms}, key=lambda s: (s == "total", s))
    fig, (ax_t, ax_h) = plt.subplots(1, 2, figsize=(11, 4), dpi=110)
    for stage in stages:
        values = [f.times_ms[stage] for f in run.frames if stage in f.times_ms]
        ax_t.plot(values, label=stage, linewidth=1)
        ax_h.hist(values, bins=40, alpha=0.5, label=stage)
    ax_t.set(xlabel="frame", ylabel="ms", title=f"latency per frame ({run.mode})")
    ax_h.set(xlabel="ms", ylabel="frames", title="latency distribution")
    for ax in (ax_t, ax_h):
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path)
    plt.close(fig)
    return path


def build_report(run: BagRun, scored: Scored, bag: Path, model: str, backend: str) -> dict[str, object]:
    """fps and latency_ms describe the run at its own settings (the evaluation's low threshold)."""
    answered = sum(f.detections is not None for f in run.frames)
    return {**scored.metrics.to_dict(), "fps": run.fps, "latency_ms": latency_summary(run),
            "frames": len(run.frames), "frames_scored": scored.frames_scored, "frames_answered": answered,
            "skipped": dict(scored.skipped), "mode": run.mode, "bag": str(bag), "model": model, "backend": backend,
            **run.extra}


def report_markdown(report: dict[str, object], metrics: DetectionMetrics) -> str:
    lat = report["latency_ms"]
    assert isinstance(lat, dict)
    lines = [f"# Bag evaluation ({report['mode']})", "",
             f"bag `{report['bag']}`, model `{report['model']}`, backend `{report['backend']}`", "",
             f"frames {report['frames']}, answered {report['frames_answered']}, scored {report['frames_scored']}; "
             f"FPS {float(report['fps']):.1f}", ""]  # type: ignore[arg-type]  # a float in build_report
    skipped = report["skipped"]
    assert isinstance(skipped, dict)
    if skipped:
        lines += ["Skipped: " + ", ".join(f"{reason} × {n}" for reason, n in skipped.items()), ""]
    lines += ["| latency (ms) | p50 | p95 | p99 | mean |", "|---|---:|---:|---:|---:|"]
    for stage, s in lat.items():
        lines.append(f"| {stage} | {s['p50']:.2f} | {s['p95']:.2f} | {s['p99']:.2f} | {s['mean']:.2f} |")
    return "\n".join(lines) + "\n\n" + metrics_markdown(metrics) + "\n"


def save_html_report(report: dict[str, object], run: BagRun, scored: Scored, bag: Path, image_topic: str,
                     path: Path, has_truth: bool = True) -> Path:
    """report.html: the accuracy sections from the scored frames, the latency timeline and histogram with the
    frames that got no answer marked; thumbnails of the worst frames decoded from the bag."""
    from yolo_nano_ros.bag.frames import frames_as_rgb
    from yolo_nano_ros.evaluation.frame_errors import worst_frames
    from yolo_nano_ros.report.page import write_page
    from yolo_nano_ros.report.pages import WORST_FRAMES, bag_page

    worst = worst_frames(scored.gts, scored.preds, WORST_FRAMES) if has_truth else []
    images = frames_as_rgb(bag, image_topic, {scored.log_times_ns[i] for i, _, _ in worst})
    latency = report["latency_ms"]
    assert isinstance(latency, dict)
    stage = "total" if "total" in latency else next(iter(latency), "total")
    per_frame = [f.times_ms.get(stage, float("nan")) for f in run.frames]
    dropped = [i for i, f in enumerate(run.frames) if f.detections is None]
    identity = report.get("identity")
    start = scored.log_times_ns[0] if scored.log_times_ns else 0

    def frame_label(i: int) -> str:
        return f"scored frame {i + 1}, {(scored.log_times_ns[i] - start) * 1e-9:.2f} s into the bag"

    page = bag_page(report, scored.metrics if has_truth else None, scored.gts, scored.preds, run.class_names,
                    lambda i: images.get(scored.log_times_ns[i]), frame_label,
                    per_frame if any(f.times_ms for f in run.frames) else [], dropped, stage,
                    identity=identity if isinstance(identity, dict) else None)
    return write_page(page, path)


def save_report(run: BagRun, scored: Scored, bag: Path, out_dir: Path, model: str, backend: str,
                image_topic: str, gt_topic: str | None, detections_bag: bool = True,
                ros_distro: RosDistro = DEFAULT_DISTRO) -> dict[str, object]:
    out_dir.mkdir(parents=True, exist_ok=True)
    report = build_report(run, scored, bag, model, backend)
    (out_dir / "report.json").write_text(json.dumps(report, indent=2))
    (out_dir / "report.md").write_text(report_markdown(report, scored.metrics))
    save_pr_curves(scored.metrics, out_dir / "pr_curves.png")
    if any(f.times_ms for f in run.frames):
        save_latency_plot(run, out_dir / "latency.png")
    save_html_report(report, run, scored, bag, image_topic, out_dir / "report.html", has_truth=gt_topic is not None
                     or scored.frames_scored > 0)
    if detections_bag:
        target = out_dir / "detections"
        if target.exists():
            raise BagError(f"{target} exists; choose another --out or delete it")
        write_detections_bag(bag, target, run, image_topic, gt_topic, ros_distro=ros_distro)
    return report
