"""Dataset -> rosbag2 -> frames round trip (sqlite3 and mcap) and the yolo-nano-bag CLI."""

from __future__ import annotations

import numpy as np
import pytest
from conftest_data import COCO128_VOC_YAML, REPO_ROOT

from yolo_nano_ros.apps.bag_cli import main
from yolo_nano_ros.bag.frames import BagError, ground_truth_by_stamp, iter_raw_frames
from yolo_nano_ros.bag.writer import BagSettings, dataset_from_folder, write_bag
from yolo_nano_ros.data.dataset_spec import load_split

SAMPLES = REPO_ROOT / "data" / "samples"


@pytest.mark.ros
@pytest.mark.parametrize("storage", ["sqlite3", "mcap"])
@pytest.mark.parametrize("compressed", [False, True])
def test_coco128_to_bag_round_trip(tmp_path, storage, compressed):
    from rclpy.serialization import deserialize_message
    from sensor_msgs.msg import CompressedImage, Image

    dataset = load_split(COCO128_VOC_YAML, "train")
    dataset.samples = dataset.samples[:10]
    assert sum(len(s.labels) for s in dataset.samples) > 10, "the round trip must carry real boxes"
    bag = tmp_path / "bag"
    assert write_bag(dataset, BagSettings(bag, storage=storage, compressed=compressed), progress=False) == 10
    frames = list(iter_raw_frames(bag))
    assert len(frames) == 10
    gt = ground_truth_by_stamp(bag)
    for frame, sample in zip(frames, dataset.samples, strict=True):
        msg = deserialize_message(frame.cdr, CompressedImage if compressed else Image)  # rclpy reads rosbags' CDR
        stamp = msg.header.stamp.sec * 10**9 + msg.header.stamp.nanosec
        truth = gt[stamp]
        np.testing.assert_allclose(truth.boxes, sample.boxes, atol=1e-3)
        assert truth.class_ids == [dataset.names[i] for i in sample.labels]
        if not compressed:
            assert (msg.width, msg.height, msg.encoding) == (sample.width, sample.height, "rgb8")


def test_dataset_folder_is_read_without_writing_into_it(tmp_path):
    before = sorted(p.name for p in SAMPLES.rglob("*"))
    dataset = dataset_from_folder("yolo", SAMPLES, "voc")
    assert len(dataset.samples) == 12 and sum(len(s.labels) for s in dataset.samples) > 12
    assert sorted(p.name for p in SAMPLES.rglob("*")) == before


def test_bag_cli_and_clear_errors(tmp_path, capsys):
    assert main(["make", "--from", "yolo", str(SAMPLES), "--out", str(tmp_path / "b"), "--storage", "mcap"]) == 0
    assert main(["make", "--from", "yolo", str(SAMPLES), "--out", str(tmp_path / "b")]) == 2
    assert "exists" in capsys.readouterr().err
    assert main(["make", "--from", "coco", str(tmp_path), "--out", str(tmp_path / "c")]) == 2
    assert "no COCO annotation .json" in capsys.readouterr().err
    with pytest.raises(BagError, match="not in the bag; it has: /camera/image_raw"):
        list(iter_raw_frames(tmp_path / "b", "/wrong/topic"))
