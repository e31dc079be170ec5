"""The report's plots: matplotlib figures as SVG data URIs (vector, small, no fonts or files to fetch)."""

from __future__ import annotations

import base64
import io
from collections.abc import Sequence
from typing import Any

import numpy as np

from yolo_nano_ros.evaluation.metrics import DetectionMetrics


def _pyplot() -> Any:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def svg_uri(fig: Any) -> str:
    plt = _pyplot()
    buf = io.BytesIO()
    fig.savefig(buf, format="svg", metadata={"Date": None})  # no date: the same data gives the same bytes
    plt.close(fig)
    return "data:image/svg+xml;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def pr_curves(metrics: DetectionMetrics, columns: int = 4) -> str:
    """One small PR curve (IoU 0.5) per class with ground truth, its AP50 and best-F1 point marked."""
    plt = _pyplot()
    classes = sorted(metrics.per_class, key=lambda c: -c.ap50)
    rows = max(1, -(-len(classes) // columns))
    fig, axes = plt.subplots(rows, columns, figsize=(3.0 * columns, 2.6 * rows), squeeze=False)
    for ax in axes.flat:
        ax.set_visible(False)
    for ax, c in zip(axes.flat, classes, strict=False):
        ax.set_visible(True)
        if len(c.recall):
            ax.plot(c.recall, c.precision, linewidth=1.3)
            f1, _ = c.best_f1()
            k = int(np.argmax(2 * c.precision * c.recall / np.maximum(c.precision + c.recall, 1e-12)))
            ax.plot([c.recall[k]], [c.precision[k]], "o", markersize=4, label=f"best F1 {f1:.2f}")
            ax.legend(fontsize=7, loc="lower left")
        else:
            ax.text(0.5, 0.5, "no detections", ha="center", va="center", fontsize=9)
        ax.set(xlim=(0, 1), ylim=(0, 1.02), title=f"{c.name}  AP50 {c.ap50:.3f}")
        ax.title.set_fontsize(9)
        ax.tick_params(labelsize=7)
        ax.grid(alpha=0.3)
    fig.supxlabel("recall", fontsize=9)
    fig.supylabel("precision", fontsize=9)
    fig.tight_layout()
    return svg_uri(fig)


def confusion(matrix: np.ndarray, names: Sequence[str], conf: float) -> str:
    """Counts, rows detected and columns true, background last; each column normalised for the colours."""
    plt = _pyplot()
    labels = [*names, "background"]
    n = len(labels)
    size = max(4.0, 0.32 * n + 2)
    fig, ax = plt.subplots(figsize=(size + 1, size))
    totals = matrix.sum(0, keepdims=True)
    shown = np.divide(matrix, totals, out=np.zeros(matrix.shape, float), where=totals > 0)
    image = ax.imshow(shown, cmap="Blues", vmin=0, vmax=1)
    for r in range(n):
        for c in range(n):
            if matrix[r, c]:
                ax.text(c, r, str(matrix[r, c]), ha="center", va="center", fontsize=6,
                        color="white" if shown[r, c] > 0.5 else "black")
    ax.set_xticks(range(n), labels, rotation=90, fontsize=7)
    ax.set_yticks(range(n), labels, fontsize=7)
    ax.set(xlabel="true class", ylabel="detected class",
           title=f"confusion at score >= {conf:g}, IoU >= 0.5 (colour: share of the true class)")
    ax.title.set_fontsize(9)
    fig.colorbar(image, ax=ax, fraction=0.04)
    fig.tight_layout()
    return svg_uri(fig)


def latency(per_frame_ms: Sequence[float], dropped: Sequence[int], stage: str) -> str:
    """Latency per frame (dropped frames marked) and its histogram."""
    plt = _pyplot()
    values = np.asarray(per_frame_ms, float)
    fig, (ax_t, ax_h) = plt.subplots(1, 2, figsize=(11, 3.2), gridspec_kw={"width_ratios": [2.2, 1]})
    ax_t.plot(np.arange(len(values)), values, linewidth=0.8)
    if len(dropped):
        ax_t.plot(dropped, np.full(len(dropped), np.nanmax(values) if len(values) else 0), "x", color="tab:red",
                  markersize=4, label=f"no answer ({len(dropped)})")
        ax_t.legend(fontsize=8)
    ax_t.set(xlabel="frame", ylabel="ms", title=f"{stage} latency per frame")
    if len(values):
        ax_h.hist(values, bins=min(50, max(5, len(values) // 10)))
        for q in (50, 95):
            ax_h.axvline(np.percentile(values, q), color="tab:orange", linestyle="--", linewidth=1)
    ax_h.set(xlabel="ms", ylabel="frames", title="distribution (p50, p95 dashed)")
    for ax in (ax_t, ax_h):
        ax.grid(alpha=0.3)
        ax.title.set_fontsize(9)
    fig.tight_layout()
    return svg_uri(fig)


def power_modes(modes: Sequence[str], fps: Sequence[float], watts: Sequence[float | None],
                efficiency: Sequence[float | None]) -> str:
    plt = _pyplot()
    fig, axes = plt.subplots(1, 3, figsize=(11, 3.2))
    x = np.arange(len(modes))
    for ax, values, title in zip(axes, (fps, watts, efficiency), ("FPS", "mean power (W)", "images/s/W"),
                                 strict=True):
        ax.bar(x, [v if v is not None else 0.0 for v in values])
        ax.set_xticks(x, modes, rotation=30, fontsize=7)
        ax.set_title(title, fontsize=9)
        ax.grid(alpha=0.3, axis="y")
    fig.tight_layout()
    return svg_uri(fig)
