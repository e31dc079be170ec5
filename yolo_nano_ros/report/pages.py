"""The report pages of each evaluating command, from the numbers the command already computed:
`yolo-nano evaluate` (a dataset), `yolo-nano-eval` (a bag, offline or live), `yolo-nano-power-sweep`."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from yolo_nano_ros.evaluation.frame_errors import REPORT_CONF, confusion_matrix, match_frame, worst_frames
from yolo_nano_ros.evaluation.metrics import DetectionMetrics, GroundTruth, Predictions
from yolo_nano_ros.report import figures
from yolo_nano_ros.report.page import Cell, Metric, ReportPage, Row, Section, Table, Thumbnail, run_context
from yolo_nano_ros.report.thumbnails import thumbnail

WORST_FRAMES = 8


def accuracy_headline(m: DetectionMetrics) -> list[Metric]:
    return [Metric("map50_voc07", "mAP@0.5 VOC07 11-point", m.map50_voc07, f"{m.map50_voc07:.4f}"),
            Metric("map50", "mAP@0.5 all-point", m.map50, f"{m.map50:.4f}"),
            Metric("map50_95", "COCO mAP@[.5:.95]", m.map50_95, f"{m.map50_95:.4f}")]


def speed_headline(fps: float | None, latency: Mapping[str, float] | None, stage: str) -> list[Metric]:
    out = []
    if fps is not None:
        out.append(Metric("fps", "FPS", fps, f"{fps:.1f}"))
    if latency:
        out += [Metric(f"latency_ms.{stage}.p50", f"{stage} latency p50 (ms)", latency["p50"], f"{latency['p50']:.1f}"),
                Metric(f"latency_ms.{stage}.p95", f"{stage} latency p95 (ms)", latency["p95"], f"{latency['p95']:.1f}")]
    return out


def per_class_section(m: DetectionMetrics) -> Section:
    rows = []
    for c in sorted(m.per_class, key=lambda c: c.name):
        f1, threshold = c.best_f1()
        recall = float(c.recall[-1]) if len(c.recall) else 0.0
        rows.append(Row(c.name, [Cell(c.name), Cell(str(c.num_gt), "num_gt", c.num_gt),
                                 Cell(str(c.num_det), "num_det", c.num_det),
                                 Cell(f"{c.ap50_voc07:.3f}", "ap50_voc07", c.ap50_voc07),
                                 Cell(f"{c.ap50:.3f}", "ap50", c.ap50), Cell(f"{c.ap50_95:.3f}", "ap50_95", c.ap50_95),
                                 Cell(f"{recall:.3f}", "recall", recall), Cell(f"{f1:.3f}", "best_f1", f1),
                                 Cell(f"{threshold:.3f}" if f1 > 0 else "-", "best_f1_threshold", threshold)]))
    table = Table(["class", "GT boxes", "detections", "AP50 (VOC07)", "AP50 (all-point)", "AP@[.5:.95]", "recall",
                   "best F1", "at score"], rows)
    note = ("Classes with ground-truth boxes (the ones mAP averages over). Recall is the curve's last point, at the "
            "evaluation's lowest score; best F1 is where precision and recall balance best at IoU 0.5.")
    if not rows:
        note = "No class has ground-truth boxes here: nothing to score (mAP 0)."
    return Section("Per class", "per-class", note, table)


def detection_sections(m: DetectionMetrics, gts: Sequence[GroundTruth], preds: Sequence[Predictions],
                       class_names: Sequence[str], frame_image: Callable[[int], np.ndarray | None],
                       frame_label: Callable[[int], str]) -> list[Section]:
    """Per-class table, PR curves, confusion matrix and the worst frames (frame_image(i): RGB or None)."""
    sections = [per_class_section(m)]
    if m.per_class:
        sections.append(Section("Precision-recall curves", "pr-curves", "IoU 0.5, VOC matching; the dot is the "
                                "best-F1 point.", figures=[figures.pr_curves(m)]))
    matrix = confusion_matrix(list(gts), list(preds), len(class_names))
    sections.append(Section("Confusion matrix", "confusion", f"Detections at score >= {REPORT_CONF:g} matched one "
                            "to one to ground truth at IoU >= 0.5 across classes. The background row is ground truth "
                            "nothing found; the background column is detections of nothing.",
                            figures=[figures.confusion(matrix, class_names, REPORT_CONF)]))
    thumbs = []
    for index, missed, false in worst_frames(list(gts), list(preds), WORST_FRAMES):
        rgb = frame_image(index)
        if rgb is None:
            continue
        g, p = gts[index], preds[index]
        kept = match_frame(g, p).kept
        labels = [f"{class_names[int(p.labels[k])]} {p.scores[k]:.2f}" for k in kept]
        thumbs.append(Thumbnail(thumbnail(rgb, g.boxes, p.boxes[kept], labels),
                                f"{frame_label(index)}: {missed} missed, {false} false"))
    sections.append(Section("Worst frames", "worst-frames", f"The {WORST_FRAMES} frames with the most missed plus "
                            f"false boxes (score >= {REPORT_CONF:g}, IoU 0.5)." if thumbs else
                            "No frame has a missed or false box at this threshold.", thumbnails=thumbs))
    return sections


def dataset_page(m: DetectionMetrics, gts: Sequence[GroundTruth], preds: Sequence[Predictions],
                 class_names: Sequence[str], frame_image: Callable[[int], np.ndarray | None],
                 frame_label: Callable[[int], str], info: Mapping[str, Any], times_ms: Sequence[float]) -> ReportPage:
    """`yolo-nano evaluate`: `info` holds model, data, split, backend, precision, images (report.json's)."""
    latency = ({"p50": float(np.percentile(times_ms, 50)), "p95": float(np.percentile(times_ms, 95))}
               if len(times_ms) else None)
    fps = 1000.0 / float(np.mean(times_ms)) if len(times_ms) else None
    page = ReportPage(f"Detection accuracy: {info['data']} ({info['split']})",
                      [*accuracy_headline(m), *speed_headline(fps, latency, "detector")],
                      [("model", str(info["model"])), ("backend", f"{info['backend']} ({info['precision']})"),
                       ("dataset", f"{info['data']}, split {info['split']}, {info['images']} images"),
                       *run_context()])
    page.sections = detection_sections(m, gts, preds, class_names, frame_image, frame_label)
    if latency:
        page.sections.append(Section("Speed", "speed", "Pre-processing, inference and post-processing per image "
                                     "in this process (one image at a time).",
                                     figures=[figures.latency(list(times_ms), [], "detector")]))
    return page


def bag_page(report: Mapping[str, Any], m: DetectionMetrics | None, gts: Sequence[GroundTruth],
             preds: Sequence[Predictions], class_names: Sequence[str],
             frame_image: Callable[[int], np.ndarray | None], frame_label: Callable[[int], str],
             per_frame_ms: Sequence[float], dropped: Sequence[int], stage: str,
             identity: Mapping[str, Any] | None = None) -> ReportPage:
    """`yolo-nano-eval`: `report` is report.json's content; m None for a bag without ground truth."""
    latency = report.get("latency_ms", {}).get(stage)
    headline = [*(accuracy_headline(m) if m is not None else []), *speed_headline(report.get("fps"), latency, stage)]
    if identity:
        headline += [Metric("identity.idf1", "IDF1", identity["idf1"], f"{identity['idf1']:.3f}"),
                     Metric("identity.num_switches", "ID switches", identity["num_switches"],
                            str(identity["num_switches"]))]
    page = ReportPage(f"Bag evaluation ({report['mode']}): {report['bag']}", headline,
                      [("model", str(report["model"])), ("backend", str(report["backend"])),
                       ("bag", f"{report['bag']}: {report['frames']} frames, {report['frames_answered']} answered, "
                               f"{report.get('frames_scored', 0)} scored"), *run_context()])
    if m is not None:
        page.sections = detection_sections(m, gts, preds, class_names, frame_image, frame_label)
    else:
        page.sections = [Section("Accuracy", "accuracy", "This bag has no ground truth: speed only.")]
    if per_frame_ms:
        lat = report.get("latency_ms", {})
        rows = [Row(s, [Cell(s), *(Cell(f"{v[q]:.2f}", f"{s}.{q}", v[q]) for q in ("p50", "p95", "p99", "mean"))])
                for s, v in lat.items()]
        table = Table(["stage", "p50 ms", "p95 ms", "p99 ms", "mean ms"], rows)
        note = f"{len(dropped)} of {report['frames']} frames got no answer (marked)."
        page.sections.append(Section("Latency", "latency", note, table,
                                     figures=[figures.latency(per_frame_ms, dropped, stage)]))
    if identity:
        rows = [Row(k, [Cell(k), Cell(f"{v:.3f}" if isinstance(v, float) else str(v), k, v)])
                for k, v in identity.items()]
        page.sections.append(Section("Identities", "identity", "Tracker against the ground truth's identities "
                                     "(py-motmetrics, IoU 0.5).", Table(["metric", "value"], rows)))
    return page


def sweep_page(rows: Sequence[Mapping[str, Any]], info: Mapping[str, str]) -> ReportPage:
    """`yolo-nano-power-sweep`: one row per power mode (mode, fps, power_w, images_per_s_per_w, ...)."""
    best = max(rows, key=lambda r: r.get("images_per_s_per_w") or 0.0) if rows else None
    headline = []
    if best is not None and best.get("images_per_s_per_w"):
        headline = [Metric("best_mode", "most images/s/W", best["mode"], str(best["mode"])),
                    Metric("best_images_per_s_per_w", "images/s/W there", best["images_per_s_per_w"],
                           f"{best['images_per_s_per_w']:.2f}")]
    keys = [("fps", "FPS", "{:.1f}"), ("power_w", "mean W", "{:.2f}"), ("images_per_s_per_w", "images/s/W", "{:.2f}"),
            ("mj_per_frame", "mJ/frame", "{:.0f}")]

    def cell(row: Mapping[str, Any], key: str, fmt: str) -> Cell:
        value = row.get(key)
        return Cell("-", key, "") if value is None else Cell(fmt.format(value), key, value)

    table_rows = [Row(str(r["mode"]), [Cell(str(r["mode"])), *(cell(r, k, f) for k, _, f in keys)]) for r in rows]
    page = ReportPage("Power sweep", headline, [*info.items(), *run_context()])
    plots = [figures.power_modes([str(r["mode"]) for r in rows], [float(r.get("fps") or 0.0) for r in rows],
                                 [r.get("power_w") for r in rows], [r.get("images_per_s_per_w") for r in rows])]
    page.sections = [Section("Per power mode", "modes", "FPS and mean power over the same window, per mode.",
                             Table(["mode", *(label for _, label, _ in keys)], table_rows),
                             figures=plots if rows else [])]
    return page
