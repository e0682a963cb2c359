"""Attention throughput (TFLOP/s) per implementation, and the small-shape accuracy check.

FLOP convention (the one FlashAttention papers use, so figures compare with published ones):
forward = 4 * batch * q_heads * q_len * kv_len * head_dim (two matmuls, QK^T and PV, 2 FLOPs
per multiply-add); causal counts half of it; backward = 2.5 x forward (five matmuls instead of
two), so forward+backward = 3.5 x forward. Attention is timed alone: no projections.
"""

from __future__ import annotations

import dataclasses
import statistics
import time
from typing import Callable, Sequence

import jax

from codescale_jax.kernels import IMPLEMENTATIONS
from codescale_jax.kernels.reference import reference_attention
from codescale_jax.kernels.testing import Case, compare, make_inputs


def attention_flops(case: Case, *, backward: bool) -> float:
    """FLOPs of one attention call for ``case`` (see the module docstring for the formula)."""
    fwd = 4.0 * case.batch * case.q_heads * case.q_len * case.keys_len * case.head_dim
    if case.causal:
        fwd /= 2
    return fwd * (3.5 if backward else 1.0)


def median_seconds(fn: Callable, *args, iters: int, warmup: int = 2) -> float:
    """Median wall time of ``fn(*args)`` over ``iters`` runs after ``warmup`` (compile) runs."""
    for _ in range(warmup):
        jax.block_until_ready(fn(*args))
    times = []
    for _ in range(iters):
        start = time.perf_counter()
        jax.block_until_ready(fn(*args))
        times.append(time.perf_counter() - start)
    return statistics.median(times)


@dataclasses.dataclass(frozen=True)
class Timing:
    impl: str
    fwd_ms: float | None = None
    fwd_tflops: float | None = None
    fwd_bwd_ms: float | None = None
    fwd_bwd_tflops: float | None = None
    error: str | None = None


def time_implementation(impl: str, case: Case, *, iters: int, seed: int = 0) -> Timing:
    """Forward and forward+backward timings of ``impl`` on random inputs of ``case``; a failure
    (e.g. cuDNN missing) is recorded in ``error`` rather than aborting the whole benchmark."""
    q, k, v, _, cot = make_inputs(case, seed)  # timed without segment ids
    fn = IMPLEMENTATIONS[impl]
    fwd = jax.jit(lambda q, k, v: fn(q, k, v, None, causal=case.causal))

    @jax.jit
    def fwd_bwd(q, k, v, cot):
        out, pullback = jax.vjp(lambda *a: fn(*a, None, causal=case.causal), q, k, v)
        return out, pullback(cot)

    try:
        t_fwd = median_seconds(fwd, q, k, v, iters=iters)
        t_all = median_seconds(fwd_bwd, q, k, v, cot, iters=iters)
    except Exception as exc:  # noqa: BLE001 - reported per implementation, benchmark goes on
        return Timing(impl, error=f"{type(exc).__name__}: {str(exc).splitlines()[0][:200]}")
    return Timing(impl, fwd_ms=t_fwd * 1e3, fwd_tflops=attention_flops(case, backward=False) / t_fwd / 1e12,
                  fwd_bwd_ms=t_all * 1e3,
                  fwd_bwd_tflops=attention_flops(case, backward=True) / t_all / 1e12)


CPU_CHECK_CASES = (
    Case(q_len=256, q_heads=4, kv_heads=2, head_dim=64, causal=True, segments=True),
    Case(q_len=192, q_heads=4, kv_heads=1, head_dim=128, causal=False, segments=True),
    Case(batch=2, q_len=128, q_heads=2, kv_heads=2, head_dim=64, causal=True, segments=False),
)


def accuracy_check(impl: str = "pallas", cases: Sequence[Case] = CPU_CHECK_CASES,
                   log: Callable[[str], None] = print) -> tuple[float, float]:
    """Largest absolute forward and gradient (dq, dk, dv) error of ``impl`` against the
    reference over ``cases``, logging one line per case."""
    worst_fwd = worst_grad = 0.0
    for n, case in enumerate(cases, 1):
        fn = lambda q, k, v, s, c=case: IMPLEMENTATIONS[impl](q, k, v, s, causal=c.causal)
        ref = lambda q, k, v, s, c=case: reference_attention(q, k, v, s, causal=c.causal)
        start = time.perf_counter()
        errs = compare(fn, ref, case)
        log(f"[{n}/{len(cases)}] {case}: fwd={errs['fwd']:.3g} grad={errs['grad']:.3g} "
            f"({time.perf_counter() - start:.1f}s)")
        worst_fwd, worst_grad = max(worst_fwd, errs["fwd"]), max(worst_grad, errs["grad"])
    return worst_fwd, worst_grad
