"""A constant-velocity Kalman filter over boxes (cx, cy, w, h and their rates per second), run for many
tracks at once, with the time step taken from the image stamps.

ByteTrack's filter steps once per frame, so a dropped frame (the node's latest-frame-wins drops them on
purpose) or an irregular rate looks to it like a stalled object. Here every step is `dt` seconds: the motion
is integrated over dt and the process noise grows with it, so two frames apart is a larger step, not a
lost track. The noise is scaled by the box height, as in SORT and ByteTrack, and stated per frame at
REFERENCE_PERIOD_S (ByteTrack's 1/20 and 1/160 of the height at 30 Hz).
"""

from __future__ import annotations

import numpy as np

REFERENCE_PERIOD_S = 1.0 / 30.0
POSITION_WEIGHT = 1.0 / 20.0  # position noise per reference frame, as a fraction of the box height
VELOCITY_WEIGHT = 1.0 / 160.0  # velocity noise per reference frame, as a fraction of the box height
STATE = 8  # cx, cy, w, h, d(cx)/dt, d(cy)/dt, dw/dt, dh/dt (pixels, pixels per second)


def xyxy_to_cxcywh(boxes: np.ndarray) -> np.ndarray:
    b = np.asarray(boxes, np.float64).reshape(-1, 4)
    return np.stack([(b[:, 0] + b[:, 2]) / 2, (b[:, 1] + b[:, 3]) / 2, b[:, 2] - b[:, 0], b[:, 3] - b[:, 1]], 1)


def cxcywh_to_xyxy(state: np.ndarray) -> np.ndarray:
    s = np.asarray(state, np.float64).reshape(-1, STATE)[:, :4]
    half_w, half_h = s[:, 2] / 2, s[:, 3] / 2
    return np.stack([s[:, 0] - half_w, s[:, 1] - half_h, s[:, 0] + half_w, s[:, 1] + half_h], 1)


def _height_scale(mean: np.ndarray) -> np.ndarray:
    return np.maximum(mean[:, 3], 1.0)  # a degenerate box still gets some noise


def initiate(boxes_xyxy: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(means N x 8, covariances N x 8 x 8) for new tracks at these boxes, at rest."""
    measured = xyxy_to_cxcywh(boxes_xyxy)
    n = len(measured)
    mean = np.zeros((n, STATE))
    mean[:, :4] = measured
    h = _height_scale(mean)
    pos = 2 * POSITION_WEIGHT * h
    vel = 10 * VELOCITY_WEIGHT * h / REFERENCE_PERIOD_S
    std = np.stack([pos, pos, pos, pos, vel, vel, vel, vel], 1)
    cov = np.zeros((n, STATE, STATE))
    cov[:, np.arange(STATE), np.arange(STATE)] = std**2
    return mean, cov


def predict(mean: np.ndarray, cov: np.ndarray, dt: float) -> tuple[np.ndarray, np.ndarray]:
    """Every track moved on by `dt` seconds (>= 0; 0 leaves them as they are)."""
    if dt <= 0 or len(mean) == 0:
        return mean, cov
    motion = np.eye(STATE)
    motion[:4, 4:] = np.eye(4) * dt
    h = _height_scale(mean)
    steps = dt / REFERENCE_PERIOD_S  # variance grows linearly with time (a random walk)
    pos = (POSITION_WEIGHT * h) ** 2 * steps
    vel = (VELOCITY_WEIGHT * h / REFERENCE_PERIOD_S) ** 2 * steps
    noise = np.zeros_like(cov)
    idx = np.arange(4)
    noise[:, idx, idx] = pos[:, None]
    noise[:, idx + 4, idx + 4] = vel[:, None]
    new_mean = mean @ motion.T
    new_cov = motion @ cov @ motion.T + noise
    return new_mean, new_cov


def update(mean: np.ndarray, cov: np.ndarray, boxes_xyxy: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each track corrected by its own measured box (row i with row i)."""
    if len(mean) == 0:
        return mean, cov
    measured = xyxy_to_cxcywh(boxes_xyxy)
    r = (POSITION_WEIGHT * _height_scale(mean)) ** 2
    innovation_cov = cov[:, :4, :4] + r[:, None, None] * np.eye(4)
    # K = P H^T S^-1 with H = [I 0]: solve S K^T = H P instead of inverting S
    gain = np.linalg.solve(innovation_cov, cov[:, :4, :]).transpose(0, 2, 1)
    new_mean = mean + np.einsum("nij,nj->ni", gain, measured - mean[:, :4])
    new_cov = cov - gain @ cov[:, :4, :]
    return new_mean, new_cov
