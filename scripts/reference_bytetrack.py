"""The reference tracker for `yolo-nano bench tracking`: Roboflow trackers' ByteTrack (Apache-2.0), run by
the reference venv (make setup-reference: trackers needs numpy >= 2 and opencv-python, which the package
itself must not depend on). Reads the sequences the benchmark wrote (an .npz: per sequence its stamps,
frame numbers, and each frame's boxes and scores), writes per frame the tracked boxes and IDs and the
time of each update call. Never imported by the package."""

from __future__ import annotations

import sys
import time

import numpy as np
import supervision as sv
from trackers import ByteTrackTracker


def main(source: str, out: str) -> None:
    data = np.load(source)
    results: dict[str, np.ndarray] = {}
    for name in sorted({key.split("/")[0] for key in data.files}):
        fps = float(data[f"{name}/fps"])
        tracker = ByteTrackTracker(frame_rate=fps)  # its defaults otherwise, as a user would run it
        frames, stamps = data[f"{name}/frames"], data[f"{name}/stamps"]
        times, rows = [], []
        for k, (frame, stamp) in enumerate(zip(frames.tolist(), stamps.tolist(), strict=True)):
            boxes, scores = data[f"{name}/boxes/{k}"], data[f"{name}/scores/{k}"]
            detections = sv.Detections(xyxy=boxes.reshape(-1, 4).astype(np.float32),
                                       confidence=scores.astype(np.float32),
                                       class_id=np.zeros(len(scores), int))
            t0 = time.perf_counter()
            tracked = tracker.update(detections, timestamp=stamp)
            times.append((time.perf_counter() - t0) * 1e3)
            keep = tracked.tracker_id >= 0
            for box, ident in zip(tracked.xyxy[keep], tracked.tracker_id[keep], strict=True):
                rows.append([frame, ident, *box])
        results[f"{name}/rows"] = np.array(rows, np.float64).reshape(-1, 6)
        results[f"{name}/ms"] = np.array(times)
    np.savez(out, **results)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
