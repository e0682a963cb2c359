"""The run's length is an argument of the compiled train step, not a constant in it: runs of one
model that differ only in their token budget (a sweep's budgets) share one compiled program."""

import dataclasses

import jax
import numpy as np
import optax
import pytest

from _train_helpers import tiny_config
from codescale_jax.config import OptimizerConfig
from codescale_jax.data import input as input_lib
from codescale_jax.data.packing import lm_batch
from codescale_jax.parallel.mesh import make_mesh
from codescale_jax.train.loop import resolve_config
from codescale_jax.train.optimizer import schedule, schedule_numbers
from codescale_jax.train.step import build_trainer


def _trainer(total_steps: int, opt: OptimizerConfig | None = None):
    cfg = resolve_config(tiny_config())
    trainer = build_trainer(cfg.model, make_mesh(cfg.mesh), opt or cfg.optimizer, total_steps)
    batch = trainer.device_batch(lm_batch(next(iter(input_lib.train_dataset(cfg.data, 8, seed=0)))))
    return cfg, trainer, batch


def test_runs_of_different_length_lower_to_the_same_program():
    _, short, batch = _trainer(10)
    _, long, _ = _trainer(1000)
    state = short.abstract_state()
    assert short.lower_step(state, batch).as_text() == long.lower_step(state, batch).as_text()
    assert not np.array_equal(np.asarray(short.schedule_numbers), np.asarray(long.schedule_numbers))


def _optax_reference(opt: OptimizerConfig, total: int):
    """The same schedules composed from optax's own (an independent implementation of the formulas)."""
    warm = int(schedule_numbers(opt, total)[0])
    rest = max(1, total - warm)
    if opt.schedule == "cosine":
        after = optax.cosine_decay_schedule(opt.lr, rest, alpha=opt.min_lr_ratio)
    elif opt.schedule == "wsd":
        decay = max(1, round(opt.decay_fraction * total))
        after = optax.join_schedules([optax.constant_schedule(opt.lr),
                                      optax.linear_schedule(opt.lr, opt.lr * opt.min_lr_ratio, decay)],
                                     [max(0, rest - decay)])
    else:
        after = optax.constant_schedule(opt.lr)
    return optax.join_schedules([optax.linear_schedule(0.0, opt.lr, warm), after], [warm])


@pytest.mark.parametrize("name", ["cosine", "wsd", "constant"])
def test_the_schedule_matches_optax(name):
    opt = OptimizerConfig(lr=1e-3, schedule=name, warmup_steps=7, decay_fraction=0.3, min_lr_ratio=0.1)
    ours, ref = schedule(opt, 110), _optax_reference(opt, 110)
    for step in range(0, 121):
        assert float(ours(step)) == pytest.approx(float(ref(step)), rel=1e-5, abs=1e-10), step


@pytest.mark.parametrize("name", ["cosine", "wsd", "constant"])
def test_the_steps_learning_rate_follows_the_runs_schedule(name):
    cfg = resolve_config(tiny_config())
    opt = dataclasses.replace(cfg.optimizer, schedule=name, warmup_steps=2, decay_fraction=0.5, lr=1e-3)
    _, trainer, batch = _trainer(6, opt)
    state = trainer.init(jax.random.key(0))
    expected = _optax_reference(opt, 6)
    for step in range(6):
        state, metrics = trainer.train_step(state, batch)
        assert float(metrics["lr"]) == pytest.approx(float(expected(step)), rel=1e-6, abs=1e-12), step


def test_schedule_numbers():
    cfg = OptimizerConfig(warmup_steps=10, decay_fraction=0.2)
    np.testing.assert_array_equal(schedule_numbers(cfg, 110), [10, 100, 78, 22])
    with pytest.raises(ValueError, match="schedule"):
        schedule_numbers(OptimizerConfig(schedule="linear"), 10)
