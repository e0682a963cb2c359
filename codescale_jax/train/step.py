"""The sharded train state and the jitted train / eval steps.

The train state is a plain dict ``{"step", "params", "opt_state"}``. Its sharding comes from the
parameters' logical axes (:mod:`codescale_jax.parallel.rules`): optimizer moments follow their
parameter, scalars are replicated. Batches are split over ``data x fsdp``. Every jitted function
gets explicit ``NamedSharding`` in/out shardings, so a layout never changes between steps and the
state buffers are donated (updated in place).
"""

from __future__ import annotations

import dataclasses
from typing import Any, Callable

import jax
import jax.numpy as jnp
import optax
from jax.sharding import Mesh, NamedSharding, PartitionSpec

from codescale_jax.config import ConfigError, ModelConfig, OptimizerConfig
from codescale_jax.model import decoder
from codescale_jax.parallel import rules
from codescale_jax.train.optimizer import lr_at, make_optimizer, schedule_numbers

BATCH_KEYS = ("inputs", "targets", "segment_ids", "positions", "loss_mask")
State = dict[str, Any]

# ``train.cpu_matmuls``: which library XLA's CPU backend hands the steps' matmuls to. "ynnpack" is
# XLA's default (matmuls and reductions become YNNPACK fusions); "eigen" turns those fusions off,
# so dots run as XLA's own Eigen contractions. The large float32 peak matmul is faster through
# YNNPACK, yet the micro-3.2m train step (batch 16 x 256, four parallel microbatches) ran 4-10%
# faster through Eigen (more when the host is busy), while the study's smallest models (batch 8 x
# 128) ran about 2% slower (BUILD_NOTES, "CPU throughput and MFU"). Only CPU compilations see these
# options; they are part of JAX's persistent compilation cache key, so the two never share an entry.
CPU_MATMULS: dict[str, dict[str, str]] = {
    "ynnpack": {},
    "eigen": {"xla_cpu_experimental_ynn_fusion_type": ""},
}


def compiler_options(mesh: Mesh, cpu_matmuls: str = "ynnpack") -> dict[str, str] | None:
    """XLA compiler options for the jitted steps on ``mesh``: ``train.cpu_matmuls``'s on CPU, none on
    accelerators. An unknown library name is a ``ConfigError`` (a ``ValueError``) naming the choices."""
    if cpu_matmuls not in CPU_MATMULS:
        raise ConfigError(f"train.cpu_matmuls={cpu_matmuls!r}; use one of {', '.join(CPU_MATMULS)}")
    if mesh.devices.flat[0].platform != "cpu":
        return None
    return dict(CPU_MATMULS[cpu_matmuls]) or None


def loss_sums(mcfg: ModelConfig, params, batch) -> tuple[jax.Array, jax.Array]:
    """Summed next-token cross-entropy (nats) over ``loss_mask`` and the number of scored tokens.

    One logits matmul, then log-sum-exp minus the target logit: no one-hot and no log-softmax
    tensor is materialised.
    """
    logits = decoder.apply(mcfg, params, batch["inputs"], batch["segment_ids"], batch["positions"])
    lse = jax.nn.logsumexp(logits, axis=-1)
    target_logit = jnp.take_along_axis(logits, batch["targets"][..., None], axis=-1)[..., 0]
    mask = batch["loss_mask"].astype(jnp.float32)
    return jnp.sum((lse - target_logit) * mask), jnp.sum(mask)


