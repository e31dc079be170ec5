"""Paths to the real data the tests use, all inside the repository (a clone needs nothing beside it)."""

from __future__ import annotations

from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
DATA = REPO_ROOT / "data"
COCO128 = DATA / "coco128"
COCO128_IMAGES = COCO128 / "images" / "train2017"
COCO128_VOC_YAML = REPO_ROOT / "config" / "datasets" / "coco128_voc.yaml"
DEMO_MODEL = REPO_ROOT / "models" / "yolo_nano_coco128_voc.onnx"
TEGRASTATS_SAMPLES = DATA / "tegrastats" / "samples.tsv"


def coco128_images(n: int) -> list[Path]:
    return sorted(COCO128_IMAGES.glob("*.jpg"))[:n]
