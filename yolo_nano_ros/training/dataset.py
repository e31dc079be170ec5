"""torch Dataset over annotation Samples: RGB letterboxed images and (cls, cx, cy, w, h) targets."""

from __future__ import annotations

import numpy as np
import torch
from torch.utils.data import Dataset as TorchDataset

from yolo_nano_ros.data.annotations import Sample
from yolo_nano_ros.data.images import read_rgb
from yolo_nano_ros.runtime.preprocess import letterbox, letterbox_boxes
from yolo_nano_ros.training.augment import AugmentSettings, flip_lr, hsv_jitter, mosaic, random_affine


class DetectionDataset(TorchDataset):
    def __init__(self, samples: list[Sample], input_size: int, augment: AugmentSettings | None,
                 seed: int = 0) -> None:
        self.samples = samples
        self.size = input_size
        self.augment = augment
        self.seed = seed
        self.epoch = 0

    def __len__(self) -> int:
        return len(self.samples)

    def _rng(self, index: int) -> np.random.Generator:
        return np.random.default_rng([self.seed, self.epoch, index])

    def __getitem__(self, index: int) -> tuple[torch.Tensor, torch.Tensor]:
        s = self.samples[index]
        aug = self.augment
        rng = self._rng(index)
        if aug and aug.mosaic > 0 and rng.random() < aug.mosaic:
            picks = [s] + [self.samples[i] for i in rng.integers(0, len(self.samples), 3)]
            img, boxes, labels = mosaic([read_rgb(p) for p in picks], [p.boxes for p in picks],
                                        [p.labels for p in picks], self.size, rng)
        else:
            img, tf = letterbox(read_rgb(s), self.size)
            boxes, labels = letterbox_boxes(s.boxes, tf), s.labels
        if aug:
            img, boxes, keep = random_affine(img, boxes, aug, rng)
            labels = labels[keep]
            img = hsv_jitter(img, aug, rng)
            if rng.random() < aug.flip_lr:
                img, boxes = flip_lr(img, boxes)
        targets = np.zeros((len(labels), 6), np.float32)  # [image index (set in collate), cls, cx, cy, w, h]
        if len(labels):
            targets[:, 1] = labels
            targets[:, 2] = (boxes[:, 0] + boxes[:, 2]) / 2
            targets[:, 3] = (boxes[:, 1] + boxes[:, 3]) / 2
            targets[:, 4] = boxes[:, 2] - boxes[:, 0]
            targets[:, 5] = boxes[:, 3] - boxes[:, 1]
        tensor = torch.from_numpy(np.ascontiguousarray(img.transpose(2, 0, 1)))  # uint8 CHW
        return tensor, torch.from_numpy(targets)


def collate(batch: list[tuple[torch.Tensor, torch.Tensor]]) -> tuple[torch.Tensor, torch.Tensor]:
    images = torch.stack([b[0] for b in batch])
    targets = []
    for i, (_, t) in enumerate(batch):
        t = t.clone()
        t[:, 0] = i
        targets.append(t)
    return images, torch.cat(targets)
