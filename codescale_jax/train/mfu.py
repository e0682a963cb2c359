"""Peak FLOP/s for model-FLOPs utilisation (MFU): published accelerator peaks and an in-process
matmul measurement for machines without one (CPUs).

MFU = (training FLOPs per token x tokens per second) / peak, with the FLOPs of
:func:`codescale_jax.model.counting.flops_per_token`. The published peaks are dense bf16 without
sparsity, per chip; the measured peak is the best rate of a large jitted float32 matmul on this
process's first device, so "MFU vs measured peak" says how close the train step gets to the
machine's own matmul speed.
"""

from __future__ import annotations

import functools
import time

import jax
import jax.numpy as jnp

# device_kind substring -> dense bf16 FLOP/s per chip (vendor data sheets).
PUBLISHED_BF16_PEAK: tuple[tuple[str, float], ...] = (
    ("H200", 989.5e12),
    ("H100", 989.5e12),
    ("A100", 312e12),
    ("TPU v5p", 459e12),
    ("TPU v6", 918e12),
)


def published_peak(device: jax.Device | None = None) -> float | None:
    """The chip's published dense bf16 peak, or None when unknown (CPUs, unlisted accelerators)."""
    device = device or jax.devices()[0]
    kind = getattr(device, "device_kind", "")
    for key, peak in PUBLISHED_BF16_PEAK:
        if key.lower() in kind.lower():
            return peak
    return None


def measure_matmul_peak(n: int = 2048, dtype: str = "float32", min_seconds: float = 1.0, chain: int = 4,
                        compiler_options: dict[str, str] | None = None) -> float:
    """Best observed FLOP/s of ``chain`` back-to-back ``[n, n] @ [n, n]`` matmuls in one jitted call.

    Chaining inside one executable amortises dispatch; the best of several repetitions filters out
    moments when other processes hold the cores. ``compiler_options`` go to XLA (e.g. another CPU
    matmul library, :data:`codescale_jax.train.step.CPU_MATMULS`).
    """
    dt = jnp.dtype(dtype)
    a = jax.random.normal(jax.random.key(0), (n, n), dt)
    b = (jax.random.normal(jax.random.key(1), (n, n), jnp.float32) * n ** -0.5).astype(dt)

    @functools.partial(jax.jit, compiler_options=compiler_options or None)
    def run(x, w):
        for _ in range(chain):
            x = jnp.dot(x, w, preferred_element_type=dt)
        return x

    run(a, b).block_until_ready()
    flops = 2.0 * n ** 3 * chain
    best, spent = 0.0, 0.0
    while spent < min_seconds or best == 0.0:
        t0 = time.perf_counter()
        run(a, b).block_until_ready()
        dt_s = time.perf_counter() - t0
        spent += dt_s
        best = max(best, flops / dt_s)
    return best
