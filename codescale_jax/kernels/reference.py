"""Reference attention in plain XLA: the oracle every fused kernel is tested against.

Layout: ``q`` is ``[batch, q_len, q_heads, head_dim]``, ``k`` and ``v`` are
``[batch, kv_len, kv_heads, head_dim]`` with ``q_heads % kv_heads == 0`` (grouped-query attention:
query head ``h`` reads key/value head ``h // (q_heads // kv_heads)``). ``segment_ids`` (``[batch, len]``,
int) keep packed documents apart: a query attends to a key only when their ids are equal.
Softmax runs in float32 whatever the input dtype.
"""

from __future__ import annotations

import functools

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
    scale = d ** -0.5 if scale is None else scale
    mask = attention_mask(tq, tk, causal=causal, q_segment_ids=segment_ids, kv_segment_ids=kv_segment_ids)
    out, lse = _causal_blocks(q, k, v, mask[:, :, :, None, :], float(scale), causal)
    if return_lse:
        return out, lse
    return out


#: Causal query blocks: at least this many queries each, at most this many blocks.
_MIN_BLOCK = 128
_MAX_BLOCKS = 4


def _causal_blocks(q, k, v, mask, scale: float, causal: bool):
    """Causal attention as a few query blocks, each against only the key prefix it can see.

    Blocks of at least ``_MIN_BLOCK`` queries: query block ``i`` of ``n`` attends to the first
    ``(i + 1) / n`` of the keys, so the score matrices (and both their matmuls and every
    elementwise pass) shrink to ``(n + 1) / (2n)`` of the full square. Keys past the prefix are
    masked for those queries anyway, so each row's softmax is the same; only the order of the
    floating-point sums can differ.
    """
    tq, tk = q.shape[1], k.shape[1]
    n = min(_MAX_BLOCKS, tq // _MIN_BLOCK)
    if not causal or n < 2 or tq % n:
        return _attend(q, k, v, mask, scale)
    size = tq // n
    outs, lses = [], []
    for i in range(n):
        lo, hi = i * size, (i + 1) * size
        keys = min(tk, hi + tk - tq)  # queries are aligned to the end of the keys
        out, lse = _attend(q[:, lo:hi], k[:, :keys], v[:, :keys], mask[:, :, lo:hi, :, :keys], scale)
        outs.append(out)
        lses.append(lse)
    return jnp.concatenate(outs, axis=1), jnp.concatenate(lses, axis=2)


# Layout: scores live in the order a batched matmul produces them, [batch, kv_head, q, group, k],
# so no [.., q, k]-sized tensor is ever transposed, and grouped-query heads read their shared
# key/value head without repeating it. The backward pass is written out (it is the textbook
# softmax-attention gradient) because autodiff of the masked log-sum-exp made several more full
# passes over the [q, k] scores, which dominate attention's cost on CPUs.


def _forward(q, k, v, mask, scale):
    b, tq, hq, d = q.shape
    hkv = k.shape[2]
    qg = q.reshape(b, tq, hkv, hq // hkv, d)
    logits = jnp.einsum("bqhgd,bkhd->bhqgk", qg, k, preferred_element_type=jnp.float32) * scale
    logits = jnp.where(mask, logits, NEG_INF)
    lse = jax.nn.logsumexp(logits, axis=-1)  # [b, hkv, q, group]
    probs = jnp.where(mask, jnp.exp(logits - lse[..., None]), 0.0)
    out = jnp.einsum("bhqgk,bkhd->bqhgd", probs.astype(v.dtype), v, preferred_element_type=jnp.float32)
    out = out.reshape(b, tq, hq, d).astype(q.dtype)
    return out, jnp.swapaxes(lse, 2, 3).reshape(b, hq, tq), probs


@functools.partial(jax.custom_vjp, nondiff_argnums=(4,))
def _attend(q, k, v, mask, scale):
    out, lse, _ = _forward(q, k, v, mask, scale)
    return out, lse


def _attend_fwd(q, k, v, mask, scale):
    out, lse, probs = _forward(q, k, v, mask, scale)
    return (out, lse), (q, k, v, out, probs)


def _attend_bwd(scale, res, cotangents):
    q, k, v, out, probs = res
    d_out, d_lse = cotangents
    b, tq, hq, d = q.shape
    hkv = k.shape[2]
    group = hq // hkv
    qg = q.reshape(b, tq, hkv, group, d)
    dog = d_out.reshape(b, tq, hkv, group, d)
    dv = jnp.einsum("bhqgk,bqhgd->bkhd", probs.astype(v.dtype), dog, preferred_element_type=jnp.float32)
    d_probs = jnp.einsum("bqhgd,bkhd->bhqgk", dog, v, preferred_element_type=jnp.float32)
    # d logits = P * (dP - rowsum(dO * O) + d lse); masked entries have P = 0.
    delta = jnp.sum(d_out.astype(jnp.float32) * out.astype(jnp.float32), axis=-1)  # [b, q, hq]
    delta = jnp.transpose(delta.reshape(b, tq, hkv, group), (0, 2, 1, 3))  # [b, hkv, q, group]
    d_lse = jnp.swapaxes(d_lse.astype(jnp.float32).reshape(b, hkv, group, tq), 2, 3)
    d_logits = (probs * (d_probs - (delta - d_lse)[..., None]) * scale).astype(q.dtype)
    dq = jnp.einsum("bhqgk,bkhd->bqhgd", d_logits, k, preferred_element_type=jnp.float32)
    dk = jnp.einsum("bhqgk,bqhgd->bkhd", d_logits, qg, preferred_element_type=jnp.float32)
    return (dq.reshape(q.shape).astype(q.dtype), dk.astype(k.dtype), dv.astype(v.dtype), None)


_attend.defvjp(_attend_fwd, _attend_bwd)
