"""A dataset (VOC / COCO / YOLO) -> a rosbag2 of camera images plus ground truth.

Topics: the image (sensor_msgs/Image rgb8, or CompressedImage jpeg), its camera_info, and the ground
truth as vision_msgs/Detection2DArray on /ground_truth/detections with the image's stamp. Written with
rosbags (sqlite3 or mcap), so it runs anywhere; `ros2 bag play` replays it on a robot.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
from rosbags.rosbag2 import Reader, StoragePlugin, Writer
from tqdm import tqdm

from yolo_nano_ros.bag.frames import DETECTIONS_TOPIC, GT_TOPIC, GT_TYPE
from yolo_nano_ros.bag.ros_distro import DEFAULT_DISTRO, OFFERED_QOS, WRITER_VERSION, RosDistro, make_humble_in_place
from yolo_nano_ros.bag.runs import BagRun
from yolo_nano_ros.data.annotations import Dataset, DatasetError, load_split_spec
from yolo_nano_ros.data.dataset_spec import all_split_entries, read_dataset_spec, retarget
from yolo_nano_ros.msgs.detection_arrays import DIFFICULT_ID, detection_array_msg, hypothesis_class_ids
from yolo_nano_ros.msgs.typestore import typestore

DEFAULT_IMAGE_TOPIC = "/camera/image_raw"


@dataclass(frozen=True)
class BagSettings:
    out: Path
    storage: str = "sqlite3"
    rate_hz: float = 10.0
    compressed: bool = False
    image_topic: str = DEFAULT_IMAGE_TOPIC
    frame_id: str = "camera_optical_frame"
    start_time_ns: int = 1_700_000_000_000_000_000
    ros_distro: RosDistro = DEFAULT_DISTRO  # whose `ros2 bag play` must read it (bag/ros_distro.py)


def write_bag(dataset: Dataset, s: BagSettings, progress: bool = True) -> int:
    """Returns the number of frames written; unreadable images are skipped and reported."""
    store = typestore()
    t = store.types
    header_type, time_type = t["std_msgs/msg/Header"], t["builtin_interfaces/msg/Time"]
    image_topic = s.image_topic + ("/compressed" if s.compressed else "")
    info_topic = s.image_topic.rsplit("/", 1)[0] + "/camera_info"
    storage = StoragePlugin.MCAP if s.storage == "mcap" else StoragePlugin.SQLITE3
    if s.out.exists():
        raise FileExistsError(f"{s.out} exists; choose another --out or delete it")
    written, skipped = 0, 0
    with Writer(s.out, version=WRITER_VERSION[s.ros_distro], storage_plugin=storage) as writer:
        img_type = "sensor_msgs/msg/CompressedImage" if s.compressed else "sensor_msgs/msg/Image"
        conn_img = writer.add_connection(image_topic, img_type, typestore=store, offered_qos_profiles=OFFERED_QOS)
        conn_info = writer.add_connection(info_topic, "sensor_msgs/msg/CameraInfo", typestore=store,
                                          offered_qos_profiles=OFFERED_QOS)
        conn_gt = writer.add_connection(GT_TOPIC, "vision_msgs/msg/Detection2DArray", typestore=store,
                                        offered_qos_profiles=OFFERED_QOS)
        for i, sample in enumerate(tqdm(dataset.samples, desc="bag", unit="img", disable=not progress)):
            bgr = cv2.imread(str(sample.image_path), cv2.IMREAD_COLOR)
            if bgr is None:
                skipped += 1
                print(f"skipping unreadable image {sample.image_path}", file=sys.stderr)
                continue
            stamp_ns = s.start_time_ns + int(i * 1e9 / s.rate_hz)
            stamp = time_type(sec=stamp_ns // 10**9, nanosec=stamp_ns % 10**9)
            header = header_type(stamp=stamp, frame_id=s.frame_id)
            h, w = bgr.shape[:2]
            if s.compressed:
                data = np.frombuffer(cv2.imencode(".jpg", bgr, [cv2.IMWRITE_JPEG_QUALITY, 95])[1].tobytes(), np.uint8)
                msg = t["sensor_msgs/msg/CompressedImage"](header=header, format="jpeg", data=data)
            else:
                rgb = cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
                msg = t["sensor_msgs/msg/Image"](header=header, height=h, width=w, encoding="rgb8", is_bigendian=0,
                                                 step=w * 3, data=rgb.reshape(-1))
            writer.write(conn_img, stamp_ns, store.serialize_cdr(msg, conn_img.msgtype))
            writer.write(conn_info, stamp_ns, store.serialize_cdr(camera_info(t, header, w, h), conn_info.msgtype))
            writer.write(conn_gt, stamp_ns, store.serialize_cdr(ground_truth(t, header, sample, dataset.names),
                                                                conn_gt.msgtype))
            written += 1
    if s.ros_distro is RosDistro.HUMBLE:
        make_humble_in_place(s.out)
    if skipped:
        print(f"{skipped} unreadable images skipped", file=sys.stderr)
    return written


def camera_info(t, header, w: int, h: int):
    """A plausible pinhole model (focal = image width) so RViz and image_proc accept the stream."""
    f = float(w)
    k = np.array([f, 0, w / 2, 0, f, h / 2, 0, 0, 1], np.float64)
    p = np.array([f, 0, w / 2, 0, 0, f, h / 2, 0, 0, 0, 1, 0], np.float64)
    roi = t["sensor_msgs/msg/RegionOfInterest"](x_offset=0, y_offset=0, height=0, width=0, do_rectify=False)
    return t["sensor_msgs/msg/CameraInfo"](header=header, height=h, width=w, distortion_model="plumb_bob",
                                           d=np.zeros(5), k=k, r=np.eye(3).reshape(-1), p=p, binning_x=0, binning_y=0,
                                           roi=roi)


def ground_truth(t, header, sample, names: tuple[str, ...]):
    difficult = [bool(v) for v in sample.difficult] if len(sample.difficult) else [False] * len(sample.labels)
    ids = [DIFFICULT_ID if flag else str(k) for k, flag in enumerate(difficult)]
    return detection_array_msg(t, header, np.asarray(sample.boxes).reshape(-1, 4),
                               [names[int(label)] for label in sample.labels], [1.0] * len(sample.labels), ids)


def dataset_from_folder(kind: str, folder: Path, classes: str, split: str | None = None) -> Dataset:
    """A dataset folder (or, for yolo, a data.yaml) as one split, read with the shared annotation readers.

    yolo: an Ultralytics data.yaml or a folder (its yaml, images/<split>/ + labels/<split>/, images/ +
    labels/, or a flat folder: data/dataset_spec.py); every split goes in, or only `split`. Boxes are
    mapped from the dataset's class names to `classes`.
    """
    folder = folder.resolve()
    if kind == "yolo":
        found = read_dataset_spec(folder)
        found.report()
        return load_split_spec(retarget(all_split_entries(found, split), classes), found.base, "all", found.origin)
    if kind == "voc":
        part: dict[str, object] = {"root": str(folder), "image_set": split or "test"}
    else:
        found_json = sorted(folder.glob("*.json")) or sorted(folder.rglob("*.json"))
        if not found_json:
            raise DatasetError(f"no COCO annotation .json file under {folder}")
        part = {"annotations": str(found_json[0]), "images": str(folder / "images")}
    return load_split_spec({"format": kind, "names": classes, "all": part}, folder, "all", str(folder))


def write_detections_bag(source: Path, out: Path, run: BagRun, image_topic: str, gt_topic: str | None,
                         storage: str = "mcap", ros_distro: RosDistro = DEFAULT_DISTRO) -> Path:
    """Images, camera_info and ground truth copied from the source, plus ours on /yolo_nano/detections."""
    store = typestore()
    t = store.types
    header_type, time_type = t["std_msgs/msg/Header"], t["builtin_interfaces/msg/Time"]
    keep = {image_topic, image_topic.rsplit("/", 1)[0] + "/camera_info"} | ({gt_topic} if gt_topic else set())
    # Keyed on the image's bag time, so its header is rebuilt from the run instead of deserialising the image again.
    ours = {f.log_time_ns: f for f in run.frames if f.detections is not None}
    plugin = StoragePlugin.MCAP if storage == "mcap" else StoragePlugin.SQLITE3
    with Reader(source) as reader, Writer(out, version=WRITER_VERSION[ros_distro], storage_plugin=plugin) as writer:
        copied = {c.id: writer.add_connection(c.topic, c.msgtype, typestore=store,
                                              offered_qos_profiles=getattr(c.ext, "offered_qos_profiles", None)
                                              or OFFERED_QOS)
                  for c in reader.connections if c.topic in keep}
        conn_det = writer.add_connection(DETECTIONS_TOPIC, GT_TYPE, typestore=store, offered_qos_profiles=OFFERED_QOS)
        for conn, log_time, raw in reader.messages(connections=[c for c in reader.connections if c.id in copied]):
            writer.write(copied[conn.id], log_time, raw)
            frame = ours.get(log_time) if conn.topic == image_topic else None
            if frame is None or frame.detections is None:
                continue
            sec, nanosec = divmod(frame.stamp_ns, 10**9)
            header = header_type(stamp=time_type(sec=sec, nanosec=nanosec), frame_id=frame.frame_id)
            d = frame.detections
            msg = detection_array_msg(t, header, d.boxes, hypothesis_class_ids(d.class_ids, run.class_names),
                                      d.scores.tolist())
            writer.write(conn_det, log_time, store.serialize_cdr(msg, GT_TYPE))
    if ros_distro is RosDistro.HUMBLE:
        make_humble_in_place(out)
    return out
