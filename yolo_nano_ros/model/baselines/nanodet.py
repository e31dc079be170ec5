"""NanoDet-m (RangiLyu, 2020): ShuffleNetV2 backbone + interpolation-only PAN + GFL head, at 320.

Written from the nanodet-m.yml configuration: ShuffleNetV2 1.0x stages 2-4 (116/232/464 channels,
LeakyReLU, no conv5), PAN to 96 channels with bilinear up/down sampling instead of convolutions, and
per-level heads of two depthwise-separable convs with one shared cls+reg output (80 classes +
4 x (reg_max + 1) distribution bins). Random weights: for cost and speed only.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F  # noqa: N812 - the conventional alias
from torch import nn

COCO_CLASSES = 80
STAGE_WIDTHS = {"0.5x": (48, 96, 192), "1.0x": (116, 232, 464), "1.5x": (176, 352, 704)}
STAGE_REPEATS = (4, 8, 4)


def conv_bn(c_in: int, c_out: int, k: int, stride: int = 1, groups: int = 1, act: bool = True) -> nn.Sequential:
    layers: list[nn.Module] = [nn.Conv2d(c_in, c_out, k, stride, k // 2, groups=groups, bias=False),
                               nn.BatchNorm2d(c_out)]
    if act:
        layers.append(nn.LeakyReLU(0.1, inplace=True))
    return nn.Sequential(*layers)


def channel_shuffle(x: torch.Tensor, groups: int = 2) -> torch.Tensor:
    n, c, h, w = x.shape
    return x.view(n, groups, c // groups, h, w).transpose(1, 2).reshape(n, c, h, w)


class ShuffleUnit(nn.Module):
    """ShuffleNetV2 unit: stride 2 runs both branches on the whole input; stride 1 splits it."""

    def __init__(self, c_in: int, c_out: int, stride: int) -> None:
        super().__init__()
        half = c_out // 2
        self.stride = stride
        self.branch1 = nn.Sequential(
            conv_bn(c_in, c_in, 3, stride, groups=c_in, act=False), conv_bn(c_in, half, 1),
        ) if stride == 2 else nn.Identity()
        c_branch2 = c_in if stride == 2 else half
        self.branch2 = nn.Sequential(
            conv_bn(c_branch2, half, 1),
            conv_bn(half, half, 3, stride, groups=half, act=False),
            conv_bn(half, half, 1),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.stride == 1:
            keep, x = x.chunk(2, dim=1)
            out = torch.cat([keep, self.branch2(x)], 1)
        else:
            out = torch.cat([self.branch1(x), self.branch2(x)], 1)
        return channel_shuffle(out)


class ShuffleNetV2(nn.Module):
    """Stride-8/16/32 features (stages 2-4); no conv5, as NanoDet uses it."""

    def __init__(self, model_size: str = "1.0x") -> None:
        super().__init__()
        self.stem = nn.Sequential(conv_bn(3, 24, 3, 2), nn.MaxPool2d(3, 2, 1))
        stages = []
        c_in = 24
        for width, repeats in zip(STAGE_WIDTHS[model_size], STAGE_REPEATS, strict=True):
            units = [ShuffleUnit(c_in, width, 2)] + [ShuffleUnit(width, width, 1) for _ in range(repeats - 1)]
            stages.append(nn.Sequential(*units))
            c_in = width
        self.stages = nn.ModuleList(stages)
        self.out_channels = STAGE_WIDTHS[model_size]

    def forward(self, x: torch.Tensor) -> list[torch.Tensor]:
        x = self.stem(x)
        outs = []
        for stage in self.stages:
            x = stage(x)
            outs.append(x)
        return outs


class InterpolationPAN(nn.Module):
    """1x1 laterals (with bias, no BN), top-down then bottom-up addition by bilinear resizing."""

    def __init__(self, in_channels: tuple[int, ...], out_channels: int = 96) -> None:
        super().__init__()
        self.laterals = nn.ModuleList(nn.Conv2d(c, out_channels, 1) for c in in_channels)

    def forward(self, feats: list[torch.Tensor]) -> list[torch.Tensor]:
        lat = [conv(f) for conv, f in zip(self.laterals, feats, strict=True)]
        for i in range(len(lat) - 1, 0, -1):
            lat[i - 1] = lat[i - 1] + F.interpolate(lat[i], scale_factor=2.0, mode="bilinear", align_corners=False)
        for i in range(len(lat) - 1):
            lat[i + 1] = lat[i + 1] + F.interpolate(lat[i], scale_factor=0.5, mode="bilinear", align_corners=False)
        return lat


class GflHead(nn.Module):
    """Per level: two depthwise-separable conv blocks, then one 1x1 conv for classes + box bins."""

    def __init__(self, num_classes: int, channels: int = 96, levels: int = 3, stacked: int = 2,
                 reg_max: int = 7) -> None:
        super().__init__()

        def dw_separable() -> nn.Sequential:
            return nn.Sequential(conv_bn(channels, channels, 3, groups=channels), conv_bn(channels, channels, 1))

        self.towers = nn.ModuleList(nn.Sequential(*(dw_separable() for _ in range(stacked))) for _ in range(levels))
        out = num_classes + 4 * (reg_max + 1)
        self.outputs = nn.ModuleList(nn.Conv2d(channels, out, 1) for _ in range(levels))

    def forward(self, feats: list[torch.Tensor]) -> tuple[torch.Tensor, ...]:
        return tuple(out(tower(f)) for tower, out, f in zip(self.towers, self.outputs, feats, strict=True))


class NanoDet(nn.Module):
    def __init__(self, num_classes: int = COCO_CLASSES, model_size: str = "1.0x") -> None:
        super().__init__()
        self.backbone = ShuffleNetV2(model_size)
        self.neck = InterpolationPAN(self.backbone.out_channels, 96)
        self.head = GflHead(num_classes)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, ...]:
        return self.head(self.neck(self.backbone(x)))
