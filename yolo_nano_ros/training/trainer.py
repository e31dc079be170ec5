"""The training loop: SGD with warm-up + cosine LR, EMA weights, AMP on CUDA, checkpoints and resume,
a progress bar per epoch and a CSV log; validation mAP decides the best checkpoint.

One process, or several under torchrun (training/distributed.py): DistributedDataParallel with a
DistributedSampler (per-epoch seed; one process uses the same sampler, so the data order is the same),
`batch_size` the global batch, optional SyncBatchNorm (CUDA) or frozen BatchNorm. Every rank keeps the
same EMA (its weights are the all-reduced ones); rank 0 alone validates, logs, shows progress and writes
checkpoints, which hold the unwrapped model: the same files whatever the world size.
"""

from __future__ import annotations

import copy
import csv
import math
import time
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

import torch
import torch.distributed as dist
from torch.nn.parallel import DistributedDataParallel
from torch.utils.data import DataLoader, DistributedSampler
from tqdm import tqdm

from yolo_nano_ros.data.annotations import load_split_spec
from yolo_nano_ros.data.dataset_spec import read_dataset_spec
from yolo_nano_ros.evaluation.dataset_eval import EVAL_SETTINGS, evaluate_detector
from yolo_nano_ros.model.checkpoint import load_checkpoint, save_checkpoint
from yolo_nano_ros.model.config import YoloNanoConfig
from yolo_nano_ros.model.yolo_nano import YoloNano
from yolo_nano_ros.runtime.backends.torch_backend import TorchBackend
from yolo_nano_ros.runtime.detector import Detector
from yolo_nano_ros.training.augment import AugmentSettings
from yolo_nano_ros.training.dataset import DetectionDataset, collate
from yolo_nano_ros.training.distributed import (
    DEFAULT_TIMEOUT_S,
    DistributedContext,
    TrainingError,
    context_from_environment,
    lost_rank_error,
    mean_across_ranks,
    per_rank_batch,
    process_group,
    rank_device,
)
from yolo_nano_ros.training.loss import YoloLoss

CSV_FIELDS = ["epoch", "lr", "loss_box", "loss_obj", "loss_cls", "map50_voc07", "map50", "map50_95", "seconds",
              "images_per_s"]  # images_per_s: the whole world's training images per second, validation excluded


@dataclass
class TrainSettings:
    data: Path
    out: Path = Path("runs/train")
    epochs: int = 100
    batch_size: int = 16
    input_size: int = 416
    lr: float = 0.01
    momentum: float = 0.937
    weight_decay: float = 5e-4
    warmup_epochs: float = 3.0
    final_lr_ratio: float = 0.05
    device: str = "auto"
    workers: int = 2
    resume: bool = False
    expansion: float = 1.0
    mosaic: float = 0.0
    augment: bool = True
    eval_every: int = 5
    seed: int = 0
    weights: str | None = None
    progress: bool = True
    sync_bn: bool = False  # SyncBatchNorm across ranks (CUDA only: PyTorch has no CPU implementation)
    freeze_bn: bool = False  # BatchNorm in eval mode: running statistics stay as loaded
    ddp_timeout_s: float = DEFAULT_TIMEOUT_S


@dataclass
class TrainResult:
    best_checkpoint: Path
    last_checkpoint: Path
    best_map50: float
    history: list[dict[str, float]] = field(default_factory=list)
    is_main: bool = True  # rank 0 (or the only process): the one that wrote the checkpoints


class ModelEMA:
    """Exponential moving average of weights; the ramp keeps early, noisy weights from dominating."""

    def __init__(self, model: torch.nn.Module, decay: float = 0.9999, ramp: float = 2000.0) -> None:
        self.ema = copy.deepcopy(model).eval()
        for p in self.ema.parameters():
            p.requires_grad_(False)
        self.decay, self.ramp, self.updates = decay, ramp, 0

    @torch.no_grad()
    def update(self, model: torch.nn.Module) -> None:
        self.updates += 1
        d = self.decay * (1 - math.exp(-self.updates / self.ramp))
        msd = model.state_dict()
        for k, v in self.ema.state_dict().items():
            if v.dtype.is_floating_point:
                v.mul_(d).add_(msd[k].detach(), alpha=1 - d)


def resolve_device(name: str) -> torch.device:
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(name)


def lr_factor(iteration: int, warmup_iters: int, total_iters: int, final_ratio: float) -> float:
    if iteration < warmup_iters:
        return (iteration + 1) / warmup_iters
    progress = (iteration - warmup_iters) / max(1, total_iters - warmup_iters)
    return final_ratio + (1 - final_ratio) * 0.5 * (1 + math.cos(math.pi * min(progress, 1.0)))


