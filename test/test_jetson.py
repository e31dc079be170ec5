"""Jetson statistics without a Jetson: every real tegrastats sample line, and TEST DOUBLES for
tegrastats / nvpmodel / jetson_clocks (test/fakes/bin, labelled) on PATH for the process paths."""

from __future__ import annotations

import contextlib
import csv
import json
import os
import random
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest_data import TEGRASTATS_SAMPLES

from yolo_nano_ros.apps.jetson_cli import parse_lines
from yolo_nano_ros.jetson.efficiency import EfficiencyWindow
from yolo_nano_ros.jetson.power_modes import (
    PowerMode,
    PowerModeControl,
    PowerModeError,
    RebootRequiredError,
    parse_conf,
    parse_query,
    parse_verbose_list,
    resolve_mode,
)
from yolo_nano_ros.jetson.sources import HostSource, TegrastatsSource, open_source
from yolo_nano_ros.jetson.tegrastats import TegrastatsParseError, parse_tegrastats

FAKE_BIN = Path(__file__).resolve().parent / "fakes" / "bin"
SAMPLES = list(csv.DictReader(TEGRASTATS_SAMPLES.open(), delimiter="\t"))


@pytest.fixture
def fake_jetson(tmp_path, monkeypatch):
    """TEST DOUBLES on PATH, with their state in a fresh folder."""
    state = tmp_path / "jetson_state"
    monkeypatch.setenv("PATH", f"{FAKE_BIN}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setenv("FAKE_JETSON_STATE", str(state))
    monkeypatch.delenv("FAKE_NVPMODEL", raising=False)
    return state


# ---- parser: every real line

def test_every_sample_line_parses_completely():
    assert len(SAMPLES) >= 19
    for row in SAMPLES:
        line, board = row["line"], row["board"]
        stats = parse_tegrastats(line)
        assert stats.unknown == [], (board, stats.unknown)
        ram = re.search(r"RAM (\d+)/(\d+)MB", line)
        assert (stats.ram_used_mb, stats.ram_total_mb) == (int(ram[1]), int(ram[2])), board
        cpu_list = re.search(r"(?:CPU|cpu) \[([^\]]*)\]", line)[1].split(",")
        assert len(stats.cpus) == len(cpu_list) and sum(c.online for c in stats.cpus) == \
            sum(item != "off" for item in cpu_list), board
        assert all(t > -200 for t in stats.temperatures_c.values()), board
        assert "NC" not in stats.rails
        total, _, rule = stats.power_total
        if re.search(r"\b(VDD_IN|POM_5V_IN|VIN) ", line):
            assert rule.startswith("input rail"), board
        elif stats.rails:
            assert rule.startswith("sum of") and total == pytest.approx(sum(r.instant_mw for r in stats.rails.values()))
        else:
            assert total is None and rule == "no power rails in the line"
        record = stats.to_json()
        for key in ("ram_used_mb", "ram_total_mb", "cpu_cores_total", "cpu_cores_online", "gpu_util_pct",
                    "power_total_mw", "power_total_rule", "rails"):
            assert key in record
        json.dumps(record)


def sample(board_prefix: str, contains: str = "") -> str:
    return next(r["line"] for r in SAMPLES if r["board"].startswith(board_prefix) and contains in r["line"])


def test_family_specific_values():
    orin_jp7 = parse_tegrastats(sample("AGX Orin 64GB", "07-25-2026"))
    assert orin_jp7.timestamp == "07-25-2026 09:08:28"
    assert orin_jp7.power_total[0] == 5139 + 3268 + 5500  # no input rail: sum of module rails
    assert orin_jp7.rails["VDD_GPU_SOC"].peak_mw == 5139 and orin_jp7.gpus["GR3D"].freq_mhz == (1300, 1300)
    rudi = parse_tegrastats(sample("AGX Orin 32GB"))
    assert rudi.power_total[0] == 4788 + 798 + 3842 + 707  # the two NC rails are not added
    assert "CV0" not in rudi.temperatures_c and rudi.temperatures_c["CPU"] == 43.5  # -256C = sensor off
    assert set(rudi.gpus) == {"GR3D", "GR3D2"}
    thor = parse_tegrastats(sample("AGX Thor"))
    assert thor.power_total[:2] == (87426, 43713) and thor.power_total[2] == "input rail VIN"
    assert thor.gpu_util_pct is None  # Thor prints no GR3D field
    nano = parse_tegrastats(sample("Nano 4GB", "POM_5V_IN 1022"))
    assert nano.power_total[0] == 1022 and nano.iram_total_kb == 252  # POM_5V_IN alone, not + GPU + CPU
    tx1_r24 = parse_tegrastats(sample("TX1 (inferred"))
    assert [c.freq_mhz for c in tx1_r24.cpus] == [1734] * 4 and tx1_r24.gpus["GR3D"].freq_mhz == (998,)
    assert tx1_r24.engines["MSENC"].freq_mhz == (192,)
    xavier = parse_tegrastats(sample("AGX Xavier"))
    assert xavier.power_total[0] == 0 + 311 + 932 + 0 + 621 + 1482 and sum(c.online for c in xavier.cpus) == 4
    orin_nx = parse_tegrastats(sample("Orin NX 8GB"))
    assert orin_nx.engines["NVDEC"].util_pct == 40 and orin_nx.engines["NVENC"].online


def test_jetpack6_spaced_units_and_unseen_tokens_do_not_break_it():
    stats = parse_tegrastats("RAM 1/2MB CPU [1%@2,off] GR3D_FREQ @[314,314,314] VDD_IN 6167 mW/6100 mW "
                             "NEWTHING 42xyz  FOO@bar   VDD_SOC 598mW/598")
    assert stats.rails["VDD_IN"].instant_mw == 6167 and stats.rails["VDD_IN"].average_mw == 6100
    assert stats.rails["VDD_SOC"].average_mw == 598  # unit missing on one value
    assert stats.gpus["GR3D"].util_pct is None and stats.gpus["GR3D"].freq_mhz == (314, 314, 314)
    assert stats.unknown == ["NEWTHING", "42xyz", "FOO@bar"]


def test_a_line_read_from_its_middle_is_parsed_for_what_it_holds():
    """A reader that attaches to a running tegrastats gets the second half of a line first."""
    line = SAMPLES[0]["line"]
    tail = line[len(line) // 2:]
    parsed = parse_tegrastats(tail)
    full = parse_tegrastats(line)
    assert parsed.rails and set(parsed.rails) <= set(full.rails)
    assert all(parsed.rails[k] == full.rails[k] for k in parsed.rails)


def test_garbage_never_crashes_the_parser():
    for bad in ("", "   ", "@@@ ###", "Segmentation fault", "\x00\xff binary"):
        with pytest.raises(TegrastatsParseError):
            parse_tegrastats(bad)
    rng = random.Random(0)
    for _ in range(3000):  # truncated, shuffled and corrupted real lines: a record or a TegrastatsParseError
        tokens = rng.choice(SAMPLES)["line"].split(" ")
        op = rng.randrange(4)
        if op == 0:
            tokens = tokens[: rng.randrange(len(tokens))]
        elif op == 1:
            rng.shuffle(tokens)
        elif op == 2:
            i = rng.randrange(len(tokens))
            cut = tokens[i][: rng.randrange(len(tokens[i]) + 1)]
            tokens[i] = cut + rng.choice(["%", "@", "/", "[", "]", "mW", "C"])
        else:
            tokens.insert(rng.randrange(len(tokens) + 1), rng.choice(["-1", "@", "/", "((", "NaN", "9" * 40]))
        with contextlib.suppress(TegrastatsParseError):  # the only exception it may raise
            parse_tegrastats(" ".join(tokens))


def test_parse_command_on_a_logfile_and_stdin(tmp_path):
    log = tmp_path / "tegrastats.log"
    log.write_text("\n".join([*(r["line"] for r in SAMPLES), "totally not tegrastats", ""]))
    exe = Path(sys.executable).parent / "yolo-nano-jetson"
    out = subprocess.run([str(exe), "parse", str(log)], capture_output=True, text=True, timeout=60, check=True)
    assert out.stderr == ""
    objects = [json.loads(line) for line in out.stdout.splitlines()]
    assert len(objects) == len(SAMPLES) + 1
    assert "error" in objects[-1] and all("error" not in o for o in objects[:-1])
    assert objects[0]["power_total_mw"] == 13907 and objects[0]["rails"]["VIN_SYS_5V0"] == 5500
    piped = subprocess.run([str(exe), "parse"], input=SAMPLES[2]["line"] + "\n", capture_output=True, text=True,
                           timeout=60, check=True)
    assert json.loads(piped.stdout)["power_total_rule"] == "input rail VDD_IN"


def test_parse_lines_counts_failures(capsys):
    import io

    out = io.StringIO()
    assert parse_lines(["RAM 1/2MB", "junk junk", ""], out) == 1
    assert [("error" in json.loads(x)) for x in out.getvalue().splitlines()] == [False, True]


# ---- efficiency

def test_images_per_second_per_watt_uses_the_same_window():
    window = EfficiencyWindow(window_s=10.0)
    for i in range(270):  # 26.9 FPS for 10 s
        window.add_frame(i / 26.9)
    for i in range(20):
        window.add_power(i * 0.5, 13650.0)
    eff = window.compute(now=269 / 26.9)
    assert eff.fps == pytest.approx(26.9, rel=1e-6)
    assert eff.power_w == pytest.approx(13.65) and eff.images_per_s_per_w == pytest.approx(1.97, abs=0.005)
    assert eff.mj_per_frame == pytest.approx(13650 / 26.9, rel=1e-6)
    later = window.compute(now=100.0)  # everything has left the window
    assert later.fps == 0 and later.power_w is None and later.images_per_s_per_w is None


# ---- nvpmodel parsing

def test_nvpmodel_outputs_parse_with_warnings_around_them():
    assert parse_query("NV Fan Mode:quiet\nNV Power Mode: MODE_15W\n2\n") == PowerMode(2, "MODE_15W")
    assert parse_query("NVPM WARN: fan mode is not set!\nNV Power Mode: MAXN_SUPER\n2\nNVPM ERROR: Error opening "
                       "/sys/x: 13\n") == PowerMode(2, "MAXN_SUPER")
    with pytest.raises(PowerModeError, match="no 'NV Power Mode'"):
        parse_query("NVPM ERROR: bad input!\n")
    modes, default = parse_verbose_list("NVPM VERB: Config file: /etc/nvpmodel.conf\n"
                                        "NVPM VERB: POWER_MODEL: ID=0 NAME=15W\nNVPM VERB: TPC_POWER_GATING "
                                        "TPC_PG_MASK 0\nNVPM VERB: POWER_MODEL: ID=1 NAME=25W\n"
                                        "NVPM VERB: POWER_MODEL: ID=2 NAME=MAXN_SUPER\n"
                                        "NVPM VERB: PM_CONFIG: DEFAULT=25W(1)\n")
    assert [m.name for m in modes] == ["15W", "25W", "MAXN_SUPER"] and default == 1
    conf_modes, conf_default = parse_conf("< POWER_MODEL ID=0 NAME=MAXN >\nCPU_ONLINE CORE_0 1\n"
                                          "< POWER_MODEL ID=1 NAME=MODE_15W >\n< PM_CONFIG DEFAULT=1 >\n")
    assert conf_modes == [PowerMode(0, "MAXN"), PowerMode(1, "MODE_15W")] and conf_default == 1
    assert resolve_mode("15w", conf_modes).id == 1 and resolve_mode("0", conf_modes).name == "MAXN"
    with pytest.raises(PowerModeError, match="no power mode '30W' on this board; it has: 0=MAXN, 1=MODE_15W"):
        resolve_mode("30W", conf_modes)


# ---- nvpmodel / jetson_clocks through the TEST DOUBLES

def test_mode_switch_success_and_clocks_order(fake_jetson):
    control = PowerModeControl(timeout_s=10)
    assert control.current() == PowerMode(2, "MODE_15W")
    control.set_clocks(True)
    assert control.clocks_pinned() is True
    (fake_jetson / "calls.log").unlink()
    assert control.set_mode("MODE_30W_ALL") == PowerMode(3, "MODE_30W_ALL")
    calls = (fake_jetson / "calls.log").read_text().splitlines()
    restore, switch, store = (calls.index("jetson_clocks --restore"), calls.index("nvpmodel -m 3"),
                              calls.index("jetson_clocks --store"))
    assert restore < switch < store  # jtop's order: clocks off, switch, clocks back on
    assert control.clocks_pinned() is True


def test_reboot_switch_refused_unless_allowed(fake_jetson):
    control = PowerModeControl(timeout_s=10)
    with pytest.raises(RebootRequiredError, match="needs a reboot"):
        control.set_mode("MAXN")
    assert control.current().name == "MODE_15W"
    assert "REBOOT" not in (fake_jetson / "calls.log").read_text()
    assert control.set_mode("MAXN", allow_reboot=True).name == "MAXN"
    assert "REBOOT" in (fake_jetson / "calls.log").read_text()


def test_permission_garbage_and_hang_are_clear_errors(fake_jetson, monkeypatch):
    control = PowerModeControl(timeout_s=1.5)
    monkeypatch.setenv("FAKE_NVPMODEL", "denied")
    with pytest.raises(PowerModeError, match="needs root"):
        control.set_mode("MODE_10W")
    monkeypatch.setenv("FAKE_NVPMODEL", "garbage")
    with pytest.raises(PowerModeError, match="nvpmodel -q failed"):
        control.current()
    monkeypatch.setenv("FAKE_NVPMODEL", "hang")
    started = time.monotonic()
    with pytest.raises(PowerModeError, match=r"did not finish within 1\.5 s"):
        control.current()
    assert time.monotonic() - started < 5
    monkeypatch.setenv("PATH", "/nonexistent")
    with pytest.raises(PowerModeError, match="nvpmodel not found on PATH"):
        control.current()


# ---- sources

def test_tegrastats_source_reads_counts_garbage_and_restarts(fake_jetson, monkeypatch):
    monkeypatch.setenv("FAKE_TEGRASTATS_EXIT_AFTER", "3")
    monkeypatch.setenv("FAKE_TEGRASTATS_GARBAGE", "1")
    source = TegrastatsSource(interval_ms=50, restart_delay_s=0.1)
    try:
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline and (source.restarts < 2 or len(source.samples) < 7):
            time.sleep(0.05)
        assert source.restarts >= 2 and len(source.samples) >= 7, source.health()
        sample = source.latest()
        assert sample.power_total_mw == 13700 and sample.power_total_rule.startswith("sum of 6 module rails")
        assert sample.cpu_cores_online == 4 and sample.gpu_util_pct == 87
        health = source.health()
        assert health["errors"]["parse"] >= 3 and health["errors"]["exit"] >= 2
    finally:
        source.close()


def test_auto_source_falls_back_and_says_why(fake_jetson, monkeypatch):
    source, reason = open_source("auto", 100)
    try:
        assert source.name == "tegrastats" and "jtop" in reason
    finally:
        source.close()
    monkeypatch.setenv("PATH", "/nonexistent")
    source, reason = open_source("auto", 100)
    try:
        assert isinstance(source, HostSource) and "tegrastats not found" in reason
        sample = source.latest()
        assert sample.ram_total_mb > 0 and sample.cpu_cores_online >= 1
    finally:
        source.close()
    with pytest.raises(RuntimeError, match="tegrastats"):
        open_source("tegrastats", 100)


def test_jtop_source_through_a_fake_jtop_module(monkeypatch):
    """TEST DOUBLE for jetson-stats' `jtop` (not installed here): the 4.x attribute layout."""
    import types

    from fakes.fake_jtop import BrokenJtop, FakeJtop

    module = types.ModuleType("jtop")
    module.jtop = FakeJtop
    monkeypatch.setitem(sys.modules, "jtop", module)
    source, reason = open_source("auto", 500)
    try:
        assert source.name == "jtop" and reason == "jtop service answered"
        sample = source.latest()
        assert sample.power_total_mw == 11900 and sample.power_total_rule == "jtop total"
        assert sample.rails_mw == {"VDD_GPU_SOC": 5000.0, "VDD_CPU_CV": 1200.0}
        assert sample.temperatures_c == {"cpu": 48.5} and sample.gpu_util_pct == 55.0
        assert sample.cpu_util_pct == 20 and sample.ram_total_mb == 64 * 1024
        source._jetson.power = None  # jetson-stats changed its API under us: reported, never raised
        source._jetson.stats = {"CPU1": "weird"}
        source._jetson.memory = 42
        assert source.latest() is None and "jtop read failed" in source.health()["last_error"]
    finally:
        source.close()

    module.jtop = BrokenJtop
    source, reason = open_source("auto", 500)
    try:
        assert source.name != "jtop" and "jtop.service is not active" in reason
    finally:
        source.close()
