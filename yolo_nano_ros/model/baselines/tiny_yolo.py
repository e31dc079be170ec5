"""Tiny YOLOv2, Tiny YOLOv3 and YOLOv4-tiny, layer for layer from darknet's cfg files.

Heads are sized for VOC (20 classes) as in the YOLO Nano paper's Table 1. Weights are random: these
exist to count parameters and operations and to time inference, not to detect anything.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F  # noqa: N812 - the conventional alias
from torch import nn

VOC_CLASSES = 20


def conv(c_in: int, c_out: int, k: int = 3, stride: int = 1) -> nn.Sequential:
    """darknet's `batch_normalize=1, activation=leaky` convolution."""
    return nn.Sequential(
        nn.Conv2d(c_in, c_out, k, stride, k // 2, bias=False),
        nn.BatchNorm2d(c_out),
        nn.LeakyReLU(0.1, inplace=True),
    )


def detection_conv(c_in: int, anchors: int, num_classes: int) -> nn.Conv2d:
    """darknet's linear 1x1 conv (with bias) in front of each region / yolo layer."""
    return nn.Conv2d(c_in, anchors * (5 + num_classes), 1)


def pool() -> nn.MaxPool2d:
    return nn.MaxPool2d(2, 2)


class SamePool(nn.Module):
    """darknet's `size=2 stride=1` maxpool: padded right/bottom so 13x13 stays 13x13."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.max_pool2d(F.pad(x, (0, 1, 0, 1), mode="replicate"), 2, 1)


class TinyYoloV2(nn.Module):
    """yolov2-tiny-voc.cfg: nine convolutions, one 13x13 output with 5 anchors."""

    def __init__(self, num_classes: int = VOC_CLASSES) -> None:
        super().__init__()
        widths = (16, 32, 64, 128, 256)
        layers: list[nn.Module] = []
        c_in = 3
        for w in widths:
            layers += [conv(c_in, w), pool()]
            c_in = w
        layers += [conv(256, 512), SamePool(), conv(512, 1024), conv(1024, 1024),
                   detection_conv(1024, 5, num_classes)]
        self.body = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.body(x)


class TwoScaleHeads(nn.Module):
    """The heads Tiny YOLOv3 and YOLOv4-tiny share: stride 32 from the neck, and stride 16 from the
    neck's output upsampled (through a 1x1 to 128) and concatenated with a 256-channel stride-16 route."""

    def __init__(self, num_classes: int) -> None:
        super().__init__()
        self.head32 = nn.Sequential(conv(256, 512), detection_conv(512, 3, num_classes))
        self.lateral = conv(256, 128, 1)
        self.head16 = nn.Sequential(conv(128 + 256, 256), detection_conv(256, 3, num_classes))

    def forward(self, p32: torch.Tensor, route16: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        up = F.interpolate(self.lateral(p32), scale_factor=2.0, mode="nearest")
        return self.head32(p32), self.head16(torch.cat([up, route16], 1))


class TinyYoloV3(nn.Module):
    """yolov3-tiny.cfg with VOC heads: outputs at strides 32 and 16, 3 anchors each."""

    def __init__(self, num_classes: int = VOC_CLASSES) -> None:
        super().__init__()
        self.to_stride16 = nn.Sequential(
            conv(3, 16), pool(), conv(16, 32), pool(), conv(32, 64), pool(), conv(64, 128), pool(),
            conv(128, 256),  # layer 8: routed to the stride-16 head
        )
        self.to_stride32 = nn.Sequential(
            pool(), conv(256, 512), SamePool(), conv(512, 1024), conv(1024, 256, 1),  # layer 13
        )
        self.heads = TwoScaleHeads(num_classes)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        s16 = self.to_stride16(x)
        return self.heads(self.to_stride32(s16), s16)


class CspTinyBlock(nn.Module):
    """YOLOv4-tiny's CSP stage: conv, half the channels through two convs, concat, 1x1, concat, pool."""

    def __init__(self, c_in: int, c: int) -> None:
        super().__init__()
        self.entry = conv(c_in, c)
        self.part1 = conv(c // 2, c // 2)
        self.part2 = conv(c // 2, c // 2)
        self.transition = conv(c, c, 1)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Returns (pooled output, the 1x1 transition's output that the neck routes from)."""
        x = self.entry(x)
        half = x[:, x.shape[1] // 2:]  # darknet `route groups=2 group_id=1`
        a = self.part1(half)
        b = self.part2(a)
        t = self.transition(torch.cat([b, a], 1))
        return F.max_pool2d(torch.cat([x, t], 1), 2, 2), t


class YoloV4Tiny(nn.Module):
    """yolov4-tiny.cfg with VOC heads: outputs at strides 32 and 16, 3 anchors each."""

    def __init__(self, num_classes: int = VOC_CLASSES) -> None:
        super().__init__()
        self.stem = nn.Sequential(conv(3, 32, 3, 2), conv(32, 64, 3, 2))
        self.csp1 = CspTinyBlock(64, 64)
        self.csp2 = CspTinyBlock(128, 128)
        self.csp3 = CspTinyBlock(256, 256)
        self.neck = nn.Sequential(conv(512, 512), conv(512, 256, 1))
        self.heads = TwoScaleHeads(num_classes)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        x, _ = self.csp1(self.stem(x))
        x, _ = self.csp2(x)
        x, route16 = self.csp3(x)
        return self.heads(self.neck(x), route16)
