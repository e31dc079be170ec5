"""How long a restarted subscriber waits for its first 640x480 frame from a publisher that keeps running.

The measurement behind README's "Humble and Jazzy (Fast DDS 2.x)" note and
nodes/qos.replay_reliability: run it with each venv and compare.

    .venv/bin/python scripts/dds_restart_latency.py --restarts 6
    .venv-jazzy/bin/python scripts/dds_restart_latency.py --restarts 6 [--reliable]

One publisher process sends a 640x480 bgr8 Image at 10 Hz on a private domain with the package's
shared-memory profile; a subscriber process is started, timed to its first frame (Python start-up
included), stopped, and started again.
"""

from __future__ import annotations

import argparse
import os
import random
import subprocess
import sys
import time

from yolo_nano_ros.harness.dds_environment import local_dds_environment
from yolo_nano_ros.harness.process_control import stop_process_group

CHILD = r"""
import sys, time, rclpy
from rclpy.qos import QoSProfile, ReliabilityPolicy, qos_profile_sensor_data
from sensor_msgs.msg import Image
rclpy.init()
node = rclpy.create_node("dds_restart_" + sys.argv[1])
qos = QoSProfile(depth=5, reliability=ReliabilityPolicy.RELIABLE) if sys.argv[2] == "reliable" \
    else qos_profile_sensor_data
if sys.argv[1] == "pub":
    pub = node.create_publisher(Image, "image", qos)
    msg = Image(height=480, width=640, encoding="bgr8", step=1920, data=bytes(640 * 480 * 3))
    while True:
        pub.publish(msg)
        time.sleep(0.1)
else:
    node.create_subscription(Image, "image", lambda m: (print("got", flush=True), sys.exit(0)), qos)
    rclpy.spin(node)
"""


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--restarts", type=int, default=6)
    p.add_argument("--timeout", type=float, default=30.0, help="seconds to wait for a first frame")
    p.add_argument("--reliable", action="store_true", help="reliable QoS instead of best effort (sensor data)")
    a = p.parse_args()
    env = {**os.environ, **local_dds_environment(random.randint(110, 200))}
    qos = "reliable" if a.reliable else "best_effort"

    def start(role: str) -> subprocess.Popen[str]:
        return subprocess.Popen([sys.executable, "-c", CHILD, role, qos], env=env, stdout=subprocess.PIPE,
                                stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL, text=True,
                                start_new_session=True)

    publisher = start("pub")
    waits: list[float | None] = []
    try:
        time.sleep(2.0)
        for _ in range(a.restarts):
            t0 = time.monotonic()
            sub = start("sub")
            try:
                sub.wait(a.timeout)
                waits.append(round(time.monotonic() - t0, 1) if sub.stdout and "got" in sub.stdout.read() else None)
            except subprocess.TimeoutExpired:
                waits.append(None)
            stop_process_group(sub)
    finally:
        stop_process_group(publisher)
    shown = ", ".join("none" if w is None else f"{w:.1f}" for w in waits)
    print(f"{qos}: seconds to the first frame after each restart (none = not within {a.timeout:g} s): {shown}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
