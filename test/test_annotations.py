"""VOC XML and COCO JSON readers (YOLO txt is covered by the coco128 tests), with class mapping."""

from __future__ import annotations

import json

import cv2
import numpy as np
import pytest
import yaml

from yolo_nano_ros.data.annotations import DatasetError
from yolo_nano_ros.data.dataset_spec import load_split

VOC_XML = """<annotation><filename>{id}.jpg</filename><size><width>64</width><height>48</height><depth>3</depth></size>
<object><name>dog</name><difficult>0</difficult><bndbox><xmin>11</xmin><ymin>6</ymin><xmax>30</xmax><ymax>40</ymax></bndbox></object>
<object><name>person</name><difficult>1</difficult><bndbox><xmin>1</xmin><ymin>1</ymin><xmax>10</xmax><ymax>10</ymax></bndbox></object>
</annotation>"""


def test_voc_reader_with_difficult_and_one_based_pixels(tmp_path):
    root = tmp_path / "VOC2007"
    for sub in ("Annotations", "JPEGImages", "ImageSets/Main"):
        (root / sub).mkdir(parents=True)
    for image_id in ("000001", "000002"):
        (root / "Annotations" / f"{image_id}.xml").write_text(VOC_XML.format(id=image_id))
        cv2.imwrite(str(root / "JPEGImages" / f"{image_id}.jpg"), np.zeros((48, 64, 3), np.uint8))
    (root / "ImageSets/Main/test.txt").write_text("000001\n000002\n")
    spec = tmp_path / "voc.yaml"
    spec.write_text(yaml.safe_dump({"format": "voc", "names": "voc", "val": {"root": "VOC2007", "image_set": "test"}}))
    ds = load_split(spec, "val")
    assert len(ds.samples) == 2
    s = ds.samples[0]
    np.testing.assert_allclose(s.boxes[0], [10, 5, 30, 40])  # 1-based inclusive -> continuous
    assert [ds.names[i] for i in s.labels] == ["dog", "person"]
    assert s.difficult.tolist() == [False, True] and (s.width, s.height) == (64, 48)


def test_coco_reader_maps_names_and_marks_crowds(tmp_path):
    data = {
        "images": [{"id": 7, "file_name": "a.jpg", "width": 100, "height": 80}],
        "categories": [{"id": 1, "name": "person"}, {"id": 5, "name": "airplane"}, {"id": 90, "name": "toothbrush"}],
        "annotations": [
            {"id": 1, "image_id": 7, "category_id": 5, "bbox": [10, 20, 30, 40], "iscrowd": 0},
            {"id": 2, "image_id": 7, "category_id": 1, "bbox": [0, 0, 50, 50], "iscrowd": 1},
            {"id": 3, "image_id": 7, "category_id": 90, "bbox": [1, 1, 2, 2], "iscrowd": 0},
        ],
    }
    (tmp_path / "ann.json").write_text(json.dumps(data))
    spec = tmp_path / "coco.yaml"
    spec.write_text(yaml.safe_dump({"format": "coco", "names": "voc",
                                    "train": {"annotations": "ann.json", "images": "imgs"}}))
    ds = load_split(spec, "train")
    s = ds.samples[0]
    np.testing.assert_allclose(s.boxes, [[10, 20, 40, 60], [0, 0, 50, 50]])
    assert [ds.names[i] for i in s.labels] == ["aeroplane", "person"]
    assert s.difficult.tolist() == [False, True]
    assert ds.skipped["boxes_unmapped"] == 1  # toothbrush has no VOC class


def test_bad_specs_are_explained(tmp_path):
    spec = tmp_path / "bad.yaml"
    spec.write_text(yaml.safe_dump({"format": "kitti", "names": "voc", "train": {"images": "x"}}))
    with pytest.raises(DatasetError, match="unknown format 'kitti'"):
        load_split(spec, "train")
    with pytest.raises(DatasetError, match="no 'val' split \\(it has: train\\)"):
        load_split(spec, "val")
