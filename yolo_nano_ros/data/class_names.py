"""Class-name lists and the COCO <-> Pascal VOC mapping (either set's labels onto a model of the other)."""

from __future__ import annotations

from yolo_nano_ros.errors import ConfigError

VOC_CLASSES: tuple[str, ...] = (
    "aeroplane", "bicycle", "bird", "boat", "bottle", "bus", "car", "cat", "chair", "cow",
    "diningtable", "dog", "horse", "motorbike", "person", "pottedplant", "sheep", "sofa", "train",
    "tvmonitor",
)

COCO_CLASSES: tuple[str, ...] = (
    "person", "bicycle", "car", "motorcycle", "airplane", "bus", "train", "truck", "boat", "traffic light",
    "fire hydrant", "stop sign", "parking meter", "bench", "bird", "cat", "dog", "horse", "sheep", "cow",
    "elephant", "bear", "zebra", "giraffe", "backpack", "umbrella", "handbag", "tie", "suitcase", "frisbee",
    "skis", "snowboard", "sports ball", "kite", "baseball bat", "baseball glove", "skateboard", "surfboard",
    "tennis racket", "bottle", "wine glass", "cup", "fork", "knife", "spoon", "bowl", "banana", "apple",
    "sandwich", "orange", "broccoli", "carrot", "hot dog", "pizza", "donut", "cake", "chair", "couch",
    "potted plant", "bed", "dining table", "toilet", "tv", "laptop", "mouse", "remote", "keyboard", "cell phone",
    "microwave", "oven", "toaster", "sink", "refrigerator", "book", "clock", "vase", "scissors", "teddy bear",
    "hair drier", "toothbrush",
)

# COCO names whose VOC name differs; the other VOC classes share their COCO name.
COCO_TO_VOC: dict[str, str] = {
    "airplane": "aeroplane", "dining table": "diningtable", "motorcycle": "motorbike",
    "potted plant": "pottedplant", "couch": "sofa", "tv": "tvmonitor",
    **{n: n for n in ("bicycle", "bird", "boat", "bottle", "bus", "car", "cat", "chair", "cow", "dog",
                      "horse", "person", "sheep", "train")},
}

VOC_TO_COCO: dict[str, str] = {voc: coco for coco, voc in COCO_TO_VOC.items()}


def counterpart(name: str) -> str | None:
    """The same class's name in the other of COCO and VOC ("airplane" <-> "aeroplane"), or None."""
    return COCO_TO_VOC.get(name) or VOC_TO_COCO.get(name)


NAMED_SETS: dict[str, tuple[str, ...]] = {"voc": VOC_CLASSES, "coco": COCO_CLASSES}


def resolve_names(names: str | list[str] | tuple[str, ...]) -> tuple[str, ...]:
    if isinstance(names, str):
        if names not in NAMED_SETS:
            raise ConfigError(f"unknown class set {names!r}; use one of {sorted(NAMED_SETS)} or a list")
        return NAMED_SETS[names]
    return tuple(names)


def build_index_map(source: tuple[str, ...], target: tuple[str, ...]) -> dict[int, int]:
    """Source class index -> target index; classes with no counterpart are dropped."""
    target_index = {n: i for i, n in enumerate(target)}
    mapping: dict[int, int] = {}
    for i, name in enumerate(source):
        mapped = name if name in target_index else counterpart(name)
        if mapped in target_index:
            mapping[i] = target_index[mapped]
    return mapping
