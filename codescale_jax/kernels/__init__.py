"""Attention implementations behind one entry point.

``attention(q, k, v, segment_ids, causal=True, impl="xla")`` with ``q [B, T, Hq, D]`` and
``k, v [B, S, Hkv, D]``. Implementations (all honour causal masks, segment ids and grouped-query
heads, or raise):

* ``xla``: the reference (default on CPU and the oracle in tests).
* ``pallas``: the blockwise Pallas kernel (Triton on GPU, interpret mode on CPU).
* ``cudnn``: ``jax.nn.dot_product_attention`` on cuDNN (GPU, bf16/fp16); segment ids as a mask.
* ``splash``: JAX's TPU splash-attention kernel (interpret mode off TPU).

Extra keyword arguments go to the implementation (``kv_segment_ids`` and ``scale`` everywhere;
``block_sizes`` / ``interpret`` for ``pallas``; ``block`` / ``interpret`` for ``splash``).
"""

from __future__ import annotations

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


def attention(q, k, v, segment_ids=None, *, causal: bool = True, impl: str = "xla", **kwargs):
    try:
        fn = IMPLEMENTATIONS[impl]
    except KeyError:
        raise ValueError(f"unknown attention implementation {impl!r}; choose from {sorted(IMPLEMENTATIONS)}") from None
    return fn(q, k, v, segment_ids, causal=causal, **kwargs)


__all__ = ["attention", "IMPLEMENTATIONS", "BlockSizes", "flash_attention", "cudnn_attention",
           "splash_attention", "reference_attention"]
