"""`yolo-nano bench speed`: networks x backends x precisions at batch 1, interleaved, p50/p95 and ratios.

Every network is exported to ONNX and run through the same runtime sessions the detector uses
(runtime/backends), with random weights: speed does not depend on their values. Runs are interleaved
in rounds (each case runs a short block, then the next case) so machine noise hits every case alike;
each block starts with one untimed run, and idle-thread spinning is off so one runtime's spinning
workers cannot steal cores from the next. INT8 cases use ONNX Runtime's static QDQ, calibrated on
real letterboxed images.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from tqdm import tqdm

from yolo_nano_ros.errors import ConfigError
from yolo_nano_ros.model.zoo import DEFAULT_BENCH, get_network
from yolo_nano_ros.runtime.backends.cpu_settings import CpuSettings
from yolo_nano_ros.runtime.calibration import calibration_batches

SPEED_NETWORKS = DEFAULT_BENCH
ALL_CASES = (("onnxruntime", "fp32"), ("onnxruntime", "int8"), ("openvino", "fp32"), ("openvino", "bf16"),
             ("openvino", "int8"), ("torch-cuda", "fp32"), ("torch-cuda", "fp16"))
REFERENCES = ("yolo-nano", "tiny-yolov3")
Runner = Callable[[], object]


@dataclass(frozen=True)
class SpeedSettings:
    networks: tuple[str, ...] = SPEED_NETWORKS
    cases: tuple[tuple[str, str], ...] | None = None  # None: every case this machine can run
    rounds: int = 20
    block: int = 5
    threads: int = 0
    images: Path = Path("data/samples/images")
    cache_dir: Path = Path("build/bench_models")
    calib_images: int = 32
    seed: int = 0


def available_cases() -> tuple[list[tuple[str, str]], dict[str, str]]:
    """(cases this machine runs, {case: why not} for the rest)."""
    skipped: dict[str, str] = {"tensorrt": "not in this benchmark: TensorRT engines are timed by "
                                           "`make gpu-check` / trtexec on the target"}
    cases = [("onnxruntime", "fp32"), ("onnxruntime", "int8")]
    from yolo_nano_ros.runtime.backend_select import openvino_unavailable_reason

    why_not = openvino_unavailable_reason()
    if why_not is None:
        from yolo_nano_ros.runtime.backends.openvino_backend import has_native_bf16

        cases += [("openvino", "fp32")]
        if has_native_bf16():
            cases.append(("openvino", "bf16"))
        else:
            skipped["openvino bf16"] = "this CPU has no native bf16"
        cases.append(("openvino", "int8"))
    else:
        skipped["openvino"] = why_not
    try:
        import torch

        if torch.cuda.is_available():
            cases += [("torch-cuda", "fp32"), ("torch-cuda", "fp16")]
        else:
            skipped["torch-cuda"] = "no CUDA device"
    except ImportError:
        skipped["torch-cuda"] = "torch not installed"
    return cases, skipped


def export_network(name: str, cache_dir: Path) -> Path:
    """Float ONNX of a zoo network at its input size (cached: random weights, seeded)."""
    import torch

    spec = get_network(name)
    out = cache_dir / f"{name}-{spec.input_size}.onnx"
    if out.is_file():
        return out
    torch.manual_seed(0)
    model = spec.build().eval()
    cache_dir.mkdir(parents=True, exist_ok=True)
    example = torch.zeros(1, 3, spec.input_size, spec.input_size)
    torch.onnx.export(model, (example,), str(out), opset_version=17, input_names=["images"], dynamo=False,
                      do_constant_folding=True)
    return out


def quantized_network(name: str, settings: SpeedSettings) -> Path:
    from yolo_nano_ros.runtime.quantize import quantize_with_onnxruntime

    float_model = export_network(name, settings.cache_dir)
    out = float_model.with_name(f"{float_model.stem}.int8.onnx")
    if not out.is_file():
        size = get_network(name).input_size
        batches = list(calibration_batches(settings.images, size, False, settings.calib_images))
        quantize_with_onnxruntime(float_model, out, batches)
    return out


def make_runner(network: str, backend: str, precision: str, settings: SpeedSettings, x: np.ndarray) -> Runner:
    cpu = CpuSettings(threads=settings.threads, spin=False)
    if backend == "torch-cuda":
        return torch_cuda_runner(network, precision, x)
    path = quantized_network(network, settings) if precision == "int8" else export_network(network, settings.cache_dir)
    if backend == "onnxruntime":
        from yolo_nano_ros.runtime.backends.onnxruntime_backend import create_session

        session = create_session(path, ["CPUExecutionProvider"], cpu)
        name = session.get_inputs()[0].name
        return lambda: session.run(None, {name: x})
    if backend == "openvino":
        from yolo_nano_ros.runtime.backends.openvino_backend import compile_model, read_model

        # INT8: the QDQ layers run as INT8; "fp16" lets the rest use the CPU's native bf16/f16.
        ov_precision = "fp16" if precision == "int8" else precision
        request = compile_model(read_model(path), ov_precision, cpu, quantized=precision == "int8"
                                ).compiled.create_infer_request()
        return lambda: request.infer({0: x})
    raise ConfigError(f"unknown backend {backend!r}")


def torch_cuda_runner(network: str, precision: str, x: np.ndarray) -> Runner:
    import torch

    torch.manual_seed(0)
    model = get_network(network).build().eval().cuda()
    tensor = torch.from_numpy(x).cuda()
    if precision == "fp16":
        model, tensor = model.half(), tensor.half()

    def run() -> None:
        with torch.inference_mode():
            model(tensor)
        torch.cuda.synchronize()

    return run


def bench_input(network: str, images: Path) -> np.ndarray:
    size = get_network(network).input_size
    return next(iter(calibration_batches(images, size, False, 1)))


def measure_interleaved(runners: dict[Any, Runner], rounds: int, block: int, seed: int = 0) -> dict[Any, list[float]]:
    times: dict[Any, list[float]] = {key: [] for key in runners}
    keys = list(runners)
    rng = random.Random(seed)
    for _ in tqdm(range(rounds), desc="rounds", unit="round", leave=False):
        rng.shuffle(keys)
        for key in keys:
            run = runners[key]
            run()  # untimed: caches and thread pools after the previous case
            for _ in range(block):
                t0 = time.perf_counter()
                run()
                times[key].append((time.perf_counter() - t0) * 1e3)
    return times


def bench_speed(settings: SpeedSettings, log: Callable[[str], None] = print) -> dict[str, Any]:
    cases, skipped = available_cases()
    if settings.cases is not None:
        unknown = [c for c in settings.cases if c not in ALL_CASES]
        if unknown:
            raise ConfigError(f"unknown cases {unknown}; known: {ALL_CASES}")
        missing = [c for c in settings.cases if c not in cases]
        if missing:
            raise ConfigError(f"cases not available on this machine: {missing} ({skipped})")
        cases = list(settings.cases)
    runners: dict[tuple[str, str, str], Runner] = {}
    for network in tqdm(settings.networks, desc="prepare", unit="net", leave=False):
        x = bench_input(network, settings.images)
        for backend, precision in cases:
            runners[(network, backend, precision)] = make_runner(network, backend, precision, settings, x)
    log(f"timing {len(runners)} cases: {settings.rounds} rounds x {settings.block} runs, interleaved")
    times = measure_interleaved(runners, settings.rounds, settings.block, settings.seed)
    rows = [{"network": n, "input": get_network(n).input_size, "backend": b, "precision": p,
             "runs": len(t), "p50_ms": float(np.percentile(t, 50)), "p95_ms": float(np.percentile(t, 95))}
            for (n, b, p), t in times.items()]
    add_ratios(rows)
    return {"rows": rows, "skipped": skipped, "rounds": settings.rounds, "block": settings.block,
            "threads": settings.threads}


def add_ratios(rows: list[dict[str, Any]]) -> None:
    """ratio_to_<reference>: p50 over the reference network's p50 on the same backend and precision."""
    p50 = {(r["network"], r["backend"], r["precision"]): r["p50_ms"] for r in rows}
    for r in rows:
        for ref in REFERENCES:
            base = p50.get((ref, r["backend"], r["precision"]))
            r[f"ratio_to_{ref.replace('-', '_')}"] = round(r["p50_ms"] / base, 3) if base else None


