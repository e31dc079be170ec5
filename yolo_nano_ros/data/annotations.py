"""Read VOC XML, COCO JSON and YOLO txt annotations into one record type.

Boxes are xyxy in the image's pixels; `difficult` marks boxes that VOC07 evaluation ignores (VOC
`difficult`, COCO `iscrowd`). Classes are mapped to the target class list on reading, and boxes of
classes without a counterpart are dropped.
"""

from __future__ import annotations

import json
import os
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from yolo_nano_ros.data.class_names import build_index_map, resolve_names
from yolo_nano_ros.errors import YoloNanoError
from yolo_nano_ros.runtime.media import list_images


class DatasetError(YoloNanoError, ValueError):
    """A dataset description or annotation file that cannot be used; the message says why."""


@dataclass
class Sample:
    image_path: Path
    boxes: np.ndarray  # (N, 4) float32 xyxy pixels
    labels: np.ndarray  # (N,) int64 target class index
    difficult: np.ndarray = field(default_factory=lambda: np.zeros(0, bool))
    width: int = 0
    height: int = 0

    def __post_init__(self) -> None:
        if len(self.difficult) != len(self.labels):
            self.difficult = np.zeros(len(self.labels), bool)


@dataclass
class Dataset:
    names: tuple[str, ...]
    samples: list[Sample]
    skipped: dict[str, int] = field(default_factory=dict)


def image_size(path: Path) -> tuple[int, int]:
    img = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)
    if img is None:
        raise DatasetError(f"cannot read image {path}")
    return img.shape[1], img.shape[0]


def label_path_for(image: Path) -> Path:
    """Ultralytics' rule: the last `images` component of the path becomes `labels`, the suffix `.txt`."""
    parts = list(image.parts)
    if "images" not in parts:
        return image.with_suffix(".txt")
    i = len(parts) - 1 - parts[::-1].index("images")
    return Path(*parts[:i], "labels", *parts[i + 1:]).with_suffix(".txt")


def read_yolo(images: Path, labels: Path, source_names: tuple[str, ...], target: tuple[str, ...]) -> Dataset:
    """YOLO txt: one `class cx cy w h` line per box, normalised; images without a txt are background."""
    if not images.is_dir():
        raise DatasetError(f"images folder not found: {images}")
    image_paths = list_images(images, recursive=False)
    stems = {p.stem for p in image_paths}
    dataset = read_yolo_pairs([(img, labels / f"{img.stem}.txt") for img in image_paths], source_names, target)
    dataset.skipped["labels_without_image"] = sum(1 for p in labels.glob("*.txt") if p.stem not in stems)
    return dataset


def yolo_pairs_under(images: Path) -> list[tuple[Path, Path]]:
    """Every image below `images` (recursively, sorted) with its label path by label_path_for."""
    if not images.is_dir():
        raise DatasetError(f"images folder not found: {images}")
    found = list_images(images)
    return [(img, label_path_for(img)) for img in found]


def yolo_pairs_from_list(list_file: Path) -> list[tuple[Path, Path]]:
    """A .txt of image paths, one per line; relative ones are taken from the list's folder (Ultralytics)."""
    images = []
    for line in list_file.read_text().splitlines():
        line = line.strip()
        if line:
            path = Path(line)
            images.append(path if path.is_absolute() else Path(os.path.normpath(list_file.parent / path)))
    missing = [p for p in images if not p.is_file()]
    if missing:
        raise DatasetError(f"{list_file}: {len(missing)} of {len(images)} listed images do not exist, "
                           f"first {missing[0]}")
    return [(img, label_path_for(img)) for img in images]


def read_yolo_pairs(pairs: list[tuple[Path, Path]], source_names: tuple[str, ...],
                    target: tuple[str, ...]) -> Dataset:
    index_map = build_index_map(source_names, target)
    samples, skipped = [], {"boxes_unmapped": 0, "bad_lines": 0}
    for img, txt in pairs:
        w, h = image_size(img)
        boxes, cls = [], []
        if txt.exists():
            for line in txt.read_text().splitlines():
                parts = line.split()
                if not parts:
                    continue
                try:
                    c, cx, cy, bw, bh = int(parts[0]), *map(float, parts[1:5])
                except (ValueError, TypeError):
                    skipped["bad_lines"] += 1
                    continue
                if c not in index_map:
                    skipped["boxes_unmapped"] += 1
                    continue
                boxes.append([(cx - bw / 2) * w, (cy - bh / 2) * h, (cx + bw / 2) * w, (cy + bh / 2) * h])
                cls.append(index_map[c])
        samples.append(Sample(img, np.asarray(boxes, np.float32).reshape(-1, 4), np.asarray(cls, np.int64),
                              width=w, height=h))
    return Dataset(target, samples, skipped)


