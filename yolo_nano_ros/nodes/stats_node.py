"""`yolo_nano_stats`: the detector's FPS beside the board's power, as images/s/W, under a chosen power mode.

Wiring only: the source (jtop / tegrastats / host), the efficiency window and the power-mode control
are plain Python in yolo_nano_ros.jetson. Publishes /diagnostics and plain numbers for plotting
(~/fps, ~/power_w, ~/images_per_s_per_w, ~/mj_per_frame). The power mode is a parameter: set at
start-up and changeable at run time (`ros2 param set /yolo_nano_stats power_mode MODE_30W`); the
parameter call fails with the reason when the switch is refused. ~/set_jetson_clocks (SetBool).

Anyone on an unsecured ROS graph can set parameters, so nothing set at run time can reboot the board:
`allow_reboot` and `allow_runtime_power_mode` are read-only (start-up only), and a run-time switch is
only made to a mode that needs no reboot, whatever allow_reboot says.
"""

from __future__ import annotations

import time
from typing import Any

from diagnostic_msgs.msg import DiagnosticArray, DiagnosticStatus
from rcl_interfaces.msg import SetParametersResult
from rclpy.executors import SingleThreadedExecutor
from rclpy.node import Node
from rclpy.parameter import Parameter
from rclpy.qos import qos_profile_sensor_data
from std_msgs.msg import Float32
from std_srvs.srv import SetBool
from vision_msgs.msg import Detection2DArray

from yolo_nano_ros.jetson.efficiency import EfficiencyWindow
from yolo_nano_ros.jetson.power_modes import PowerMode, PowerModeControl, PowerModeError, clocks_label
from yolo_nano_ros.jetson.sources import StatsSample, StatsSource, open_source
from yolo_nano_ros.nodes.declare_parameters import declare_schema
from yolo_nano_ros.nodes.executors import init_ros, spin_node
from yolo_nano_ros.nodes.messages import diagnostic_status
from yolo_nano_ros.nodes.parameters import STATS_PARAMETERS, STATS_READ_ONLY
from yolo_nano_ros.pipeline.error_throttle import ErrorThrottle

NODE_NAME = "yolo_nano_stats"





