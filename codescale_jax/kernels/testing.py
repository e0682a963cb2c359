"""Inputs and error measures shared by the kernel tests and the CPU check of the benchmark.

Kept in the package (not under ``tests/``) so ``experiments.bench_attention`` measures the same
thing the tests assert on.
"""

from __future__ import annotations

import dataclasses
import itertools
from typing import Callable, Sequence

import jax
import jax.numpy as jnp
import numpy as np


@dataclasses.dataclass(frozen=True)
class Case:
    """One attention problem: shapes, dtype and whether the batch is packed with segments."""

    batch: int = 1
    q_len: int = 128
    kv_len: int | None = None  # None: same as q_len (self-attention)
    q_heads: int = 2
    kv_heads: int = 1
    head_dim: int = 64
    dtype: str = "float32"
    causal: bool = True
    segments: bool = False

    @property
    def keys_len(self) -> int:
        return self.q_len if self.kv_len is None else self.kv_len


def packed_segment_ids(rng: np.random.Generator, batch: int, length: int, max_docs: int = 4):
    """Contiguous document ids 1, 2, ... per row, random boundaries, and sometimes a padded tail
    with id 0 (the convention of Grain's packing); what a packed training batch looks like."""
    rows = []
    for _ in range(batch):
        n_docs = int(rng.integers(1, max_docs + 1))
        cuts = np.sort(rng.choice(np.arange(1, length), size=n_docs, replace=False))
        ids = np.searchsorted(cuts, np.arange(length), side="right") + 1  # 1 .. n_docs + 1
        if rng.random() < 0.5:
            ids[cuts[-1]:] = 0  # padding after the last document
        rows.append(ids)
    return jnp.asarray(np.stack(rows), jnp.int32)


def make_inputs(case: Case, seed: int = 0):
    """``(q, k, v, segment_ids, cotangent)`` for ``case``; ``segment_ids`` is None when unused."""
    keys = jax.random.split(jax.random.key(seed), 4)
    dtype = jnp.dtype(case.dtype)
    q = jax.random.normal(keys[0], (case.batch, case.q_len, case.q_heads, case.head_dim), dtype)
    kv_shape = (case.batch, case.keys_len, case.kv_heads, case.head_dim)
    k = jax.random.normal(keys[1], kv_shape, dtype)
    v = jax.random.normal(keys[2], kv_shape, dtype)
    cot = jax.random.normal(keys[3], q.shape, dtype)
    seg = None
    if case.segments:
        if case.kv_len not in (None, case.q_len):
            raise ValueError("packed segments are generated for self-attention cases only")
        seg = packed_segment_ids(np.random.default_rng(seed), case.batch, case.q_len)
    return q, k, v, seg, cot


def forward_and_grads(fn: Callable, q, k, v, seg, cot):
    """Jitted ``(out, (dq, dk, dv))`` of ``fn(q, k, v, seg)`` pulled back along ``cot``."""

    @jax.jit
    def run(q, k, v, seg, cot):
        out, pullback = jax.vjp(lambda q_, k_, v_: fn(q_, k_, v_, seg), q, k, v)
        return out, pullback(cot)

    return run(q, k, v, seg, cot)


def max_abs(a, b) -> float:
    return float(jnp.max(jnp.abs(a.astype(jnp.float32) - b.astype(jnp.float32))))


def full_precision(fn: Callable) -> Callable:
    """``fn`` traced with full-precision float32 matmuls. For implementations built from XLA dots
    (jax.nn's XLA attention, Pallas kernels in interpret mode, the reference): on a GPU their
    float32 dots would otherwise round operands to TF32, an error of about 1e-3 that says nothing
    about the masks and indexing these tests check. No effect on a CPU."""
    def wrapped(*args, **kwargs):
        with jax.default_matmul_precision("highest"):
            return fn(*args, **kwargs)
    return wrapped


def compare(fn: Callable, ref: Callable, case: Case, seed: int = 0) -> dict:
    """Errors of ``fn`` against ``ref``. For low-precision cases both are measured against ``ref``
    evaluated in float32 on the same (rounded) inputs, so the caller can compare the kernel's
    error with the error the reference itself makes at that precision.

    The float32 oracle runs with full-precision matmuls: on a GPU, XLA's default float32 matmul
    rounds operands to TF32, which put errors of about 1e-3 into the oracle itself (seen on an
    H200) while the kernel multiplies float32 tiles at full precision."""
    q, k, v, seg, cot = make_inputs(case, seed)
    out, grads = forward_and_grads(fn, q, k, v, seg, cot)
    up = lambda x: x.astype(jnp.float32)
    with jax.default_matmul_precision("highest"):
        exact_out, exact_grads = forward_and_grads(ref, up(q), up(k), up(v), seg, up(cot))
    result = {"fwd": max_abs(out, exact_out),
              "grad": max(max_abs(g, e) for g, e in zip(grads, exact_grads)),
              "finite": bool(jnp.isfinite(out.astype(jnp.float32)).all()
                             and all(jnp.isfinite(g.astype(jnp.float32)).all() for g in grads))}
    if jnp.dtype(case.dtype) != jnp.float32:
        ref_out, ref_grads = forward_and_grads(ref, q, k, v, seg, cot)
        result["ref_fwd"] = max_abs(ref_out, exact_out)
        result["ref_grad"] = max(max_abs(g, e) for g, e in zip(ref_grads, exact_grads))
    return result


def covering_array(axes: Sequence[Sequence], strength: int = 3) -> list[tuple]:
    """A subset of ``itertools.product(*axes)`` in which every combination of values of every
    ``strength`` axes appears at least once (a t-wise covering array), built greedily and
    deterministically: each step takes the first product row that covers the most combinations
    not yet covered. For the kernel grid (2 x 2 x 3 x 2 x 3 x 2 = 144 rows) strength 3 keeps 18
    rows, the least possible (3 x 3 x 2), and any fault that needs three axes to line up is still
    hit."""
    rows = list(itertools.product(*axes))
    if strength >= len(axes):
        return rows
    subsets = list(itertools.combinations(range(len(axes)), strength))

    def combos(row):
        return {(s, tuple(row[i] for i in s)) for s in subsets}

    uncovered = set().union(*(combos(r) for r in rows))
    chosen = []
    while uncovered:
        best = max(rows, key=lambda r: len(combos(r) & uncovered))
        chosen.append(best)
        uncovered -= combos(best)
    return chosen
