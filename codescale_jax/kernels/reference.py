"""Reference attention in plain XLA: the oracle every fused kernel is tested against.

Layout: ``q`` is ``[batch, q_len, q_heads, head_dim]``, ``k`` and ``v`` are
``[batch, kv_len, kv_heads, head_dim]`` with ``q_heads % kv_heads == 0`` (grouped-query attention:
query head ``h`` reads key/value head ``h // (q_heads // kv_heads)``). ``segment_ids`` (``[batch, len]``,
int) keep packed documents apart: a query attends to a key only when their ids are equal.
Softmax runs in float32 whatever the input dtype.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

NEG_INF = -1e30  # finite, so fully-masked rows give zeros instead of NaN


def attention_mask(q_len: int, kv_len: int, *, causal: bool, q_segment_ids=None, kv_segment_ids=None):
    """Boolean mask ``[batch or 1, 1, q_len, kv_len]``: True where attention is allowed."""
    mask = jnp.ones((1, 1, q_len, kv_len), dtype=bool)
    if causal:
        # Queries are aligned to the end of the keys (standard for q_len <= kv_len, e.g. decoding).
        qi = jnp.arange(q_len)[:, None] + (kv_len - q_len)
        ki = jnp.arange(kv_len)[None, :]
        mask = mask & (ki <= qi)[None, None]
    if q_segment_ids is not None:
        kv_seg = q_segment_ids if kv_segment_ids is None else kv_segment_ids
        mask = mask & (q_segment_ids[:, None, :, None] == kv_seg[:, None, None, :])
    return mask


def reference_attention(q, k, v, segment_ids=None, *, causal: bool = True, kv_segment_ids=None,
                        scale: float | None = None, return_lse: bool = False):
    """Softmax attention; returns ``[batch, q_len, q_heads, head_dim]`` in ``q.dtype`` (and the
    log-sum-exp ``[batch, q_heads, q_len]`` in float32 when ``return_lse``)."""
    b, tq, hq, d = q.shape
    _, tk, hkv, _ = k.shape
    if hq % hkv:
        raise ValueError(f"q_heads={hq} is not a multiple of kv_heads={hkv}")
    group = hq // hkv
    scale = d ** -0.5 if scale is None else scale
    qg = q.reshape(b, tq, hkv, group, d)
    logits = jnp.einsum("bqhgd,bkhd->bhgqk", qg, k, preferred_element_type=jnp.float32) * scale
    logits = logits.reshape(b, hq, tq, tk)
    mask = attention_mask(tq, tk, causal=causal, q_segment_ids=segment_ids, kv_segment_ids=kv_segment_ids)
    logits = jnp.where(mask, logits, NEG_INF)
    lse = jax.nn.logsumexp(logits, axis=-1)
    probs = jnp.exp(logits - lse[..., None])
    probs = jnp.where(mask, probs, 0.0)
    probs = probs.reshape(b, hkv, group, tq, tk).astype(v.dtype)
    out = jnp.einsum("bhgqk,bkhd->bqhgd", probs, v, preferred_element_type=jnp.float32)
    out = out.reshape(b, tq, hq, d).astype(q.dtype)
    if return_lse:
        return out, lse
    return out
