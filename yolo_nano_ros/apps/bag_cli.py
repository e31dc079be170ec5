"""`yolo-nano-bag make`: a dataset (VOC / COCO / YOLO) -> a rosbag2 of camera images plus ground truth.

Topics: the image (sensor_msgs/Image rgb8, or CompressedImage jpeg), its camera_info, and the ground
truth as vision_msgs/Detection2DArray on /ground_truth/detections with the image's stamp. Written with
rosbags (sqlite3 or mcap), so it runs anywhere; `ros2 bag play` replays it on a robot.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from yolo_nano_ros.apps.console import console_script
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
    args = parser.parse_args(argv)
    dataset = dataset_from_folder(args.kind, args.dir, args.classes, args.split)
    n = write_bag(dataset, BagSettings(args.out, args.storage, args.rate, args.compressed, args.image_topic))
    print(f"wrote {n} frames to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
