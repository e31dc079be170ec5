"""YOLO Nano's building blocks (paper Figure 1 b-d): conv-BN-act, EP, PEP and FCA."""

from __future__ import annotations

import torch
from torch import nn

from yolo_nano_ros.errors import ConfigError
from yolo_nano_ros.model.config import Activation


def make_activation(kind: Activation) -> nn.Module:
    if kind == "relu6":
        return nn.ReLU6(inplace=True)
    if kind == "leaky_relu":
        return nn.LeakyReLU(0.1, inplace=True)
    if kind == "silu":
        return nn.SiLU(inplace=True)
    raise ConfigError(f"unknown activation {kind!r}")


class ConvBN(nn.Sequential):
    """k x k conv (no bias) + BatchNorm, followed by the activation unless linear."""

    def __init__(self, c_in: int, c_out: int, k: int = 1, stride: int = 1, groups: int = 1,
                 activation: Activation | None = "relu6") -> None:
        layers: list[nn.Module] = [
            nn.Conv2d(c_in, c_out, k, stride, k // 2, groups=groups, bias=False),
            nn.BatchNorm2d(c_out),
        ]
        if activation is not None:
            layers.append(make_activation(activation))
        super().__init__(*layers)


class EP(nn.Module):
    """Expansion-projection: 1x1 expand -> 3x3 depthwise (stride) -> linear 1x1 project."""

    def __init__(self, c_in: int, c_out: int, stride: int = 1, expansion: float = 1.0,
                 activation: Activation = "relu6", residual: bool = True) -> None:
        super().__init__()
        hidden = max(1, round(c_in * expansion))
        self.body = nn.Sequential(
            ConvBN(c_in, hidden, 1, activation=activation),
            ConvBN(hidden, hidden, 3, stride, groups=hidden, activation=activation),
            ConvBN(hidden, c_out, 1, activation=None),
        )
        self.use_residual = residual and stride == 1 and c_in == c_out

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.body(x)
        return x + y if self.use_residual else y


class PEP(nn.Module):
    """Projection-expansion-projection: 1x1 to `projection` -> 1x1 expand -> 3x3 dw -> linear 1x1."""

    def __init__(self, c_in: int, c_out: int, projection: int, expansion: float = 1.0,
                 activation: Activation = "relu6", residual: bool = True) -> None:
        super().__init__()
        hidden = max(1, round(projection * expansion))
        self.body = nn.Sequential(
            ConvBN(c_in, projection, 1, activation=activation),
            ConvBN(projection, hidden, 1, activation=activation),
            ConvBN(hidden, hidden, 3, groups=hidden, activation=activation),
            ConvBN(hidden, c_out, 1, activation=None),
        )
        self.use_residual = residual and c_in == c_out

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.body(x)
        return x + y if self.use_residual else y


class FCA(nn.Module):
    """Fully-connected attention (squeeze-and-excitation); mean-pool so it exports cleanly."""

    def __init__(self, channels: int, reduction: int = 8, activation: Activation = "relu6") -> None:
        super().__init__()
        hidden = max(1, channels // reduction)
        self.fc = nn.Sequential(
            nn.Linear(channels, hidden), make_activation(activation),
            nn.Linear(hidden, channels), nn.Sigmoid(),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        weights = self.fc(x.mean(dim=(2, 3)))
        return x * weights[:, :, None, None]
