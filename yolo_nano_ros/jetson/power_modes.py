"""Jetson power modes (nvpmodel) and jetson_clocks, driven safely.

Every call: no shell, stdin closed (nvpmodel's reboot prompt then reads EOF and refuses instead of
waiting forever), a timeout, and errors that say what to do (root, reboot, unknown mode). Modes are
looked up by name or ID from the board's own list (`nvpmodel -p --verbose`, else /etc/nvpmodel.conf):
IDs differ per board and JetPack release, so none is hard-coded. A switch that needs a reboot is
refused unless the caller allows a reboot; clocks are changed in jtop's order (jetson_clocks off,
switch, restore).
"""

from __future__ import annotations

import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from yolo_nano_ros.errors import YoloNanoError

NVPMODEL_CONF = Path("/etc/nvpmodel.conf")
REBOOT_PROMPT = re.compile(r"Reboot required|DO YOU WANT TO REBOOT", re.IGNORECASE)
PERMISSION = re.compile(r"Error opening .*: 13|Permission denied|must be run as root|Operation not permitted",
                        re.IGNORECASE)


class PowerModeError(YoloNanoError, RuntimeError):
    """A power-mode or clock operation that did not happen; the message says why and what to do."""


class RebootRequiredError(PowerModeError):
    """The switch needs a reboot and the caller did not allow one."""


@dataclass(frozen=True)
class PowerMode:
    id: int
    name: str


@dataclass(frozen=True)
class CommandResult:
    returncode: int
    output: str


def run_tool(args: list[str], timeout_s: float = 10.0, stdin_text: str | None = None) -> CommandResult:
    """Run a Jetson tool: no shell, stdin closed (or one answer), a timeout, stdout+stderr together."""
    exe = shutil.which(args[0])
    if exe is None:
        raise PowerModeError(f"{args[0]} not found on PATH: not a Jetson, or JetPack's tools are not installed")
    try:
        proc = subprocess.run([exe, *args[1:]], input=stdin_text, stdin=None if stdin_text is not None else
                              subprocess.DEVNULL, capture_output=True, text=True, timeout=timeout_s, check=False)
    except subprocess.TimeoutExpired as exc:
        raise PowerModeError(f"{' '.join(args)} did not finish within {timeout_s:g} s (killed)") from exc
    except PermissionError as exc:
        raise PowerModeError(f"cannot execute {exe}: {exc}") from exc
    return CommandResult(proc.returncode, (proc.stdout or "") + (proc.stderr or ""))


def _explain_failure(action: str, result: CommandResult) -> PowerModeError:
    tail = " | ".join(line.strip() for line in result.output.strip().splitlines()[-3:])
    if PERMISSION.search(result.output):
        return PowerModeError(f"{action} needs root: run the node with sudo, or give its user a sudoers rule for "
                              f"nvpmodel and jetson_clocks ({tail})")
    return PowerModeError(f"{action} failed (exit {result.returncode}): {tail or 'no output'}")


def parse_query(output: str) -> PowerMode:
    """`nvpmodel -q`: 'NV Power Mode: NAME' then the ID on a line of its own, among NVPM WARN/ERROR lines."""
    lines = [line.strip() for line in output.splitlines()]
    for i, line in enumerate(lines):
        m = re.match(r"NV Power Mode\s*:\s*(\S+)", line)
        if m:
            for following in lines[i + 1:]:
                if re.fullmatch(r"\d+", following):
                    return PowerMode(int(following), m[1])
            raise PowerModeError(f"nvpmodel -q printed the mode name {m[1]} but no ID")
    raise PowerModeError("nvpmodel -q printed no 'NV Power Mode' line: "
                         + (" | ".join(lines[-3:]) if lines else "no output"))


def parse_verbose_list(output: str) -> tuple[list[PowerMode], int | None]:
    """`nvpmodel -p --verbose`: POWER_MODEL lines, and the default from PM_CONFIG."""
    modes = [PowerMode(int(m[1]), m[2]) for m in re.finditer(r"POWER_MODEL:\s*ID=(\d+)\s+NAME=(\S+)", output)]
    default = (re.search(r"PM_CONFIG:\s*DEFAULT=\S*?\((\d+)\)", output)
               or re.search(r"PM_CONFIG:\s*DEFAULT=(\d+)", output))
    return sorted(set(modes), key=lambda m: m.id), int(default[1]) if default else None


def parse_conf(text: str) -> tuple[list[PowerMode], int | None]:
    """/etc/nvpmodel.conf: `< POWER_MODEL ID=0 NAME=MAXN >` blocks and `< PM_CONFIG DEFAULT=2 >`."""
    modes = [PowerMode(int(m[1]), m[2]) for m in re.finditer(r"<\s*POWER_MODEL\s+ID=(\d+)\s+NAME=([^\s>]+)\s*>", text)]
    default = re.search(r"<\s*PM_CONFIG\s+DEFAULT=(\d+)\s*>", text)
    return sorted(set(modes), key=lambda m: m.id), int(default[1]) if default else None


