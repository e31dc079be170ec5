"""Bags per ROS distro: Humble-readable metadata (written and converted), checked field by field against
rosbag2 Humble's reader; every variant still read by rosbags with byte-identical message data."""

from __future__ import annotations

import hashlib
import sqlite3
from pathlib import Path

import pytest
import yaml
from conftest_data import DEMO_MODEL, REPO_ROOT
from rosbags.rosbag2 import Reader

from yolo_nano_ros.apps.bag_cli import main as bag_main
from yolo_nano_ros.apps.eval_cli import main as eval_main
from yolo_nano_ros.bag.frames import BagError

SAMPLES = REPO_ROOT / "data" / "samples"

# Transcribed from ros2/rosbag2: rosbag2_storage/include/rosbag2_storage/yaml.hpp, convert<BagMetadata>,
# convert<TopicInformation>, convert<TopicMetadata>, convert<FileInformation> and the duration / time point
# converters: the fields they read for a version-5 file, i.e. what Humble (rosbag2 0.15, metadata
# version 5) writes and reads. Types are what `.as<T>()` asks for; version 5 has no type_description_hash,
# custom_data or ros_distro (read only from versions 7, 6, 8 on).
DURATION = {"nanoseconds": int}
TIME_POINT = {"nanoseconds_since_epoch": int}
HUMBLE_METADATA_V5 = {
    "version": int, "storage_identifier": str, "duration": DURATION, "starting_time": TIME_POINT,
    "message_count": int,
    "topics_with_message_count": [{"topic_metadata": {"name": str, "type": str, "serialization_format": str,
                                                      "offered_qos_profiles": str},
                                   "message_count": int}],
    "compression_format": str, "compression_mode": str, "relative_file_paths": [str],
    "files": [{"path": str, "starting_time": TIME_POINT, "duration": DURATION, "message_count": int}],
}
# Transcribed from ros2/rosbag2: rosbag2_transport/src/rosbag2_transport/qos.cpp, convert<Rosbag2QoS>::decode
# (Humble's): enums as integers cast to rmw's enums, durations as {sec, nsec} unsigned integers. The value
# ranges are rmw's (rmw/types.h): history 0-3, reliability 0-3, durability 0-3, liveliness 0-4.
RMW_DURATION = {"sec": int, "nsec": int}
HUMBLE_QOS = {"history": range(4), "depth": int, "reliability": range(4), "durability": range(4),
              "deadline": RMW_DURATION, "lifespan": RMW_DURATION, "liveliness": range(5),
              "liveliness_lease_duration": RMW_DURATION, "avoid_ros_namespace_conventions": bool}
# The shape of a real Humble `ros2 bag record` offer (issue 17: discovery reports history unknown, depth 0):
# the checker must accept it, or it proves nothing about our files.
REAL_HUMBLE_OFFER = ("- history: 3\n  depth: 0\n  reliability: 1\n  durability: 1\n  deadline:\n    sec: "
                     "9223372036\n    nsec: 854775807\n  lifespan:\n    sec: 9223372036\n    nsec: 854775807\n"
                     "  liveliness: 1\n  liveliness_lease_duration:\n    sec: 9223372036\n    nsec: 854775807\n"
                     "  avoid_ros_namespace_conventions: false")


def check(value, schema, where: str) -> None:
    """`value` has exactly the schema's keys, each of the type (or in the range) the reader decodes."""
    if isinstance(schema, dict):
        assert isinstance(value, dict) and set(value) == set(schema), (where, sorted(value), sorted(schema))
        for key, sub in schema.items():
            check(value[key], sub, f"{where}.{key}")
    elif isinstance(schema, list):
        assert isinstance(value, list) and value, where
        for i, item in enumerate(value):
            check(item, schema[0], f"{where}[{i}]")
    elif isinstance(schema, range):
        assert type(value) is int and value in schema, (where, value)
    else:
        assert type(value) is schema, (where, type(value).__name__, schema.__name__)


def check_humble_qos(text: str, where: str) -> None:
    assert isinstance(text, str), f"{where}: Humble wants the offers as one YAML string"
    profiles = yaml.safe_load(text)
    assert isinstance(profiles, list) and profiles, where
    for i, profile in enumerate(profiles):
        check(profile, HUMBLE_QOS, f"{where}[{i}]")


