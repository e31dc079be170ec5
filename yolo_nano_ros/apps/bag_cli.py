"""`yolo-nano-bag make`: a dataset (VOC / COCO / YOLO) -> a rosbag2 of camera images plus ground truth.
`yolo-nano-bag convert`: a copy of any rosbag2 that an older distro's `ros2 bag play` reads (Humble).

Topics: the image (sensor_msgs/Image rgb8, or CompressedImage jpeg), its camera_info, and the ground
truth as vision_msgs/Detection2DArray on /ground_truth/detections with the image's stamp. Written with
rosbags (sqlite3 or mcap), so it runs anywhere; `ros2 bag play` replays it on a robot of the distro given
with --ros-distro (Humble reads only its own metadata format: bag/ros_distro.py).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from yolo_nano_ros.apps.console import console_script
from yolo_nano_ros.bag.ros_distro import DEFAULT_DISTRO, RosDistro, convert_for_humble, parse_distro
from yolo_nano_ros.bag.writer import DEFAULT_IMAGE_TOPIC, BagSettings, dataset_from_folder, write_bag


@console_script("yolo-nano-bag")
def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="yolo-nano-bag", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("make", help="dataset -> rosbag2 (images, camera_info, ground truth)")
    p.add_argument("--from", dest="kind", choices=["voc", "coco", "yolo"], required=True)
    p.add_argument("dir", type=Path, help="dataset folder (yolo: also an Ultralytics data.yaml)")
    p.add_argument("--split", default=None, help="only this split (train, val, test; voc: the image set; "
                   "default: every split, voc: test)")
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("--storage", choices=["mcap", "sqlite3"], default="sqlite3")
    p.add_argument("--rate", type=float, default=10.0, help="frames per second of bag time (default 10)")
    p.add_argument("--compressed", action="store_true", help="CompressedImage (jpeg) instead of raw rgb8")
    p.add_argument("--classes", default="voc", help="target class set: voc or coco (default voc)")
    p.add_argument("--image-topic", default=DEFAULT_IMAGE_TOPIC)
    distro_argument(p)
    p = sub.add_parser("convert", help="a copy of BAG that --ros-distro's ros2 bag reads (metadata only)")
    p.add_argument("bag", type=Path)
    p.add_argument("--out", type=Path, required=True, help="the new bag folder (BAG itself is never written)")
    p.add_argument("--ros-distro", required=True, choices=[RosDistro.HUMBLE.value],
                   help="humble: rosbag2 metadata 5, QoS as Humble writes it (Jazzy/Kilted read our bags as made)")
    args = parser.parse_args(argv)
    if args.command == "convert":
        out = convert_for_humble(args.bag, args.out)
        print(f"wrote {out} for ROS 2 {args.ros_distro} (message data unchanged)")
        return 0
    dataset = dataset_from_folder(args.kind, args.dir, args.classes, args.split)
    distro = parse_distro(args.ros_distro)
    n = write_bag(dataset, BagSettings(args.out, args.storage, args.rate, args.compressed, args.image_topic,
                                       ros_distro=distro))
    print(f"wrote {n} frames to {args.out} (rosbag2 format for ROS 2 {distro.value})")
    return 0


def distro_argument(p: argparse.ArgumentParser) -> None:
    p.add_argument("--ros-distro", default=DEFAULT_DISTRO.value, choices=[d.value for d in RosDistro],
                   help=f"whose ros2 bag reads it (default {DEFAULT_DISTRO.value}: rosbag2 metadata 9, which "
                        "Jazzy reads too; humble: metadata 5)")


if __name__ == "__main__":
    sys.exit(main())
