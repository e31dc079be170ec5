"""Training on several processes with PyTorch DistributedDataParallel, as torchrun starts them.

torchrun (or any launcher that sets them) gives every process WORLD_SIZE, RANK, LOCAL_RANK and the
rendezvous (MASTER_ADDR / MASTER_PORT); without WORLD_SIZE > 1 training runs in one process as before.
NCCL on CUDA, gloo on the CPU; collectives time out (`--ddp-timeout`), so a rank that dies or hangs ends
the run with a TrainingError on the others instead of a hang.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta

import torch
import torch.distributed as dist

from yolo_nano_ros.errors import YoloNanoError

DEFAULT_TIMEOUT_S = 1800.0  # rank 0 validates while the others wait at the next collective


class TrainingError(YoloNanoError, RuntimeError):
    """A training run that cannot go on (a lost rank, an impossible batch split); the message says why."""


@dataclass(frozen=True)
class DistributedContext:
    world_size: int = 1
    rank: int = 0
    local_rank: int = 0

    @property
    def enabled(self) -> bool:
        return self.world_size > 1

    @property
    def is_main(self) -> bool:
        """Rank 0: the one that evaluates, logs, draws progress bars and writes checkpoints."""
        return self.rank == 0

    def describe(self) -> str:
        return f"rank {self.rank} of {self.world_size}"


def context_from_environment(env: Mapping[str, str] = os.environ) -> DistributedContext:
    """torchrun's variables, checked: a half-set environment is an error, not a silent single process."""
    if "WORLD_SIZE" not in env:
        return DistributedContext()
    try:
        ctx = DistributedContext(int(env["WORLD_SIZE"]), int(env.get("RANK", "0")), int(env.get("LOCAL_RANK", "0")))
    except ValueError:
        raise TrainingError(f"WORLD_SIZE={env.get('WORLD_SIZE')!r} RANK={env.get('RANK')!r} "
                            f"LOCAL_RANK={env.get('LOCAL_RANK')!r} are not integers") from None
    if ctx.world_size < 1 or not 0 <= ctx.rank < ctx.world_size or ctx.local_rank < 0:
        raise TrainingError(f"inconsistent torchrun environment: RANK {ctx.rank}, WORLD_SIZE {ctx.world_size}, "
                            f"LOCAL_RANK {ctx.local_rank}")
    return ctx


def per_rank_batch(global_batch: int, ctx: DistributedContext) -> int:
    """`--batch-size` is the global batch: each rank takes an equal share."""
    if global_batch % ctx.world_size:
        raise TrainingError(f"--batch-size {global_batch} is the global batch: it must divide by the "
                            f"{ctx.world_size} ranks (e.g. {max(1, global_batch // ctx.world_size) * ctx.world_size})")
    return global_batch // ctx.world_size


def rank_device(requested: torch.device, ctx: DistributedContext) -> torch.device:
    """CUDA: this rank's GPU (LOCAL_RANK); CPU stays CPU."""
    if requested.type != "cuda" or not ctx.enabled:
        return requested
    if ctx.local_rank >= torch.cuda.device_count():
        raise TrainingError(f"{ctx.describe()}: LOCAL_RANK {ctx.local_rank} but this machine has "
                            f"{torch.cuda.device_count()} CUDA devices (--nproc_per_node too high?)")
    torch.cuda.set_device(ctx.local_rank)
    return torch.device("cuda", ctx.local_rank)


@contextmanager
def process_group(ctx: DistributedContext, device: torch.device, timeout_s: float) -> Iterator[None]:
    """The process group for the run (NCCL on CUDA, gloo on the CPU), destroyed on leaving."""
    if not ctx.enabled:
        yield
        return
    backend = "nccl" if device.type == "cuda" else "gloo"
    try:
        dist.init_process_group(backend, rank=ctx.rank, world_size=ctx.world_size,
                                timeout=timedelta(seconds=timeout_s))
    except Exception as exc:  # the store / rendezvous raises several kinds
        raise TrainingError(f"{ctx.describe()}: could not join the {backend} process group within "
                            f"{timeout_s:g} s ({one_line(exc)})") from exc
    try:
        yield
    finally:
        dist.destroy_process_group()


def one_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0]}" if text else type(exc).__name__


def mean_across_ranks(values: torch.Tensor, ctx: DistributedContext, device: torch.device) -> torch.Tensor:
    """The ranks' mean of a small tensor (the epoch's loss components), for the log; on `device`, as
    NCCL reduces only CUDA tensors."""
    if not ctx.enabled:
        return values
    reduced = values.to(device=device, dtype=torch.float64)
    dist.all_reduce(reduced)
    return (reduced / ctx.world_size).to(device="cpu", dtype=values.dtype)


def lost_rank_error(exc: BaseException, ctx: DistributedContext, timeout_s: float) -> TrainingError:
    return TrainingError(f"{ctx.describe()}: lost the other ranks ({one_line(exc)}); a rank failed or stalled "
                         f"longer than --ddp-timeout {timeout_s:g} s: the run ends here (see every rank's output)")
