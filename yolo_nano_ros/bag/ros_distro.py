"""Bags each ROS 2 distro's `ros2 bag` reads: rosbag2 metadata version, QoS string format, storage.

rosbags writes metadata version 9 (Jazzy's and Kilted's format: offered_qos_profiles as a YAML list with
named enums) or 8. Humble's rosbag2 (0.15, what JetPack 6 robots run) writes and reads version 5, and
its QoS decoder wants offered_qos_profiles as a YAML *string* holding a list of mappings with integer
enums and {sec, nsec} durations; newer bags fail there with yaml-cpp "bad conversion" (rosbag2 #1895,
#2013; not backported). So a Humble bag is written as version 8 (whose QoS string already has that
shape) and its metadata rewritten to version 5's field set; `convert_for_humble` does the same to any
bag, rewriting metadata only: metadata.yaml, the sqlite3 topics table's QoS strings, or the mcap
channels' QoS records (message records copied byte for byte).
"""

from __future__ import annotations

import shutil
import sqlite3
from enum import Enum
from pathlib import Path
from typing import Any, Literal

import yaml
from rosbags.interfaces import Qos, QosDurability, QosHistory, QosLiveliness, QosReliability, QosTime
from rosbags.rosbag2 import Reader

from yolo_nano_ros.bag.frames import BagError


class RosDistro(Enum):
    HUMBLE = "humble"
    JAZZY = "jazzy"
    KILTED = "kilted"


DEFAULT_DISTRO = RosDistro.KILTED  # the newest format rosbags writes (metadata 9), which Jazzy reads too
WRITER_VERSION: dict[RosDistro, Literal[8, 9]] = {RosDistro.HUMBLE: 8, RosDistro.JAZZY: 9, RosDistro.KILTED: 9}
HUMBLE_METADATA_VERSION = 5
INFINITE = QosTime(sec=9223372036, nsec=854775807)  # RMW_DURATION_INFINITE as rosbag2 writes it

# What every bag we write offers on replay: reliable (what Fast DDS 2.x needs for camera-sized frames,
# and compatible with best-effort subscribers), volatile, the last 10.
OFFERED_QOS = [Qos(history=QosHistory.KEEP_LAST, depth=10, reliability=QosReliability.RELIABLE,
                   durability=QosDurability.VOLATILE, deadline=INFINITE, lifespan=INFINITE,
                   liveliness=QosLiveliness.AUTOMATIC, liveliness_lease_duration=INFINITE,
                   avoid_ros_namespace_conventions=False)]

# rmw's enum values (rmw/types.h): what Humble's Rosbag2QoS decoder casts the integers to.
HISTORY = {"system_default": 0, "keep_last": 1, "keep_all": 2, "unknown": 3}
RELIABILITY = {"system_default": 0, "reliable": 1, "best_effort": 2, "unknown": 3, "best_available": 4}
DURABILITY = {"system_default": 0, "transient_local": 1, "volatile": 2, "unknown": 3, "best_available": 4}
LIVELINESS = {"system_default": 0, "automatic": 1, "manual_by_node": 2, "manual_by_topic": 3, "unknown": 4,
              "best_available": 5}


def parse_distro(name: str) -> RosDistro:
    try:
        return RosDistro(name)
    except ValueError:
        raise BagError(f"--ros-distro {name!r}: choose one of {', '.join(d.value for d in RosDistro)}") from None


def humble_qos_string(profiles: Any) -> str:
    """Any rosbag2 offered_qos_profiles (v4-8 string, v9 list, named or integer enums) -> Humble's string."""
    if isinstance(profiles, str):
        profiles = yaml.safe_load(profiles) if profiles.strip() else []
    out = []
    for p in profiles or []:
        out.append({
            "history": _enum(p["history"], HISTORY), "depth": int(p["depth"]),
            "reliability": _enum(p["reliability"], RELIABILITY), "durability": _enum(p["durability"], DURABILITY),
            "deadline": _duration(p["deadline"]), "lifespan": _duration(p["lifespan"]),
            "liveliness": _enum(p["liveliness"], LIVELINESS),
            "liveliness_lease_duration": _duration(p["liveliness_lease_duration"]),
            "avoid_ros_namespace_conventions": bool(p["avoid_ros_namespace_conventions"]),
        })
    if not out:  # Humble's player cannot decode an empty offer: give it ours
        return humble_qos_string([qos_dict(q) for q in OFFERED_QOS])
    return yaml.safe_dump(out, sort_keys=False).strip()


def qos_dict(q: Qos) -> dict[str, Any]:
    return {"history": q.history.value, "depth": q.depth, "reliability": q.reliability.value,
            "durability": q.durability.value, "deadline": {"sec": q.deadline.sec, "nsec": q.deadline.nsec},
            "lifespan": {"sec": q.lifespan.sec, "nsec": q.lifespan.nsec}, "liveliness": q.liveliness.value,
            "liveliness_lease_duration": {"sec": q.liveliness_lease_duration.sec,
                                          "nsec": q.liveliness_lease_duration.nsec},
            "avoid_ros_namespace_conventions": q.avoid_ros_namespace_conventions}


def _enum(value: Any, table: dict[str, int]) -> int:
    if isinstance(value, int):
        return value
    key = str(value).lower()
    if key not in table:
        raise BagError(f"QoS value {value!r} is not one of {', '.join(table)}")
    return table[key]


