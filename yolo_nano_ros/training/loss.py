"""Target assignment across the three heads and the YOLO loss (CIoU box, BCE objectness and class).

Assignment: a ground-truth box is matched to every anchor whose width/height ratio to it is within
`anchor_ratio` (on any level), in its centre cell and the two nearest neighbour cells, which the
bounded decode (2 sigmoid - 0.5) can reach. The objectness target is the CIoU of the match, so
scores track localisation quality.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import nn

from yolo_nano_ros.model.config import YoloNanoConfig


def bbox_ciou(pred: torch.Tensor, target: torch.Tensor, eps: float = 1e-7) -> torch.Tensor:
    """Complete IoU of (N, 4) cxcywh boxes, element-wise."""
    p1, p2 = pred[:, :2] - pred[:, 2:] / 2, pred[:, :2] + pred[:, 2:] / 2
    t1, t2 = target[:, :2] - target[:, 2:] / 2, target[:, :2] + target[:, 2:] / 2
    inter = (torch.min(p2, t2) - torch.max(p1, t1)).clamp(0).prod(1)
    union = pred[:, 2:].prod(1) + target[:, 2:].prod(1) - inter + eps
    iou = inter / union
    enclose = torch.max(p2, t2) - torch.min(p1, t1)
    c2 = enclose.pow(2).sum(1) + eps
    rho2 = (pred[:, :2] - target[:, :2]).pow(2).sum(1)
    angle_t = torch.atan(target[:, 2] / (target[:, 3] + eps))
    angle_p = torch.atan(pred[:, 2] / (pred[:, 3] + eps))
    v = (4 / math.pi**2) * (angle_t - angle_p).pow(2)
    with torch.no_grad():
        alpha = v / (v - iou + 1 + eps)
    return iou - (rho2 / c2 + v * alpha)


@dataclass(frozen=True)
class LossWeights:
    box: float = 0.05
    obj: float = 1.0
    cls: float = 0.5
    anchor_ratio: float = 4.0
    level_balance: tuple[float, float, float] = (4.0, 1.0, 0.4)  # stride 8, 16, 32


class YoloLoss(nn.Module):
    def __init__(self, cfg: YoloNanoConfig, weights: LossWeights | None = None) -> None:
        super().__init__()
        self.cfg = cfg
        self.w = weights or LossWeights()
        self.nc = cfg.num_classes
        anchors = torch.tensor(cfg.anchors, dtype=torch.float32)  # (3 levels, 3, 2) pixels
        strides = torch.tensor(cfg.strides, dtype=torch.float32)
        self.register_buffer("anchors_grid", anchors / strides[:, None, None])  # in cells
        self.bce = nn.BCEWithLogitsLoss()
        # Scale as YOLOv5 does, relative to its 640 / 80-class reference.
        self.obj_gain = self.w.obj * (cfg.input_size / 640) ** 2
        self.cls_gain = self.w.cls * self.nc / 80

    def forward(self, maps: tuple[torch.Tensor, ...], targets: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """maps: raw head outputs; targets: (T, 6) [image index, class, cx, cy, w, h] in input pixels.

        Returns (total loss scaled by batch size, detached [box, obj, cls] components).
        """
        device = maps[0].device
        lbox, lobj, lcls = (torch.zeros((), device=device) for _ in range(3))
        batch = maps[0].shape[0]
        n_out = 5 + self.nc
        for level, raw in enumerate(maps):
            b_, _, h, w = raw.shape
            p = raw.view(b_, 3, n_out, h, w).permute(0, 1, 3, 4, 2)
            tobj = torch.zeros(p.shape[:4], device=device, dtype=p.dtype)
            b, a, gj, gi, tbox, tcls = self.assign(targets, level, h, w)
            if len(b):
                ps = p[b, a, gj, gi].float()
                pxy = ps[:, :2].sigmoid() * 2 - 0.5
                pwh = (ps[:, 2:4].sigmoid() * 2) ** 2 * self.grid_anchors(level)[a]
                ciou = bbox_ciou(torch.cat([pxy, pwh], 1), tbox)
                lbox = lbox + (1.0 - ciou).mean()
                tobj[b, a, gj, gi] = ciou.detach().clamp(0).to(tobj.dtype)
                if self.nc > 1:
                    onehot = torch.zeros_like(ps[:, 5:])
                    onehot[torch.arange(len(tcls), device=device), tcls] = 1.0
                    lcls = lcls + self.bce(ps[:, 5:], onehot)
            lobj = lobj + self.bce(p[..., 4].float(), tobj.float()) * self.w.level_balance[level]
        lbox, lobj, lcls = lbox * self.w.box, lobj * self.obj_gain, lcls * self.cls_gain
        total = (lbox + lobj + lcls) * batch
        return total, torch.stack([lbox, lobj, lcls]).detach()

    def grid_anchors(self, level: int) -> torch.Tensor:
        """The level's anchors in grid cells (a registered buffer: follows the module's device)."""
        grid: torch.Tensor = self.anchors_grid  # type: ignore[assignment]  # a buffer, typed Tensor | Module
        return grid[level]

    def assign(self, targets: torch.Tensor, level: int, h: int, w: int):
        device = targets.device
        anchors = self.grid_anchors(level).to(device)  # (3, 2)
        stride = self.cfg.strides[level]
        if len(targets) == 0:
            empty = torch.zeros(0, dtype=torch.long, device=device)
            return empty, empty, empty, empty, torch.zeros(0, 4, device=device), empty
        t = targets.clone()
        t[:, 2:6] /= stride  # to cells
        # (3 anchors, T) matches by shape ratio
        ratio = t[None, :, 4:6] / anchors[:, None, :]
        match = torch.max(ratio, 1 / ratio).max(2).values < self.w.anchor_ratio
        a_idx = torch.arange(3, device=device)[:, None].expand(3, len(t))
        t, a_idx = t[None].expand(3, -1, -1)[match], a_idx[match]
        gxy = t[:, 2:4]
        gxy_inv = torch.tensor([w, h], device=device) - gxy
        left, up = ((gxy % 1 < 0.5) & (gxy > 1)).T
        right, down = ((gxy_inv % 1 < 0.5) & (gxy_inv > 1)).T
        offsets = torch.tensor([[0, 0], [1, 0], [0, 1], [-1, 0], [0, -1]], device=device, dtype=t.dtype) * 0.5
        select = torch.stack([torch.ones_like(left), left, up, right, down])  # (5, M)
        t = t[None].expand(5, -1, -1)[select]
        a_idx = a_idx[None].expand(5, -1)[select]
        off = offsets[:, None, :].expand(-1, len(gxy), -1)[select]
        gxy = t[:, 2:4]
        gij = (gxy - off).long()
        gi, gj = gij[:, 0].clamp(0, w - 1), gij[:, 1].clamp(0, h - 1)
        tbox = torch.cat([gxy - torch.stack([gi, gj], 1), t[:, 4:6]], 1)
        return t[:, 0].long(), a_idx, gj, gi, tbox, t[:, 1].long()
