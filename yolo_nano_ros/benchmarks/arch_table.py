"""`yolo-nano bench arch`: parameters, sizes and operations of each network, beside published figures."""

from __future__ import annotations

import json
from typing import Any

from yolo_nano_ros.model.complexity import measure
from yolo_nano_ros.model.zoo import DEFAULT_BENCH, get_network


def arch_row(name: str) -> dict[str, Any]:
    spec = get_network(name)
    c = measure(spec.build(), spec.input_size)
    row: dict[str, Any] = {
        "name": name, "input": spec.input_size, "classes": spec.classes, "params": c.params,
        "size_fp32_mb": round(c.size_mb(4), 3), "size_int8_mb": round(c.size_mb(1), 3),
        "macs": c.macs, "ops": c.ops,
    }
    if spec.published:
        row["published"] = dict(spec.published)
        row["deviation"] = {key: round(row[key] / value - 1.0, 4) for key, value in spec.published.items()}
        row["source"] = spec.source
    return row


def arch_table(names: tuple[str, ...] = DEFAULT_BENCH) -> list[dict[str, Any]]:
    return [arch_row(n) for n in names]


def format_arch_table(rows: list[dict[str, Any]]) -> str:
    header = (f"{'network':<20}{'input':>6}{'params':>10}{'FP32 MB':>9}{'INT8 MB':>9}{'MACs':>8}"
              f"{'ops':>8}   published (deviation)")
    lines = [header, "-" * len(header)]
    for r in rows:
        pub = ", ".join(f"{k} {_fmt(k, v)} ({r['deviation'][k]:+.1%})" for k, v in r.get("published", {}).items())
        lines.append(f"{r['name']:<20}{r['input']:>6}{r['params'] / 1e6:>9.2f}M{r['size_fp32_mb']:>9.2f}"
                     f"{r['size_int8_mb']:>9.2f}{r['macs'] / 1e9:>7.2f}G{r['ops'] / 1e9:>7.2f}B   {pub}")
    lines.append("ops = 2 x MACs (darknet BFLOPs); MB = MiB of weights; random weights, BN counted as parameters.")
    return "\n".join(lines)


def _fmt(key: str, value: float) -> str:
    if key == "ops":
        return f"{value / 1e9:.2f}B"
    if key == "params":
        return f"{value / 1e6:.2f}M"
    return f"{value:.1f}MB"


def print_arch(as_json: bool, names: tuple[str, ...] = DEFAULT_BENCH) -> None:
    rows = arch_table(names)
    print(json.dumps(rows, indent=2) if as_json else format_arch_table(rows))
