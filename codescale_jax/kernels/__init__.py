"""Attention implementations behind one entry point.

``attention(q, k, v, segment_ids, causal=True, impl="xla")`` with ``q [B, T, Hq, D]`` and
``k, v [B, S, Hkv, D]``. Implementations (all honour causal masks, segment ids and grouped-query
heads, or raise):

* ``xla``: the reference (default on CPU and the oracle in tests).
* ``pallas``: the blockwise Pallas kernel (Triton on GPU, interpret mode on CPU).
* ``cudnn``: ``jax.nn.dot_product_attention`` on cuDNN (GPU, bf16/fp16); segment ids as a mask.
* ``splash``: JAX's TPU splash-attention kernel (interpret mode off TPU).
* ``auto`` (the model default): ``cudnn`` on a GPU for bfloat16/float16 inputs, else ``xla``
  (:func:`resolve_impl`). On an H200 the 0.5B train step ran at the same speed with ``cudnn`` and
  ``pallas`` (BUILD_NOTES.md); cuDNN is the vendor's path and needs no tile tuning.

Extra keyword arguments go to the implementation (``kv_segment_ids`` and ``scale`` everywhere;
``block_sizes`` / ``interpret`` for ``pallas``; ``block`` / ``interpret`` for ``splash``).
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

from codescale_jax.kernels.blocks import BlockSizes
from codescale_jax.kernels.cudnn import cudnn_attention
from codescale_jax.kernels.flash_pallas import flash_attention
from codescale_jax.kernels.reference import reference_attention
from codescale_jax.kernels.splash import splash_attention


def _xla(q, k, v, segment_ids=None, *, causal=True, kv_segment_ids=None, scale=None, **_):
    return reference_attention(q, k, v, segment_ids, causal=causal, kv_segment_ids=kv_segment_ids,
                               scale=scale)


IMPLEMENTATIONS = {
    "xla": _xla,
    "pallas": flash_attention,
    "cudnn": cudnn_attention,
    "splash": splash_attention,
}


#: Names accepted for ``impl`` (and ``model.attention``).
CHOICES: tuple[str, ...] = ("auto", *IMPLEMENTATIONS)


def resolve_impl(impl: str, dtype, backend: str | None = None) -> str:
    """The implementation ``impl`` stands for with inputs of ``dtype`` on ``backend`` (default: JAX's
    default backend): ``auto`` becomes ``cudnn`` on a GPU for bfloat16/float16, else ``xla``;
    other names are returned unchanged (unknown ones raise ``ValueError``)."""
    if impl not in CHOICES:
        raise ValueError(f"unknown attention implementation {impl!r}; choose from {', '.join(CHOICES)}")
    if impl != "auto":
        return impl
    backend = backend or jax.default_backend()
    low_precision = jnp.dtype(dtype) in (jnp.dtype(jnp.bfloat16), jnp.dtype(jnp.float16))
    return "cudnn" if backend == "gpu" and low_precision else "xla"


def attention(q, k, v, segment_ids=None, *, causal: bool = True, impl: str = "xla", **kwargs):
    return IMPLEMENTATIONS[resolve_impl(impl, q.dtype)](q, k, v, segment_ids, causal=causal, **kwargs)


__all__ = ["attention", "resolve_impl", "CHOICES", "IMPLEMENTATIONS", "BlockSizes", "flash_attention",
           "cudnn_attention", "splash_attention", "reference_attention"]
