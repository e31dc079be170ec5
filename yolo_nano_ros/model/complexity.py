"""Parameters, multiply-accumulates and weight sizes, in the units the paper's Table 1 uses.

ops = 2 x MACs (darknet "BFLOPs"); sizes in MiB (the paper's baselines are FP32 MiB; YOLO Nano's
4.0 MB is its 8-bit size). Counted with forward hooks, so any nn.Module with Conv2d/Linear works.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import torch
from torch import nn

MIB = 1024 * 1024


@dataclass(frozen=True)
class Complexity:
    input_size: int
    params: int
    macs: int

    @property
    def ops(self) -> int:
        return 2 * self.macs

    def size_mb(self, bytes_per_weight: float) -> float:
        return self.params * bytes_per_weight / MIB

    def to_dict(self) -> dict[str, float | int]:
        return {
            **asdict(self), "ops": self.ops, "size_fp32_mb": round(self.size_mb(4), 3),
            "size_fp16_mb": round(self.size_mb(2), 3), "size_int8_mb": round(self.size_mb(1), 3),
        }


def count_macs(model: nn.Module, input_shape: tuple[int, ...]) -> int:
    """MACs of one forward pass: convolutions (grouped/depthwise aware) and linear layers."""
    total = 0

    def conv_hook(module: nn.Conv2d, _inputs: tuple, output: torch.Tensor) -> None:
        nonlocal total
        kh, kw = module.kernel_size
        total += output.numel() // output.shape[0] * (module.in_channels // module.groups) * kh * kw

    def linear_hook(module: nn.Linear, _inputs: tuple, _output: torch.Tensor) -> None:
        nonlocal total
        total += module.in_features * module.out_features

    handles = []
    for m in model.modules():
        if isinstance(m, nn.Conv2d):
            handles.append(m.register_forward_hook(conv_hook))
        elif isinstance(m, nn.Linear):
            handles.append(m.register_forward_hook(linear_hook))
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            model(torch.zeros(1, *input_shape[1:]))
    finally:
        model.train(was_training)
        for h in handles:
            h.remove()
    return total


def measure(model: nn.Module, input_size: int, in_channels: int = 3) -> Complexity:
    params = sum(p.numel() for p in model.parameters())
    return Complexity(input_size, params, count_macs(model, (1, in_channels, input_size, input_size)))
