"""One detector session for the tools that drive the node over DDS (demo, live eval, power sweep, node bench):
a private DDS domain, the detector as a child process, and a replay in this process that the detector has
answered once (the handshake), all undone on leaving, in reverse order."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from yolo_nano_ros.harness.dds_environment import private_dds_domain
from yolo_nano_ros.harness.detector_process import NodeStartError, running_node, start_detector

if TYPE_CHECKING:
    from yolo_nano_ros.bag.frames import RawFrame
    from yolo_nano_ros.nodes.bag_replay import LiveReplay


@dataclass
class DetectorSession:
    process: subprocess.Popen[bytes]
    replay: LiveReplay
    log: Path  # the detector's output


@contextmanager
def answered_replay(probe: RawFrame, what: str = "detector", **replay_options: Any) -> Iterator[LiveReplay]:
    """A LiveReplay whose node has subscribed and answered `probe`; NodeStartError if it never does."""
    from yolo_nano_ros.nodes.bag_replay import LiveReplay

    replay = LiveReplay(**replay_options)
    try:
        if not replay.wait_for_detector(probe=probe):
            raise NodeStartError(f"the {what} never subscribed to {replay.pub.topic_name} or never answered a frame")
        yield replay
    finally:
        replay.close()


@contextmanager
def detector_session(model: Path, log: Path, probe: RawFrame, replay_options: dict[str, Any] | None = None,
                     **parameters: object) -> Iterator[DetectorSession]:
    """The detector (model:=MODEL and `parameters`, output to `log`) on a private domain, and a replay it
    answered (LiveReplay(**replay_options))."""
    with private_dds_domain() as env:

        def start(path: Path) -> subprocess.Popen[bytes]:
            return start_detector(model, env, path, **parameters)

        with running_node(start, log) as process, answered_replay(probe, **(replay_options or {})) as replay:
            yield DetectorSession(process, replay, log)