def case_label(backend: str, precision: str) -> str:
    short = {"onnxruntime": "ORT", "openvino": "OpenVINO", "torch-cuda": "torch CUDA"}[backend]
    return f"{short} {precision.upper()}"


def format_speed(report: dict[str, Any], networks: Sequence[str] | None = None) -> str:
    rows = report["rows"]
    cases = list(dict.fromkeys((r["backend"], r["precision"]) for r in rows))
    nets = list(networks or dict.fromkeys(r["network"] for r in rows))
    cell = {(r["network"], r["backend"], r["precision"]): r for r in rows}
    width = 19
    lines = ["p50 / p95 latency, ms, batch 1 (lower is better)",
             f"{'network':<20}{'input':>6}" + "".join(f"{case_label(*c):>{width}}" for c in cases)]
    def timing(key: tuple[str, str, str]) -> str:
        return f"{cell[key]['p50_ms']:>10.2f} /{cell[key]['p95_ms']:>6.2f} " if key in cell else f"{'-':>{width}}"

    for n in nets:
        lines.append(f"{n:<20}{get_network(n).input_size:>6}" + "".join(timing((n, *c)) for c in cases))
    for ref in REFERENCES:
        key = f"ratio_to_{ref.replace('-', '_')}"
        lines += ["", f"p50 latency / {ref}'s on the same backend (< 1: faster than {ref})",
                  f"{'network':<26}" + "".join(f"{case_label(*c):>{width}}" for c in cases)]
        for n in nets:
            lines.append(f"{n:<26}" + "".join(
                f"{cell[(n, b, p)][key]:>{width}.2f}" if (n, b, p) in cell and cell[(n, b, p)][key]
                else f"{'-':>{width}}"
                for b, p in cases))
    if report.get("skipped"):
        lines += ["", "not measured: " + "; ".join(f"{k}: {v}" for k, v in report["skipped"].items())]
    return "\n".join(lines)


def cpu_goals(report: dict[str, Any]) -> dict[str, Any]:
    """Issue 9's goals, computed: the best CPU case for YOLO Nano vs Tiny YOLOv3 and vs ONNX Runtime FP32."""
    cell = {(r["network"], r["backend"], r["precision"]): r for r in report["rows"]}
    cpu = [(b, p) for (n, b, p) in cell if n == "yolo-nano" and b != "torch-cuda"]
    if not cpu or ("yolo-nano", "onnxruntime", "fp32") not in cell:
        return {}
    # (backend, precision) spelled out: Python 3.10 has no starred expression inside a subscript
    best = min(cpu, key=lambda c: cell[("yolo-nano", c[0], c[1])]["p50_ms"])
    nano = cell[("yolo-nano", best[0], best[1])]
    out: dict[str, Any] = {"best_case": case_label(*best), "yolo_nano_p50_ms": nano["p50_ms"],
                           "speedup_vs_ort_fp32": cell[("yolo-nano", "onnxruntime", "fp32")]["p50_ms"] / nano["p50_ms"]}
    if ("tiny-yolov3", *best) in cell:
        out["latency_ratio_to_tiny_yolov3"] = nano["ratio_to_tiny_yolov3"]
    return out
