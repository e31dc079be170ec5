"""Parse one tegrastats line, any family from L4T R24 (TX1) to JetPack 7 (Thor), into a typed record.

The line is scanned left to right with one pattern per field kind; whatever no pattern knows is
kept raw in `unknown`, so a field NVIDIA adds next release costs nothing but a note. Power comes in
mW ("5299mW/5299mW", "5299 mW/5299 mW", bare "3140/3208" on JetPack 4, three values on JetPack 7).
The board's total input power is its input rail where it has one (VDD_IN, POM_5V_IN, VIN), else the
sum of its module rails without NC (AGX Xavier, AGX Orin); `power_total_rule` says which.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from yolo_nano_ros.errors import YoloNanoError

INPUT_RAILS = ("VDD_IN", "POM_5V_IN", "VIN")  # in order of preference
OFFLINE_SENSOR_C = -200.0  # tegrastats prints -256C for a sensor that is powered off


class TegrastatsParseError(YoloNanoError, ValueError):
    """A line with nothing tegrastats-like in it."""


@dataclass(frozen=True)
class CpuCore:
    online: bool
    util_pct: float | None = None
    freq_mhz: int | None = None


@dataclass(frozen=True)
class Rail:
    instant_mw: float
    average_mw: float | None = None
    peak_mw: float | None = None  # JetPack 7's third value (undocumented; looks like the peak)


@dataclass(frozen=True)
class Engine:
    online: bool
    util_pct: float | None = None
    freq_mhz: tuple[int, ...] = ()


@dataclass
class TegraStats:
    timestamp: str | None = None
    ram_used_mb: int | None = None
    ram_total_mb: int | None = None
    swap_used_mb: int | None = None
    swap_total_mb: int | None = None
    swap_cached_mb: int | None = None
    iram_used_kb: int | None = None
    iram_total_kb: int | None = None
    cpus: list[CpuCore] = field(default_factory=list)
    gpus: dict[str, Engine] = field(default_factory=dict)  # GR3D, GR3D2 (second GPC on some Orins)
    emc_util_pct: float | None = None
    emc_freq_mhz: int | None = None
    engines: dict[str, Engine] = field(default_factory=dict)  # NVENC, NVDEC, VIC, APE, NVDLA0, ...
    temperatures_c: dict[str, float] = field(default_factory=dict)
    rails: dict[str, Rail] = field(default_factory=dict)
    unknown: list[str] = field(default_factory=list)

    @property
    def gpu_util_pct(self) -> float | None:
        utils = [g.util_pct for g in self.gpus.values() if g.util_pct is not None]
        return max(utils) if utils else None

    @property
    def gpu_freq_mhz(self) -> int | None:
        freqs = [f for g in self.gpus.values() for f in g.freq_mhz]
        return max(freqs) if freqs else None

    @property
    def power_total(self) -> tuple[float | None, float | None, str]:
        """(instant mW, average mW, rule)."""
        for name in INPUT_RAILS:
            if name in self.rails:
                rail = self.rails[name]
                return rail.instant_mw, rail.average_mw, f"input rail {name}"
        if self.rails:
            avgs = [r.average_mw for r in self.rails.values()]
            average = sum(a for a in avgs if a is not None) if all(a is not None for a in avgs) else None
            return (sum(r.instant_mw for r in self.rails.values()), average,
                    f"sum of {len(self.rails)} module rails (no input rail; carrier board not included)")
        return None, None, "no power rails in the line"

    def to_json(self) -> dict[str, object]:
        total, total_avg, rule = self.power_total
        return {
            "timestamp": self.timestamp, "ram_used_mb": self.ram_used_mb, "ram_total_mb": self.ram_total_mb,
            "swap_used_mb": self.swap_used_mb, "swap_total_mb": self.swap_total_mb,
            "cpu_cores_total": len(self.cpus), "cpu_cores_online": sum(c.online for c in self.cpus),
            "cpu_util_pct": [c.util_pct for c in self.cpus], "cpu_freq_mhz": [c.freq_mhz for c in self.cpus],
            "gpu_util_pct": self.gpu_util_pct, "gpu_freq_mhz": self.gpu_freq_mhz,
            "emc_util_pct": self.emc_util_pct, "emc_freq_mhz": self.emc_freq_mhz,
            "engines": {k: {"online": e.online, "util_pct": e.util_pct, "freq_mhz": list(e.freq_mhz)}
                        for k, e in self.engines.items()},
            "temperatures_c": self.temperatures_c,
            "power_total_mw": total, "power_total_avg_mw": total_avg, "power_total_rule": rule,
            "rails": {k: r.instant_mw for k, r in self.rails.items()},
            "rails_avg": {k: r.average_mw for k, r in self.rails.items()},
            "unknown": self.unknown,
        }


_TIMESTAMP = re.compile(r"(\d\d-\d\d-\d{4} \d\d:\d\d:\d\d)")
_RAM = re.compile(r"RAM (\d+)/(\d+)MB(?: ?\(lfb [^)]*\))?")
_SWAP = re.compile(r"SWAP (\d+)/(\d+)MB(?: ?\(cached (\d+)MB\))?")
_IRAM = re.compile(r"IRAM (\d+)/(\d+)kB ?(?:\(lfb [^)]*\))?")
_CPU = re.compile(r"CPU \[([^\]]*)\]")
_CPU_R24 = re.compile(r"cpu \[([^\]]*)\]@(\d+)")  # L4T R24: one frequency for all cores
_MTS = re.compile(r"MTS fg \d+% bg \d+%")
_EDP = re.compile(r"EDP limit \d+")
_GPU = re.compile(r"(GR3D\d*)(?:_FREQ)? ?(?:(\d+)%)?(?:@\[?([\d,]+)\]?)?(?=\s|$)")
_EMC = re.compile(r"EMC(?:_FREQ)? (\d+)%(?:@(\d+))?")
_TEMP = re.compile(r"([A-Za-z][\w]*)@(-?\d+(?:\.\d+)?)C(?:/-?\d+(?:\.\d+)?C)*(?=\s|$)")
_RAIL = re.compile(r"([A-Z][A-Z0-9_]*) (\d+)(?:mW)?/(\d+)(?:mW)?(?:/(\d+)(?:mW)?)?(?=\s|$)")
_ENGINE = re.compile(r"([A-Z][A-Z0-9_]*?)(?:_FREQ)? (off|(\d+)%@\[?([\d,]+)\]?|(\d+)%|(\d+))(?=\s|$)")
_WORD = re.compile(r"\S+")


def _cpu_item(item: str, shared_freq: int | None = None) -> CpuCore:
    item = item.strip()
    if item == "off" or not item:
        return CpuCore(False)
    m = re.fullmatch(r"(\d+)%(?:@(\d+))?", item)
    if not m:
        return CpuCore(True)
    return CpuCore(True, float(m[1]), int(m[2]) if m[2] else shared_freq)


def _freqs(text: str | None) -> tuple[int, ...]:
    return tuple(int(f) for f in text.split(",") if f) if text else ()


def parse_tegrastats(line: str) -> TegraStats:
    """Never raises anything but TegrastatsParseError (a line with no known field at all)."""
    text = re.sub(r"(\d) mW", r"\1mW", " ".join(line.split()))  # runs of spaces; JetPack 6's "5299 mW"
    stats = TegraStats()
    pos, known = 0, 0
    m = _TIMESTAMP.match(text)
    if m:
        stats.timestamp, pos = m[1], m.end()
    while pos < len(text):
        if text[pos] == " ":
            pos += 1
            continue
        known += 1
        if m := _RAM.match(text, pos):
            stats.ram_used_mb, stats.ram_total_mb = int(m[1]), int(m[2])
        elif m := _SWAP.match(text, pos):
            stats.swap_used_mb, stats.swap_total_mb = int(m[1]), int(m[2])
            stats.swap_cached_mb = int(m[3]) if m[3] else None
        elif m := _IRAM.match(text, pos):
            stats.iram_used_kb, stats.iram_total_kb = int(m[1]), int(m[2])
        elif m := _CPU.match(text, pos):
            stats.cpus = [_cpu_item(i) for i in m[1].split(",")]
        elif m := _CPU_R24.match(text, pos):
            stats.cpus = [_cpu_item(i, int(m[2])) for i in m[1].split(",")]
        elif m := _MTS.match(text, pos) or _EDP.match(text, pos):
            pass
        elif (m := _GPU.match(text, pos)) and (m[2] or m[3]):
            stats.gpus[m[1]] = Engine(True, float(m[2]) if m[2] else None, _freqs(m[3]))
        elif m := _EMC.match(text, pos):
            stats.emc_util_pct, stats.emc_freq_mhz = float(m[1]), int(m[2]) if m[2] else None
        elif m := _TEMP.match(text, pos):
            value = float(m[2])
            if value > OFFLINE_SENSOR_C:
                stats.temperatures_c[m[1]] = value
        elif m := _RAIL.match(text, pos):
            if m[1] != "NC":  # "not connected": a placeholder rail, never part of any total
                stats.rails[m[1]] = Rail(float(m[2]), float(m[3]), float(m[4]) if m[4] else None)
        elif m := _ENGINE.match(text, pos):
            if m[2] == "off":
                stats.engines[m[1]] = Engine(False)
            elif m[3]:
                stats.engines[m[1]] = Engine(True, float(m[3]), _freqs(m[4]))
            elif m[5]:
                stats.engines[m[1]] = Engine(True, float(m[5]))
            else:
                stats.engines[m[1]] = Engine(True, None, (int(m[6]),))
        else:
            m = _WORD.match(text, pos)
            assert m is not None  # text[pos] is not a space
            stats.unknown.append(m[0])
            known -= 1
        pos = m.end()
    if known == 0:
        raise TegrastatsParseError(f"no tegrastats field in {line[:120]!r}")
    return stats
