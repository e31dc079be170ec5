"""Play a bag's frames into a running detector over DDS and record what it publishes.

Frames go out as the bag's serialized bytes, restamped with the send time, so the Detection2DArray
that comes back (carrying the image's header) says which frame it answers. End-to-end latency runs
from the publish call to the answer's arrival in the subscription callback: the clock is read
right before publish (after restamping and copying the frame) and first thing in the callback
(before deserializing the answer, which is done with rosbags, as the detector does it).
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Any

import rclpy
from diagnostic_msgs.msg import DiagnosticArray
from rclpy.qos import QoSProfile, ReliabilityPolicy
from sensor_msgs.msg import CompressedImage, Image
from vision_msgs.msg import Detection2DArray

from yolo_nano_ros.bag.frames import RawFrame
from yolo_nano_ros.msgs.detection_arrays import DetectionArraySerializer, stamp_ns
from yolo_nano_ros.msgs.image_cdr import restamp
from yolo_nano_ros.nodes.executors import make_executor
from yolo_nano_ros.nodes.qos import replay_camera_qos
from yolo_nano_ros.pipeline.frame_pipeline import rate_hz

DETECTION_ARRAY_TYPE = DetectionArraySerializer.MSGTYPE


def stamped_now(cdr: bytearray) -> tuple[int, bytes]:
    """The serialized frame restamped with the current time (ns), as bytes ready to publish."""
    stamp = time.time_ns()
    restamp(cdr, *divmod(stamp, 10**9))
    return stamp, bytes(cdr)


@dataclass
class ReplayResult:
    sent: dict[int, tuple[int, float]] = field(default_factory=dict)  # stamp ns -> (frame index, publish wall time)
    # (frame index, arrival wall time, Detection2DArray from rosbags or rclpy: the same attributes)
    received: list[tuple[int, float, Any]] = field(default_factory=list)
    debug_images: dict[int, Image] = field(default_factory=dict)  # frame index -> last annotated image
    detector_diagnostics: dict[str, str] = field(default_factory=dict)  # the detector's latest diagnostic values
    # every status seen on /diagnostics, latest values by status name (several detectors, cameras)
    diagnostics_by_name: dict[str, dict[str, str]] = field(default_factory=dict)
    duration_s: float = 0.0

    def output_fps(self) -> float:
        """The rate answers arrived at, over the span they cover."""
        return rate_hz(sorted(arrival for _, arrival, _ in self.received))

    def latencies_ms(self) -> list[float]:
        out = []
        for _, arrival, msg in self.received:
            stamp = stamp_ns(msg.header)
            out.append((arrival - self.sent[stamp][1]) * 1e3)
        return out


class LiveReplay:
    def __init__(self, image_topic: str = "image", detections_topic: str = "detections",
                 debug_topic: str | None = None, compressed: bool = False,
                 node_name: str = "yolo_nano_bag_replay") -> None:
        self.context = rclpy.Context()
        rclpy.init(context=self.context)
        self.node = rclpy.create_node(node_name, context=self.context)
        self.msg_type = CompressedImage if compressed else Image
        topic = image_topic + ("/compressed" if compressed and not image_topic.endswith("compressed") else "")
        self.pub = self.node.create_publisher(self.msg_type, topic, replay_camera_qos())
        self.result = ReplayResult()
        self._lock = threading.Lock()
        self._store: Any = None
        try:
            from yolo_nano_ros.msgs.typestore import typestore

            self._store = typestore()
        except Exception:  # vision_msgs' definitions not found: rclpy deserializes instead
            self._store = None
        self.sub = self.node.create_subscription(Detection2DArray, detections_topic, self._on_detections,
                                      QoSProfile(depth=100, reliability=ReliabilityPolicy.RELIABLE),
                                      raw=self._store is not None)
        if debug_topic:
            self.node.create_subscription(Image, debug_topic, self._on_debug, 5)
        self.node.create_subscription(DiagnosticArray, "/diagnostics", self._on_diagnostics, 10)
        # The events executor when rclpy has it: a consumer that answers fast, as a C++ one would.
        self.executor, _ = make_executor("events", self.context)
        self.executor.add_node(self.node)
        self._probes: set[int] = set()  # stamps of handshake frames, answered but not recorded
        self._probe_answered = threading.Event()
        self._stop = threading.Event()
        self._spinner = threading.Thread(target=self._spin, daemon=True)
        self._spinner.start()

    def _spin(self) -> None:
        while not self._stop.is_set():
            self.executor.spin_once(timeout_sec=0.02)

    def _frame_of(self, msg: Any) -> int | None:
        sent = self.result.sent.get(stamp_ns(msg.header))
        return sent[0] if sent else None

    def _on_detections(self, msg: Detection2DArray | bytes) -> None:
        arrival = time.time()
        if isinstance(msg, bytes):
            msg = self._store.deserialize_cdr(msg, DETECTION_ARRAY_TYPE)
        with self._lock:
            index = self._frame_of(msg)
            if index is not None:
                self.result.received.append((index, arrival, msg))
            elif stamp_ns(msg.header) in self._probes:
                self._probe_answered.set()

    def _on_debug(self, msg: Image) -> None:
        with self._lock:
            index = self._frame_of(msg)
            if index is not None:
                self.result.debug_images[index] = msg

    def _on_diagnostics(self, msg: DiagnosticArray) -> None:
        for status in msg.status:
            values = {kv.key: kv.value for kv in status.values}
            with self._lock:
                self.result.diagnostics_by_name[status.name] = values
                if status.name.endswith(": detector"):
                    self.result.detector_diagnostics = values

    def wait_for_detector(self, timeout: float = 60.0, probe: RawFrame | None = None) -> bool:
        """Until the detector takes our frames and we take its answers (matched both ways, not only seen);
        with `probe`, also until it has answered that frame (see wait_until_answering)."""
        answers_matched = getattr(self.sub, "get_publisher_count",  # rclpy >= Iron; Humble: the graph's count
                                  lambda: self.node.count_publishers(self.sub.topic_name))
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.pub.get_subscription_count() > 0 and answers_matched() > 0:
                return probe is None or self.wait_until_answering(probe, max(0.0, deadline - time.monotonic()))
            time.sleep(0.1)
        return False

    def wait_until_answering(self, frame: RawFrame, timeout: float = 30.0, retry_s: float = 0.5) -> bool:
        """Send `frame` until an answer to it comes back; the answer is not recorded.

        Seeing each other matched is not enough: the node's publisher can learn of our subscription
        later than we learn of it, and answers sent before that are lost. One answered frame shows the
        whole round trip works (and the node has run its first, slowest frame) before anything is timed.
        """
        payload = bytearray(frame.cdr)
        self._probe_answered.clear()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            stamp, message = stamped_now(payload)
            with self._lock:
                self._probes.add(stamp)
            self.pub.publish(message)
            if self._probe_answered.wait(retry_s):
                return True
        return False

    def play(self, frames: list[RawFrame], rate_hz: float, passes: int = 1, settle_s: float = 3.0,
             start_delay_s: float = 0.0, paced: bool = False) -> ReplayResult:
        """Send the frames at `rate_hz` (as `ros2 bag play` does: a node slower than the rate drops frames,
        latest-frame-wins). `paced`: never more than one frame unanswered (each waits up to `settle_s` for
        the previous answer), so every frame is answered however busy the machine: the demo, which shows
        every frame; the rate is then an upper bound."""
        # The bag's serialized bytes go out as they are, as `ros2 bag play` sends them; only the stamp is
        # rewritten. A typed message would cost rclpy ~0.5 ms per 640x480 frame to convert.
        with self._lock:  # each call gets its own result; the detector's latest diagnostics carry over
            self.result = ReplayResult(detector_diagnostics=self.result.detector_diagnostics,
                                       diagnostics_by_name=self.result.diagnostics_by_name)
        payloads = [bytearray(f.cdr) for f in frames]
        period = 1.0 / rate_hz
        time.sleep(start_delay_s)  # several replays at once: cameras' phases spread over the frame period
        start = time.monotonic()
        next_send = start
        for _ in range(passes):
            for frame, cdr in zip(frames, payloads, strict=True):
                stamp, message = stamped_now(cdr)
                with self._lock:
                    self.result.sent[stamp] = (frame.index, time.time())
                self.pub.publish(message)
                next_send += period
                if paced:
                    self._wait_for_answers(time.monotonic() + settle_s)
                    next_send = max(next_send, time.monotonic())
                time.sleep(max(0.0, next_send - time.monotonic()))
        self._wait_for_answers(time.monotonic() + settle_s)
        self.result.duration_s = time.monotonic() - start
        return self.result

    def _wait_for_answers(self, deadline: float) -> None:
        while time.monotonic() < deadline and len(self.result.received) < len(self.result.sent):
            time.sleep(0.002)

    def close(self) -> None:
        self._stop.set()
        self._spinner.join(2.0)
        self.executor.shutdown()
        self.node.destroy_node()
        rclpy.shutdown(context=self.context)
