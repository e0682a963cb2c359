"""TPU attention through JAX's maintained splash-attention Pallas kernel, behind our layout.

Splash attention works on one example at a time with ``q [heads, len, dim]`` and keys/values
``[kv_heads, len, dim]`` (it handles ``q_heads % kv_heads == 0`` itself, so grouped-query heads are
not repeated). This wrapper transposes from the model's ``[batch, len, heads, dim]`` layout, vmaps
over the batch, turns ``causal`` into a ``CausalMask`` aligned like the reference (queries at the
end of the keys) and passes segment ids as the kernel's own ``SegmentIds``, which it applies
inside the kernel, forward and backward.

The kernel does not scale logits: ``q`` is multiplied by ``scale`` (in float32, then cast back)
before the call. Sequence lengths must be multiples of the tile (128 by default); splash has no
padding path and a padded key would be visible to every query, so other lengths are refused.
Off TPU the kernel runs in Pallas interpret mode (``interpret=None`` picks it), which is how the
tests exercise it on CPU.
"""

from __future__ import annotations

import functools

import jax
import jax.numpy as jnp

DEFAULT_BLOCK = 128


def _splash_module():
    from jax.experimental.pallas.ops.tpu import splash_attention as sa  # imported lazily: TPU op

    return sa


@functools.lru_cache(maxsize=64)
def _make_kernel(q_heads: int, q_len: int, kv_len: int, causal: bool, block: int, interpret: bool):
    sa = _splash_module()
    if causal:
        head_mask = sa.CausalMask((q_len, kv_len), offset=kv_len - q_len)
    else:
        head_mask = sa.FullMask((q_len, kv_len))
    mask = sa.MultiHeadMask([head_mask] * q_heads)
    blocks = sa.BlockSizes(block_q=block, block_kv=block, block_kv_compute=block,
                           block_q_dkv=block, block_kv_dkv=block, block_kv_dkv_compute=block,
                           block_q_dq=block, block_kv_dq=block)
    return sa.make_splash_mha_single_device(mask, block_sizes=blocks, interpret=interpret)


def splash_attention(q, k, v, segment_ids=None, *, causal: bool = True, kv_segment_ids=None,
                     scale: float | None = None, block: int = DEFAULT_BLOCK,
                     interpret: bool | None = None):
    """Splash attention with the reference's contract (layout, GQA, causal alignment, segments).

    ``block`` is the tile along both sequence axes (clipped to the lengths); ``interpret=None``
    runs compiled on TPU and in interpret mode elsewhere.
    """
    if q.ndim != 4 or k.shape != v.shape or k.ndim != 4:
        raise ValueError(f"expected q [B, T, Hq, D], k/v [B, S, Hkv, D]; got {q.shape}, {k.shape}, {v.shape}")
    b, tq, hq, d = q.shape
    tk, hkv = k.shape[1], k.shape[2]
    if hq % hkv:
        raise ValueError(f"q_heads={hq} is not a multiple of kv_heads={hkv}")
    bq = min(block, tq)
    if tq % bq or tk % bq:
        raise ValueError(f"splash attention needs q_len ({tq}) and kv_len ({tk}) to be multiples of "
                         f"the tile {bq}; pad the batch to a multiple or pass a smaller block=")
    if interpret is None:
        interpret = jax.default_backend() != "tpu"
    scale = d ** -0.5 if scale is None else scale
    kernel = _make_kernel(hq, tq, tk, bool(causal), bq, bool(interpret))
    qh = (jnp.swapaxes(q, 1, 2).astype(jnp.float32) * scale).astype(q.dtype)
    kh, vh = jnp.swapaxes(k, 1, 2), jnp.swapaxes(v, 1, 2)
    if segment_ids is None:
        if kv_segment_ids is not None:
            raise ValueError("kv_segment_ids given without segment_ids (the query segments)")
        out = jax.vmap(kernel)(qh, kh, vh)
    else:
        sa = _splash_module()
        kv_seg = segment_ids if kv_segment_ids is None else kv_segment_ids
        if segment_ids.shape != (b, tq) or kv_seg.shape != (b, tk):
            raise ValueError(f"segment ids must be [batch, len]: got {segment_ids.shape} for q "
                             f"and {kv_seg.shape} for kv; expected {(b, tq)} and {(b, tk)}")
        segs = sa.SegmentIds(q=segment_ids.astype(jnp.int32), kv=kv_seg.astype(jnp.int32))
        out = jax.vmap(lambda q_, k_, v_, s_: kernel(q_, k_, v_, segment_ids=s_))(qh, kh, vh, segs)
    return jnp.swapaxes(out, 1, 2).astype(q.dtype)
