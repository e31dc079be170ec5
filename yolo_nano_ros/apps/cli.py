"""`yolo-nano <command>`: one entry point, each command a thin wrapper over a library function.

Imports happen inside each command so `detect` on a robot never loads torch.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from yolo_nano_ros.apps import track_eval_cli, ultralytics_bench_cli
from yolo_nano_ros.apps.console import console_script
from yolo_nano_ros.apps.model_options import add_model_options, model_overrides
from yolo_nano_ros.errors import YoloNanoError
from yolo_nano_ros.paths import resolve_model
from yolo_nano_ros.runtime.backend_select import BACKENDS  # names only: numpy, no torch or runtimes
from yolo_nano_ros.runtime.quantize import METHODS as QUANTIZE_METHODS


def model_config_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--input-size", type=int, default=416, help="multiple of 32 (default 416)")
    p.add_argument("--num-classes", type=int, default=20, help="default 20 (VOC)")
    p.add_argument("--expansion", type=float, default=1.0, help="EP/PEP expansion factor (default 1)")
    p.add_argument("--channel-multiple", type=int, default=1, help="round widths up to this multiple")


def config_from_args(args: argparse.Namespace):  # -> YoloNanoConfig
    from yolo_nano_ros.model.config import VOC_CLASSES, YoloNanoConfig

    names = VOC_CLASSES if args.num_classes == 20 else tuple(f"class{i}" for i in range(args.num_classes))
    return YoloNanoConfig(num_classes=args.num_classes, class_names=names, input_size=args.input_size,
                          expansion=args.expansion, channel_multiple=args.channel_multiple)


def cmd_info(args: argparse.Namespace) -> int:
    from yolo_nano_ros.model.info import print_info

    print_info(config_from_args(args), args.json)
    return 0


def cmd_train(args: argparse.Namespace) -> int:
    from yolo_nano_ros.training.trainer import TrainSettings, train

    settings = TrainSettings(
        data=Path(args.data), out=Path(args.out), epochs=args.epochs, batch_size=args.batch_size,
        input_size=args.input_size, lr=args.lr, device=args.device, workers=args.workers,
        resume=args.resume, expansion=args.expansion, mosaic=args.mosaic, seed=args.seed,
        eval_every=args.eval_every, augment=not args.no_augment, weights=args.weights,
        warmup_epochs=args.warmup_epochs, sync_bn=args.sync_bn, freeze_bn=args.freeze_bn,
        ddp_timeout_s=args.ddp_timeout,
    )
    result = train(settings)
    if result.is_main:
        print(f"best checkpoint: {result.best_checkpoint} (mAP@0.5 {result.best_map50:.3f})")
    return 0


def cmd_anchors(args: argparse.Namespace) -> int:
    from yolo_nano_ros.training.anchors import anchors_for_dataset

    anchors, fitness = anchors_for_dataset(Path(args.data), args.input_size, seed=args.seed)
    flat = ", ".join(f"{w:.0f},{h:.0f}" for level in anchors for w, h in level)
    print(f"anchors @{args.input_size} (small -> large): {flat}")
    print(f"mean best-anchor IoU: {fitness:.3f}")
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    if Path(args.checkpoint).suffix == ".onnx":  # an exported model: only the batch axis can change
        from yolo_nano_ros.runtime.model_info import save_with_batch

        if not args.dynamic_batch:
            raise YoloNanoError(f"{args.checkpoint} is already ONNX; re-exporting it needs --dynamic-batch")
        print(f"wrote {save_with_batch(Path(args.checkpoint), Path(args.out))} (batch axis: dynamic)")
        return 0
    from yolo_nano_ros.model.export import export_onnx

    out = export_onnx(Path(args.checkpoint), Path(args.out), opset=args.opset,
                      dynamic_batch=args.dynamic_batch, uint8_input=args.uint8_input)
    print(f"wrote {out}")
    return 0


def cmd_evaluate(args: argparse.Namespace) -> int:
    from yolo_nano_ros.evaluation.dataset_eval import evaluate_checkpoint_or_model

    report = evaluate_checkpoint_or_model(Path(args.model), Path(args.data), split=args.split,
                                          out_dir=Path(args.out) if args.out else None,
                                          conf_threshold=args.conf, backend=args.backend,
                                          precision=args.precision, overrides=model_overrides(args))
    print(report.to_markdown())
    if args.out and report.run is not None and report.dataset is not None and report.info is not None:
        from yolo_nano_ros.data.images import read_rgb
        from yolo_nano_ros.report.page import write_page
        from yolo_nano_ros.report.pages import dataset_page

        samples = report.dataset.samples
        page = dataset_page(report.metrics, report.run.gts, report.run.preds, report.dataset.names,
                            lambda i: read_rgb(samples[i]), lambda i: samples[i].image_path.name, report.info,
                            report.run.times_ms)
        print(f"\nreport: {write_page(page, Path(args.out) / 'report.html')}")
    return 0


def postprocess_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--model", default="", help=".onnx, .engine or .pt (default: the shipped demo weights, "
                                              "as the node and the launch file)")
    p.add_argument("--backend", default="auto", choices=BACKENDS)
    p.add_argument("--precision", default="fp16", help="TensorRT engine / OpenVINO precision (default fp16)")
    p.add_argument("--conf", type=float, default=0.25, help="score threshold (default 0.25)")
    p.add_argument("--nms", type=float, default=0.45, help="NMS IoU threshold (default 0.45)")
    add_model_options(p)


def detector_from_args(args: argparse.Namespace):  # -> Detector
    from yolo_nano_ros.paths import resolve_model
    from yolo_nano_ros.runtime.detector import Detector
    from yolo_nano_ros.runtime.postprocess import PostprocessSettings

    settings = PostprocessSettings(conf_threshold=args.conf, iou_threshold=args.nms)
    model = resolve_model(args.model)
    detector = Detector.from_path(model, args.backend, settings, log=lambda m: print(m, file=sys.stderr),
                                  precision=args.precision, overrides=model_overrides(args))
    print(f"backend: {detector.backend.name} ({detector.selection_reason}); model: {model}", file=sys.stderr)
    return detector


def cmd_detect(args: argparse.Namespace) -> int:
    import json

    import cv2

    from yolo_nano_ros.runtime.annotate import draw_detections
    from yolo_nano_ros.runtime.media import iter_frames

    detector = detector_from_args(args)
    save = Path(args.save) if args.save else None
    if save:
        save.mkdir(parents=True, exist_ok=True)
    failures = 0
    for name, frame in iter_frames([Path(p) for p in args.paths]):
        if frame is None:
            print(f"cannot read {name}: skipped", file=sys.stderr)
            failures += 1
            continue
        result = detector.detect(frame)
        if args.json:
            print(json.dumps({"image": name, "detections": [d.to_json() for d in result.as_list()]}), flush=True)
        else:
            found = ", ".join(f"{d.class_name} {d.score:.2f}" for d in result.as_list()) or "nothing"
            print(f"{name}: {found} ({result.times.total_ms:.1f} ms)")
        if save:
            out = draw_detections(frame, result.detections, detector.class_names)
            stem = Path(name.replace("#", "_")).stem
            cv2.imwrite(str(save / f"{stem}.jpg"), cv2.cvtColor(out, cv2.COLOR_RGB2BGR))
    return 1 if failures else 0


def cmd_bench(args: argparse.Namespace) -> int:
    import cv2

    from yolo_nano_ros.runtime.bench import bench_detector

    detector = detector_from_args(args)
    bgr = cv2.imread(args.image) if args.image else None
    frame = cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB) if bgr is not None else \
        np_random_frame(args.height, args.width)
    print(bench_detector(detector, frame, args.runs).to_text())
    return 0


def cmd_bench_batch(args: argparse.Namespace) -> int:
    from yolo_nano_ros.benchmarks.batch_speed import batch_table, bench_batch
    from yolo_nano_ros.paths import sample_images_dir
    from yolo_nano_ros.runtime.media import expand_paths

    images = expand_paths([Path(p) for p in args.images] or [sample_images_dir() / "images"])
    if not images:
        raise YoloNanoError(f"no images under {' '.join(args.images)}")
    rows = bench_batch(resolve_model(args.model), images, args.backends, args.threads, args.batch, args.rounds)
    print(batch_table(rows))
    return 0


def cmd_bench_stages(args: argparse.Namespace) -> int:
    import json

    from yolo_nano_ros.runtime.media import expand_paths
    from yolo_nano_ros.runtime.postprocess import PostprocessSettings
    from yolo_nano_ros.runtime.stage_bench import bench_stages, load_frames

    paths = expand_paths([Path(p) for p in args.images])
    if not paths:
        print(f"no images under {' '.join(args.images)}", file=sys.stderr)
        return 2
    frames = load_frames(paths, args.width, args.height)
    report = bench_stages(resolve_model(args.model), frames, args.input_size, args.runs,
                          PostprocessSettings(conf_threshold=args.conf, iou_threshold=args.nms), args.threads)
    print(json.dumps(report.to_json(), indent=2) if args.json else report.to_text())
    return 0


def cmd_bench_arch(args: argparse.Namespace) -> int:
    from yolo_nano_ros.benchmarks.arch_table import print_arch
    from yolo_nano_ros.model.zoo import DEFAULT_BENCH

    print_arch(args.json, tuple(args.networks) if args.networks else DEFAULT_BENCH)
    return 0


def cmd_bench_speed(args: argparse.Namespace) -> int:
    import json

    from yolo_nano_ros.benchmarks.speed import SPEED_NETWORKS, SpeedSettings, bench_speed, format_speed

    cases = tuple(tuple(c.split(":", 1)) for c in args.cases) if args.cases else None
    if cases and any(len(c) != 2 for c in cases):
        print("--cases take BACKEND:PRECISION, e.g. onnxruntime:fp32", file=sys.stderr)
        return 2
    settings = SpeedSettings(networks=tuple(args.networks) if args.networks else SPEED_NETWORKS,
                             cases=cases, rounds=args.rounds, block=args.block, threads=args.threads,
                             images=Path(args.images), cache_dir=Path(args.cache_dir))
    report = bench_speed(settings, log=lambda m: print(m, file=sys.stderr))
    print(json.dumps(report, indent=2) if args.json else format_speed(report))
    return 0


def cmd_bench_layers(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from yolo_nano_ros.benchmarks.layer_profile import LAYER_NETWORKS, format_profiles, profile_network
    from yolo_nano_ros.runtime.backends.registry import openvino_unavailable_reason

    why_not = openvino_unavailable_reason()
    if why_not:
        raise YoloNanoError(f"bench layers reads OpenVINO's per-layer counters: {why_not}")
    profiles = [profile_network(n, args.precision, args.runs, args.threads)
                for n in tqdm(args.networks or LAYER_NETWORKS, desc="profile", unit="net", leave=False)]
    print(format_profiles(profiles, args.top))
    return 0


def cmd_bench_accuracy(args: argparse.Namespace) -> int:
    import json

    from yolo_nano_ros.benchmarks.precision_accuracy import AccuracySettings, bench_accuracy, format_accuracy

    settings = AccuracySettings(resolve_model(args.model), Path(args.data), args.split, Path(args.calib_images),
                                Path(args.work_dir))
    report = bench_accuracy(settings, log=lambda m: print(m, file=sys.stderr))
    print(json.dumps(report, indent=2) if args.json else format_accuracy(report))
    return 0


def cmd_bench_training(args: argparse.Namespace) -> int:
    from yolo_nano_ros.benchmarks.machine import describe, machine_info
    from yolo_nano_ros.benchmarks.train_speed import TrainSpeedSettings, format_train_speed, train_speed

    settings = TrainSpeedSettings(Path(args.data), args.device, args.ranks, args.input_size, args.batch_per_rank,
                                  args.epochs, args.workers)
    rows = train_speed(settings, log=lambda m: print(m, file=sys.stderr))
    print(format_train_speed(rows, describe(machine_info())))
    return 0


def cmd_bench_all(args: argparse.Namespace) -> int:
    from yolo_nano_ros.apps.bench_report import run_all

    out = run_all(Path(args.out), quick=args.quick, log=lambda m: print(m, file=sys.stderr))
    print(f"wrote {out}")
    return 0


def np_random_frame(h: int, w: int):
    import numpy as np

    return np.random.default_rng(0).integers(0, 255, (h, w, 3), dtype=np.uint8)


def cmd_quantize(args: argparse.Namespace) -> int:
    from yolo_nano_ros.runtime.quantize import QuantizeSettings, default_output, quantize_model

    model = Path(args.model)
    out = Path(args.out) if args.out else default_output(model, args.method)
    quantize_model(QuantizeSettings(model, out, Path(args.calib_images), args.method, args.calib_limit,
                                    model_overrides(args)), log=lambda m: print(m, file=sys.stderr))
    return 0


def cmd_build_engine(args: argparse.Namespace) -> int:
    from yolo_nano_ros.runtime.backends.tensorrt.engine_builder import BuildSettings, build_engine
    from yolo_nano_ros.runtime.backends.tensorrt.engine_cache import Precision

    onnx = Path(args.onnx)
    precision = Precision.INT8 if args.int8 else Precision.FP16 if args.fp16 or not args.fp32 else Precision.FP32
    out = Path(args.out) if args.out else onnx.with_suffix(f".{precision.value}.engine")
    build_engine(BuildSettings(onnx, out, precision, args.workspace, args.dla,
                               Path(args.calib_images) if args.calib_images else None,
                               Path(args.calib_cache) if args.calib_cache else None, max_batch=args.max_batch,
                               overrides=model_overrides(args)))
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="yolo-nano", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("info", help="parameters, MACs, ops and weight sizes vs the paper")
    model_config_args(p)
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(func=cmd_info)

    p = sub.add_parser("train", help="train on VOC XML / COCO JSON / YOLO txt data")
    p.add_argument("--data", required=True, help="DATA.yaml, an Ultralytics data.yaml or a dataset folder "
                   "(docs/training.md)")
    p.add_argument("--out", default="runs/train", help="output directory (checkpoints, CSV log)")
    p.add_argument("--epochs", type=int, default=100)
    p.add_argument("--batch-size", type=int, default=16,
                   help="the global batch: under torchrun each of the N ranks takes batch/N (default 16)")
    p.add_argument("--input-size", type=int, default=416)
    p.add_argument("--lr", type=float, default=0.01, help="peak SGD learning rate")
    p.add_argument("--warmup-epochs", type=float, default=3.0, help="linear LR warm-up (default 3)")
    p.add_argument("--device", default="auto", help="auto, cpu, cuda, cuda:1 ...")
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--expansion", type=float, default=1.0)
    p.add_argument("--mosaic", type=float, default=0.0, help="probability of a mosaic sample")
    p.add_argument("--no-augment", action="store_true", help="disable augmentation (overfit checks)")
    p.add_argument("--eval-every", type=int, default=5, help="epochs between validations")
    p.add_argument("--resume", action="store_true", help="continue from OUT/last.pt")
    p.add_argument("--weights", default=None, help="initialise from a checkpoint")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--sync-bn", action="store_true", help="SyncBatchNorm across torchrun ranks (CUDA only)")
    p.add_argument("--freeze-bn", action="store_true",
                   help="BatchNorm in eval mode (running statistics as loaded: fine-tuning, tiny per-GPU batches)")
    p.add_argument("--ddp-timeout", type=float, default=1800.0,
                   help="seconds a torchrun rank waits on the others before the run ends with an error (default "
                        "1800: rank 0 validates while the others wait)")
    p.set_defaults(func=cmd_train)

    p = sub.add_parser("anchors", help="k-means anchors from the training boxes")
    p.add_argument("--data", required=True)
    p.add_argument("--input-size", type=int, default=416)
    p.add_argument("--seed", type=int, default=0)
    p.set_defaults(func=cmd_anchors)

    p = sub.add_parser("export", help="export a checkpoint to ONNX (or give an ONNX file a dynamic batch axis)")
    p.add_argument("checkpoint", help="a .pt checkpoint from `yolo-nano train`, or an .onnx with --dynamic-batch")
    p.add_argument("--onnx", dest="out", required=True, help="output .onnx path")
    p.add_argument("--opset", type=int, default=17)
    p.add_argument("--dynamic-batch", action="store_true",
                   help="a batch axis (N frames per call): what one detector for several cameras batches with")
    p.add_argument("--uint8-input", action="store_true",
                   help="take uint8 NHWC RGB input; normalise inside the graph (for GPU backends)")
    p.set_defaults(func=cmd_export)

    p = sub.add_parser("evaluate", help="mAP of a checkpoint or ONNX model on a dataset split")
    p.add_argument("model", help=".pt checkpoint or .onnx")
    p.add_argument("--data", required=True)
    p.add_argument("--split", default="val", choices=["train", "val"])
    p.add_argument("--conf", type=float, default=0.001, help="score threshold for mAP (default 0.001)")
    p.add_argument("--backend", default="auto", choices=BACKENDS)
    p.add_argument("--precision", default="fp32", help="fp32 (default), fp16, bf16 (see the backends)")
    add_model_options(p)
    p.add_argument("--out", default=None, help="directory for report.html (the page to look at), report.json, "
                                               "report.md and the PR curves")
    p.set_defaults(func=cmd_evaluate)
    p = sub.add_parser("detect", help="detect objects in images, folders and videos")
    p.add_argument("paths", nargs="+")
    postprocess_args(p)
    p.add_argument("--save", default=None, help="write annotated images to this folder")
    p.add_argument("--json", action="store_true", help="one JSON object per image on stdout")
    p.set_defaults(func=cmd_detect)

    track_eval_cli.add_parser(sub)

    bench = (sub.add_parser("bench", help="benchmarks: arch, speed, layers, accuracy, stages, detector, all")
             .add_subparsers(dest="bench_command", required=True))
    p = bench.add_parser("arch", help="params, sizes, MACs and ops of YOLO Nano and its peers vs published figures")
    p.add_argument("--json", action="store_true", help="a JSON list of objects")
    p.add_argument("--networks", nargs="+", default=None, help="zoo names (default: all)")
    p.set_defaults(func=cmd_bench_arch)

    p = bench.add_parser("speed", help="networks x backends x precisions, batch 1, interleaved, ratios")
    p.add_argument("--networks", nargs="+", default=None, help="zoo names (default: all in the zoo's bench list)")
    p.add_argument("--cases", nargs="+", default=None, metavar="BACKEND:PRECISION",
                   help="e.g. onnxruntime:fp32 openvino:bf16 (default: every case this machine runs)")
    p.add_argument("--rounds", type=int, default=20, help="interleaved rounds (default 20)")
    p.add_argument("--block", type=int, default=5, help="timed runs per case per round (default 5)")
    p.add_argument("--threads", type=int, default=0, help="CPU inference threads (0 = all cores)")
    p.add_argument("--images", default="data/samples/images", help="real images: bench input and INT8 calibration")
    p.add_argument("--cache-dir", default="build/bench_models", help="exported / quantized ONNX files")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_bench_speed)

    p = bench.add_parser("layers", help="where each network's CPU time goes: OpenVINO per-layer counters, grouped")
    p.add_argument("--networks", nargs="*", help="zoo names (default: yolo-nano, its aligned variants, tiny-yolov3)")
    p.add_argument("--precision", default="bf16", choices=["fp32", "bf16", "fp16"],
                   help="OpenVINO inference precision (fp16 = the CPU's native reduced precision)")
    p.add_argument("--runs", type=int, default=50)
    p.add_argument("--threads", type=int, default=0, help="0 = all cores")
    p.add_argument("--top", type=int, default=8, help="groups shown per table")
    p.set_defaults(func=cmd_bench_layers)

    p = bench.add_parser("accuracy", help="mAP change of each CPU precision (FP32, BF16, INT8) with the evaluator")
    p.add_argument("--model", default="", help="a float-input .onnx (default: the shipped demo weights)")
    p.add_argument("--data", default="config/datasets/coco128_voc.yaml")
    p.add_argument("--split", default="train", choices=["train", "val"])
    p.add_argument("--calib-images", default="data/samples/images", help="real images for INT8 calibration")
    p.add_argument("--work-dir", default="build/bench_models", help="where quantized models are written")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_bench_accuracy)

    p = bench.add_parser("stages", help="each stage around ONNX Runtime CPU inference, on real frames")
    p.add_argument("images", nargs="*", default=["data/samples/images"],
                   help="images or folders (default: the samples)")
    p.add_argument("--model", default="", help="a float-input .onnx (default: the shipped demo weights)")
    p.add_argument("--input-size", type=int, default=416, help="run the model at this size (default 416)")
    p.add_argument("--width", type=int, default=640, help="frames are resized to this camera size first")
    p.add_argument("--height", type=int, default=480)
    p.add_argument("--conf", type=float, default=0.25, help="score threshold (default 0.25)")
    p.add_argument("--nms", type=float, default=0.45, help="NMS IoU threshold (default 0.45)")
    p.add_argument("--runs", type=int, default=300)
    p.add_argument("--threads", type=int, default=0, help="ONNX Runtime intra-op threads (0 = all cores)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_bench_stages)

    track_eval_cli.add_bench_parser(bench)
    ultralytics_bench_cli.add_bench_parser(bench)

    p = bench.add_parser("batch", help="inference ms per frame at batch 1 and batch N, per CPU backend and threads "
                                       "(what one node for N cameras gains)")
    p.add_argument("images", nargs="*", help="photos or folders (default: data/samples/images)")
    p.add_argument("--model", default="", help="an .onnx with a batch axis (default: the shipped demo weights)")
    p.add_argument("--backends", nargs="+", default=["openvino", "onnxruntime"])
    p.add_argument("--threads", type=int, nargs="+", default=[1, 2], help="inference threads cases (0 = all cores)")
    p.add_argument("--batch", type=int, default=4, help="frames per batched call (default 4)")
    p.add_argument("--rounds", type=int, default=8, help="turns the cases take (default 8; median reported)")
    p.set_defaults(func=cmd_bench_batch)

    p = bench.add_parser("detector", help="per-stage latency p50/p95 (pre, infer, post) of one model and backend")
    postprocess_args(p)
    p.add_argument("--image", default=None, help="a real image (default: a random 640x480 frame)")
    p.add_argument("--width", type=int, default=640)
    p.add_argument("--height", type=int, default=480)
    p.add_argument("--runs", type=int, default=200)
    p.set_defaults(func=cmd_bench)

    p = bench.add_parser("training", help="images/s of the real trainer in one process and under torchrun")
    p.add_argument("--data", default="data/coco128", help="dataset (default data/coco128, as it ships)")
    p.add_argument("--device", default="cuda", help="cuda (NCCL ranks, one GPU each) or cpu (gloo)")
    p.add_argument("--ranks", type=int, default=2, help="torchrun processes for the second case (default 2)")
    p.add_argument("--input-size", type=int, default=416)
    p.add_argument("--batch-per-rank", type=int, default=16)
    p.add_argument("--epochs", type=int, default=2, help="the last one is measured (default 2)")
    p.add_argument("--workers", type=int, default=2)
    p.set_defaults(func=cmd_bench_training)

    p = bench.add_parser("all", help="arch, speed, layers, accuracy, stages and node benchmarks, written to a "
                                     "Markdown report")
    p.add_argument("--out", default="docs/benchmarks.md")
    p.add_argument("--quick", action="store_true", help="fewer runs (a smoke run, not for publishing)")
    p.set_defaults(func=cmd_bench_all)

    p = sub.add_parser("quantize", help="INT8 post-training quantization for the CPU backends (QDQ ONNX)")
    p.add_argument("model", help="a float-input .onnx (`yolo-nano export`, or an Ultralytics detect export)")
    p.add_argument("--method", default="onnxruntime", choices=QUANTIZE_METHODS,
                   help="onnxruntime (default: static QDQ, accurate, INT8 on both CPU backends) or nncf "
                        "(OpenVINO's tool; check its accuracy with `yolo-nano evaluate`)")
    p.add_argument("--calib-images", default="data/samples/images",
                   help="folder of real images like the camera's (default: the samples)")
    p.add_argument("--calib-limit", type=int, default=128, help="at most this many images (default 128)")
    p.add_argument("--out", default=None, help="output .onnx (default: MODEL.int8-METHOD.onnx beside it)")
    add_model_options(p)
    p.set_defaults(func=cmd_quantize)

    p = sub.add_parser("build-engine", help="build a TensorRT engine (+ JSON sidecar) from ONNX")
    p.add_argument("onnx")
    p.add_argument("--fp16", action="store_true", help="FP16 (the default)")
    p.add_argument("--fp32", action="store_true")
    p.add_argument("--int8", action="store_true", help="INT8 with FP16 fallback; needs calibration")
    p.add_argument("--calib-images", default=None, help="folder of real images for INT8 calibration")
    p.add_argument("--calib-cache", default=None, help="calibration cache (written, and reused if present)")
    p.add_argument("--workspace", type=int, default=1024, help="builder workspace in MB")
    p.add_argument("--dla", type=int, default=None, help="DLA core (Xavier/Orin), GPU fallback on")
    p.add_argument("--out", default=None, help="engine path (default: beside the ONNX)")
    p.add_argument("--max-batch", type=int, default=1,
                   help="frames per call, 1..N (one detector for N cameras; needs an ONNX with a batch axis)")
    add_model_options(p)
    p.set_defaults(func=cmd_build_engine)
    return parser


@console_script("yolo-nano")
def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return int(args.func(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
