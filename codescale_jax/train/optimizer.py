"""AdamW with a learning-rate schedule and global-norm clipping, from :class:`OptimizerConfig`.

Schedules (``optimizer.schedule``), all with a linear warmup from 0:

* ``cosine``: cosine decay from ``lr`` to ``lr * min_lr_ratio`` over the remaining steps;
* ``wsd`` (warmup-stable-decay): constant ``lr`` until the last ``decay_fraction`` of the run,
  then a linear decay to ``lr * min_lr_ratio`` (so a run can be extended from its stable phase);
* ``constant``.

Weight decay skips vectors (norm scales): decaying them only pulls normalisation gains to zero.
"""

from __future__ import annotations

import jax
import optax

from codescale_jax.config import OptimizerConfig


def warmup_steps(cfg: OptimizerConfig, total_steps: int) -> int:
    """``warmup_steps`` when set, else ``warmup_fraction`` of the run (at least one step).

    A fraction keeps sweeps comparable: runs of 16 to 125 steps in one grid all warm up over the
    same share of their schedule (a short warmup leaves the smallest runs unstable).
    """
    if cfg.warmup_steps >= 0:
        return min(cfg.warmup_steps, total_steps)
    if not 0.0 <= cfg.warmup_fraction < 1.0:
        raise ValueError(f"optimizer.warmup_fraction must be in [0, 1), got {cfg.warmup_fraction}")
    return max(1, round(cfg.warmup_fraction * total_steps))


def schedule(cfg: OptimizerConfig, total_steps: int) -> optax.Schedule:
    warm = warmup_steps(cfg, total_steps)
    final = cfg.lr * cfg.min_lr_ratio
    rest = max(1, total_steps - warm)
    warmup = optax.linear_schedule(0.0, cfg.lr, max(1, warm))
    if cfg.schedule == "cosine":
        after = optax.cosine_decay_schedule(cfg.lr, rest, alpha=cfg.min_lr_ratio)
    elif cfg.schedule == "wsd":
        decay = max(1, round(cfg.decay_fraction * total_steps))
        stable = max(0, rest - decay)
        after = optax.join_schedules(
            [optax.constant_schedule(cfg.lr), optax.linear_schedule(cfg.lr, final, decay)], [stable])
    elif cfg.schedule == "constant":
        after = optax.constant_schedule(cfg.lr)
    else:
        raise ValueError(f"unknown optimizer.schedule {cfg.schedule!r}; choose cosine, wsd or constant")
    if warm == 0:
        return after
    return optax.join_schedules([warmup, after], [warm])


def _decay_mask(params):
    return jax.tree.map(lambda p: p.ndim > 1, params)


def make_optimizer(cfg: OptimizerConfig, total_steps: int) -> optax.GradientTransformation:
    parts = []
    if cfg.grad_clip > 0:
        parts.append(optax.clip_by_global_norm(cfg.grad_clip))
    parts.append(optax.adamw(schedule(cfg, total_steps), b1=cfg.b1, b2=cfg.b2, eps=cfg.eps,
                             weight_decay=cfg.weight_decay, mask=_decay_mask))
    return optax.chain(*parts)
