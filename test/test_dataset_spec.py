"""--data as users have it: our DATA.yaml, an Ultralytics data.yaml, or a dataset folder (coco128 as it ships)."""

from __future__ import annotations

import logging
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import yaml
from conftest_data import COCO128_VOC_YAML, DEMO_MODEL, REPO_ROOT

from yolo_nano_ros.data.annotations import DatasetError, label_path_for
from yolo_nano_ros.data.class_names import COCO_CLASSES, VOC_CLASSES
from yolo_nano_ros.data.dataset_spec import load_split

COCO128 = REPO_ROOT / "data" / "coco128"
BIN = Path(sys.executable).parent


def ultralytics_yaml(tmp_path: Path, **fields) -> Path:
    path = tmp_path / "coco128.yaml"
    spec = {"path": str(COCO128), "train": "images/train2017", "val": "images/train2017",
            "names": dict(enumerate(COCO_CLASSES))} | fields
    path.write_text(yaml.safe_dump(spec, sort_keys=False))
    return path


def same_samples(a, b) -> None:
    assert [s.image_path for s in a.samples] == [s.image_path for s in b.samples]
    for x, y in zip(a.samples, b.samples, strict=True):
        np.testing.assert_allclose(x.boxes, y.boxes)
        np.testing.assert_array_equal(x.labels, y.labels)


def test_ultralytics_yaml_reads_the_boxes_our_data_yaml_reads(tmp_path):
    ours = load_split(COCO128_VOC_YAML, "train")
    ours.samples += load_split(COCO128_VOC_YAML, "val").samples  # ours splits coco128 96 / 32
    theirs = load_split(ultralytics_yaml(tmp_path), "train", classes=VOC_CLASSES)
    assert len(theirs.samples) == 128 and theirs.names == VOC_CLASSES
    same_samples(theirs, ours)
    own = load_split(ultralytics_yaml(tmp_path), "val")  # without classes: the dataset's own 80
    assert own.names == COCO_CLASSES and sum(len(s.labels) for s in own.samples) > sum(
        len(s.labels) for s in theirs.samples), "COCO classes without a VOC name are kept in its own names"


def test_names_as_a_list_relative_path_and_txt_lists(tmp_path):
    images = sorted((COCO128 / "images" / "train2017").glob("*.jpg"))
    ds = tmp_path / "ds"
    ds.mkdir()
    (ds / "coco128").symlink_to(COCO128)  # `path` relative to the yaml
    (ds / "val.txt").write_text("".join(f"./coco128/images/train2017/{p.name}\n" for p in images[:5]))
    (ds / "data.yaml").write_text(yaml.safe_dump({"path": "coco128", "train": ["images/train2017"],
                                                  "val": "../val.txt", "names": list(COCO_CLASSES)}))
    val = load_split(ds, "val")  # the folder: its data.yaml is found
    assert [s.image_path.name for s in val.samples] == [p.name for p in images[:5]]
    for sample in val.samples:
        label = COCO128 / "labels" / "train2017" / f"{sample.image_path.stem}.txt"
        lines = [line for line in label.read_text().splitlines() if line.strip()] if label.exists() else []
        assert len(sample.labels) == len(lines), sample.image_path
    assert len(load_split(ds, "train").samples) == 128
    (ds / "val.txt").write_text(f"{images[0]}\n./missing.jpg\n")
    with pytest.raises(DatasetError, match=r"1 of 2 listed images do not exist, first .*missing\.jpg"):
        load_split(ds / "data.yaml", "val")


def test_coco128_folder_as_it_ships(caplog):
    with caplog.at_level(logging.WARNING):
        train = load_split(COCO128, "train")
        val = load_split(COCO128, "val")
    assert len(train.samples) == len(val.samples) == 128 and train.names == COCO_CLASSES
    assert "taking the 80 COCO class names" in caplog.text and "validating on the training images" in caplog.text
    samples = load_split(REPO_ROOT / "data" / "samples", "val", classes=VOC_CLASSES)  # its data.yaml
    assert len(samples.samples) == 12 and sum(len(s.labels) for s in samples.samples) > 12


def test_label_path_replaces_the_last_images_component():
    assert label_path_for(Path("/d/images/train2017/a.jpg")) == Path("/d/labels/train2017/a.txt")
    assert label_path_for(Path("/images/x/images/b.png")) == Path("/images/x/labels/b.txt")
    assert label_path_for(Path("/flat/c.jpg")) == Path("/flat/c.txt")


@pytest.mark.parametrize(("write", "split", "message"), [
    (lambda d: None, "train", "dataset not found"),
    (lambda d: (d / "x.yaml").write_text("train: images/nope\nnames: [a]\npath: .\n"), "train",
     "split entry 'images/nope' is neither a folder of images nor a .txt list"),
    (lambda d: (d / "x.yaml").write_text("train: images\nnames: {0: a, 2: b}\n"), "train",
     r"names ids must be 0..1 without gaps"),
    (lambda d: (d / "x.yaml").write_text("train: images\n"), "train", "needs `names`"),
    (lambda d: (d / "x.yaml").write_text("path: nowhere\ntrain: images\nnames: [a]\n"), "train",
     "dataset root `path: nowhere` not found"),
    (lambda d: (d / "x.yaml").write_text(f"path: {COCO128}\ntrain: images/train2017\nnames: [a]\n"), "test",
     "has no 'test' split \\(it has: train\\)"),
    (lambda d: ((d / "images").mkdir(), (d / "x.yaml").write_text("path: .\ntrain: images\nnames: [a]\n")), "train",
     "no images for split 'train' \\(looked in .*images\\)"),
])
def test_every_failure_says_what_was_looked_for_and_where(tmp_path, write, split, message):
    write(tmp_path)
    with pytest.raises((DatasetError, FileNotFoundError), match=message):
        load_split(tmp_path / "x.yaml", split)


def run(*argv: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run([str(BIN / argv[0]), *argv[1:]], capture_output=True, text=True, timeout=600, cwd=cwd,
                          stdin=subprocess.DEVNULL)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    return proc


def test_bag_make_and_evaluate_take_coco128_as_it_ships(tmp_path):
    made = run("yolo-nano-bag", "make", "--from", "yolo", str(COCO128), "--out", str(tmp_path / "bag"), cwd=tmp_path)
    assert "wrote 128 frames" in made.stdout
    evaluated = run("yolo-nano", "evaluate", str(DEMO_MODEL), "--data", str(ultralytics_yaml(tmp_path)), cwd=tmp_path)
    from_folder = run("yolo-nano", "evaluate", str(DEMO_MODEL), "--data", str(COCO128), cwd=tmp_path)
    assert "mAP@0.5" in evaluated.stdout and evaluated.stdout == from_folder.stdout


@pytest.mark.slow
def test_train_takes_an_ultralytics_data_yaml(tmp_path):
    import torch

    images = sorted((COCO128 / "images" / "train2017").glob("*.jpg"))[:4]
    (tmp_path / "four.txt").write_text("".join(f"{p}\n" for p in images))
    data = ultralytics_yaml(tmp_path, train=str(tmp_path / "four.txt"), val=str(tmp_path / "four.txt"))
    run("yolo-nano", "train", "--data", str(data), "--epochs", "1", "--batch-size", "4", "--input-size", "128",
        "--workers", "0", "--eval-every", "1", "--device", "cpu", "--out", str(tmp_path / "run"), cwd=tmp_path)
    checkpoint = torch.load(tmp_path / "run" / "last.pt", weights_only=True)
    assert tuple(checkpoint["config"]["class_names"]) == COCO_CLASSES
