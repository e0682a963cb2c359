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
import jax.numpy as jnp
import numpy as np
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


SCHEDULES = ("cosine", "wsd", "constant")


def schedule_numbers(cfg: OptimizerConfig, total_steps: int) -> np.ndarray:
    """What a schedule needs besides the config: ``[warmup, steps after warmup, wsd stable steps,
    wsd decay steps]`` (float32). The train step takes them as an argument, not as constants, so
    runs that differ only in length (a sweep's token budgets) share one compiled program."""
    if cfg.schedule not in SCHEDULES:
        raise ValueError(f"unknown optimizer.schedule {cfg.schedule!r}; choose cosine, wsd or constant")
    warm = warmup_steps(cfg, total_steps)
    rest = max(1, total_steps - warm)
    decay = max(1, round(cfg.decay_fraction * total_steps))
    return np.asarray([warm, rest, max(0, rest - decay), decay], np.float32)


def lr_at(cfg: OptimizerConfig, count, numbers) -> jax.Array:
    """The learning rate at step ``count``: linear warmup from 0 over ``numbers[0]`` steps, then
    the schedule of ``cfg.schedule`` (module docstring) over the rest. ``numbers`` may be traced."""
    warm, rest, stable, decay = (numbers[i] for i in range(4))
    c = jnp.asarray(count, jnp.float32)
    lr, final = cfg.lr, cfg.lr * cfg.min_lr_ratio
    warmup = lr * jnp.clip(c, 0.0, warm) / jnp.maximum(warm, 1.0)
    t = c - warm
    if cfg.schedule == "cosine":
        cosine = 0.5 * (1.0 + jnp.cos(jnp.pi * jnp.clip(t, 0.0, rest) / rest))
        after = lr * ((1.0 - cfg.min_lr_ratio) * cosine + cfg.min_lr_ratio)
    elif cfg.schedule == "wsd":
        after = lr + (final - lr) * jnp.clip(t - stable, 0.0, decay) / decay
    else:
        after = jnp.full_like(c, lr)
    return jnp.where(c < warm, warmup, after)


def schedule(cfg: OptimizerConfig, total_steps: int) -> optax.Schedule:
    """The learning-rate schedule of a run of ``total_steps`` steps, as a function of the step."""
    numbers = schedule_numbers(cfg, total_steps)
    return lambda count: lr_at(cfg, count, numbers)


def _decay_mask(params):
    return jax.tree.map(lambda p: p.ndim > 1, params)


def make_optimizer(cfg: OptimizerConfig, total_steps: int | None = None, *,
                   numbers=None) -> optax.GradientTransformation:
    """AdamW (plus clipping) for a run of ``total_steps`` steps, or with the schedule's ``numbers``
    (:func:`schedule_numbers`, possibly traced) given instead."""
    if numbers is None:
        if total_steps is None:
            raise ValueError("make_optimizer needs total_steps or the schedule's numbers")
        numbers = schedule_numbers(cfg, total_steps)
    parts = []
    if cfg.grad_clip > 0:
        parts.append(optax.clip_by_global_norm(cfg.grad_clip))
    parts.append(optax.adamw(lambda count: lr_at(cfg, count, numbers), b1=cfg.b1, b2=cfg.b2, eps=cfg.eps,
                             weight_decay=cfg.weight_decay, mask=_decay_mask))
    return optax.chain(*parts)
