"""`yolo_nano_detector`: sensor_msgs images in, vision_msgs/Detection2DArray out.

A managed (lifecycle) node: configure loads the model, activate subscribes; with `autostart` (default)
it does both at start-up, so it simply runs. Inference happens on a worker thread fed by a
latest-frame-wins slot, so a slow model drops frames instead of building latency. Every output carries
the input image's header. Bad input is logged (rate-limited), counted in /diagnostics, and skipped.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from diagnostic_msgs.msg import DiagnosticArray
from rcl_interfaces.msg import ParameterDescriptor, SetParametersResult
from rclpy.exceptions import ParameterUninitializedException
from rclpy.lifecycle import Node as LifecycleNode
from rclpy.lifecycle import State, TransitionCallbackReturn
from rclpy.parameter import Parameter
from rclpy.qos import DurabilityPolicy, HistoryPolicy, QoSProfile, ReliabilityPolicy
from sensor_msgs.msg import CompressedImage, Image
from vision_msgs.msg import Detection2DArray, LabelInfo

from yolo_nano_ros.msgs.detection_arrays import DetectionArraySerializer, hypothesis_class_ids, stamp_ns
from yolo_nano_ros.msgs.image_cdr import CdrDecodeError, SerializedImageDecoder
from yolo_nano_ros.msgs.image_encodings import ImageConversionError, array_to_rgb8, image_message_to_array
from yolo_nano_ros.nodes.detector_status import MODEL_NOT_LOADED, DetectorSnapshot, detector_status
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
    STRING_ARRAY,
)
from yolo_nano_ros.paths import resolve_model
from yolo_nano_ros.pipeline.cpu_meter import CpuPerFrame
from yolo_nano_ros.pipeline.error_throttle import ErrorThrottle
from yolo_nano_ros.pipeline.frame_pipeline import LatestFrameSlot, RateMeter
from yolo_nano_ros.runtime.annotate import draw_detections
from yolo_nano_ros.runtime.backends.cpu_settings import CpuSettings, default_cache_dir
from yolo_nano_ros.runtime.detector import Detector
from yolo_nano_ros.runtime.latency import LatencyWindow
from yolo_nano_ros.runtime.postprocess import Detections, PostprocessSettings

try:  # Iron and newer
    from rclpy.event_handler import SubscriptionEventCallbacks
except ImportError:  # Humble
    from rclpy.qos_event import SubscriptionEventCallbacks

NODE_NAME = "yolo_nano_detector"
ERROR_LOG_PERIOD_S = 5.0



@dataclass(frozen=True)
class ReceivedFrame:
    """A message and when it arrived: perf_counter for the hand-off, the node clock for transport."""

    msg: Image | CompressedImage | bytes  # bytes: serialized, from a raw subscription
    arrival_perf_s: float
    arrival_clock_ns: int




class DetectorNode(LifecycleNode):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(NODE_NAME, **kwargs)
        for name, (default, doc) in DETECTOR_PARAMETERS.items():
            value = Parameter.Type.STRING_ARRAY if default == STRING_ARRAY else default
            self.declare_parameter(name, value, ParameterDescriptor(description=doc,
                                                                    read_only=name in DETECTOR_READ_ONLY))
        self.add_on_set_parameters_callback(self._on_set_parameters)

        self.detector: Detector | None = None
        self.model_path = ""  # the file configure loaded (the demo weights when `model` is empty)
        self.slot: LatestFrameSlot[ReceivedFrame] = LatestFrameSlot()
        self.input_rate, self.output_rate = RateMeter(), RateMeter()
        self.frames_answered = 0
        self.cpu_per_frame = CpuPerFrame()
        self.latency = {k: LatencyWindow() for k in ("transport", "handoff", "convert", "pre", "infer", "post",
                                                     "publish", "end_to_end")}
        self.errors: Counter[str] = Counter()
        self.debug_images_drawn = 0
        self.throttle = ErrorThrottle(ERROR_LOG_PERIOD_S)
        self.last_error = ""
        self.state_message = "unconfigured"
        self.subscription: Any = None
        self.decoder: SerializedImageDecoder | None = None
        self.detections_serializer: DetectionArraySerializer | None = None
        self.pub_detections: Any = None  # publishers exist between configure and cleanup
        self.pub_labels: Any = None
        self.pub_debug: Any = None
        self._worker: threading.Thread | None = None
        self._running = threading.Event()
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

    def _on_set_parameters(self, params: list[Parameter]) -> SetParametersResult:
        changes = {p.name: p.value for p in params}
        for key in ("conf_threshold", "nms_threshold"):
            if key in changes and not 0.0 <= float(changes[key]) <= 1.0:
                return SetParametersResult(successful=False, reason=f"{key} must be in [0, 1]")
        if "max_detections" in changes and int(changes["max_detections"]) < 1:
            return SetParametersResult(successful=False, reason="max_detections must be >= 1")
        if "class_id_format" in changes and changes["class_id_format"] not in ("name", "index"):
            return SetParametersResult(successful=False, reason="class_id_format must be 'name' or 'index'")
        if changes.get("classes") and self.detector:
            unknown = [c for c in changes["classes"] if c and c not in self.detector.class_names]
            if unknown:
                return SetParametersResult(successful=False, reason=f"unknown classes {unknown}; the model has "
                                           f"{', '.join(self.detector.class_names)}")
        if self.detector and RUNTIME_PARAMETERS & changes.keys():
            self.detector.settings = self._settings(changes)
            if "conf_threshold" in changes and self.pub_labels is not None:
                self.pub_labels.publish(label_info_msg(self.detector.class_names, float(changes["conf_threshold"])))
        if "executor" in changes:
            self.get_logger().info("executor is read at start-up only; restart the node to change it")
        deferred = changes.keys() - RUNTIME_PARAMETERS - {"autostart", "diagnostics_period", "executor"}
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
                                          log=self.get_logger().info, cpu=cpu)
        except Exception as exc:  # a model that cannot load must not take the node down
            return self._fail_configure(f"cannot load model {model}: {exc}")
        self.detector, self.model_path = detector, model
        detector.settings = self._settings()
        self.get_logger().info(f"model {model}: backend {detector.backend.name} ({detector.selection_reason}), "
                               f"input {detector.info.input_size}, {len(detector.class_names)} classes")
        self.pub_detections = self.create_publisher(Detection2DArray, "detections", 10)
        try:
            self.detections_serializer = DetectionArraySerializer()
        except Exception as exc:  # vision_msgs' .msg files not found: rclpy's typed messages still work
            self.detections_serializer = None
            self.get_logger().warning(f"publishing rclpy Detection2DArray messages (slower): {exc}")
        latched = QoSProfile(depth=1, durability=DurabilityPolicy.TRANSIENT_LOCAL,
                             reliability=ReliabilityPolicy.RELIABLE)
        self.pub_labels = self.create_publisher(LabelInfo, "label_info", latched)
        self.pub_debug = self.create_publisher(Image, "debug_image", 1)
        self.pub_labels.publish(label_info_msg(detector.class_names, float(self.p("conf_threshold"))))
        self.state_message = "configured"
        return TransitionCallbackReturn.SUCCESS

    def _fail_configure(self, message: str) -> TransitionCallbackReturn:
        self.get_logger().error(message)
        self.last_error = message
        self.errors["model"] += 1
        self.state_message = MODEL_NOT_LOADED
        return TransitionCallbackReturn.FAILURE

    def on_activate(self, state: State) -> TransitionCallbackReturn:
        reliability = self.p("qos_reliability")
        qos = QoSProfile(depth=max(1, int(self.p("qos_depth"))), history=HistoryPolicy.KEEP_LAST,
                         reliability=ReliabilityPolicy.RELIABLE if reliability == "reliable"
                         else ReliabilityPolicy.BEST_EFFORT)
        events = SubscriptionEventCallbacks(incompatible_qos=self._on_incompatible_qos)
        compressed = bool(self.p("compressed"))
        self.decoder = SerializedImageDecoder(compressed) if self.p("zero_copy_input") else None
        msg_type, topic = (CompressedImage, "image/compressed") if compressed else (Image, "image")
        self.subscription = self.create_subscription(msg_type, topic, self._on_image, qos, event_callbacks=events,
                                                     raw=self.decoder is not None)
        self.slot = LatestFrameSlot()
        self._running.set()
        self._worker = threading.Thread(target=self._inference_loop, name="yolo_nano_inference", daemon=True)
        self._worker.start()
        self.state_message = "active"
        self.get_logger().info(f"listening on {self.subscription.topic_name} ({reliability}, depth {qos.depth}, "
                               f"{'serialized, decoded in place' if self.decoder else 'rclpy messages'})")
        return TransitionCallbackReturn.SUCCESS

    def _stop_worker(self) -> None:
        self._running.clear()
        self.slot.close()
        if self._worker is not None:
            self._worker.join(5.0)
            self._worker = None

    def on_deactivate(self, state: State) -> TransitionCallbackReturn:
        self._stop_worker()
        if self.subscription is not None:
            self.destroy_subscription(self.subscription)
            self.subscription = None
        self.state_message = "inactive"
        return TransitionCallbackReturn.SUCCESS

    def on_cleanup(self, state: State) -> TransitionCallbackReturn:
        for pub in (self.pub_detections, self.pub_labels, self.pub_debug):
            if pub is not None:
                self.destroy_publisher(pub)
        self.pub_detections = self.pub_labels = self.pub_debug = None
        self.detector = None
        self.state_message = "unconfigured"
        return TransitionCallbackReturn.SUCCESS

    def destroy_node(self) -> None:
        self._stop_worker()  # the inference thread publishes through this node: stop it first
        super().destroy_node()

    def on_shutdown(self, state: State) -> TransitionCallbackReturn:
        self._stop_worker()
        return TransitionCallbackReturn.SUCCESS

    # ------------------------------------------------------------------ data path
    def _on_image(self, msg: Image | CompressedImage | bytes) -> None:
        self.slot.put(ReceivedFrame(msg, time.perf_counter(), self.get_clock().now().nanoseconds))
        self.input_rate.tick()

    def _on_incompatible_qos(self, event: Any) -> None:
        self._error("qos", f"a publisher on {self.subscription.topic_name if self.subscription else 'image'} offers "
                    f"QoS incompatible with this subscription ({self.p('qos_reliability')}); no frames will arrive "
                    f"from it. Set qos_reliability to match the camera (last policy: {event.last_policy_kind})")

    def _error(self, kind: str, message: str, detail_key: str = "") -> None:
        self.errors[kind] += 1
        self.last_error = message
        suppressed = self.throttle.admit(f"{kind}:{detail_key}")
        if suppressed is not None:
            more = f" ({suppressed} similar suppressed in the last {ERROR_LOG_PERIOD_S:.0f} s)" if suppressed else ""
            self.get_logger().error(message + more)

    def _inference_loop(self) -> None:
        while self._running.is_set():
            frame = self.slot.take(timeout=0.2)
            if frame is not None and self._running.is_set():
                try:
                    self._process(frame)
                except Exception as exc:  # never let one frame kill the worker
                    self._error("inference", f"frame skipped: {type(exc).__name__}: {exc}", type(exc).__name__)

    def _process(self, frame: ReceivedFrame) -> None:
        detector = self.detector
        if detector is None or self.pub_detections is None:
            return
        t0 = time.perf_counter()
        handoff_ms = (t0 - frame.arrival_perf_s) * 1e3
        if isinstance(frame.msg, bytes):
            if self.decoder is None:  # deactivated while this frame waited
                return
            try:
                msg = self.decoder.decode(frame.msg)
            except CdrDecodeError as exc:
                self._error("image", f"frame skipped: {exc}", "undecodable message")
                return
        else:
            msg = frame.msg
        header = msg.header  # rclpy's, or the decoded message's: converted only where rclpy needs its own
        try:
            image, order = image_message_to_array(msg)
        except ImageConversionError as exc:
            reason = exc.reason  # e.g. "truncated image", "unsupported encoding '32FC1'"
            self._error("image", f"frame skipped ({header.frame_id or 'no frame_id'}): {exc}", reason)
            return
        t1 = time.perf_counter()
        result = detector.detect(image, order)
        t2 = time.perf_counter()
        self.pub_detections.publish(self._detections_out(header, result.detections, detector.class_names))
        if self.pub_debug is not None and self.pub_debug.get_subscription_count() > 0:  # draw only when watched
            rgb = array_to_rgb8(image, order)
            self.pub_debug.publish(rgb_image_msg(draw_detections(rgb, result.detections, detector.class_names),
                                                 header_msg(header)))
            self.debug_images_drawn += 1
        t3 = time.perf_counter()
        self.output_rate.tick()
        self.frames_answered += 1
        for key, value in (("handoff", handoff_ms), ("convert", (t1 - t0) * 1e3), ("pre", result.times.pre_ms),
                           ("infer", result.times.infer_ms), ("post", result.times.post_ms),
                           ("publish", (t3 - t2) * 1e3)):
            self.latency[key].add(value)
        stamp = stamp_ns(header)
        if stamp > 0:  # meaningful when the stamp is this clock's (same host, or synchronised clocks)
            self.latency["transport"].add((frame.arrival_clock_ns - stamp) * 1e-6)
            self.latency["end_to_end"].add((self.get_clock().now().nanoseconds - stamp) * 1e-6)

    def _detections_out(self, header: Any, dets: Detections, class_names: tuple[str, ...]) -> Any:
        """Serialized bytes when rosbags knows vision_msgs here, else rclpy's typed message."""
        if self.detections_serializer is None:
            return detections_to_msg(header_msg(header), dets, class_names, self.p("class_id_format"))
        ids = hypothesis_class_ids(dets.class_ids, class_names, self.p("class_id_format") == "name")
        return self.detections_serializer.serialize(header, dets.boxes, ids, dets.scores.tolist())

    # ------------------------------------------------------------------ diagnostics
    def _publish_diagnostics(self) -> None:
        detector = self.detector
        level, message, values = detector_status(DetectorSnapshot(
            self.state_message, self.input_rate.rate(), self.output_rate.rate(), self.slot.received, self.slot.dropped,
            self.debug_images_drawn, self.model_path or self.p("model") or "(demo weights)",
            detector.backend.name if detector else None, detector.backend.precision if detector else None,
            {stage: window.summary() for stage, window in self.latency.items()}, dict(self.errors), self.last_error,
            self.cpu_per_frame.sample(self.frames_answered)))
        array = DiagnosticArray()
        array.header.stamp = self.get_clock().now().to_msg()
        array.status = [diagnostic_status(f"{self.get_fully_qualified_name()}: detector", NODE_NAME,
                                          bytes([level]), message, values)]
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

    spin_node(node, executor, autostart)


if __name__ == "__main__":
    main()
