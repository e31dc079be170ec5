"""Where board statistics come from: jtop, a tegrastats subprocess, or the host (psutil + NVML).

`open_source("auto")` tries them in that order and says why it picked what it picked; whatever is
unavailable is reported, never raised from a running source. All sources give the same StatsSample,
so the node and the power sweep do not care which one is behind them.
"""

from __future__ import annotations

import contextlib
import shutil
import subprocess
import threading
import time
from collections import Counter, deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from yolo_nano_ros.errors import ConfigError
from yolo_nano_ros.jetson.tegrastats import OFFLINE_SENSOR_C, TegraStats, TegrastatsParseError, parse_tegrastats

JTOP_SOCKET = Path("/run/jtop.sock")
SOURCES = ("auto", "jtop", "tegrastats", "host")  # what open_source takes, in auto's order after "auto"


@dataclass
class StatsSample:
    time: float  # time.monotonic() when read
    source: str
    power_total_mw: float | None = None
    power_total_rule: str = "no power reading"
    rails_mw: dict[str, float] = field(default_factory=dict)
    temperatures_c: dict[str, float] = field(default_factory=dict)
    ram_used_mb: float | None = None
    ram_total_mb: float | None = None
    cpu_util_pct: float | None = None  # mean over online cores
    cpu_cores_online: int | None = None
    gpu_util_pct: float | None = None
    gpu_freq_mhz: int | None = None
    tegrastats: TegraStats | None = None


def sample_from_tegrastats(stats: TegraStats, now: float, source: str = "tegrastats") -> StatsSample:
    total, _, rule = stats.power_total
    online = [c for c in stats.cpus if c.online]
    utils = [c.util_pct for c in online if c.util_pct is not None]
    return StatsSample(now, source, total, rule, {k: r.instant_mw for k, r in stats.rails.items()},
                       dict(stats.temperatures_c), stats.ram_used_mb, stats.ram_total_mb,
                       sum(utils) / len(utils) if utils else None, len(online) if stats.cpus else None,
                       stats.gpu_util_pct, stats.gpu_freq_mhz, stats)


class StatsSource(Protocol):
    name: str

    def latest(self) -> StatsSample | None: ...

    def health(self) -> dict[str, object]: ...

    def close(self) -> None: ...


class TegrastatsSource:
    """`tegrastats --interval MS` as a child process; lines parsed on a reader thread; restarted if it dies."""

    name = "tegrastats"

    def __init__(self, interval_ms: int = 500, executable: str = "tegrastats", restart_delay_s: float = 1.0) -> None:
        path = shutil.which(executable)
        if path is None:
            raise FileNotFoundError(f"{executable} not found on PATH")
        self.command = [path, "--interval", str(int(interval_ms))]
        self.restart_delay_s = restart_delay_s
        self.samples: deque[StatsSample] = deque(maxlen=2000)
        self.errors: Counter[str] = Counter()
        self.last_error = ""
        self.lines = 0
        self.restarts = 0
        self._proc: subprocess.Popen[str] | None = None
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._run, name="tegrastats-reader", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self._proc = subprocess.Popen(self.command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                              stdin=subprocess.DEVNULL, text=True, errors="replace", bufsize=1)
            except OSError as exc:
                self._note_error("start", f"cannot start {self.command[0]}: {exc}")
                self._stop.wait(self.restart_delay_s)
                continue
            assert self._proc.stdout is not None
            for line in self._proc.stdout:
                if self._stop.is_set():
                    break
                self._handle_line(line)
            code = self._proc.wait()
            if self._stop.is_set():
                break
            self.restarts += 1
            self._note_error("exit", f"tegrastats exited with status {code}; restarting in {self.restart_delay_s:g} s")
            self._stop.wait(self.restart_delay_s)

    def _handle_line(self, line: str) -> None:
        line = line.strip()
        if not line:
            return
        self.lines += 1
        try:
            sample = sample_from_tegrastats(parse_tegrastats(line), time.monotonic())
        except TegrastatsParseError as exc:
            self._note_error("parse", str(exc))
            return
        with self._lock:
            self.samples.append(sample)

    def _note_error(self, kind: str, message: str) -> None:
        self.errors[kind] += 1
        self.last_error = message

    def latest(self) -> StatsSample | None:
        with self._lock:
            return self.samples[-1] if self.samples else None

    def health(self) -> dict[str, object]:
        return {"lines": self.lines, "restarts": self.restarts, "errors": dict(self.errors),
                "last_error": self.last_error}

    def close(self) -> None:
        self._stop.set()
        if self._proc is not None and self._proc.poll() is None:
            self._proc.terminate()
            try:
                self._proc.wait(2.0)
            except subprocess.TimeoutExpired:
                self._proc.kill()
        self._thread.join(3.0)


