"""Human-readable outputs of an evaluation: Markdown table, JSON, PR-curve PNG."""

from __future__ import annotations

import json
from pathlib import Path

from yolo_nano_ros.evaluation.metrics import DetectionMetrics


def metrics_markdown(m: DetectionMetrics, title: str = "Detection accuracy") -> str:
    lines = [f"## {title}", "",
             f"mAP@0.5 VOC07 11-point **{m.map50_voc07:.4f}** · all-point **{m.map50:.4f}** · "
             f"COCO mAP@[.5:.95] **{m.map50_95:.4f}**", "",
             "| class | GT | detections | AP50 (VOC07) | AP50 (all-point) | AP@[.5:.95] | recall |",
             "|---|---:|---:|---:|---:|---:|---:|"]
    for c in m.per_class:
        recall = c.recall[-1] if len(c.recall) else 0.0
        lines.append(f"| {c.name} | {c.num_gt} | {c.num_det} | {c.ap50_voc07:.3f} | {c.ap50:.3f} | "
                     f"{c.ap50_95:.3f} | {recall:.3f} |")
    return "\n".join(lines)


def save_pr_curves(m: DetectionMetrics, path: Path) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 5), dpi=110)
    for c in sorted(m.per_class, key=lambda c: -c.ap50):
        if len(c.recall):
            ax.plot(c.recall, c.precision, label=f"{c.name} {c.ap50:.2f}", linewidth=1.2)
    ax.set(xlabel="recall", ylabel="precision", xlim=(0, 1), ylim=(0, 1.02),
           title=f"PR curves at IoU 0.5 (mAP@0.5 {m.map50:.3f})")
    ax.grid(alpha=0.3)
    if ax.get_legend_handles_labels()[0]:
        ax.legend(fontsize=7, loc="lower left", ncol=2)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path)
    plt.close(fig)
    return path


def save_metrics(m: DetectionMetrics, out_dir: Path, extra: dict[str, object] | None = None) -> None:
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "report.json").write_text(json.dumps({**m.to_dict(), **(extra or {})}, indent=2))
    (out_dir / "report.md").write_text(metrics_markdown(m) + "\n")
    save_pr_curves(m, out_dir / "pr_curves.png")
