"""`yolo-nano bench layers`: where each network's CPU time goes, from OpenVINO's per-layer counters.

Issue 9 asked why YOLO Nano, with 0.74x Tiny YOLOv3's operations, takes about twice its time on
OpenVINO BF16. The counters answer it: YOLO Nano executes about five times as many layers, most of
them 1x1 convolutions over thin channel counts (7 to 150) that leave AMX/AVX-512 tiles part-empty
and are bound by memory traffic and per-layer overhead, not arithmetic. Grouping by layer kind and by
output resolution shows which part of the network the time is in.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from yolo_nano_ros.benchmarks.speed import bench_input, export_network
from yolo_nano_ros.runtime.backends.cpu_settings import CpuSettings

LAYER_NETWORKS = ("yolo-nano", "yolo-nano-aligned8", "yolo-nano-aligned16", "tiny-yolov3")
SMALL_LAYER_MS = 0.03  # below this a layer is mostly fixed cost (dispatch, threading, cache misses)


@dataclass(frozen=True)
class LayerTime:
    name: str
    kind: str  # OpenVINO node type, with 1x1 / 3x3 / depthwise told apart for convolutions
    implementation: str  # the kernel OpenVINO chose (e.g. brgconv_avx512_amx_1x1_bf16)
    output: str  # output shape
    ms: float  # median over the timed runs


@dataclass(frozen=True)
class LayerProfile:
    network: str
    precision: str
    wall_ms: float  # median of whole inferences, as timed from Python
    layers: tuple[LayerTime, ...]

    @property
    def layer_ms(self) -> float:
        return sum(layer.ms for layer in self.layers)

    def by(self, key: str) -> list[tuple[str, int, float]]:
        """(group, layers, ms) by `kind` or `resolution`, slowest first."""
        groups: dict[str, list[float]] = defaultdict(list)
        for layer in self.layers:
            groups[layer.kind if key == "kind" else resolution(layer.output)].append(layer.ms)
        return sorted(((k, len(v), sum(v)) for k, v in groups.items()), key=lambda g: -g[2])


def resolution(shape: str) -> str:
    dims = [d for d in shape.strip("[]{}").replace(" ", "").split(",") if d]
    return "x".join(dims[-2:]) if len(dims) == 4 else "other"


def layer_kind(node_type: str, exec_type: str, weights_shape: str) -> str:
    if node_type == "GroupConvolution":
        return "depthwise conv" if "dw" in exec_type else "grouped conv"
    if node_type == "Convolution":
        dims = [d for d in weights_shape.strip("[]").split(",") if d]
        return f"conv {dims[-2]}x{dims[-1]}" if len(dims) == 4 else "conv"
    return node_type


def profile_network(network: str, precision: str = "bf16", runs: int = 50, threads: int = 0,
                    images: Path = Path("data/samples/images"), cache_dir: Path = Path("build/bench_models")
                    ) -> LayerProfile:
    import time

    from yolo_nano_ros.runtime.backends.openvino_backend import compile_model, read_model

    model = read_model(export_network(network, cache_dir))
    weights, outputs = {}, {}  # by node name: second input's shape (a conv's weights), first output's shape
    for op in model.get_ops():
        name = op.get_friendly_name()
        weights[name] = str(op.input_value(1).get_partial_shape()) if op.get_input_size() > 1 else ""
        outputs[name] = str(op.get_output_partial_shape(0)) if op.get_output_size() else ""
    compiled = compile_model(model, precision, CpuSettings(threads=threads, spin=False), profile=True)
    request = compiled.compiled.create_infer_request()
    x = bench_input(network, images)
    for _ in range(10):
        request.infer({0: x})
    times: dict[str, list[float]] = defaultdict(list)
    meta: dict[str, tuple[str, str]] = {}  # node name -> (kind, implementation)
    wall = []
    for _ in range(runs):
        t0 = time.perf_counter()
        request.infer({0: x})
        wall.append((time.perf_counter() - t0) * 1e3)
        for info in request.profiling_info:
            if info.status.name != "EXECUTED":
                continue
            times[info.node_name].append(info.real_time.total_seconds() * 1e3)
            if info.node_name not in meta:
                meta[info.node_name] = (layer_kind(info.node_type, info.exec_type, weights.get(info.node_name, "")),
                                        info.exec_type)
    layers = tuple(LayerTime(name, meta[name][0], meta[name][1], outputs.get(name, ""), float(np.median(t)))
                   for name, t in times.items())
    return LayerProfile(network, compiled.precision, float(np.median(wall)), layers)  # what ran, e.g. bf16


def format_profiles(profiles: Sequence[LayerProfile], top: int = 8) -> str:
    lines = [f"{'network':<22}{'precision':>10}{'wall ms':>9}{'layers':>8}{'sum of layers':>15}"
             f"{'layers < ' + str(int(SMALL_LAYER_MS * 1000)) + ' us':>16}{'their ms':>10}"]
    for p in profiles:
        small = [layer.ms for layer in p.layers if layer.ms < SMALL_LAYER_MS]
        lines.append(f"{p.network:<22}{p.precision:>10}{p.wall_ms:>9.2f}{len(p.layers):>8}{p.layer_ms:>15.2f}"
                     f"{len(small):>16}{sum(small):>10.2f}")
    for p in profiles:
        lines += ["", f"{p.network} ({p.precision}): time by layer kind", f"  {'kind':<20}{'layers':>7}{'ms':>8}"
                  f"{'share':>7}"]
        lines += [f"  {k:<20}{n:>7}{ms:>8.2f}{ms / p.layer_ms:>7.0%}" for k, n, ms in p.by("kind")[:top]]
        lines += [f"{p.network} ({p.precision}): time by output resolution",
                  f"  {'H x W':<20}{'layers':>7}{'ms':>8}{'share':>7}"]
        lines += [f"  {k:<20}{n:>7}{ms:>8.2f}{ms / p.layer_ms:>7.0%}" for k, n, ms in p.by("resolution")[:top]]
    return "\n".join(lines)