def resolve_mode(wanted: str | int, modes: list[PowerMode]) -> PowerMode:
    """A mode by ID or by name (case-insensitive; '15W' also finds MODE_15W)."""
    text = str(wanted).strip()
    if text.isdigit():
        for mode in modes:
            if mode.id == int(text):
                return mode
    else:
        for candidate in (text.upper(), f"MODE_{text.upper()}"):
            for mode in modes:
                if mode.name.upper() == candidate:
                    return mode
    listing = ", ".join(f"{m.id}={m.name}" for m in modes) or "none found"
    raise PowerModeError(f"no power mode {text!r} on this board; it has: {listing}")


class PowerModeControl:
    """nvpmodel and jetson_clocks on this board (timeouts on every call)."""

    def __init__(self, timeout_s: float = 10.0, conf: Path = NVPMODEL_CONF) -> None:
        self.timeout_s = timeout_s
        self.conf = conf

    def available(self) -> bool:
        return shutil.which("nvpmodel") is not None

    def current(self) -> PowerMode:
        result = run_tool(["nvpmodel", "-q"], self.timeout_s)
        try:
            return parse_query(result.output)
        except PowerModeError:
            if result.returncode != 0:
                raise _explain_failure("nvpmodel -q", result) from None
            raise

    def modes(self) -> tuple[list[PowerMode], int | None]:
        result = run_tool(["nvpmodel", "-p", "--verbose"], self.timeout_s)
        modes, default = parse_verbose_list(result.output)
        if not modes and self.conf.is_file():
            modes, default = parse_conf(self.conf.read_text(errors="replace"))
        if not modes:
            raise PowerModeError("could not list power modes from `nvpmodel -p --verbose` or "
                                 f"{self.conf}: {result.output.strip()[-200:] or 'no output'}")
        return modes, default

    def set_mode(self, wanted: str | int, allow_reboot: bool = False) -> PowerMode:
        """Switch to a mode; refuses one that needs a reboot unless allow_reboot (then nvpmodel reboots)."""
        modes, _ = self.modes()
        target = resolve_mode(wanted, modes)
        if self.current().id == target.id:
            return target
        clocks_were_on = self.clocks_pinned()
        if clocks_were_on:
            self.set_clocks(False)
        try:
            # stdin: closed, so the reboot prompt reads EOF and nvpmodel refuses; "YES" only when allowed.
            result = run_tool(["nvpmodel", "-m", str(target.id)], self.timeout_s,
                              stdin_text="YES\n" if allow_reboot else None)
            if REBOOT_PROMPT.search(result.output) and not allow_reboot:
                raise RebootRequiredError(
                    f"switching to {target.name} (ID {target.id}) needs a reboot (a different GPU power-gating "
                    "mask or CPU count); refused. Only a start-up switch with allow_reboot: true may reboot the board.")
            if result.returncode != 0 or "NVPM ERROR" in result.output:
                raise _explain_failure(f"nvpmodel -m {target.id}", result)
            now = self.current()
            if now.id != target.id:
                raise PowerModeError(f"nvpmodel -m {target.id} returned but the board reports {now.name} ({now.id})")
            return now
        finally:
            if clocks_were_on:
                self.set_clocks(True)

    def clocks_pinned(self) -> bool | None:
        """jetson_clocks --show; None when it cannot tell (not root, not installed)."""
        try:
            result = run_tool(["jetson_clocks", "--show"], self.timeout_s)
        except PowerModeError:
            return None
        if result.returncode != 0:
            return None
        # Pinned clocks print MinFreq equal to MaxFreq for the CPUs (and GPU).
        pairs = re.findall(r"MinFreq=(\d+) MaxFreq=(\d+) CurrentFreq=\d+", result.output)
        return bool(pairs) and all(lo == hi for lo, hi in pairs)

    def set_clocks(self, on: bool) -> None:
        """on: pin clocks to the current mode's maximum (after storing the defaults); off: restore them."""
        if on:
            run_tool(["jetson_clocks", "--store"], self.timeout_s)  # what --restore goes back to
            result = run_tool(["jetson_clocks"], self.timeout_s)
        else:
            result = run_tool(["jetson_clocks", "--restore"], self.timeout_s)
        if result.returncode != 0:
            raise _explain_failure(f"jetson_clocks {'on' if on else '--restore'}", result)


def clocks_label(pinned: bool | None) -> str:
    """PowerModeControl.clocks_pinned() as the stats node and the sweep report it."""
    return {True: "on", False: "off", None: "unknown"}[pinned]
