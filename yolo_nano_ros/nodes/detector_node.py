"""`yolo_nano_detector`: sensor_msgs images in, vision_msgs/Detection2DArray out.

A managed (lifecycle) node: configure loads the model, activate subscribes; with `autostart` (default)
it does both at start-up, so it simply runs. Inference happens on a worker thread fed by latest-frame-wins
slots, so a slow model drops frames instead of building latency. Every output carries the input image's
header. Bad input is logged (rate-limited), counted in /diagnostics, and skipped.

With `cameras` (names C), each camera has its own slot and topics (C/image in, C/detections and
C/debug_image out); the worker takes the newest frame of every camera that has one and runs them as one
batched inference (pipeline/camera_batcher.py), so N cameras share one model, one set of inference threads
and one process. A bad frame skips only itself; a camera that stops never stalls the others.

What happens to a batch (decode, batched inference and its per-frame fallback, the answer stages, stage
times) is pipeline/frame_processor.py, plain Python; this node keeps parameters, topics and messages.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from diagnostic_msgs.msg import DiagnosticArray
from rcl_interfaces.msg import SetParametersResult
from rclpy.exceptions import ParameterUninitializedException
from rclpy.lifecycle import Node as LifecycleNode
from rclpy.lifecycle import State, TransitionCallbackReturn
from rclpy.parameter import Parameter
from rclpy.qos import DurabilityPolicy, HistoryPolicy, QoSProfile, ReliabilityPolicy
from sensor_msgs.msg import CompressedImage, Image
from vision_msgs.msg import Detection2DArray, LabelInfo

from yolo_nano_ros.errors import ConfigError
from yolo_nano_ros.msgs.detection_arrays import DetectionArraySerializer, hypothesis_class_ids, stamp_ns
from yolo_nano_ros.msgs.image_cdr import SerializedImageDecoder
from yolo_nano_ros.msgs.image_encodings import array_to_rgb8
from yolo_nano_ros.nodes.camera_topics import CameraConfigError, CameraTopics, batch_limit, camera_topics
from yolo_nano_ros.nodes.declare_parameters import declare_schema
from yolo_nano_ros.nodes.detector_status import (
    MODEL_NOT_LOADED,
    CameraSnapshot,
    DetectorSnapshot,
    batch_size_summary,
    camera_status,
    detector_status,
)
from yolo_nano_ros.nodes.executors import init_ros, make_executor, spin_node
from yolo_nano_ros.nodes.messages import (
    detections_to_msg,
    diagnostic_status,
    header_msg,
    label_info_msg,
    rgb_image_msg,
)
from yolo_nano_ros.nodes.parameters import (
    DETECTOR_PARAMETERS,
    DETECTOR_READ_ONLY,
    RUNTIME_PARAMETERS,
    TRACKER_KINDS,
    TRACKER_PARAMETERS,
)
from yolo_nano_ros.paths import resolve_model
from yolo_nano_ros.pipeline.camera_batcher import CameraBatcher
from yolo_nano_ros.pipeline.cpu_meter import CpuPerFrame
from yolo_nano_ros.pipeline.error_throttle import ErrorThrottle
from yolo_nano_ros.pipeline.frame_pipeline import RateMeter
from yolo_nano_ros.pipeline.frame_processor import AnswerStage, FrameAnswer, FrameProcessor, ReceivedFrame
from yolo_nano_ros.pipeline.inference_workers import InferenceWorkers, worker_count
from yolo_nano_ros.pipeline.tracking_stage import TrackingStage
from yolo_nano_ros.runtime.annotate import draw_detections
from yolo_nano_ros.runtime.backends.cpu_settings import CpuSettings, default_cache_dir, usable_cores
from yolo_nano_ros.runtime.detector import Detector
from yolo_nano_ros.runtime.latency import LatencyWindow
from yolo_nano_ros.runtime.model_info import ModelOverrides
from yolo_nano_ros.runtime.output_layouts import parse_layout
from yolo_nano_ros.runtime.postprocess import Detections, PostprocessSettings
from yolo_nano_ros.tracking.byte_tracker import TrackerSettings
from yolo_nano_ros.tracking.camera_trackers import TrackerBank

try:  # Iron and newer
    from rclpy.event_handler import SubscriptionEventCallbacks
except ImportError:  # Humble
    from rclpy.qos_event import SubscriptionEventCallbacks

NODE_NAME = "yolo_nano_detector"
START_UP_ONLY = frozenset({"executor", "exit_with_parent", "diagnostics_period"})
ERROR_LOG_PERIOD_S = 5.0



@dataclass
class CameraPort:
    """One input and its outputs: the single `image` input, or one of `cameras`. Publishers exist between
    configure and cleanup, the subscription while active."""

    topics: CameraTopics
    pub_detections: Any = None
    pub_debug: Any = None
    subscription: Any = None
    input_rate: RateMeter = field(default_factory=RateMeter)
    output_rate: RateMeter = field(default_factory=RateMeter)
    latency: LatencyWindow = field(default_factory=LatencyWindow)  # arrival -> published, ms
    answered: int = 0
    errors: int = 0
    last_error: str = ""
    last_frame_s: float | None = None  # monotonic


class DetectorNode(LifecycleNode):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(NODE_NAME, **kwargs)
        declare_schema(self, DETECTOR_PARAMETERS, DETECTOR_READ_ONLY)
        self.add_on_set_parameters_callback(self._on_set_parameters)

        self.detector: Detector | None = None
        self.model_path = ""  # the file configure loaded (the demo weights when `model` is empty)
        self.ports: dict[str, CameraPort] = {}  # camera name ("" = the single input) -> its topics and counts
        self.batcher: CameraBatcher[ReceivedFrame] = CameraBatcher([""])
        self.frames_answered = 0
        self.cpu_per_frame = CpuPerFrame()
        self.latency = {k: LatencyWindow() for k in ("transport", "handoff", "convert", "pre", "infer", "post",
                                                     "track", "publish", "end_to_end")}
        # One tracker per camera for the node's lifetime: a configure or cleanup forgets the tracks, never the
        # ID counters, so no ID is published twice for different objects.
        # Defaults until configure checks the parameters' combination (low <= high): a bad one is a configure
        # error then, not a node that dies here.
        self.trackers = TrackerBank(TrackerSettings(), on_reset=self._on_tracker_reset)
        self.errors: Counter[str] = Counter()
        self.debug_images_drawn = 0
        self.throttle = ErrorThrottle(ERROR_LOG_PERIOD_S)
        self.last_error = ""
        self.state_message = "unconfigured"
        self.processor = FrameProcessor(self._report)  # made again at activate, with its message decoder
        self.detections_serializer: DetectionArraySerializer | None = None
        self.pub_labels: Any = None  # exists between configure and cleanup
        self.workers: InferenceWorkers[ReceivedFrame] | None = None  # running between activate and deactivate
        self.inference_workers = 1  # how many, decided at configure
        self._count_lock = threading.RLock()  # inference workers publish and count side by side
        self.pub_diagnostics = self.create_publisher(DiagnosticArray, "/diagnostics", 10)
        self.create_timer(float(self.get_parameter("diagnostics_period").value), self._publish_diagnostics)

    # ------------------------------------------------------------------ parameters
    def p(self, name: str) -> Any:
        """A parameter's value; None for one declared without a value (e.g. empty `classes`)."""
        try:
            return self.get_parameter(name).value
        except ParameterUninitializedException:
            return None

    def _settings(self, overrides: dict[str, Any] | None = None) -> PostprocessSettings:
        values = {k: self.p(k) for k in RUNTIME_PARAMETERS} | (overrides or {})
        class_filter = None
        wanted = [c for c in values["classes"] or [] if c]  # [""] (YAML's empty list) = all classes
        if wanted:
            names = self.detector.class_names if self.detector else ()
            class_filter = frozenset(names.index(c) for c in wanted if c in names)
        return PostprocessSettings(conf_threshold=float(values["conf_threshold"]),
                                   iou_threshold=float(values["nms_threshold"]),
                                   max_detections=int(values["max_detections"]), class_filter=class_filter)

    def _tracker_settings(self, overrides: dict[str, Any] | None = None) -> TrackerSettings:
        values = {k: self.p(k) for k in TRACKER_PARAMETERS} | (overrides or {})
        return TrackerSettings(high_threshold=float(values["track_high_threshold"]),
                               low_threshold=float(values["track_low_threshold"]),
                               match_iou=float(values["track_match_iou"]),
                               lost_buffer_s=float(values["track_buffer_s"]), min_hits=int(values["track_min_hits"]))

    def _stages(self, tracker: str) -> list[AnswerStage]:
        return [TrackingStage(self.trackers)] if tracker == "bytetrack" else []

    def _on_tracker_reset(self, camera: str, last_s: float, now_s: float) -> None:
        self.get_logger().warning(f"{camera or 'image'}: image stamp went back ({last_s:.3f} -> {now_s:.3f} s: a bag "
                                  "looping, a replay restarted): its tracks are reset, new IDs continue the count")

    def _on_set_parameters(self, params: list[Parameter]) -> SetParametersResult:
        changes = {p.name: p.value for p in params}
        for key in ("conf_threshold", "nms_threshold"):
            if key in changes and not 0.0 <= float(changes[key]) <= 1.0:
                return SetParametersResult(successful=False, reason=f"{key} must be in [0, 1]")
        if "max_detections" in changes and int(changes["max_detections"]) < 1:
            return SetParametersResult(successful=False, reason="max_detections must be >= 1")
        if "class_id_format" in changes and changes["class_id_format"] not in ("name", "index"):
            return SetParametersResult(successful=False, reason="class_id_format must be 'name' or 'index'")
        if "tracker" in changes and changes["tracker"] not in TRACKER_KINDS:
            return SetParametersResult(successful=False, reason=f"tracker must be one of {', '.join(TRACKER_KINDS)}")
        tracker_settings = None
        if TRACKER_PARAMETERS & changes.keys():
            try:
                tracker_settings = self._tracker_settings(changes)
            except ConfigError as exc:
                return SetParametersResult(successful=False, reason=str(exc))
        if changes.get("classes") and self.detector:
            unknown = [c for c in changes["classes"] if c and c not in self.detector.class_names]
            if unknown:
                return SetParametersResult(successful=False, reason=f"unknown classes {unknown}; the model has "
                                           f"{', '.join(self.detector.class_names)}")
        # Every check passed: only now does anything change.
        if tracker_settings is not None:
            self.trackers.retune(tracker_settings)
            if "tracker" in changes:
                self.trackers.reset()
                self.processor.stages = self._stages(changes["tracker"])
        if self.detector and RUNTIME_PARAMETERS & changes.keys():
            self.detector.settings = self._settings(changes)
            if "conf_threshold" in changes and self.pub_labels is not None:
                self.pub_labels.publish(label_info_msg(self.detector.class_names, float(changes["conf_threshold"])))
        for key in START_UP_ONLY & changes.keys():
            self.get_logger().info(f"{key} is read at start-up only; restart the node to change it")
        deferred = changes.keys() - RUNTIME_PARAMETERS - START_UP_ONLY - {"autostart"}
        if deferred:
            self.get_logger().info(f"{', '.join(sorted(deferred))} will take effect at the next configure")
        return SetParametersResult(successful=True)

    # ------------------------------------------------------------------ lifecycle
    def on_configure(self, state: State) -> TransitionCallbackReturn:
        # rclpy turns an exception in a transition into a silent ERROR: report it instead.
        try:
            return self._configure()
        except Exception as exc:
            return self._fail_configure(f"configure failed: {type(exc).__name__}: {exc}")

    def _configure(self) -> TransitionCallbackReturn:
        try:
            topics = camera_topics(self.p("cameras"), bool(self.p("compressed")))
            max_batch = batch_limit(int(self.p("max_batch")), len(topics))
            tracker_settings = self._tracker_settings()
            overrides = ModelOverrides(parse_layout(self.p("output_layout")),
                                       tuple(c for c in self.p("class_names") or [] if c))
            workers = worker_count(int(self.p("inference_workers")), len(topics), usable_cores())
        except (CameraConfigError, ConfigError) as exc:
            return self._fail_configure(str(exc), kind="config")
        try:
            model = str(resolve_model(self.p("model")))
        except FileNotFoundError as exc:
            return self._fail_configure(str(exc))
        try:
            cache = self.p("engine_cache_dir")
            cpu = CpuSettings(threads=self.p("cpu_threads"), spin=self.p("cpu_spin"),
                              graph_optimization=self.p("cpu_graph_optimization"),
                              memory_arena=self.p("cpu_memory_arena"),
                              cache_dir=Path(cache) if cache else default_cache_dir() / "openvino")
            detector = Detector.from_path(model, self.p("backend"), precision=self.p("precision"),
                                          engine_cache_dir=Path(cache) if cache else None,
                                          log=self.get_logger().info, cpu=cpu, max_batch=max_batch,
                                          overrides=overrides, workers=workers)
        except Exception as exc:  # a model that cannot load must not take the node down
            return self._fail_configure(f"cannot load model {model}: {exc}")
        self.detector, self.model_path = detector, model
        self.inference_workers = workers if detector.backend.parallel_calls else 1
        if self.inference_workers < workers:
            self.get_logger().info(f"{detector.backend.name} takes one call at a time: 1 inference worker, not "
                                   f"{workers}")
        detector.settings = self._settings()
        self.get_logger().info(f"model {model}: backend {detector.backend.name} ({detector.selection_reason}), "
                               f"{detector.info.layout.value} outputs, input {detector.info.input_size}, "
                               f"{len(detector.class_names)} classes")
        if topics[0].camera:  # named cameras
            batching = (f"batched, up to {max_batch} frames per inference" if detector.backend.batch_axis and
                        max_batch > 1 else "no batch axis: one call per frame" if max_batch > 1
                        else "one frame per call")
            plural = "s" if len(topics) > 1 else ""
            self.get_logger().info(f"{len(topics)} camera{plural} ({', '.join(t.camera for t in topics)}): {batching}")
        self.ports = {t.camera: CameraPort(t, self.create_publisher(Detection2DArray, t.detections, 10),
                                           self.create_publisher(Image, t.debug_image, 1)) for t in topics}
        self.batcher = CameraBatcher(list(self.ports), max_batch)
        try:
            self.detections_serializer = DetectionArraySerializer()
        except Exception as exc:  # vision_msgs' .msg files not found: rclpy's typed messages still work
            self.detections_serializer = None
            self.get_logger().warning(f"publishing rclpy Detection2DArray messages (slower): {exc}")
        latched = QoSProfile(depth=1, durability=DurabilityPolicy.TRANSIENT_LOCAL,
                             reliability=ReliabilityPolicy.RELIABLE)
        self.pub_labels = self.create_publisher(LabelInfo, "label_info", latched)
        self.pub_labels.publish(label_info_msg(detector.class_names, float(self.p("conf_threshold"))))
        self.trackers.retune(tracker_settings)
        self.trackers.reset()
        self.last_error = ""  # a failed configure before this one is history: the status says the present
        self.state_message = "configured"
        return TransitionCallbackReturn.SUCCESS

    def _fail_configure(self, message: str, kind: str = "model") -> TransitionCallbackReturn:
        self.get_logger().error(message)
        self.last_error = message
        self.errors[kind] += 1
        self.state_message = MODEL_NOT_LOADED
        return TransitionCallbackReturn.FAILURE

    def on_activate(self, state: State) -> TransitionCallbackReturn:
        reliability = self.p("qos_reliability")
        qos = QoSProfile(depth=max(1, int(self.p("qos_depth"))), history=HistoryPolicy.KEEP_LAST,
                         reliability=ReliabilityPolicy.RELIABLE if reliability == "reliable"
                         else ReliabilityPolicy.BEST_EFFORT)
        events = SubscriptionEventCallbacks(incompatible_qos=self._on_incompatible_qos)
        compressed = bool(self.p("compressed"))  # the topics were named at configure, with its value then
        decoder = SerializedImageDecoder(compressed) if self.p("zero_copy_input") else None
        self.processor = FrameProcessor(self._report, decoder, self._stages(self.p("tracker")))
        msg_type = CompressedImage if compressed else Image
        for port in self.ports.values():
            port.subscription = self.create_subscription(
                msg_type, port.topics.image, lambda msg, port=port: self._on_image(msg, port), qos,
                event_callbacks=events, raw=decoder is not None)
        self.batcher = CameraBatcher(list(self.ports), self.batcher.max_batch)
        self.workers = InferenceWorkers(self.batcher, self._process, self._on_worker_error, self.inference_workers)
        self.workers.start()
        self.state_message = "active"
        topics = ", ".join(port.subscription.topic_name for port in self.ports.values())
        self.get_logger().info(f"listening on {topics} ({reliability}, depth {qos.depth}, "
                               f"{'serialized, decoded in place' if decoder else 'rclpy messages'}, "
                               f"{self.inference_workers} inference worker{'s' if self.inference_workers > 1 else ''})")
        return TransitionCallbackReturn.SUCCESS

    def _stop_worker(self) -> None:
        if self.workers is None:
            self.batcher.close()
            return
        stuck = self.workers.stop(5.0)
        self.workers = None
        if stuck:
            self.get_logger().error(f"inference workers still in a backend call after 5 s: {', '.join(stuck)}")

    def on_deactivate(self, state: State) -> TransitionCallbackReturn:
        self._stop_worker()
        for port in self.ports.values():
            if port.subscription is not None:
                self.destroy_subscription(port.subscription)
                port.subscription = None
        self.state_message = "inactive"
        return TransitionCallbackReturn.SUCCESS

    def on_cleanup(self, state: State) -> TransitionCallbackReturn:
        for pub in [self.pub_labels, *(p for port in self.ports.values() for p in (port.pub_detections,
                                                                                       port.pub_debug))]:
            if pub is not None:
                self.destroy_publisher(pub)
        self.pub_labels, self.ports = None, {}
        self.detector = None
        self.trackers.reset()
        self.state_message = "unconfigured"
        return TransitionCallbackReturn.SUCCESS

    def destroy_node(self) -> None:
        self._stop_worker()  # the inference thread publishes through this node: stop it first
        super().destroy_node()

    def on_shutdown(self, state: State) -> TransitionCallbackReturn:
        self._stop_worker()
        return TransitionCallbackReturn.SUCCESS

    # ------------------------------------------------------------------ data path
    def _on_image(self, msg: Image | CompressedImage | bytes, port: CameraPort) -> None:
        self.batcher.put(port.topics.camera, ReceivedFrame(msg, time.perf_counter(),
                                                           self.get_clock().now().nanoseconds))
        port.input_rate.tick()
        port.last_frame_s = time.monotonic()

    def _on_incompatible_qos(self, event: Any) -> None:
        topics = ", ".join(p.subscription.topic_name for p in self.ports.values() if p.subscription) or "image"
        self._error("qos", f"a publisher on {topics} offers QoS incompatible with this subscription "
                    f"({self.p('qos_reliability')}); no frames will arrive from it. Set qos_reliability to match "
                    f"the camera (last policy: {event.last_policy_kind})")

    def _error(self, kind: str, message: str, detail_key: str = "", port: CameraPort | None = None) -> None:
        with self._count_lock:
            self.errors[kind] += 1
            self.last_error = message
            if port is not None:
                port.errors += 1
                port.last_error = message
            suppressed = self.throttle.admit(f"{kind}:{port.topics.camera if port else ''}:{detail_key}")
        if suppressed is not None:
            more = f" ({suppressed} similar suppressed in the last {ERROR_LOG_PERIOD_S:.0f} s)" if suppressed else ""
            self.get_logger().error(message + more)

    def _on_worker_error(self, exc: Exception) -> None:
        self._error("inference", f"frame skipped: {type(exc).__name__}: {exc}", type(exc).__name__)

    def _report(self, kind: str, message: str, detail_key: str, camera: str) -> None:
        self._error(kind, message, detail_key, self.ports.get(camera))

    def _process(self, batch: list[tuple[str, ReceivedFrame]]) -> None:
        detector = self.detector
        if detector is None or not self.ports:
            return
        for answer in self.processor.process(detector, [(c, f) for c, f in batch if c in self.ports]):
            f, port = answer.decoded, self.ports[answer.decoded.camera]
            t0 = time.perf_counter()
            try:
                self._publish(detector, port, answer)
            except Exception as exc:  # one frame's answer failing must not cost the batch's others theirs
                self._error("publish", f"answer for {port.topics.label} not published: {type(exc).__name__}: "
                            f"{exc}", type(exc).__name__, port)
                continue
            publish_ms = (time.perf_counter() - t0) * 1e3
            stamp = stamp_ns(f.header)  # > 0: meaningful when the stamp is this clock's (same host, or synced)
            now_ns = self.get_clock().now().nanoseconds if stamp > 0 else 0
            with self._count_lock:
                for key, value in (*answer.stage_ms.items(), ("publish", publish_ms)):
                    if key in self.latency:
                        self.latency[key].add(value)
                if stamp > 0:
                    self.latency["transport"].add((f.frame.arrival_clock_ns - stamp) * 1e-6)
                    self.latency["end_to_end"].add((now_ns - stamp) * 1e-6)

    def _publish(self, detector: Detector, port: CameraPort, answer: FrameAnswer) -> None:
        f, result = answer.decoded, answer.result
        if port.pub_detections is None:
            return
        port.pub_detections.publish(self._detections_out(f.header, result.detections, detector.class_names,
                                                         answer.ids))
        if port.pub_debug is not None and port.pub_debug.get_subscription_count() > 0:  # draw only when watched
            rgb = array_to_rgb8(f.image, f.order)
            drawn = draw_detections(rgb, result.detections, detector.class_names, track_ids=answer.ids)
            port.pub_debug.publish(rgb_image_msg(drawn, header_msg(f.header)))
            with self._count_lock:
                self.debug_images_drawn += 1
        with self._count_lock:
            port.latency.add((time.perf_counter() - f.frame.arrival_perf_s) * 1e3)
            port.output_rate.tick()
            port.answered += 1
            self.frames_answered += 1

    def _detections_out(self, header: Any, dets: Detections, class_names: tuple[str, ...],
                        track_ids: list[str] | None) -> Any:
        """Serialized bytes when rosbags knows vision_msgs here, else rclpy's typed message."""
        if self.detections_serializer is None:
            return detections_to_msg(header_msg(header), dets, class_names, self.p("class_id_format"), track_ids)
        ids = hypothesis_class_ids(dets.class_ids, class_names, self.p("class_id_format") == "name")
        return self.detections_serializer.serialize(header, dets.boxes, ids, dets.scores.tolist(), track_ids)

    # ------------------------------------------------------------------ diagnostics
    def _publish_diagnostics(self) -> None:
        detector = self.detector
        counts = self.batcher.counts.values()
        ports = self.ports.values()
        active_tracks = self.trackers.active_tracks() if self.p("tracker") != "none" else None
        level, message, values = detector_status(DetectorSnapshot(
            self.state_message, sum(p.input_rate.rate() for p in ports), sum(p.output_rate.rate() for p in ports),
            sum(c.received for c in counts),
            sum(c.dropped for c in counts),
            self.debug_images_drawn, self.model_path or self.p("model") or "(demo weights)",
            detector.backend.name if detector else None, detector.backend.precision if detector else None,
            {stage: window.summary() for stage, window in list(self.latency.items())}, dict(self.errors),
            self.last_error,
            self.cpu_per_frame.sample(self.frames_answered), self.p("tracker"),
            sum(active_tracks.values()) if active_tracks else 0))
        name = self.get_fully_qualified_name()
        statuses = []
        if any(self.ports):  # named cameras (the single unnamed input has no entry of its own)
            values |= {"cameras": len(self.ports), "max_batch": self.batcher.max_batch,
                       "inference_workers": self.inference_workers,
                       "batch_axis": bool(detector and detector.backend.batch_axis),
                       "batch_sizes": batch_size_summary(detector.calls if detector else {})}
            now = time.monotonic()
            for camera, port in self.ports.items():
                count = self.batcher.counts[camera]
                topic = port.subscription.topic_name if port.subscription else port.topics.image
                since = None if port.last_frame_s is None else now - port.last_frame_s
                camera_level, camera_message, camera_values = camera_status(CameraSnapshot(
                    camera, topic, port.input_rate.rate(), port.output_rate.rate(), count.received, count.dropped,
                    port.answered, port.latency.summary(), port.errors, port.last_error, since,
                    active_tracks.get(camera, 0) if active_tracks is not None else None))
                statuses.append(diagnostic_status(f"{name}: camera {camera}", NODE_NAME, bytes([camera_level]),
                                                  camera_message, camera_values))
        array = DiagnosticArray()
        array.header.stamp = self.get_clock().now().to_msg()
        array.status = [diagnostic_status(f"{name}: detector", NODE_NAME, bytes([level]), message, values),
                        *statuses]
        self.pub_diagnostics.publish(array)


def main(args: list[str] | None = None) -> None:
    init_ros(args)
    node = DetectorNode()
    try:
        executor, description = make_executor(node.p("executor"))
    except ValueError as exc:  # a mistyped parameter must not stop the detector
        node.get_logger().error(f"{exc}; using single_threaded")
        executor, description = make_executor("single_threaded")
    node.get_logger().info(f"spinning with the {description}")
    executor.add_node(node)

    def autostart() -> None:
        # Activate only now, right before spinning: a camera that starts sending the moment it sees the
        # subscription must not lose its first frames to an executor that is still being made.
        if node.p("autostart"):
            node.trigger_configure()
            if node.state_message == "configured":
                node.trigger_activate()

    spin_node(node, executor, autostart, exit_with_parent=bool(node.p("exit_with_parent")))


if __name__ == "__main__":
    main()
