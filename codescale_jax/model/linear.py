"""A projection ``x @ w`` whose backward pass picks the cheap layout for the weight gradient.

``linear(x, w, k)`` contracts the last ``k`` axes of ``x`` with the first ``k`` axes of ``w``
(``jnp.tensordot(x, w, k)``). Its value and gradients are those of that tensordot; only the
backward computation is arranged differently.

Why: the weight gradient ``dW = x^T @ dy`` contracts over the token axis, which is the major
(slow) axis of both operands. XLA's CPU backend then materialises a transposed copy of one
operand, and when ``dy`` comes out of an elementwise fusion (the SwiGLU or attention backward) it
tends to fuse the transpose there and transpose the *wider* operand, with strided writes that
cost about as much as the matmul itself. Here the narrower operand is transposed explicitly and
kept from being folded back into the dot, so the copy is the small one and the dot sees
row-major operands. The input gradient ``dx = dy @ w^T`` is left to XLA (the weights are small).
"""

from __future__ import annotations

import functools
import math

import jax
import jax.numpy as jnp


def _flat(a: jax.Array, k: int, lead: bool) -> jax.Array:
    """``a`` as a matrix: the first (``lead``) or last ``k`` axes become one axis."""
    if lead:
        return a.reshape(math.prod(a.shape[:k]), -1)
    return a.reshape(-1, math.prod(a.shape[a.ndim - k:]))


@functools.partial(jax.custom_vjp, nondiff_argnums=(2,))
def _linear(x: jax.Array, w: jax.Array, k: int) -> jax.Array:
    return jnp.tensordot(x, w, k)


def _fwd(x, w, k):
    return jnp.tensordot(x, w, k), (x, w)


def _bwd(k, res, dy):
    x, w = res
    n_out = w.ndim - k
    dx = jnp.tensordot(dy, w, axes=(tuple(range(dy.ndim - n_out, dy.ndim)), tuple(range(k, w.ndim))))
    x2 = _flat(x, k, lead=False)  # [tokens, fan_in]
    dy2 = _flat(dy, n_out, lead=False)  # [tokens, fan_out]
    if x2.shape[1] <= dy2.shape[1]:
        dw = jax.lax.optimization_barrier(x2.T) @ dy2
    else:
        dw = (jax.lax.optimization_barrier(dy2.T) @ x2).T
    return dx.astype(x.dtype), dw.reshape(w.shape).astype(w.dtype)


_linear.defvjp(_fwd, _bwd)


def linear(x: jax.Array, w: jax.Array, k: int = 1) -> jax.Array:
    """``jnp.tensordot(x, w, k)`` with a layout-aware backward pass (see the module docstring).

    Only on the CPU backend: GPU and TPU matmul libraries take transposed operands natively, and
    the barrier that keeps the explicit transpose would there only block fusions (unmeasured on
    accelerators, so the plain tensordot stays the default there).
    """
    if x.shape[x.ndim - k:] != w.shape[:k]:
        raise ValueError(f"cannot contract the last {k} axes of {x.shape} with the first {k} of {w.shape}")
    if jax.default_backend() != "cpu":
        return jnp.tensordot(x, w, k)
    return _linear(x, w, k)
