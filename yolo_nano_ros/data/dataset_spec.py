"""What `--data` may name, turned into one internal spec: our DATA.yaml, an Ultralytics data.yaml, or a
dataset folder (with its yaml, or laid out as Ultralytics or a flat folder of images and txt labels).

Ultralytics' convention (docs.ultralytics.com/datasets/detect): `path` (the dataset root), `train`, `val`
and `test` (a folder of images, a .txt list of image paths, or a list of either, relative to `path`) and
`names` (a list, or an id -> name mapping). Labels are found by replacing the last `images` component of
each image's path with `labels` and the suffix with `.txt`. Our DATA.yaml (docs/training.md) has a
`format` key or dict entries per split.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from yolo_nano_ros.data.annotations import Dataset, DatasetError, load_split_spec
from yolo_nano_ros.data.class_names import COCO_CLASSES

YAML_NAMES = ("data.yaml", "dataset.yaml")  # looked for first in a dataset folder, then <folder>.yaml, then *.yaml
SPLITS = ("train", "val", "test")
LOG = logging.getLogger(__name__)  # notes reach stderr as plain lines when nothing configured logging


@dataclass
class DatasetSpec:
    spec: dict[str, Any]  # the internal form annotations.load_split_spec reads
    base: Path  # relative paths in `spec` start here
    origin: str  # what the user gave, for messages
    notes: list[str] = field(default_factory=list)  # assumptions made on the user's behalf
    split_notes: dict[str, str] = field(default_factory=dict)  # split -> how it was filled in, when it was

    def report(self, split: str | None = None) -> None:
        """Each note once per process (a training run reads the spec for two splits)."""
        for note in [*self.notes, *([self.split_notes[split]] if split in self.split_notes else [])]:
            if note not in _REPORTED:
                _REPORTED.add(note)
                LOG.warning(note)


_REPORTED: set[str] = set()


def read_dataset_spec(data: Path) -> DatasetSpec:
    """`data` as given to --data: a yaml file or a dataset folder. Errors say what was looked for and where."""
    if data.is_dir():
        found = find_yaml(data)
        if found is not None:
            return read_dataset_spec(found)
        return folder_spec(data)
    if not data.is_file():
        raise FileNotFoundError(2, "dataset not found (a DATA.yaml, an Ultralytics data.yaml or a dataset folder)",
                                str(data))
    try:
        raw = yaml.safe_load(data.read_text())
    except yaml.YAMLError as exc:
        raise DatasetError(f"{data} is not valid YAML: {str(exc).splitlines()[0]}") from None
    if not isinstance(raw, dict):
        raise DatasetError(f"{data}: expected a mapping with train/val entries, got {type(raw).__name__}")
    if is_ultralytics(raw):
        return ultralytics_spec(raw, data)
    return DatasetSpec(raw, data.parent, str(data))


def find_yaml(folder: Path) -> Path | None:
    for name in (*YAML_NAMES, f"{folder.name}.yaml"):
        if (folder / name).is_file():
            return folder / name
    candidates = sorted(folder.glob("*.yaml")) + sorted(folder.glob("*.yml"))
    return candidates[0] if len(candidates) == 1 else None


def is_ultralytics(raw: dict[str, Any]) -> bool:
    """Ultralytics' splits are strings or lists of strings; ours are mappings (and ours may say `format`)."""
    if "format" in raw:
        return False
    entries = [raw[s] for s in SPLITS if s in raw]
    flat = [e for entry in entries for e in (entry if isinstance(entry, list) else [entry])]
    return bool(flat) and all(isinstance(e, str) for e in flat)


def ultralytics_names(names: Any, origin: str) -> list[str]:
    if isinstance(names, list) and all(isinstance(n, str) for n in names):
        return names
    if isinstance(names, dict):
        ids = sorted(int(k) for k in names)
        if ids != list(range(len(ids))):
            raise DatasetError(f"{origin}: names ids must be 0..{len(ids) - 1} without gaps, got {ids}")
        return [str(names[k] if k in names else names[str(k)]) for k in ids]
    raise DatasetError(f"{origin}: `names` must be a list of class names or an id -> name mapping")


def ultralytics_spec(raw: dict[str, Any], yaml_path: Path) -> DatasetSpec:
    origin = str(yaml_path)
    if "names" not in raw:
        raise DatasetError(f"{origin}: an Ultralytics data.yaml needs `names` (a list or an id -> name mapping)")
    names = ultralytics_names(raw["names"], origin)
    root = dataset_root(raw.get("path"), yaml_path)
    spec: dict[str, Any] = {"format": "yolo", "names": names}
    for split in SPLITS:
        if split not in raw or raw[split] in (None, ""):
            continue
        entries = raw[split] if isinstance(raw[split], list) else [raw[split]]
        spec[split] = [ultralytics_entry(root, entry, names, origin) for entry in entries]
    return DatasetSpec(spec, root, origin)


