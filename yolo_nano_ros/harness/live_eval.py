"""`yolo-nano-eval --live`: play the bag over DDS into a real detector node and score what it publishes.

The detector runs as its own process on a private DDS domain (as on a robot); frames go out at the
recorded rate (or --rate), restamped with the send time so each reply's stamp identifies its frame
and gives end-to-end latency. Frames the node dropped count as unanswered (no detections): the mAP
is that of what the live node actually produced.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import numpy as np

from yolo_nano_ros.bag.frames import BagError, RawFrame, iter_raw_frames
from yolo_nano_ros.bag.runs import BagRun, FrameResult, arrays_to_detections
from yolo_nano_ros.msgs.detection_arrays import read_detection_array, stamp_ns
from yolo_nano_ros.msgs.typestore import typestore


def recorded_rate_hz(frames: list[RawFrame]) -> float:
    if len(frames) < 2:
        return 10.0
    gaps = np.diff([f.log_time_ns for f in frames])
    gap = float(np.median(gaps[gaps > 0])) if (gaps > 0).any() else 0.0
    return 1e9 / gap if gap > 0 else 10.0


def run_live(bag: Path, model: Path, image_topic: str, class_names: tuple[str, ...], rate_hz: float | None = None,
             backend: str = "auto", conf: float = 0.001, settle_s: float = 5.0) -> BagRun:
    from yolo_nano_ros.harness.session import detector_session

    frames = list(iter_raw_frames(bag, image_topic))
    if not frames:
        raise BagError(f"{image_topic} has no messages: the bag is empty")
    store = typestore()
    original: list[Any] = []  # each frame's own header (None: corrupt, not sent)
    for frame in frames:
        try:
            original.append(store.deserialize_cdr(frame.cdr, frame.msgtype).header)
        except Exception:  # a corrupt frame is skipped and counted
            original.append(None)
    compressed = frames[0].msgtype.endswith("CompressedImage")
    rate = rate_hz or recorded_rate_hz(frames)
    playable = [f for f in frames if original[f.index] is not None]
    if not playable:
        raise BagError(f"every frame on {image_topic} is corrupt: nothing to play")
    with tempfile.TemporaryDirectory() as tmp, detector_session(
            model, Path(tmp) / "detector.log", playable[0], {"compressed": compressed}, backend=backend,
            conf_threshold=conf, max_detections=100, compressed=compressed, class_id_format="name",
            diagnostics_period=0.5) as session:
        result = session.replay.play(playable, rate, passes=1, settle_s=settle_s)
    answers = {index: (arrival, msg) for index, arrival, msg in result.received}
    sent_at = {index: t for index, t in result.sent.values()}
    run = BagRun("live", [], class_names)
    for frame in frames:
        header = original[frame.index]
        if header is None:
            run.skipped["corrupt message"] += 1
            continue
        answer = answers.get(frame.index)
        if answer is None:
            run.frames.append(FrameResult(stamp_ns(header), frame.log_time_ns, None, frame_id=header.frame_id))
            continue
        arrival, msg = answer
        run.frames.append(FrameResult(stamp_ns(header), frame.log_time_ns,
                                      arrays_to_detections(read_detection_array(msg), class_names),
                                      {"end_to_end": (arrival - sent_at[frame.index]) * 1e3}, header.frame_id))
    run.fps = result.output_fps()
    diagnostics = result.detector_diagnostics
    run.extra = {"live": {"rate_hz": rate, "sent": len(result.sent), "answered": len(answers),
                          "dropped": len(result.sent) - len(answers), "output_fps": run.fps,
                          "node_latency_ms_p50": {k.removesuffix("_ms_p50"): float(v) for k, v in diagnostics.items()
                                                  if k.endswith("_ms_p50")},
                          "node_errors": {k: v for k, v in diagnostics.items() if k.startswith("errors_")}}}
    return run