def read_voc(root: Path, image_set: str, target: tuple[str, ...], source_names: tuple[str, ...]) -> Dataset:
    """Pascal VOC: root holds Annotations/, JPEGImages/, ImageSets/Main/<image_set>.txt."""
    index_map = build_index_map(source_names, target)
    source_index = {n: i for i, n in enumerate(source_names)}
    list_file = root / "ImageSets" / "Main" / f"{image_set}.txt"
    if not list_file.exists():
        raise DatasetError(f"VOC image set not found: {list_file}")
    samples, skipped = [], {"boxes_unmapped": 0}
    for image_id in list_file.read_text().split():
        tree = ET.parse(root / "Annotations" / f"{image_id}.xml").getroot()
        size = tree.find("size")
        w = int(size.findtext("width", "0")) if size is not None else 0
        h = int(size.findtext("height", "0")) if size is not None else 0
        boxes, cls, diff = [], [], []
        for obj in tree.iter("object"):
            name = (obj.findtext("name") or "").strip()
            if source_index.get(name) not in index_map:
                skipped["boxes_unmapped"] += 1
                continue
            bb = obj.find("bndbox")
            if bb is None:
                raise DatasetError(f"{root / 'Annotations' / f'{image_id}.xml'}: an object without a bndbox")
            # VOC pixel indices are 1-based and inclusive.
            x1, y1, x2, y2 = (float(bb.findtext(k, "0")) for k in ("xmin", "ymin", "xmax", "ymax"))
            boxes.append([x1 - 1, y1 - 1, x2, y2])
            cls.append(index_map[source_index[name]])
            diff.append(obj.findtext("difficult", "0").strip() == "1")
        img = root / "JPEGImages" / f"{image_id}.jpg"
        if not w or not h:
            w, h = image_size(img)
        samples.append(Sample(img, np.asarray(boxes, np.float32).reshape(-1, 4), np.asarray(cls, np.int64),
                              np.asarray(diff, bool), w, h))
    return Dataset(target, samples, skipped)


def read_coco(annotation_file: Path, images: Path, target: tuple[str, ...]) -> Dataset:
    """COCO JSON: bbox is [x, y, w, h]; category names are mapped to the target list."""
    data = json.loads(annotation_file.read_text())
    categories = {c["id"]: c["name"] for c in data.get("categories", [])}
    source = tuple(categories.values())
    index_map = build_index_map(source, target)
    cat_to_target = {cid: index_map[i] for i, cid in enumerate(categories) if i in index_map}
    per_image: dict[int, list[dict[str, Any]]] = {}
    for ann in data.get("annotations", []):
        per_image.setdefault(ann["image_id"], []).append(ann)
    samples, skipped = [], {"boxes_unmapped": 0}
    for info in data.get("images", []):
        boxes, cls, diff = [], [], []
        for ann in per_image.get(info["id"], []):
            if ann["category_id"] not in cat_to_target:
                skipped["boxes_unmapped"] += 1
                continue
            x, y, bw, bh = ann["bbox"]
            boxes.append([x, y, x + bw, y + bh])
            cls.append(cat_to_target[ann["category_id"]])
            diff.append(bool(ann.get("iscrowd", 0)))
        samples.append(Sample(images / info["file_name"], np.asarray(boxes, np.float32).reshape(-1, 4),
                              np.asarray(cls, np.int64), np.asarray(diff, bool),
                              int(info.get("width", 0)), int(info.get("height", 0))))
    return Dataset(target, samples, skipped)


def load_split_spec(spec: dict[str, Any], base: Path, split: str, origin: str = "dataset spec") -> Dataset:
    """The same from an in-memory spec; relative paths are taken from `base`."""
    if split not in spec:
        present = [k for k in ("train", "val", "test") if k in spec]
        raise DatasetError(f"{origin} has no {split!r} split (it has: {', '.join(present) or 'none'})")
    target = resolve_names(spec.get("names", "voc"))
    fmt = spec.get("format", "yolo")
    section = spec[split]
    parts = section if isinstance(section, list) else [section]
    merged = Dataset(target, [], {})
    looked: list[str] = []
    for part in parts:
        def path(key: str, part: dict[str, Any] = part) -> Path:
            if key not in part:
                raise DatasetError(f"{origin}: {split} entry needs {key!r}")
            return (base / part[key]).resolve()

        if not isinstance(part, dict):
            raise DatasetError(f"{origin}: {split} entry {part!r} is not a mapping (see docs/training.md)")
        if fmt == "yolo":
            source = resolve_names(part.get("source_names", target))
            if "list" in part:
                looked.append(str(path("list")))
                ds = read_yolo_pairs(yolo_pairs_from_list(path("list")), source, target)
            elif part.get("labels_from_images"):
                looked.append(str(path("images")))
                ds = read_yolo_pairs(yolo_pairs_under(path("images")), source, target)
            else:
                looked.append(str(path("images")))
                ds = read_yolo(path("images"), path("labels"), source, target)
        elif fmt == "voc":
            looked.append(str(path("root")))
            ds = read_voc(path("root"), part.get("image_set", "trainval"), target,
                          resolve_names(part.get("source_names", "voc")))
        elif fmt == "coco":
            looked.append(str(path("annotations")))
            ds = read_coco(path("annotations"), path("images"), target)
        else:
            raise DatasetError(f"unknown format {fmt!r}: use yolo, voc or coco")
        if "range" in part:
            start, stop = part["range"]
            ds.samples = ds.samples[start:stop]
        merged.samples += ds.samples
        for k, v in ds.skipped.items():
            merged.skipped[k] = merged.skipped.get(k, 0) + v
    if not merged.samples:
        raise DatasetError(f"{origin}: no images for split {split!r} (looked in {', '.join(looked)})")
    return merged
