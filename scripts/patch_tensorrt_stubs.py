"""Make tensorrt-stubs 10.13.0.35.1 parse: pybind11-stubgen wrote five signatures that are not Python.

- IPluginV2DynamicExt / IPluginV3 methods name a parameter `in` (a keyword): renamed `in_`.
- INetworkDefinition.add_scale_nd puts `channel_axis: int` after defaulted parameters: given `= ...`.
Only the signatures change, nothing NVIDIA documents; the script fails if the file still does not parse,
so a new stubs release that fixes (or breaks) more is noticed. Usage: patch_tensorrt_stubs.py STUBS_DIR
"""

from __future__ import annotations

import ast
import re
import sys
from pathlib import Path


def patch(text: str) -> str:
    text = re.sub(r"(def \w+\((?:self(?:: \w+)?, )?)in: ", r"\1in_: ", text)
    return text.replace("power: Weights = None, channel_axis: int)", "power: Weights = None, channel_axis: int = ...)")


def main(stubs: Path) -> int:
    path = stubs / "tensorrt_bindings" / "tensorrt.pyi"
    text = patch(path.read_text())
    try:
        ast.parse(text)
    except SyntaxError as exc:
        print(f"patch_tensorrt_stubs: {path} still does not parse: line {exc.lineno}: {exc.msg}", file=sys.stderr)
        return 1
    path.write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1])))
