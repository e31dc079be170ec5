"""Which detector wrote a model file and how its outputs are laid out, read from the file itself.

Our exports carry their YoloNanoConfig (model_info.METADATA_KEY). Ultralytics' ONNX exports carry `task`,
`names`, `imgsz`, `stride`, `end2end` and `batch` as metadata strings (Python literals, read with
ast.literal_eval: data only, never code). The output shapes confirm the layout; a file with neither
metadata is read only when the caller names its layout (the node's `output_layout` parameter).
"""

from __future__ import annotations

import ast
from collections.abc import Sequence
from enum import Enum

from yolo_nano_ros.errors import ConfigError, ModelLoadError

Shape = tuple[int | None, ...]  # None: a dynamic dimension


class OutputLayout(str, Enum):
    """The closed set of detector outputs the decoders read."""

    YOLO_NANO = "yolo_nano"  # three raw maps (N, A*(5+C), H, W): anchors, objectness, NMS needed
    ULTRALYTICS_DETECT = "ultralytics_detect"  # (N, 4+C, A): cx cy w h in input pixels, sigmoid'd scores; NMS needed
    ULTRALYTICS_END2END = "ultralytics_end2end"  # (N, D, 6): x1 y1 x2 y2 score class in input pixels; no NMS


LAYOUT_CHOICES = ("auto", *(layout.value for layout in OutputLayout))
LAYOUT_SHAPES = {OutputLayout.YOLO_NANO: "3 x (N, A*(5+C), H, W)", OutputLayout.ULTRALYTICS_DETECT: "(N, 4+C, A)",
                 OutputLayout.ULTRALYTICS_END2END: "(N, D, 6)"}
ULTRALYTICS_KEYS = ("task", "names", "imgsz", "stride", "end2end", "batch")


def parse_layout(value: str) -> OutputLayout | None:
    """A layout parameter's value: None for auto (read it from the file)."""
    if value in ("", "auto"):
        return None
    try:
        return OutputLayout(value)
    except ValueError:
        raise ConfigError(f"output_layout must be one of {', '.join(LAYOUT_CHOICES)}, got {value!r}") from None


def describe_shapes(shapes: Sequence[Shape]) -> str:
    return ", ".join("(" + ", ".join("?" if d is None else str(d) for d in s) + ")" for s in shapes)


def known_layouts() -> str:
    return "; ".join(f"{layout.value} {shape}" for layout, shape in LAYOUT_SHAPES.items())


def literal(source: str, metadata: dict[str, str], key: str) -> object:
    try:
        return ast.literal_eval(metadata[key])
    except (ValueError, SyntaxError, MemoryError, RecursionError) as exc:
        raise ModelLoadError(f"{source}: metadata {key!r} is not a Python literal ({metadata[key][:60]!r}): "
                          f"{type(exc).__name__}") from None


def is_ultralytics(metadata: dict[str, str]) -> bool:
    return "names" in metadata and ("task" in metadata or "stride" in metadata)


def ultralytics_names(source: str, metadata: dict[str, str]) -> tuple[str, ...]:
    names = literal(source, metadata, "names")
    if isinstance(names, dict) and sorted(names) == list(range(len(names))):
        return tuple(str(names[i]) for i in range(len(names)))
    if isinstance(names, list | tuple):
        return tuple(str(n) for n in names)
    raise ModelLoadError(f"{source}: metadata 'names' must map 0..N-1 to class names, got {metadata['names'][:60]!r}")


def ultralytics_input_size(source: str, metadata: dict[str, str], input_shape: Shape) -> int:
    """The square input the model was exported for: `imgsz` metadata, else the input's fixed height and width."""
    if "imgsz" in metadata:
        size = literal(source, metadata, "imgsz")
        hw = tuple(size) if isinstance(size, list | tuple) else (size, size)
    else:
        hw = tuple(input_shape[2:4])
    if len(hw) != 2 or not all(isinstance(d, int) and d > 0 for d in hw):
        raise ModelLoadError(f"{source}: cannot tell the input size (imgsz metadata {metadata.get('imgsz')!r}, input "
                          f"{describe_shapes([input_shape])}); export with a fixed imgsz")
    if hw[0] != hw[1]:
        raise ModelLoadError(f"{source}: input {hw[0]}x{hw[1]} is not square; export with one imgsz (e.g. imgsz=640)")
    return int(hw[0])


def ultralytics_stride(source: str, metadata: dict[str, str]) -> int:
    """The model's largest stride (what padding to a rectangle rounds to); 32 where the file does not say."""
    stride = literal(source, metadata, "stride") if "stride" in metadata else 32
    if isinstance(stride, list | tuple):
        stride = max(stride)
    if not isinstance(stride, int) or stride <= 0:
        raise ModelLoadError(f"{source}: metadata 'stride' must be a positive integer, got {metadata['stride']!r}")
    return stride


def recognise_foreign_layout(source: str, metadata: dict[str, str], output_shapes: Sequence[Shape]) -> OutputLayout:
    """The layout of a file without our metadata: Ultralytics' export metadata, confirmed by the first output's
    shape; ModelLoadError naming the shapes and the layouts known otherwise."""
    if not is_ultralytics(metadata):
        raise ModelLoadError(
            f"{source} carries neither our model metadata (`yolo-nano export` writes it) nor Ultralytics' export "
            f"metadata; its outputs are {describe_shapes(output_shapes)}: set output_layout (the layouts known: "
            f"{known_layouts()}) and class_names")
    task = metadata.get("task", "detect")
    if task != "detect":
        raise ModelLoadError(f"{source} is an Ultralytics '{task}' model: only 'detect' models are decoded (a {task} "
                          "head's outputs are not boxes alone)")
    end2end = metadata.get("end2end", "False") == "True"
    first = output_shapes[0] if output_shapes else ()
    if end2end or (len(first) == 3 and first[2] == 6):
        return OutputLayout.ULTRALYTICS_END2END
    return OutputLayout.ULTRALYTICS_DETECT


def check_outputs(source: str, layout: OutputLayout, output_shapes: Sequence[Shape], num_classes: int | None) -> None:
    """The outputs must have the layout's shape, with num_classes (None: not checked) where the shape shows it."""
    first = output_shapes[0] if output_shapes else ()
    expected = f"a {layout.value} model has outputs {LAYOUT_SHAPES[layout]}"
    if layout is OutputLayout.YOLO_NANO:
        ok = len(output_shapes) == 3 and all(len(s) == 4 for s in output_shapes)
    elif layout is OutputLayout.ULTRALYTICS_DETECT:
        ok = len(first) == 3
        if ok and num_classes is not None and first[1] is not None and first[1] != 4 + num_classes:
            raise ModelLoadError(f"{source}: output {describe_shapes([first])} holds {first[1] - 4} classes but the "
                              f"class names list {num_classes}")
    else:
        ok = len(first) == 3 and first[2] == 6
    if not ok:
        raise ModelLoadError(f"{source}: outputs {describe_shapes(output_shapes)} do not match: {expected} "
                          f"(the layouts known: {known_layouts()})")


def classes_from_shape(layout: OutputLayout, output_shapes: Sequence[Shape]) -> int | None:
    """How many classes the output shape shows (the detect head's rows minus 4), None where it does not."""
    first = output_shapes[0] if output_shapes else ()
    if layout is OutputLayout.ULTRALYTICS_DETECT and len(first) == 3 and first[1] is not None:
        return first[1] - 4
    return None