def microbatch(batch: dict, k: int, i: int) -> dict:
    """Rows ``i, i + k, i + 2k, ...`` of every array in ``batch``: interleaved, so that when the
    rows are split over devices in contiguous blocks each slice keeps an equal share on every
    device (a reshape of the sharded axis, then a slice of the unsharded one)."""
    return {key: v.reshape(v.shape[0] // k, k, *v.shape[1:])[:, i] for key, v in batch.items()}


def _grads(mcfg: ModelConfig, params, batch, microbatches: int):
    """Mean loss, scored-token count and gradient of the mean loss over ``batch``, computed as
    ``microbatches`` independent passes whose summed losses and gradients are divided by the
    total count once (so the result is the full batch's, up to float rounding)."""
    if microbatches == 1:
        def loss_fn(p):
            total, count = loss_sums(mcfg, p, batch)
            return total / jnp.maximum(count, 1.0), count

        (loss, count), grads = jax.value_and_grad(loss_fn, has_aux=True)(params)
        return loss, count, grads
    totals, counts, grads = [], [], []
    for i in range(microbatches):
        part = microbatch(batch, microbatches, i)
        (t, c), g = jax.value_and_grad(lambda p: loss_sums(mcfg, p, part), has_aux=True)(params)
        totals.append(t)
        counts.append(c)
        grads.append(g)
    count = sum(counts)
    denom = jnp.maximum(count, 1.0)
    grads = jax.tree.map(lambda *gs: sum(gs) / denom, *grads)
    return sum(totals) / denom, count, grads


def _train_step(mcfg: ModelConfig, opt: OptimizerConfig, state: State, batch, numbers, microbatches: int = 1):
    """One optimizer step. ``numbers`` (:func:`optimizer.schedule_numbers`) is an argument, so the
    run's length is not compiled in: runs that differ only in their token budget share a program."""
    tx = make_optimizer(opt, numbers=numbers)
    loss, count, grads = _grads(mcfg, state["params"], batch, microbatches)
    updates, opt_state = tx.update(grads, state["opt_state"], state["params"])
    params = optax.apply_updates(state["params"], updates)
    metrics = {"loss": loss, "grad_norm": optax.global_norm(grads), "lr": lr_at(opt, state["step"], numbers),
               "loss_tokens": count}
    return {"step": state["step"] + 1, "params": params, "opt_state": opt_state}, metrics


@dataclasses.dataclass(frozen=True)
class Trainer:
    """Everything compiled for one (model, optimizer, mesh): call ``init``, ``train_step``, ``eval_step``
    inside ``with jax.set_mesh(trainer.mesh)`` (the helpers below do)."""

    mcfg: ModelConfig
    mesh: Mesh
    tx: optax.GradientTransformation
    state_shardings: State
    batch_sharding: NamedSharding
    init_fn: Callable[[jax.Array], State]
    #: ``step_fn(state, batch, schedule_numbers)``: the jitted step (``train_step`` passes the numbers).
    step_fn: Callable[[State, dict, jax.Array], tuple[State, dict]]
    eval_fn: Callable[[Any, dict], tuple[jax.Array, jax.Array]]
    schedule_numbers: jax.Array

    def init(self, rng: jax.Array) -> State:
        with jax.set_mesh(self.mesh):
            return self.init_fn(rng)

    def train_step(self, state: State, batch: dict) -> tuple[State, dict]:
        with jax.set_mesh(self.mesh):
            return self.step_fn(state, batch, self.schedule_numbers)

    def lower_step(self, state: State, batch: dict):
        """The train step lowered for ``state`` and ``batch`` (``.compile().as_text()`` gives its HLO)."""
        with jax.set_mesh(self.mesh):
            return self.step_fn.lower(state, batch, self.schedule_numbers)

    def eval_step(self, params, batch: dict) -> tuple[jax.Array, jax.Array]:
        with jax.set_mesh(self.mesh):
            return self.eval_fn(params, batch)

    def abstract_state(self) -> State:
        """Shapes, dtypes and target shardings of the state (what a checkpoint restores into)."""
        shapes = jax.eval_shape(self.init_fn, jax.random.key(0))
        return jax.tree.map(lambda x, s: jax.ShapeDtypeStruct(x.shape, x.dtype, sharding=s), shapes,
                            self.state_shardings)

    def device_batch(self, batch: dict) -> dict:
        """Place a host batch (numpy, this process's rows) on the mesh with the batch sharding."""
        return {k: jax.make_array_from_process_local_data(self.batch_sharding, batch[k]) for k in BATCH_KEYS}


def state_shardings(mcfg: ModelConfig, mesh: Mesh, tx: optax.GradientTransformation) -> State:
    abstract_params = decoder.abstract_params(mcfg)
    param_sh = rules.tree_shardings(mesh, decoder.logical_axes(mcfg), abstract_params)
    replicated = NamedSharding(mesh, PartitionSpec())
    abstract_opt = jax.eval_shape(tx.init, abstract_params)
    opt_sh = optax.tree_map_params(tx, lambda _, sh: sh, abstract_opt, param_sh,
                                   transform_non_params=lambda _: replicated)
    return {"step": replicated, "params": param_sh, "opt_state": opt_sh}


def build_trainer(mcfg: ModelConfig, mesh: Mesh, opt: OptimizerConfig, total_steps: int,
                  microbatches: int = 1, cpu_matmuls: str = "ynnpack") -> Trainer:
    """Compile the steps for AdamW of ``opt`` over a run of ``total_steps``. ``microbatches``
    (``train.parallel_microbatches``) splits each train step's batch into that many independent
    passes in one program; the global batch must then be a multiple of ``microbatches`` times the
    batch-sharding devices (``data x fsdp``).
    ``cpu_matmuls`` (``train.cpu_matmuls``) picks the CPU matmul library (:data:`CPU_MATMULS`)."""
    if microbatches < 1:
        raise ValueError(f"train.parallel_microbatches must be >= 1, got {microbatches}")
    options = compiler_options(mesh, cpu_matmuls)
    tx = make_optimizer(opt, total_steps)  # the state's structure (the step builds its own from the numbers)
    shardings = state_shardings(mcfg, mesh, tx)
    replicated = NamedSharding(mesh, PartitionSpec())
    batch_sh = rules.named_sharding(mesh, ("batch", "length"), (mesh.shape["data"] * mesh.shape["fsdp"], 1))

    def init(rng):
        params = decoder.init_params(mcfg, rng)
        return {"step": jnp.zeros((), jnp.int32), "params": params, "opt_state": tx.init(params)}

    def evaluate(params, batch):
        return loss_sums(mcfg, params, batch)

    batch_shardings = {k: batch_sh for k in BATCH_KEYS}
    init_fn = jax.jit(init, out_shardings=shardings)
    step_fn = jax.jit(lambda s, b, h: _train_step(mcfg, opt, s, b, h, microbatches),
                      in_shardings=(shardings, batch_shardings, replicated), out_shardings=(shardings, replicated),
                      donate_argnums=0, compiler_options=options)
    host_numbers = schedule_numbers(opt, total_steps)  # the same on every process
    numbers = jax.make_array_from_callback(host_numbers.shape, replicated, lambda idx: host_numbers[idx])
    eval_fn = jax.jit(evaluate, in_shardings=(shardings["params"], batch_shardings),
                      out_shardings=(replicated, replicated), compiler_options=options)
    return Trainer(mcfg, mesh, tx, shardings, batch_sh, init_fn, step_fn, eval_fn, numbers)
