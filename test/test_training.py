"""Proof that the model learns on real data, and the training machinery around it."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest
import yaml

torch = pytest.importorskip("torch")

from conftest_data import COCO128, COCO128_VOC_YAML  # noqa: E402

from yolo_nano_ros.data.dataset_spec import load_split  # noqa: E402
from yolo_nano_ros.training.anchors import anchors_for_dataset, kmeans_anchors  # noqa: E402
from yolo_nano_ros.training.trainer import TrainSettings, lr_factor, train  # noqa: E402


def overfit_yaml(tmp_path: Path, n: int = 8) -> Path:
    part = {"images": str(COCO128 / "images/train2017"), "labels": str(COCO128 / "labels/train2017"),
            "source_names": "coco", "range": [0, n]}
    path = tmp_path / "overfit.yaml"
    path.write_text(yaml.safe_dump({"format": "yolo", "names": "voc", "train": part, "val": part}))
    return path


@pytest.mark.slow
@pytest.mark.timeout(1200)
def test_overfits_real_images_to_map50_above_half(tmp_path):
    """Fails if the loss, target assignment, decoding, NMS or metrics break: only if all of them are
    consistent does a network reach mAP@0.5 >= 0.5 on the images it trained on."""
    data = overfit_yaml(tmp_path)
    settings = TrainSettings(data=data, out=tmp_path / "run", epochs=100, batch_size=8, input_size=256, lr=0.02,
                             augment=False, eval_every=100, workers=0, seed=0, progress=False, device="cpu")
    result = train(settings)
    assert result.best_map50 >= 0.5, f"overfit mAP@0.5 only {result.best_map50:.3f}"
    rows = list(csv.DictReader((tmp_path / "run/results.csv").open()))
    assert len(rows) == 100
    assert float(rows[-1]["loss_box"]) < 0.5 * float(rows[0]["loss_box"])
    assert result.best_checkpoint.exists() and result.last_checkpoint.exists()


@pytest.mark.slow
@pytest.mark.timeout(1200)
def test_resume_continues_from_last_checkpoint(tmp_path):
    data = overfit_yaml(tmp_path, n=4)
    common = {"data": data, "out": tmp_path / "run", "batch_size": 4, "input_size": 128, "augment": True,
              "eval_every": 2, "workers": 0, "progress": False, "device": "cpu", "mosaic": 0.5}
    train(TrainSettings(epochs=2, **common))
    resumed = train(TrainSettings(epochs=4, resume=True, **common))
    assert [int(r["epoch"]) for r in resumed.history] == [1, 2, 3, 4]
    assert [int(r["epoch"]) for r in csv.DictReader((tmp_path / "run/results.csv").open())] == [1, 2, 3, 4]


def test_warmup_then_cosine_schedule():
    values = [lr_factor(i, 10, 110, 0.05) for i in range(110)]
    assert values[0] == pytest.approx(0.1) and values[9] == pytest.approx(1.0)
    tail = values[10:]
    assert all(a >= b for a, b in zip(tail, tail[1:], strict=False))  # noqa: RUF007
    assert values[-1] == pytest.approx(0.05, abs=1e-3)


def test_kmeans_anchors_recover_planted_clusters():
    rng = np.random.default_rng(0)
    centres = np.array([[12, 16], [30, 60], [60, 40], [80, 150], [150, 100], [120, 250], [250, 200], [200, 380],
                        [380, 300]], float)
    wh = np.concatenate([c * rng.uniform(0.95, 1.05, (200, 2)) for c in centres])
    anchors, fitness = kmeans_anchors(wh, seed=0)
    found = np.array([a for level in anchors for a in level])
    assert found.shape == (9, 2)
    assert np.all(np.diff(found.prod(1)) > 0), "anchors sorted small -> large"
    np.testing.assert_allclose(np.sort(found.prod(1)), np.sort(centres.prod(1)), rtol=0.1)
    assert fitness > 0.9


def test_anchors_for_coco128():
    anchors, fitness = anchors_for_dataset(COCO128_VOC_YAML, 416)
    assert len(anchors) == 3 and all(len(level) == 3 for level in anchors)
    assert 0.5 < fitness <= 1.0


def test_coco128_voc_split_counts_match_dataset_notes():
    train_set, val_set = load_split(COCO128_VOC_YAML, "train"), load_split(COCO128_VOC_YAML, "val")
    assert len(train_set.samples) + len(val_set.samples) == 128
    assert sum(len(s.labels) for s in train_set.samples + val_set.samples) == 452  # NOTES.md
