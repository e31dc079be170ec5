"""MOTChallenge text files (gt.txt, det.txt, tracker results): `frame, id, x, y, w, h, conf, ...` per line,
frames from 1, boxes in pixels (left, top, width, height). Read into per-frame arrays of xyxy boxes."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from yolo_nano_ros.errors import YoloNanoError


class MotFileError(YoloNanoError, ValueError):
    """A MOTChallenge file that cannot be read: names the file and the line."""


@dataclass
class MotFrame:
    ids: np.ndarray  # (N,) int: object or track identities (-1 for a detection file)
    boxes: np.ndarray  # (N, 4) xyxy float
    scores: np.ndarray  # (N,) the file's confidence column


def read_mot(path: Path, min_confidence: float | None = None) -> dict[int, MotFrame]:
    """Frame number -> its rows. `min_confidence`: drop rows below it (gt files mark ignored boxes with 0)."""
    rows: dict[int, list[tuple[int, float, float, float, float, float]]] = {}
    try:
        lines = Path(path).read_text().splitlines()
    except OSError as exc:
        raise MotFileError(f"cannot read MOTChallenge file {path}: {exc.strerror}") from None
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        fields = line.replace(" ", "").split(",")
        try:
            frame, ident = int(float(fields[0])), int(float(fields[1]))
            x, y, w, h = (float(v) for v in fields[2:6])
            conf = float(fields[6]) if len(fields) > 6 else 1.0
        except (ValueError, IndexError):
            raise MotFileError(f"{path}:{number}: not 'frame, id, x, y, w, h, conf, ...': {line[:80]!r}") from None
        if min_confidence is not None and conf < min_confidence:
            continue
        rows.setdefault(frame, []).append((ident, x, y, w, h, conf))
    out = {}
    for frame, items in sorted(rows.items()):
        a = np.array(items, np.float64)
        out[frame] = MotFrame(a[:, 0].astype(np.int64), np.stack([a[:, 1], a[:, 2], a[:, 1] + a[:, 3],
                                                                  a[:, 2] + a[:, 4]], 1), a[:, 5])
    return out


def write_mot(path: Path, frames: dict[int, MotFrame]) -> None:
    """A tracker result file in MOTChallenge's format (conf, then -1 for the 3-D columns)."""
    lines = []
    for frame, f in sorted(frames.items()):
        for ident, (x1, y1, x2, y2), score in zip(f.ids.tolist(), f.boxes.tolist(), f.scores.tolist(), strict=True):
            lines.append(f"{frame},{ident},{x1:.2f},{y1:.2f},{x2 - x1:.2f},{y2 - y1:.2f},{score:.4f},-1,-1,-1")
    Path(path).write_text("\n".join(lines) + ("\n" if lines else ""))
