"""`yolo-nano-jetson`: tegrastats parsing and Jetson power modes from the shell.

  yolo-nano-jetson parse [FILE]     one JSON object per line (stdin by default; `tegrastats --logfile` files too)
  yolo-nano-jetson modes            the board's power modes and the current one
  yolo-nano-jetson watch            what the stats source reads (jtop, tegrastats or host), once a second
"""

from __future__ import annotations

import argparse
import itertools
import json
import sys
import time
from collections.abc import Iterable
from pathlib import Path
from typing import TextIO

from yolo_nano_ros.apps.console import console_script
from yolo_nano_ros.jetson.sources import SOURCES
from yolo_nano_ros.jetson.tegrastats import TegrastatsParseError, parse_tegrastats


def parse_lines(lines: Iterable[str], out: TextIO) -> int:
    """Returns the number of lines that could not be parsed; every line still gets an object."""
    failures = 0
    for number, line in enumerate(lines, 1):
        line = line.strip()
        if not line:
            continue
        try:
            record = parse_tegrastats(line)
            obj: dict[str, object] = record.to_json()
        except TegrastatsParseError as exc:
            failures += 1
            obj = {"error": str(exc), "line_number": number, "line": line[:500]}
        out.write(json.dumps(obj) + "\n")
    return failures


def cmd_parse(args: argparse.Namespace) -> int:
    if args.file in (None, "-"):
        parse_lines(sys.stdin, sys.stdout)
        return 0
    with Path(args.file).open(encoding="utf-8", errors="replace") as handle:
        parse_lines(handle, sys.stdout)
    return 0


def cmd_modes(args: argparse.Namespace) -> int:
    from yolo_nano_ros.jetson.power_modes import PowerModeControl

    control = PowerModeControl(args.timeout)
    modes, default = control.modes()
    current = control.current()
    for mode in modes:
        marks = (" (current)" if mode.id == current.id else "") + (" (default)" if mode.id == default else "")
        print(f"{mode.id:>3}  {mode.name}{marks}")
    return 0


def cmd_watch(args: argparse.Namespace) -> int:
    from yolo_nano_ros.jetson.sources import open_source

    source, reason = open_source(args.source, args.interval)
    print(f"source: {source.name} ({reason})", file=sys.stderr)
    try:
        for _ in range(args.count) if args.count else itertools.count():  # --count 0: until Ctrl-C
            time.sleep(args.interval / 1000)
            sample = source.latest()
            if sample is None:
                print(json.dumps({"source": source.name, "health": source.health()}))
                continue
            print(json.dumps({"source": sample.source, "power_total_mw": sample.power_total_mw,
                              "power_total_rule": sample.power_total_rule, "rails_mw": sample.rails_mw,
                              "cpu_util_pct": sample.cpu_util_pct, "gpu_util_pct": sample.gpu_util_pct,
                              "ram_used_mb": sample.ram_used_mb, "temperatures_c": sample.temperatures_c}),
                  flush=True)
    except KeyboardInterrupt:
        pass
    finally:
        source.close()
    return 0


NAME = "yolo-nano-jetson"


@console_script(NAME)
def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog=NAME, description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("parse", help="tegrastats lines -> JSON, one object per line")
    p.add_argument("file", nargs="?", default=None, help="a file (default: stdin)")
    p.set_defaults(func=cmd_parse)
    p = sub.add_parser("modes", help="list nvpmodel power modes and the current one")
    p.add_argument("--timeout", type=float, default=10.0)
    p.set_defaults(func=cmd_modes)
    p = sub.add_parser("watch", help="print what the stats source reads")
    p.add_argument("--source", default="auto", choices=SOURCES)
    p.add_argument("--interval", type=int, default=1000, help="ms (default 1000)")
    p.add_argument("--count", type=int, default=0, help="samples to print (default: until Ctrl-C)")
    p.set_defaults(func=cmd_watch)
    args = parser.parse_args(argv)
    return int(args.func(args))


if __name__ == "__main__":
    sys.exit(main())