class JtopSource:
    """jetson-stats' jtop (the service users already run); its 'avg' is not a mean, so only instants are read."""

    name = "jtop"

    def __init__(self, interval_s: float = 0.5) -> None:
        from jtop import jtop  # jetson-stats; ImportError when absent

        self._jetson = jtop(interval=interval_s)
        self._jetson.start()  # raises JtopException when the service is not running or not accessible
        self.errors: Counter[str] = Counter()
        self.last_error = ""

    def latest(self) -> StatsSample | None:
        try:
            if not self._jetson.ok(spin=False):
                return None
            return self._sample(self._jetson.power, self._jetson.stats, self._jetson.memory)
        except Exception as exc:  # jtop's API shifts between releases: report, never crash
            self.errors["read"] += 1
            self.last_error = f"jtop read failed: {type(exc).__name__}: {exc}"
            return None

    @staticmethod
    def _sample(power: Any, stats: Any, memory: Any) -> StatsSample:
        rails = {name: float(r.get("power", 0.0)) for name, r in (power or {}).get("rail", {}).items()}
        total = (power or {}).get("tot", {}).get("power")
        rule = "jtop total" if total is not None else "no power reading"
        temps = {k.removeprefix("Temp ").removesuffix(" temp"): float(v) for k, v in (stats or {}).items()
                 if str(k).startswith("Temp") and isinstance(v, int | float) and v > OFFLINE_SENSOR_C}
        ram = (memory or {}).get("RAM", {})
        cpus = [v for k, v in (stats or {}).items() if str(k).startswith("CPU") and isinstance(v, int | float)]
        gpu = (stats or {}).get("GPU")
        return StatsSample(time.monotonic(), "jtop", float(total) if total is not None else None, rule, rails, temps,
                           ram.get("used", 0) / 1024 if ram else None, ram.get("tot", 0) / 1024 if ram else None,
                           sum(cpus) / len(cpus) if cpus else None, len(cpus) or None,
                           float(gpu) if isinstance(gpu, int | float) else None)

    def health(self) -> dict[str, object]:
        return {"errors": dict(self.errors), "last_error": self.last_error}

    def close(self) -> None:
        with contextlib.suppress(Exception):  # closing a broken jtop connection must not take the node down
            self._jetson.close()


class HostSource:
    """Non-Jetson machines: CPU and RAM from psutil, GPU power and utilisation from NVML when present."""

    name = "host"

    def __init__(self) -> None:
        import psutil

        self._psutil = psutil
        psutil.cpu_percent(percpu=True)  # the first call primes the counters
        self._nvml: Any = None
        self.nvml_status = "no NVIDIA GPU power (pynvml not installed)"
        try:
            import pynvml

            pynvml.nvmlInit()
            self._handles = [pynvml.nvmlDeviceGetHandleByIndex(i) for i in range(pynvml.nvmlDeviceGetCount())]
            self._nvml = pynvml
            self.nvml_status = f"NVML: {len(self._handles)} GPU(s)"
        except ImportError:
            pass
        except Exception as exc:  # no driver, no device: CPU and RAM still work
            self.nvml_status = f"NVML unavailable: {type(exc).__name__}: {exc}"

    def latest(self) -> StatsSample | None:
        ps = self._psutil
        per_cpu = ps.cpu_percent(percpu=True)
        mem = ps.virtual_memory()
        sample = StatsSample(time.monotonic(), "host", ram_used_mb=(mem.total - mem.available) / 2**20,
                             ram_total_mb=mem.total / 2**20, cpu_util_pct=sum(per_cpu) / len(per_cpu),
                             cpu_cores_online=len(per_cpu))
        if self._nvml is not None:
            try:
                watts = [self._nvml.nvmlDeviceGetPowerUsage(h) for h in self._handles]  # mW
                sample.rails_mw = {f"GPU{i}": float(w) for i, w in enumerate(watts)}
                sample.power_total_mw = float(sum(watts))
                sample.power_total_rule = "sum of NVML GPU power (the host's CPU and board are not measured)"
                sample.gpu_util_pct = float(self._nvml.nvmlDeviceGetUtilizationRates(self._handles[0]).gpu)
            except Exception as exc:
                self.nvml_status = f"NVML read failed: {type(exc).__name__}: {exc}"
        return sample

    def health(self) -> dict[str, object]:
        return {"nvml": self.nvml_status}

    def close(self) -> None:
        if self._nvml is not None:
            with contextlib.suppress(Exception):  # shutdown errors are irrelevant at exit
                self._nvml.nvmlShutdown()


def open_source(preference: str = "auto", interval_ms: int = 500, tegrastats: str = "tegrastats"
                ) -> tuple[StatsSource, str]:
    """(source, why this one); preference is one of SOURCES."""
    if preference not in SOURCES:
        raise ConfigError(f"unknown stats source {preference!r}: use {', '.join(SOURCES)}")
    reasons = []
    if preference in ("auto", "jtop"):
        try:
            return JtopSource(interval_ms / 1000), "jtop service answered"
        except ImportError:
            reasons.append("jtop: jetson-stats not installed")
        except Exception as exc:
            reasons.append(f"jtop: {type(exc).__name__}: {exc}")
        if preference == "jtop":
            raise RuntimeError("; ".join(reasons))
    if preference in ("auto", "tegrastats"):
        try:
            return TegrastatsSource(interval_ms, tegrastats), "; ".join([*reasons, "reading tegrastats"])
        except FileNotFoundError as exc:
            reasons.append(f"tegrastats: {exc}")
        if preference == "tegrastats":
            raise RuntimeError("; ".join(reasons))
    source = HostSource()
    return source, "; ".join([*reasons, f"host source (psutil; {source.nvml_status})"])
