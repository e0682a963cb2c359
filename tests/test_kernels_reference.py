"""The reference attention (scores in matmul order, hand-written backward) against the plain
textbook formula written here independently: values, log-sum-exp and gradients."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from codescale_jax.kernels.reference import NEG_INF, attention_mask, reference_attention


def _textbook(q, k, v, segment_ids, causal):
    """Repeat key/value heads, [B, H, T, T] scores, masked softmax; autodiff gives the gradients."""
    group = q.shape[2] // k.shape[2]
    k = jnp.repeat(k, group, axis=2)
    v = jnp.repeat(v, group, axis=2)
    s = jnp.einsum("bqhd,bkhd->bhqk", q, k) * q.shape[-1] ** -0.5
    mask = attention_mask(q.shape[1], k.shape[1], causal=causal, q_segment_ids=segment_ids)
    s = jnp.where(mask, s, NEG_INF)
    lse = jax.nn.logsumexp(s, axis=-1)
    p = jnp.where(mask, jnp.exp(s - lse[..., None]), 0.0)
    return jnp.einsum("bhqk,bkhd->bqhd", p, v), lse


@pytest.mark.parametrize("t,hq,hkv,causal,packed", [
    (16, 4, 4, True, True),    # multi-head, packed documents with padding
    (16, 4, 2, True, True),    # grouped-query
    (16, 6, 2, False, False),  # bidirectional, no segments
    (16, 2, 1, True, False),   # multi-query
    (256, 2, 1, True, True),   # causal, long enough for two query blocks
    (512, 2, 2, True, False),  # four query blocks
    (256, 2, 2, False, True),  # bidirectional at the same length: one block
])
def test_reference_matches_textbook(t, hq, hkv, causal, packed):
    b, d = 2, 8
    ks = jax.random.split(jax.random.key(0), 5)
    q = jax.random.normal(ks[0], (b, t, hq, d))
    k = jax.random.normal(ks[1], (b, t, hkv, d))
    v = jax.random.normal(ks[2], (b, t, hkv, d))
    # Row 0: two documents then padding (ids 0); row 1: one document.
    seg = jnp.array([[1] * (t // 3) + [2] * (t // 2) + [0] * (t - t // 3 - t // 2), [3] * t]) if packed else None
    d_out = jax.random.normal(ks[3], (b, t, hq, d))
    d_lse = jax.random.normal(ks[4], (b, hq, t))

    def objective(fn):
        def f(q, k, v):
            out, lse = fn(q, k, v)
            return jnp.sum(out * d_out) + jnp.sum(lse * d_lse)
        return f

    ours = lambda q, k, v: reference_attention(q, k, v, seg, causal=causal, return_lse=True)  # noqa: E731
    want = lambda q, k, v: _textbook(q, k, v, seg, causal)  # noqa: E731
    out, lse = jax.jit(ours)(q, k, v)
    out_w, lse_w = want(q, k, v)
    np.testing.assert_allclose(out, out_w, atol=2e-6, rtol=1e-5)
    np.testing.assert_allclose(lse, lse_w, atol=2e-6, rtol=1e-6)
    grads = jax.jit(jax.grad(objective(ours), (0, 1, 2)))(q, k, v)
    grads_w = jax.grad(objective(want), (0, 1, 2))(q, k, v)
    for g, w in zip(grads, grads_w):
        assert g.shape == w.shape
        np.testing.assert_allclose(g, w, atol=1e-5, rtol=1e-5)
        assert float(jnp.max(jnp.abs(w))) > 0.1  # the objective reaches every input


def test_bfloat16_inputs_keep_their_dtype_and_gradients():
    ks = jax.random.split(jax.random.key(1), 3)
    q = jax.random.normal(ks[0], (1, 8, 2, 8), jnp.bfloat16)
    k = jax.random.normal(ks[1], (1, 8, 2, 8), jnp.bfloat16)
    v = jax.random.normal(ks[2], (1, 8, 2, 8), jnp.bfloat16)
    out = reference_attention(q, k, v)
    assert out.dtype == jnp.bfloat16
    grads = jax.grad(lambda q, k, v: jnp.sum(reference_attention(q, k, v).astype(jnp.float32)), (0, 1, 2))(q, k, v)
    grads_w = jax.grad(lambda q, k, v: jnp.sum(_textbook(*(a.astype(jnp.float32) for a in (q, k, v)), None, True)[0]),
                       (0, 1, 2))(q, k, v)
    for g, w in zip(grads, grads_w):
        assert g.dtype == jnp.bfloat16
        np.testing.assert_allclose(g.astype(jnp.float32), w, atol=0.1, rtol=0.1)
