"""``silu(gate) * up`` with a hand-written backward pass that keeps only ``gate`` and ``up``.

Autodiff of ``nn.silu(gate) * up`` saves the sigmoid and the silu of ``gate`` as residuals, so
the forward pass writes three ``[tokens, d_ff]`` arrays (sigmoid, silu, product) instead of one,
and on the CPU backend each of those elementwise passes runs on one core with the matmuls
waiting on it. Here the forward pass is one fusion (read ``gate`` and ``up``, write the product)
and the backward pass recomputes the sigmoid from ``gate``, which is already kept as the
matmul's output:

    s = sigmoid(g),  d/dg [g s u] = u s (1 + g (1 - s)),  d/du = g s.

The value is bit-identical to ``nn.silu(gate) * up``. The backward pass computes in float32 and
rounds once, so in float32 its gradients equal autodiff's to rounding and in bfloat16 they are
closer to the exact ones than autodiff's chain of bfloat16 operations (``tests/test_swiglu.py``).
"""

from __future__ import annotations

import jax
import jax.numpy as jnp


@jax.custom_vjp
def swiglu(gate: jax.Array, up: jax.Array) -> jax.Array:
    """``jax.nn.silu(gate) * up``."""
    return jax.nn.silu(gate) * up


def _fwd(gate, up):
    return jax.nn.silu(gate) * up, (gate, up)


def _bwd(res, d):
    gate, up = res
    # In float32 whatever the input dtype: one rounding at the end instead of one per operation.
    f32 = jnp.float32
    g, u, d = gate.astype(f32), up.astype(f32), d.astype(f32)
    s = jax.nn.sigmoid(g)
    gs = g * s
    d_gate = d * u * (s + gs * (1 - s))
    d_up = d * gs
    return d_gate.astype(gate.dtype), d_up.astype(up.dtype)


swiglu.defvjp(_fwd, _bwd)


def reference(gate: jax.Array, up: jax.Array) -> jax.Array:
    """The autodiff formulation, for tests."""
    return jax.nn.silu(gate) * up