def check_humble_bag(bag: Path) -> None:
    info = yaml.safe_load((bag / "metadata.yaml").read_text())["rosbag2_bagfile_information"]
    check(info, HUMBLE_METADATA_V5, "metadata")
    assert info["version"] == 5
    for topic in info["topics_with_message_count"]:
        check_humble_qos(topic["topic_metadata"]["offered_qos_profiles"], topic["topic_metadata"]["name"])
    if info["storage_identifier"] == "sqlite3":  # Humble's player reads the offers from the topics table
        with sqlite3.connect(bag / info["relative_file_paths"][0]) as conn:
            for name, offered in conn.execute("SELECT name, offered_qos_profiles FROM topics"):
                check_humble_qos(offered, f"sqlite topics {name}")
    else:  # and from the mcap channels
        from mcap.reader import make_reader

        with (bag / info["relative_file_paths"][0]).open("rb") as f:
            summary = make_reader(f).get_summary()
        for channel in summary.channels.values():
            check_humble_qos(channel.metadata["offered_qos_profiles"], f"mcap channel {channel.topic}")


def messages(bag: Path) -> list[tuple[str, int, bytes]]:
    with Reader(bag) as reader:
        return [(c.topic, t, bytes(raw)) for c, t, raw in reader.messages()]


def folder_hash(bag: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(bag.rglob("*")):
        digest.update(path.name.encode() + (path.read_bytes() if path.is_file() else b""))
    return digest.hexdigest()


def make(out: Path, *args: str) -> Path:
    assert bag_main(["make", "--from", "yolo", str(SAMPLES), "--out", str(out), *args]) == 0
    return out


def test_the_checker_accepts_a_real_humble_offer_and_rejects_jazzys():
    check_humble_qos(REAL_HUMBLE_OFFER, "real Humble")
    jazzy = yaml.safe_dump([{**yaml.safe_load(REAL_HUMBLE_OFFER)[0], "history": "keep_last"}])
    with pytest.raises(AssertionError):
        check_humble_qos(jazzy, "jazzy-style")
    with pytest.raises(AssertionError):
        check_humble_qos(yaml.safe_load(REAL_HUMBLE_OFFER), "a list, not a string")


@pytest.mark.parametrize("storage", ["sqlite3", "mcap"])
def test_every_distro_variant_reads_with_identical_message_data(tmp_path, storage):
    kilted = make(tmp_path / "kilted", "--storage", storage)
    jazzy = make(tmp_path / "jazzy", "--storage", storage, "--ros-distro", "jazzy")
    humble = make(tmp_path / "humble", "--storage", storage, "--ros-distro", "humble")
    before = folder_hash(kilted)
    assert bag_main(["convert", str(kilted), "--out", str(tmp_path / "converted"), "--ros-distro", "humble"]) == 0
    assert folder_hash(kilted) == before, "convert wrote into its input"
    converted = tmp_path / "converted"
    for bag in (humble, converted):
        check_humble_bag(bag)
    for bag in (kilted, jazzy):
        info = yaml.safe_load((bag / "metadata.yaml").read_text())["rosbag2_bagfile_information"]
        assert info["version"] == 9
    reference = messages(kilted)
    assert len(reference) == 36
    for bag in (jazzy, humble, converted):
        assert messages(bag) == reference, bag.name


def test_convert_refuses_to_overwrite_and_names_what_is_wrong(tmp_path, capsys):
    bag = make(tmp_path / "bag")
    assert bag_main(["convert", str(bag), "--out", str(bag), "--ros-distro", "humble"]) == 2
    assert "exists" in capsys.readouterr().err
    assert bag_main(["convert", str(tmp_path / "nope"), "--out", str(tmp_path / "o"), "--ros-distro", "humble"]) == 2
    assert "has no metadata.yaml: not a rosbag2 folder" in capsys.readouterr().err
    assert not (tmp_path / "o").exists()
    with pytest.raises(BagError, match="choose one of humble, jazzy, kilted"):
        from yolo_nano_ros.bag.ros_distro import parse_distro

        parse_distro("rolling")


def test_the_evaluators_detections_bag_for_humble(tmp_path):
    bag = make(tmp_path / "bag")
    out = tmp_path / "eval"
    assert eval_main([str(bag), "--model", str(DEMO_MODEL), "--out", str(out), "--quiet",
                      "--ros-distro", "humble"]) == 0
    check_humble_bag(out / "detections")
    with Reader(out / "detections") as reader:
        assert "/yolo_nano/detections" in {c.topic for c in reader.connections}