def dataset_root(path: Any, yaml_path: Path) -> Path:
    """Ultralytics' `path`: absolute, or relative to the yaml's folder (then the working directory)."""
    if not path:
        return normalized(yaml_path.parent)
    given = Path(str(path)).expanduser()
    if given.is_absolute():
        return given
    for base in (yaml_path.parent, Path.cwd()):
        if (base / given).is_dir():
            return normalized(base / given)
    raise DatasetError(f"{yaml_path}: dataset root `path: {path}` not found beside the yaml "
                       f"({(yaml_path.parent / given).resolve()}) or in the working directory ({Path.cwd() / given})")


def normalized(path: Path) -> Path:
    """Absolute, `..` folded as written (os.path.normpath), symlinks kept: `../val.txt` beside a linked
    dataset root means beside the link, as the user sees the tree."""
    return Path(os.path.normpath(path.absolute()))


def ultralytics_entry(root: Path, entry: str, names: list[str], origin: str) -> dict[str, Any]:
    target = normalized(root / entry)
    if target.is_dir():
        return {"images": str(target), "labels_from_images": True, "source_names": names}
    if target.is_file() and target.suffix == ".txt":
        return {"list": str(target), "source_names": names}
    raise DatasetError(f"{origin}: split entry {entry!r} is neither a folder of images nor a .txt list ({target})")


def folder_spec(folder: Path) -> DatasetSpec:
    """A folder without a yaml: images/<split>/ + labels/<split>/ (Ultralytics), images/ + labels/, or images
    and txt files side by side. Names from classes.txt, else the 80 COCO classes (said in notes)."""
    folder = folder.resolve()
    notes, split_notes = [], {}
    classes_txt = next((p for p in (folder / "classes.txt", folder / "labels" / "classes.txt") if p.is_file()), None)
    if classes_txt is not None:
        names = [line.strip() for line in classes_txt.read_text().splitlines() if line.strip()]
    else:
        names = list(COCO_CLASSES)
        notes.append(f"no data.yaml or classes.txt in {folder}: taking the 80 COCO class names (the Ultralytics "
                     "default); write a data.yaml with `names:` for other classes")
    images = folder / "images"
    splits: dict[str, list[dict[str, Any]]] = {}
    if images.is_dir() and any(p.is_dir() for p in images.iterdir()):
        for sub in sorted(p for p in images.iterdir() if p.is_dir()):
            split = next((s for s in SPLITS if sub.name.startswith(s)), sub.name)
            splits.setdefault(split, []).append({"images": str(sub), "labels_from_images": True,
                                                 "source_names": names})
    elif images.is_dir():
        splits["train"] = [{"images": str(images), "labels": str(folder / "labels"), "source_names": names}]
    else:
        splits["train"] = [{"images": str(folder), "labels": str(folder), "source_names": names}]
    if "train" not in splits:
        first = next(iter(splits))
        splits["train"] = splits[first]
        split_notes["train"] = f"no train split in {folder}/images: training on {first!r}"
    if "val" not in splits:
        splits["val"] = splits["train"]
        split_notes["val"] = (f"no val split in {folder}: validating on the training images (as Ultralytics' "
                              "coco128.yaml does): the scores say nothing about generalisation")
    return DatasetSpec({"format": "yolo", "names": names, **splits}, folder, str(folder), notes, split_notes)


def all_split_entries(found: DatasetSpec, split: str | None = None) -> dict[str, Any]:
    """One split holding every distinct entry of the spec's splits (train, val, test in order), or of `split`:
    what `yolo-nano-bag make` turns into one bag."""
    spec = found.spec
    names = [split] if split else [s for s in SPLITS if s in spec]
    if split and split not in spec:
        present = [s for s in SPLITS if s in spec]
        raise DatasetError(f"{found.origin} has no {split!r} split (it has: {', '.join(present) or 'none'})")
    entries: list[Any] = []
    for name in names:
        for entry in spec[name] if isinstance(spec[name], list) else [spec[name]]:
            if entry not in entries:
                entries.append(entry)
    return {**{k: v for k, v in spec.items() if k not in SPLITS}, "all": entries}


def retarget(spec: dict[str, Any], target: str | list[str] | tuple[str, ...]) -> dict[str, Any]:
    """The spec with its boxes mapped onto `target` classes (by name; COCO -> VOC names too): each entry keeps
    the dataset's own names as its source. What evaluating a model, or a bag in a class set, needs."""
    out = dict(spec)
    for split in [*SPLITS, "all"]:
        if split not in spec:
            continue
        entries = spec[split] if isinstance(spec[split], list) else [spec[split]]
        out[split] = [{"source_names": spec.get("names", "voc"), **e} if isinstance(e, dict) else e for e in entries]
    out["names"] = list(target) if not isinstance(target, str) else target
    return out


def load_split(data: Path, split: str, classes: tuple[str, ...] | None = None) -> Dataset:
    """One split ("train", "val", "test") of what --data names: our DATA.yaml (docs/training.md), an
    Ultralytics data.yaml, or a dataset folder (read_dataset_spec). `classes`: map the boxes onto these
    (a model's classes) instead of the dataset's own target names."""
    found = read_dataset_spec(data)
    found.report(split)
    spec = retarget(found.spec, classes) if classes is not None else found.spec
    return load_split_spec(spec, found.base, split, found.origin)