def make_optimizer(model: torch.nn.Module, s: TrainSettings) -> torch.optim.Optimizer:
    decay: list[torch.nn.Parameter] = []
    no_decay: list[torch.nn.Parameter] = []
    for name, p in model.named_parameters():
        (no_decay if p.ndim <= 1 or name.endswith(".bias") else decay).append(p)
    return torch.optim.SGD([{"params": decay, "weight_decay": s.weight_decay},
                            {"params": no_decay, "weight_decay": 0.0}], lr=s.lr, momentum=s.momentum, nesterov=True)


def train(s: TrainSettings) -> TrainResult:
    """One process, or this rank of a torchrun job (WORLD_SIZE / RANK / LOCAL_RANK in the environment)."""
    ctx = context_from_environment()
    device = rank_device(resolve_device(s.device), ctx)
    if s.sync_bn and device.type != "cuda":
        raise TrainingError("--sync-bn needs CUDA (PyTorch's SyncBatchNorm has no CPU implementation); "
                            "use --freeze-bn, or train without either")
    with process_group(ctx, device, s.ddp_timeout_s):
        try:
            return train_in_group(s, ctx, device)
        except (dist.DistBackendError, RuntimeError) as exc:
            if ctx.enabled and not isinstance(exc, TrainingError) and is_collective_failure(exc):
                raise lost_rank_error(exc, ctx, s.ddp_timeout_s) from exc
            raise


def is_collective_failure(exc: BaseException) -> bool:
    """gloo / NCCL errors when a peer died, closed its connection or a collective timed out."""
    text = str(exc).lower()
    return isinstance(exc, dist.DistBackendError) or any(k in text for k in (
        "connection closed", "connection reset", "timed out", "timeout", "gloo", "nccl", "broken pipe"))


