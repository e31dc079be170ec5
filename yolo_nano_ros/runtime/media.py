"""Iterate images from files, folders and video files, as RGB frames with a name."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import cv2
import numpy as np

IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".bmp", ".webp", ".tif", ".tiff"}
VIDEO_SUFFIXES = {".mp4", ".avi", ".mov", ".mkv", ".webm", ".m4v"}


def list_images(folder: Path, recursive: bool = True) -> list[Path]:
    """The image files in a folder (and below it, unless recursive=False), sorted: the one listing every tool uses."""
    found = folder.rglob("*") if recursive else folder.iterdir()
    return sorted(p for p in found if p.suffix.lower() in IMAGE_SUFFIXES and p.is_file())


def expand_paths(paths: list[Path]) -> list[Path]:
    out: list[Path] = []
    for p in paths:
        if p.is_dir():
            out += sorted(q for q in p.rglob("*") if q.suffix.lower() in IMAGE_SUFFIXES | VIDEO_SUFFIXES)
        elif p.exists():
            out.append(p)
        else:
            raise FileNotFoundError(f"no such file or folder: {p}")
    return out


def iter_frames(paths: list[Path]) -> Iterator[tuple[str, np.ndarray | None]]:
    """(name, RGB frame) per image or video frame; frame None for an unreadable image (reported, skipped)."""
    for path in expand_paths(paths):
        if path.suffix.lower() in VIDEO_SUFFIXES:
            cap = cv2.VideoCapture(str(path))
            index = 0
            while True:
                ok, bgr = cap.read()
                if not ok:
                    break
                yield f"{path}#{index:06d}", cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
                index += 1
            cap.release()
        else:
            image = cv2.imread(str(path), cv2.IMREAD_COLOR)
            yield str(path), None if image is None else cv2.cvtColor(image, cv2.COLOR_BGR2RGB)