def _duration(value: Any) -> dict[str, int]:
    if isinstance(value, dict):
        return {"sec": int(value["sec"]), "nsec": int(value["nsec"])}
    raise BagError(f"QoS duration {value!r} is not a {{sec, nsec}} mapping")


def humble_metadata(info: dict[str, Any]) -> dict[str, Any]:
    """rosbag2_bagfile_information of any version -> version 5's fields, in the order Humble writes them."""
    topics = [{"topic_metadata": {"name": t["topic_metadata"]["name"], "type": t["topic_metadata"]["type"],
                                  "serialization_format": t["topic_metadata"]["serialization_format"],
                                  "offered_qos_profiles": humble_qos_string(
                                      t["topic_metadata"].get("offered_qos_profiles", ""))},
               "message_count": int(t["message_count"])} for t in info["topics_with_message_count"]]
    return {
        "version": HUMBLE_METADATA_VERSION,
        "storage_identifier": info["storage_identifier"],
        "duration": {"nanoseconds": int(info["duration"]["nanoseconds"])},
        "starting_time": {"nanoseconds_since_epoch": int(info["starting_time"]["nanoseconds_since_epoch"])},
        "message_count": int(info["message_count"]),
        "topics_with_message_count": topics,
        "compression_format": info.get("compression_format") or "",
        "compression_mode": info.get("compression_mode") or "",
        "relative_file_paths": list(info["relative_file_paths"]),
        "files": [{"path": f["path"],
                   "starting_time": {"nanoseconds_since_epoch": int(f["starting_time"]["nanoseconds_since_epoch"])},
                   "duration": {"nanoseconds": int(f["duration"]["nanoseconds"])},
                   "message_count": int(f["message_count"])} for f in info.get("files") or []],
    }


def read_metadata(bag: Path) -> dict[str, Any]:
    path = bag / "metadata.yaml"
    if not path.is_file():
        raise BagError(f"{bag} has no metadata.yaml: not a rosbag2 folder")
    info = yaml.safe_load(path.read_text())["rosbag2_bagfile_information"]
    if not isinstance(info, dict):
        raise BagError(f"{path}: no rosbag2_bagfile_information mapping")
    return info


def write_humble_metadata(bag: Path, info: dict[str, Any]) -> None:
    text = yaml.safe_dump({"rosbag2_bagfile_information": humble_metadata(info)}, sort_keys=False)
    (bag / "metadata.yaml").write_text(text)


def make_humble_in_place(bag: Path) -> None:
    """A bag we just wrote at version 8 -> Humble's: its QoS strings already have Humble's shape (and ours
    are never empty), so only metadata.yaml changes."""
    write_humble_metadata(bag, read_metadata(bag))


def convert_for_humble(bag: Path, out: Path) -> Path:
    """A copy of `bag` that Humble's `ros2 bag play` reads; the input is never touched."""
    if out.exists():
        raise FileExistsError(f"{out} exists; choose another --out or delete it")
    if out.resolve() == bag.resolve():
        raise BagError("--out must differ from the input bag: convert never writes into it")
    info = read_metadata(bag)
    if info.get("compression_mode"):
        raise BagError(f"{bag} is compressed ({info['compression_mode']} {info.get('compression_format')}); "
                       "decompress it first (ros2 bag convert) or write it uncompressed")
    with Reader(bag):  # refuses what rosbags cannot read, before anything is written
        pass
    out.mkdir(parents=True)
    try:
        for name in info["relative_file_paths"]:
            source, target = bag / name, out / name
            if info["storage_identifier"] == "mcap":
                rewrite_mcap_qos(source, target)
            else:
                shutil.copyfile(source, target)
                rewrite_sqlite_qos(target)
        write_humble_metadata(out, info)
    except BaseException:
        shutil.rmtree(out, ignore_errors=True)
        raise
    return out


def rewrite_sqlite_qos(db: Path) -> None:
    """The topics table's offered_qos_profiles in Humble's string format (Humble's player reads them)."""
    with sqlite3.connect(db) as conn:
        rows = conn.execute("SELECT id, offered_qos_profiles FROM topics").fetchall()
        for topic_id, profiles in rows:
            conn.execute("UPDATE topics SET offered_qos_profiles = ? WHERE id = ?",
                         (humble_qos_string(profiles), topic_id))


def rewrite_mcap_qos(source: Path, target: Path) -> None:
    """Every record copied as it is, except each channel's offered_qos_profiles (Humble's string format)."""
    from mcap.reader import make_reader
    from mcap.writer import Writer as McapWriter

    with source.open("rb") as src, target.open("wb") as dst:
        reader = make_reader(src)
        header, summary = reader.get_header(), reader.get_summary()
        if summary is None:
            raise BagError(f"{source} has no MCAP summary (an unfinished recording?); reindex it first")
        writer = McapWriter(dst)
        writer.start(profile=header.profile, library=header.library)
        schemas = {sid: writer.register_schema(s.name, s.encoding, s.data) for sid, s in summary.schemas.items()}
        channels = {}
        for cid, channel in summary.channels.items():  # every channel, also those without messages
            metadata = dict(channel.metadata)
            metadata["offered_qos_profiles"] = humble_qos_string(metadata.get("offered_qos_profiles", ""))
            channels[cid] = writer.register_channel(channel.topic, channel.message_encoding,
                                                    schemas.get(channel.schema_id, 0), metadata)
        for _, channel, message in reader.iter_messages(log_time_order=False):
            writer.add_message(channels[channel.id], message.log_time, message.data, message.publish_time,
                               message.sequence)
        writer.finish()
