"""AdamW over the trainable parameters (only adapters under LoRA) and the learning-rate schedule:
linear warmup, then cosine decay to minLr over decaySteps (constant when decaySteps is null)."""
from __future__ import annotations

import math
from typing import Any

import torch


def lr_factor(step: int, base_lr: float, warmup: int, decay_steps: int | None, min_lr: float) -> float:
    """Multiplier of base_lr after `step` optimizer steps."""
    if warmup and step < warmup:
        return (step + 1) / warmup
    if not decay_steps:
        return 1.0
    progress = min(1.0, (step - warmup) / decay_steps)
    floor = min_lr / base_lr
    return floor + (1 - floor) * 0.5 * (1 + math.cos(math.pi * progress))


def build_optimizer(model: Any, opt: dict[str, Any], sched: dict[str, Any]) -> tuple[torch.optim.Optimizer, torch.optim.lr_scheduler.LambdaLR]:
    params = [p for p in model.parameters() if p.requires_grad]
    decay = [p for p in params if p.dim() >= 2]
    no_decay = [p for p in params if p.dim() < 2]  # norms and biases: no weight decay, as usual
    groups = [{"params": decay, "weight_decay": opt["weightDecay"]}, {"params": no_decay, "weight_decay": 0.0}]
    optimizer = torch.optim.AdamW([g for g in groups if g["params"]], lr=opt["lr"], betas=tuple(opt["betas"]), eps=opt["eps"],
                                  foreach=True)
    scheduler = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda step: lr_factor(step, opt["lr"], sched["warmupSteps"], sched["decaySteps"], sched["minLr"]))
    return optimizer, scheduler
