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
    qh = jnp.transpose(q.reshape(b, tq, hkv, hq // hkv, d), (0, 2, 3, 1, 4))  # [b, hkv, group, q, d]
    kh, vh = jnp.transpose(k, (0, 2, 1, 3)), jnp.transpose(v, (0, 2, 1, 3))  # [b, hkv, k, d]
    out, lse = _causal_blocks(qh, kh, vh, mask[:, :, None], float(scale), causal)
    out = jnp.transpose(out, (0, 3, 1, 2, 4)).reshape(b, tq, hq, d)
    if return_lse:
        return out, lse.reshape(b, hq, tq)
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
    floating-point sums can differ. Head-major inputs: ``q [b, hkv, group, q, d]``,
    ``k, v [b, hkv, k, d]``, ``mask [b or 1, 1, 1, q, k]``.
    """
    tq, tk = q.shape[3], k.shape[2]
    n = min(_MAX_BLOCKS, tq // _MIN_BLOCK)
    if not causal or n < 2 or tq % n:
        return _attend(q, k, v, mask, scale)
    size = tq // n
    outs, lses = [], []
    for i in range(n):
        lo, hi = i * size, (i + 1) * size
        keys = min(tk, hi + tk - tq)  # queries are aligned to the end of the keys
        out, lse = _attend(q[:, :, :, lo:hi], k[:, :, :keys], v[:, :, :keys], mask[..., lo:hi, :keys], scale)
        outs.append(out)
        lses.append(lse)
    return jnp.concatenate(outs, axis=3), jnp.concatenate(lses, axis=3)


# Layout: heads outermost. q, k and v are transposed once to [batch, kv_head, (group,) len, dim]
# and the group of query heads sharing a key/value head is folded into the query axis, so every
# score tensor is [batch, kv_head, group * q, k] and all four matmuls are plain batched matmuls
# over contiguous rows: grouped-query heads read their shared key/value head without repeating it,
# and no score-sized tensor is ever transposed. On the 2-core CPU this made one layer's forward
# plus backward about 40% faster than scores laid out [batch, kv_head, q, group, k] with the
# activations left token-major (BUILD_NOTES, "Model, FLOPs and training"). The backward pass is
# written out (the textbook softmax-attention gradient) because autodiff of the masked
# log-sum-exp made several more full passes over the scores, which dominate attention on CPUs.


def _fold(q, mask):
    """``q [b, h, g, s, d] -> [b, h, g*s, d]`` and the mask broadcast over the group likewise."""
    b, h, g, s, d = q.shape
    m = jnp.broadcast_to(mask, mask.shape[:2] + (g,) + mask.shape[3:])
    return q.reshape(b, h, g * s, d), m.reshape(mask.shape[0], 1, g * s, mask.shape[-1])


def _forward(q5, k, v, mask, scale):
    b, h, g, s, d = q5.shape
    q, m = _fold(q5, mask)
    logits = jnp.einsum("bhqd,bhkd->bhqk", q, k, preferred_element_type=jnp.float32) * scale
    logits = jnp.where(m, logits, NEG_INF)
    lse = jax.nn.logsumexp(logits, axis=-1)  # [b, hkv, group * q]
    probs = jnp.where(m, jnp.exp(logits - lse[..., None]), 0.0)
    out = jnp.einsum("bhqk,bhkd->bhqd", probs.astype(v.dtype), v, preferred_element_type=jnp.float32)
    return out.astype(q5.dtype).reshape(b, h, g, s, d), lse.reshape(b, h, g, s), probs


@functools.partial(jax.custom_vjp, nondiff_argnums=(4,))
def _attend(q, k, v, mask, scale):
    out, lse, _ = _forward(q, k, v, mask, scale)
    return out, lse


def _attend_fwd(q, k, v, mask, scale):
    out, lse, probs = _forward(q, k, v, mask, scale)
    return (out, lse), (q, k, v, out, probs)


def _attend_bwd(scale, res, cotangents):
    q5, k, v, out5, probs = res
    b, h, g, s, d = q5.shape
    q, out = q5.reshape(b, h, g * s, d), out5.reshape(b, h, g * s, d)
    d_out = cotangents[0].reshape(b, h, g * s, d)
    d_lse = cotangents[1].astype(jnp.float32).reshape(b, h, g * s)
    dv = jnp.einsum("bhqk,bhqd->bhkd", probs.astype(v.dtype), d_out, preferred_element_type=jnp.float32)
    d_probs = jnp.einsum("bhqd,bhkd->bhqk", d_out, v, preferred_element_type=jnp.float32)
    # d logits = P * (dP - rowsum(dO * O) + d lse); masked entries have P = 0.
    delta = jnp.sum(d_out.astype(jnp.float32) * out.astype(jnp.float32), axis=-1)  # [b, hkv, group * q]
    d_logits = (probs * (d_probs - (delta - d_lse)[..., None]) * scale).astype(q.dtype)
    dq = jnp.einsum("bhqk,bhkd->bhqd", d_logits, k, preferred_element_type=jnp.float32)
    dk = jnp.einsum("bhqk,bhqd->bhkd", d_logits, q, preferred_element_type=jnp.float32)
    return (dq.astype(q.dtype).reshape(q5.shape), dk.astype(k.dtype), dv.astype(v.dtype), None)


_attend.defvjp(_attend_fwd, _attend_bwd)
