"""`yolo-nano-eval BAG`: mAP, FPS and latency of a detector on a rosbag (sqlite3 or mcap).

  yolo-nano-eval BAG --model M                  frames through the detector here (any backend)
  yolo-nano-eval BAG --model M --live           played over DDS into a real detector node
  yolo-nano-eval BAG --detections-topic T       score detections already recorded in the bag

Ground truth: /ground_truth/detections (what `yolo-nano-bag make` writes), another --gt-topic, or
--gt KIND:DIR (a voc/coco/yolo dataset folder, matched to the frames by order).
Writes DIR/report.json, report.md, pr_curves.png, latency.png and DIR/detections (a bag with the
images, the ground truth and our detections on /yolo_nano/detections).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from yolo_nano_ros.apps.bag_cli import distro_argument
from yolo_nano_ros.apps.console import console_script
from yolo_nano_ros.apps.model_options import add_model_options, model_overrides
from yolo_nano_ros.bag.frames import BagError
from yolo_nano_ros.bag.ros_distro import parse_distro
from yolo_nano_ros.runtime.backend_select import BACKENDS

if TYPE_CHECKING:
    from yolo_nano_ros.runtime.detector import Detector


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="yolo-nano-eval", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("bag", type=Path)
    p.add_argument("--model", type=Path, default=None, help=".onnx, .engine or .pt (not needed with "
                   "--detections-topic, where it only supplies class names)")
    p.add_argument("--backend", default="auto", choices=BACKENDS)
    p.add_argument("--precision", default="fp32",
                   help="fp32 (default: accuracy at full precision), fp16, bf16 (TensorRT / OpenVINO)")
    add_model_options(p)
    p.add_argument("--image-topic", default=None, help="default: the bag's only (or first) image topic")
    gt = p.add_mutually_exclusive_group()
    gt.add_argument("--gt-topic", default=None, help="ground truth Detection2DArray topic "
                    "(default /ground_truth/detections)")
    gt.add_argument("--gt", default=None, metavar="KIND:DIR",
                    help="annotations instead of a topic, e.g. yolo:data/samples")
    p.add_argument("--classes", default="voc", help="class set for --gt annotations: voc or coco (default voc)")
    p.add_argument("--detections-topic", default=None, help="score this recorded Detection2DArray topic; "
                   "no model is run")
    p.add_argument("--live", action="store_true", help="play the bag into a detector node over DDS")
    p.add_argument("--rate", type=float, default=None, help="--live playback rate in Hz (default: as recorded)")
    p.add_argument("--conf", type=float, default=0.001, help="score threshold (default 0.001: the whole PR curve)")
    p.add_argument("--nms", type=float, default=0.5, help="NMS IoU threshold (default 0.5)")
    p.add_argument("--out", type=Path, default=None, help="report folder (default runs/eval_<bag name>)")
    p.add_argument("--no-detections-bag", action="store_true", help="do not write DIR/detections")
    distro_argument(p)
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    return p.parse_args(argv)


def class_names_for(args: argparse.Namespace) -> tuple[tuple[str, ...], Detector | None]:
    """(class names, Detector or None) for the chosen mode."""
    if args.model is None:
        if args.detections_topic is None:
            raise BagError("--model is required (or --detections-topic to score recorded detections)")
        from yolo_nano_ros.data.class_names import COCO_CLASSES
        from yolo_nano_ros.model.config import VOC_CLASSES

        return tuple(VOC_CLASSES if args.classes == "voc" else COCO_CLASSES), None
    from yolo_nano_ros.runtime.detector import Detector
    from yolo_nano_ros.runtime.postprocess import PostprocessSettings

    # The evaluation convention of evaluation/dataset_eval.py: low threshold, one detection per class per box.
    settings = PostprocessSettings(conf_threshold=args.conf, iou_threshold=args.nms, max_detections=100,
                                   multi_label=True)
    detector = Detector.from_path(args.model, args.backend, settings, log=lambda m: print(m, file=sys.stderr),
                                  precision=args.precision, overrides=model_overrides(args))
    return detector.class_names, detector


def run(args: argparse.Namespace) -> int:
    from yolo_nano_ros.bag import report as bag_report
    from yolo_nano_ros.bag import runs, scoring

    out = args.out or Path("runs") / f"eval_{args.bag.resolve().name}"
    if not args.no_detections_bag and (out / "detections").exists():
        raise BagError(f"{out / 'detections'} exists; choose another --out or delete it")
    image_topic, gt_topic = runs.check_bag(args.bag, args.image_topic, args.gt_topic)
    if args.gt:
        kind, _, folder = args.gt.partition(":")
        if kind not in ("voc", "coco", "yolo") or not folder:
            raise BagError(f"--gt takes KIND:DIR with KIND voc, coco or yolo, got {args.gt!r}")
        from yolo_nano_ros.bag.writer import dataset_from_folder

        truth = scoring.ground_truth_from_dataset(args.bag, image_topic,
                                                   dataset_from_folder(kind, Path(folder), args.classes))
        gt_topic = None
    elif gt_topic is None:  # a camera bag as recorded: speed only (--gt-topic or --gt KIND:DIR for accuracy)
        print(f"{args.bag} has no /ground_truth/detections (and no --gt-topic or --gt): speed only", file=sys.stderr)
        truth = {}
    else:
        from yolo_nano_ros.bag.frames import ground_truth_by_stamp

        truth = ground_truth_by_stamp(args.bag, gt_topic)
    class_names, detector = class_names_for(args)
    if args.detections_topic:
        result = runs.run_recorded(args.bag, args.detections_topic, class_names, image_topic)
        backend = f"recorded {args.detections_topic}"
    elif args.live:
        from yolo_nano_ros.harness.live_eval import run_live

        result = run_live(args.bag, args.model, image_topic, class_names, args.rate, args.backend, args.conf)
        backend = f"live node ({args.backend})"
    else:
        assert detector is not None  # class_names_for returns one whenever --model is given
        result = runs.run_offline(args.bag, detector, image_topic, progress=not args.quiet)
        backend = detector.backend.name
    scored = scoring.score(result, truth)
    report = bag_report.save_report(result, scored, args.bag, out, str(args.model or ""), backend, image_topic,
                                      gt_topic, detections_bag=not args.no_detections_bag and not args.detections_topic,
                                      ros_distro=parse_distro(args.ros_distro))
    m = scored.metrics
    print(f"{report['frames']} frames ({report['frames_answered']} answered, {report['frames_scored']} scored) "
          f"from {args.bag} [{result.mode}, {backend}]")
    if scored.frames_scored:
        print(f"mAP@0.5 VOC07 {m.map50_voc07:.4f} · all-point {m.map50:.4f} · COCO mAP@[.5:.95] {m.map50_95:.4f}")
    latency = report["latency_ms"]
    assert isinstance(latency, dict)
    stage = "total" if "total" in latency else next(iter(latency), None)
    if stage:
        s = latency[stage]
        print(f"FPS {result.fps:.1f}; {stage} latency p50 {s['p50']:.1f} ms, p95 {s['p95']:.1f} ms, "
              f"p99 {s['p99']:.1f} ms")
    if scored.skipped:
        print("skipped: " + ", ".join(f"{reason} × {n}" for reason, n in scored.skipped.items()))
    print(f"report: {out / 'report.html'} (and report.md, report.json)")
    return 0


@console_script("yolo-nano-eval")
def main(argv: list[str] | None = None) -> int:
    return run(parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