def train_in_group(s: TrainSettings, ctx: DistributedContext, device: torch.device) -> TrainResult:
    torch.manual_seed(s.seed)
    found = read_dataset_spec(s.data)
    if ctx.is_main:
        found.report("train")
        found.report("val")
    spec = found.spec
    train_set, val_set = (load_split_spec(spec, found.base, split, found.origin) for split in ("train", "val"))
    cfg = YoloNanoConfig(num_classes=len(train_set.names), class_names=train_set.names, input_size=s.input_size,
                         expansion=s.expansion)
    if "anchors" in spec:
        cfg = replace(cfg, anchors=tuple(tuple((float(a[0]), float(a[1])) for a in lv) for lv in spec["anchors"]))
    model: torch.nn.Module = YoloNano(cfg).to(device)
    if s.weights:
        state = load_checkpoint(Path(s.weights))["model"]
        model.load_state_dict(state)
    if s.sync_bn and ctx.enabled:
        model = torch.nn.SyncBatchNorm.convert_sync_batchnorm(model)
    ema = ModelEMA(model)
    optimizer = make_optimizer(model, s)
    criterion = YoloLoss(cfg).to(device)
    amp = device.type == "cuda"
    scaler = torch.amp.GradScaler("cuda", enabled=amp)

    augment = AugmentSettings(mosaic=s.mosaic) if s.augment else None
    dataset = DetectionDataset(train_set.samples, s.input_size, augment, seed=s.seed)
    batch = per_rank_batch(s.batch_size, ctx)
    # Rank r takes positions r, r + W, ... of one seeded permutation per epoch: the world's batch i is the
    # one-process batch i, whatever W is.
    sampler: DistributedSampler[int] = DistributedSampler(dataset, num_replicas=ctx.world_size, rank=ctx.rank,
                                                          shuffle=True, seed=s.seed)
    loader = DataLoader(dataset, batch_size=batch, sampler=sampler, num_workers=s.workers, collate_fn=collate,
                        drop_last=len(sampler) > batch, persistent_workers=False)
    if ctx.enabled and ctx.is_main:
        print(f"DistributedDataParallel: {ctx.world_size} ranks ({'nccl' if device.type == 'cuda' else 'gloo'}), "
              f"global batch {s.batch_size} = {ctx.world_size} x {batch}", flush=True)
    net = DistributedDataParallel(model, device_ids=[device.index] if device.type == "cuda" else None) \
        if ctx.enabled else model
    # The loss is its batch mean times the batch; DDP averages gradients over ranks, so times W restores
    # the one-process gradient of the global batch.
    loss_scale = float(ctx.world_size)
    iters_per_epoch = len(loader)
    total_iters = s.epochs * iters_per_epoch
    warmup_iters = min(int(s.warmup_epochs * iters_per_epoch), total_iters // 3) if s.warmup_epochs else 0

    s.out.mkdir(parents=True, exist_ok=True)
    last_path, best_path, csv_path = s.out / "last.pt", s.out / "best.pt", s.out / "results.csv"
    start_epoch, best_map50, history = 0, -1.0, []
    if s.resume:
        if not last_path.exists():
            raise FileNotFoundError(f"--resume: no checkpoint at {last_path}")
        ckpt = load_checkpoint(last_path)
        model.load_state_dict(ckpt["raw_model"])
        ema.ema.load_state_dict(ckpt["model"])
        ema.updates = ckpt["ema_updates"]
        optimizer.load_state_dict(ckpt["optimizer"])
        if "scaler" in ckpt:
            scaler.load_state_dict(ckpt["scaler"])
        start_epoch, best_map50, history = ckpt["epoch"] + 1, ckpt["best_map50"], ckpt["history"]
    elif ctx.is_main:
        with csv_path.open("w", newline="") as f:
            csv.DictWriter(f, CSV_FIELDS).writeheader()

    for epoch in range(start_epoch, s.epochs):
        t0 = time.time()
        model.train()
        if s.freeze_bn:
            for module in model.modules():
                if isinstance(module, torch.nn.modules.batchnorm._BatchNorm):
                    module.eval()
        dataset.epoch = epoch
        sampler.set_epoch(epoch)  # the permutation's seed: s.seed + epoch, the same on every rank
        sums = torch.zeros(3)
        bar = tqdm(loader, desc=f"epoch {epoch + 1}/{s.epochs}", unit="batch",
                   disable=not (s.progress and ctx.is_main), leave=False)
        for i, (images, targets) in enumerate(bar):
            it = epoch * iters_per_epoch + i
            factor = lr_factor(it, warmup_iters, total_iters, s.final_lr_ratio)
            for g in optimizer.param_groups:
                g["lr"] = s.lr * factor
            images = images.to(device, non_blocking=True).float() / 255.0
            targets = targets.to(device)
            with torch.autocast(device.type, dtype=torch.float16, enabled=amp):
                outputs = net(images)
            loss, parts = criterion(tuple(o.float() for o in outputs), targets)
            optimizer.zero_grad(set_to_none=True)
            scaler.scale(loss * loss_scale).backward()
            scaler.unscale_(optimizer)
            # A safety net only: with the YOLO loss scaled by batch size, early norms reach ~1e3.
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1000.0)
            scaler.step(optimizer)
            scaler.update()
            ema.update(model)
            sums += parts.cpu()
            bar.set_postfix(box=f"{parts[0]:.3f}", obj=f"{parts[1]:.3f}", cls=f"{parts[2]:.3f}")
        train_s = time.time() - t0
        means = (mean_across_ranks(sums, ctx, device) / max(1, iters_per_epoch)).tolist()
        row: dict[str, float] = {"epoch": epoch + 1, "lr": optimizer.param_groups[0]["lr"],
                                 "loss_box": means[0], "loss_obj": means[1], "loss_cls": means[2],
                                 "map50_voc07": float("nan"), "map50": float("nan"), "map50_95": float("nan")}
        if ctx.is_main and ((epoch + 1) % s.eval_every == 0 or epoch + 1 == s.epochs):
            detector = Detector(TorchBackend(copy.deepcopy(ema.ema), cfg.to_dict(), str(device)), EVAL_SETTINGS)
            m = evaluate_detector(detector, val_set, progress=s.progress)
            row.update(map50_voc07=m.map50_voc07, map50=m.map50, map50_95=m.map50_95)
            if m.map50 > best_map50:
                best_map50 = m.map50
                save_checkpoint(best_path, ema.ema, cfg, epoch=epoch, map50=m.map50)
            if s.progress:
                tqdm.write(f"epoch {epoch + 1}: loss box {means[0]:.4f} obj {means[1]:.4f} cls {means[2]:.4f} | "
                           f"val mAP@0.5 {m.map50:.4f} (VOC07 {m.map50_voc07:.4f}) mAP@[.5:.95] {m.map50_95:.4f}")
        row["seconds"] = time.time() - t0
        row["images_per_s"] = iters_per_epoch * batch * ctx.world_size / train_s if train_s > 0 else float("nan")
        history.append(row)
        if ctx.is_main:
            with csv_path.open("a", newline="") as f:
                csv.DictWriter(f, CSV_FIELDS).writerow(row)
            save_checkpoint(last_path, ema.ema, cfg, raw_model=model.state_dict(), ema_updates=ema.updates,
                            optimizer=optimizer.state_dict(), scaler=scaler.state_dict(), epoch=epoch,
                            best_map50=best_map50, history=history, world_size=ctx.world_size,
                            settings={k: str(v) for k, v in asdict(s).items()})
        if ctx.enabled:
            dist.barrier()  # every rank starts the next epoch (or a resume reads last.pt) after rank 0 wrote it
    return TrainResult(best_path, last_path, best_map50, history, ctx.is_main)