class StatsNode(Node):
    def __init__(self) -> None:
        super().__init__(NODE_NAME)
        # YAML turns `on` into true and `15` into an integer: power_mode and jetson_clocks take any type.
        declare_schema(self, STATS_PARAMETERS, STATS_READ_ONLY, dynamic=("power_mode", "jetson_clocks"))
        self.throttle = ErrorThrottle(5.0)
        self.errors: dict[str, int] = {}
        self.last_error = ""
        self.window = EfficiencyWindow(float(self.p("window_s")))
        self.topic_frames: dict[str, int] = {}
        self.power = PowerModeControl(float(self.p("command_timeout_s")))
        self.mode: PowerMode | None = None
        self.clocks: bool | None = None
        self._last_sample_time = 0.0
        self.latest: StatsSample | None = None

        self.source: StatsSource
        try:
            self.source, self.source_reason = open_source(str(self.p("source")), int(self.p("interval_ms")),
                                                          str(self.p("tegrastats_path")))
        except (RuntimeError, ValueError) as exc:  # a forced source that is not here: report, measure what we can
            self._error("source", f"stats source {self.p('source')!r} unavailable ({exc}); using the host source")
            self.source, host_reason = open_source("host")
            self.source_reason = f"{self.p('source')!r} unavailable; {host_reason}"
        self.get_logger().info(f"stats source: {self.source.name} ({self.source_reason})")
        self._apply_start_up_power_settings()
        self.add_on_set_parameters_callback(self._on_parameters)

        for topic in self.p("detection_topics"):
            self.topic_frames[topic] = 0
            self.create_subscription(Detection2DArray, topic, lambda _msg, t=topic: self._on_detections(t),
                                     qos_profile_sensor_data)
        self.pub_diag = self.create_publisher(DiagnosticArray, "/diagnostics", 10)
        self.pub_numbers = {name: self.create_publisher(Float32, f"~/{name}", 10)
                            for name in ("fps", "power_w", "images_per_s_per_w", "mj_per_frame")}
        self.create_service(SetBool, "~/set_jetson_clocks", self._on_set_clocks)
        self.create_timer(int(self.p("interval_ms")) / 1000.0, self._sample)
        self.create_timer(float(self.p("publish_period_s")), self._publish)
        self.get_logger().info(f"measuring FPS on {', '.join(self.topic_frames)}; power mode "
                               f"{self.mode.name if self.mode else 'unknown'}")

    def p(self, name: str) -> Any:
        return self.get_parameter(name).value

    def _error(self, kind: str, message: str) -> None:
        self.errors[kind] = self.errors.get(kind, 0) + 1
        self.last_error = message
        suppressed = self.throttle.admit(kind)
        if suppressed is not None:
            more = f" (+{suppressed} similar suppressed)" if suppressed else ""
            self.get_logger().error(message + more)

    # ------------------------------------------------------------------ power modes and clocks
    def _apply_start_up_power_settings(self) -> None:
        if not self.power.available():
            self.get_logger().info("nvpmodel not found: power modes unavailable (not a Jetson)")
            if self.p("power_mode"):
                self._error("power_mode", f"power_mode {self.p('power_mode')!r} requested but nvpmodel is not here")
            return
        try:
            self.mode = self.power.current()
        except PowerModeError as exc:
            self._error("power_mode", str(exc))
        wanted = str(self.p("power_mode")).strip()
        if wanted:
            self._switch(wanted, allow_reboot=bool(self.p("allow_reboot")))
        clocks = {"true": "on", "false": "off"}.get(str(self.p("jetson_clocks")).lower(),
                                                    str(self.p("jetson_clocks")).lower())
        if clocks not in ("on", "off", "unchanged"):
            self._error("jetson_clocks", f"jetson_clocks must be unchanged, on or off, not {clocks!r}")
        elif clocks != "unchanged":
            try:
                self.power.set_clocks(clocks == "on")
            except PowerModeError as exc:
                self._error("jetson_clocks", str(exc))
        self.clocks = self.power.clocks_pinned()

    def _switch(self, wanted: str, allow_reboot: bool) -> str | None:
        """None on success, else the reason."""
        try:
            self.mode = self.power.set_mode(wanted, allow_reboot)
            self.window = EfficiencyWindow(self.window.window_s)  # FPS/W from before the switch do not count
            self.get_logger().info(f"power mode now {self.mode.name} (ID {self.mode.id})")
            return None
        except PowerModeError as exc:
            self._error("power_mode", str(exc))
            return str(exc)

    def _on_parameters(self, params: list[Parameter]) -> SetParametersResult:
        for param in params:
            if param.name == "power_mode" and param.value is not None and str(param.value).strip():
                if not self.p("allow_runtime_power_mode"):
                    return SetParametersResult(successful=False, reason="run-time power-mode switches are off "
                                               "(allow_runtime_power_mode: false at start-up)")
                if not self.power.available():
                    return SetParametersResult(successful=False, reason="nvpmodel not found: not a Jetson")
                reason = self._switch(str(param.value), allow_reboot=False)  # never a reboot from the graph
                if reason:
                    return SetParametersResult(successful=False, reason=reason)
            elif param.name != "power_mode":
                return SetParametersResult(successful=False, reason=f"{param.name} is read at start-up only")
        return SetParametersResult(successful=True)

    def _on_set_clocks(self, request: SetBool.Request, response: SetBool.Response) -> SetBool.Response:
        try:
            self.power.set_clocks(bool(request.data))
            self.clocks = self.power.clocks_pinned()
            response.success, response.message = True, f"jetson_clocks {'on' if request.data else 'off'}"
        except PowerModeError as exc:
            self._error("jetson_clocks", str(exc))
            response.success, response.message = False, str(exc)
        return response

    # ------------------------------------------------------------------ measurements
    def _on_detections(self, topic: str) -> None:
        self.topic_frames[topic] += 1
        self.window.add_frame(time.monotonic())

    def _sample(self) -> None:
        sample = self.source.latest()
        if sample is None or sample.time == self._last_sample_time:
            return
        self._last_sample_time = sample.time
        self.latest = sample
        if sample.power_total_mw is not None:
            self.window.add_power(sample.time, sample.power_total_mw)

    def _publish(self) -> None:
        eff = self.window.compute(time.monotonic())
        for name, value in (("fps", eff.fps), ("power_w", eff.power_w), ("images_per_s_per_w", eff.images_per_s_per_w),
                            ("mj_per_frame", eff.mj_per_frame)):
            if value is not None:
                self.pub_numbers[name].publish(Float32(data=float(value)))
        sample = self.latest
        values: dict[str, object] = {
            "source": self.source.name, "source_reason": self.source_reason, "fps": eff.fps,
            "frames_in_window": eff.frames, "window_s": eff.window_s,
            "power_w": eff.power_w if eff.power_w is not None else "n/a",
            "images_per_s_per_w": eff.images_per_s_per_w if eff.images_per_s_per_w is not None else "n/a",
            "mj_per_frame": eff.mj_per_frame if eff.mj_per_frame is not None else "n/a",
            "power_mode": self.mode.name if self.mode else "unknown",
            "power_mode_id": self.mode.id if self.mode else "unknown",
            "jetson_clocks": clocks_label(self.clocks),
        }
        for topic, count in self.topic_frames.items():
            values[f"frames[{topic}]"] = count
        if sample is not None:
            values |= {"power_total_rule": sample.power_total_rule,
                       "ram_used_mb": sample.ram_used_mb if sample.ram_used_mb is not None else "n/a",
                       "ram_total_mb": sample.ram_total_mb if sample.ram_total_mb is not None else "n/a",
                       "cpu_util_pct": sample.cpu_util_pct if sample.cpu_util_pct is not None else "n/a",
                       "gpu_util_pct": sample.gpu_util_pct if sample.gpu_util_pct is not None else "n/a",
                       "gpu_freq_mhz": sample.gpu_freq_mhz if sample.gpu_freq_mhz is not None else "n/a"}
            values |= {f"rail_mw[{k}]": v for k, v in sample.rails_mw.items()}
            values |= {f"temp_c[{k}]": v for k, v in sample.temperatures_c.items()}
        health = self.source.health()
        for key, state in health.items():
            values[f"source_{key}"] = state
        for kind, count in sorted(self.errors.items()):
            values[f"errors_{kind}"] = count
        if sample is None:
            level, message = DiagnosticStatus.WARN, f"no reading yet from {self.source.name}"
        elif self.errors:
            level, message = DiagnosticStatus.WARN, f"last error: {self.last_error}"
        else:
            watts = f"{eff.power_w:.2f} W" if eff.power_w is not None else "no power reading"
            message = f"{eff.fps:.1f} FPS, {watts}"
            if eff.images_per_s_per_w is not None:
                message += f", {eff.images_per_s_per_w:.2f} img/s/W"
            level = DiagnosticStatus.OK
        if health.get("last_error") and level == DiagnosticStatus.OK:
            level, message = DiagnosticStatus.WARN, f"{message}; source: {health['last_error']}"
        array = DiagnosticArray()
        array.header.stamp = self.get_clock().now().to_msg()
        array.status = [diagnostic_status(f"{self.get_fully_qualified_name()}: power", NODE_NAME, level, message,
                                          values)]
        self.pub_diag.publish(array)

    def destroy_node(self) -> None:
        self.source.close()
        super().destroy_node()


def main(args: list[str] | None = None) -> None:
    init_ros(args)
    node = StatsNode()
    executor = SingleThreadedExecutor()
    executor.add_node(node)
    spin_node(node, executor, exit_with_parent=bool(node.get_parameter("exit_with_parent").value))


if __name__ == "__main__":
    main()
