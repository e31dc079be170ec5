"""YOLO Nano, layer for layer from the paper's Figure 1 (see docs in shared design notes).

Assembled NanoDet-style from a backbone, a neck and a detection head, so width variants are a
config (YoloNanoConfig.channel_multiple), not a copy. Layer numbers in comments are the table's.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F  # noqa: N812 - the conventional alias
from torch import nn

from yolo_nano_ros.model.blocks import EP, FCA, PEP, ConvBN
from yolo_nano_ros.model.config import YoloNanoConfig

# The paper's widths; YoloNanoConfig.width() may round them up.
PEP_S26_PROJECTIONS = (132, 124, 141, 140, 137, 135, 133, 140)


class YoloNanoBackbone(nn.Module):
    """Layers 1-28: returns (S52, S26, F13) at strides 8, 16, 32."""

    def __init__(self, cfg: YoloNanoConfig) -> None:
        super().__init__()
        w, e, act, res = cfg.width, cfg.expansion, cfg.activation, cfg.residual

        def pep(c_in: int, c_out: int, proj: int) -> PEP:
            return PEP(w(c_in), w(c_out), w(proj), e, act, res)

        def ep(c_in: int, c_out: int, stride: int = 1) -> EP:
            return EP(w(c_in), w(c_out), stride, e, act, res)

        self.stage208 = nn.Sequential(
            ConvBN(3, w(12), 3, activation=act),  # 1
            ConvBN(w(12), w(24), 3, 2, activation=act),  # 2
            pep(24, 24, 7),  # 3
        )
        self.stage104 = nn.Sequential(ep(24, 70, 2), pep(70, 70, 25), pep(70, 70, 24))  # 4-6
        self.stage52 = nn.Sequential(
            ep(70, 150, 2),  # 7
            pep(150, 150, 56),  # 8
            ConvBN(w(150), w(150), 1, activation=act),  # 9
            FCA(w(150), cfg.fca_reduction, act),  # 10
            pep(150, 150, 73), pep(150, 150, 71), pep(150, 150, 75),  # 11-13 -> S52
        )
        self.stage26 = nn.Sequential(
            ep(150, 325, 2),  # 14
            *(pep(325, 325, p) for p in PEP_S26_PROJECTIONS),  # 15-22 -> S26
        )
        self.stage13 = nn.Sequential(
            ep(325, 545, 2),  # 23
            pep(545, 545, 276),  # 24
            ConvBN(w(545), w(230), 1, activation=act),  # 25
            ep(230, 489),  # 26
            pep(489, 469, 213),  # 27
            ConvBN(w(469), w(189), 1, activation=act),  # 28 -> F13
        )

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        s52 = self.stage52(self.stage104(self.stage208(x)))
        s26 = self.stage26(s52)
        f13 = self.stage13(s26)
        return s52, s26, f13


class YoloNanoNeck(nn.Module):
    """Layers 29-38, 40, 42: top-down fusion; returns per-scale features for the head."""

    def __init__(self, cfg: YoloNanoConfig) -> None:
        super().__init__()
        w, e, act, res = cfg.width, cfg.expansion, cfg.activation, cfg.residual
        self.upsample_mode = cfg.upsample
        self.reduce13 = ConvBN(w(189), w(105), 1, activation=act)  # 29
        self.fuse26 = nn.Sequential(
            PEP(w(105) + w(325), w(325), w(113), e, act, res),  # 31 (after 30: up + concat)
            PEP(w(325), w(207), w(99), e, act, res),  # 32
            ConvBN(w(207), w(98), 1, activation=act),  # 33
        )
        self.reduce26 = ConvBN(w(98), w(47), 1, activation=act)  # 34
        self.fuse52 = nn.Sequential(
            PEP(w(47) + w(150), w(122), w(58), e, act, res),  # 36 (after 35: up + concat)
            PEP(w(122), w(87), w(52), e, act, res),  # 37
            PEP(w(87), w(93), w(47), e, act, res),  # 38
        )
        self.out26 = EP(w(98), w(183), 1, e, act, res)  # 40
        self.out13 = EP(w(189), w(462), 1, e, act, res)  # 42
        self.out_channels = (w(93), w(183), w(462))

    def _up(self, x: torch.Tensor) -> torch.Tensor:
        if self.upsample_mode == "nearest":
            return F.interpolate(x, scale_factor=2.0, mode="nearest")
        return F.interpolate(x, scale_factor=2.0, mode="bilinear", align_corners=False)

    def forward(self, s52: torch.Tensor, s26: torch.Tensor, f13: torch.Tensor
                ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        f26 = self.fuse26(torch.cat([self._up(self.reduce13(f13)), s26], 1))  # 30-33
        f52 = self.fuse52(torch.cat([self._up(self.reduce26(f26)), s52], 1))  # 35-38
        return f52, self.out26(f26), self.out13(f13)


class YoloHead(nn.Module):
    """Layers 39, 41, 43: linear 1x1 convs with bias (no BN, no activation: raw logits)."""

    def __init__(self, cfg: YoloNanoConfig, in_channels: tuple[int, int, int]) -> None:
        super().__init__()
        out = 3 * cfg.outputs_per_anchor
        self.convs = nn.ModuleList(nn.Conv2d(c, out, 1) for c in in_channels)

    def forward(self, feats: tuple[torch.Tensor, ...]) -> tuple[torch.Tensor, ...]:
        return tuple(conv(f) for conv, f in zip(self.convs, feats, strict=True))


class YoloNano(nn.Module):
    """Image (N, 3, H, W) in [0, 1] -> raw head maps at strides 8, 16, 32, (N, 3*(5+C), H/s, W/s)."""

    def __init__(self, cfg: YoloNanoConfig | None = None) -> None:
        super().__init__()
        self.cfg = cfg or YoloNanoConfig()
        self.backbone = YoloNanoBackbone(self.cfg)
        self.neck = YoloNanoNeck(self.cfg)
        self.head = YoloHead(self.cfg, self.neck.out_channels)
        self._init_head_bias()

    def _init_head_bias(self) -> None:
        """Objectness/class priors (as in YOLOv5/RetinaNet) so early training is not swamped."""
        n = self.cfg.outputs_per_anchor
        for conv, stride in zip(self.head.convs, self.cfg.strides, strict=True):
            bias = conv.bias.detach().view(3, n)  # type: ignore[operator]  # Conv2d(bias=True): a Tensor
            bias[:, 4] = -4.5 - 2.0 * (stride == 8)  # ~1 object per 100-600 cells
            bias[:, 5:] = -4.0
            conv.bias = nn.Parameter(bias.view(-1))

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        return self.head(self.neck(*self.backbone(x)))
