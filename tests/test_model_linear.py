"""``model.linear``: the same values and gradients as ``jnp.tensordot``, whichever operand its
backward pass transposes; and the rotary embedding's two table paths."""

import re

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from codescale_jax.model.decoder import rope
from codescale_jax.model.linear import linear


@pytest.mark.parametrize("x_shape,w_shape,k", [
    ((2, 5, 8), (8, 3, 4), 1),   # fan-in < fan-out: x is transposed
    ((2, 5, 3, 4), (3, 4, 6), 2),  # two contracted axes (the attention output projection)
    ((4, 7, 16), (16, 5), 1),    # fan-in > fan-out: dy is transposed
])
def test_linear_matches_tensordot(x_shape, w_shape, k):
    kx, kw, kc = jax.random.split(jax.random.key(0), 3)
    x = jax.random.normal(kx, x_shape)
    w = jax.random.normal(kw, w_shape)
    cot = jax.random.normal(kc, x_shape[:len(x_shape) - k] + w_shape[k:])

    def ours(x, w):
        return jnp.sum(linear(x, w, k) * cot)

    def plain(x, w):
        return jnp.sum(jnp.tensordot(x, w, k) * cot)

    np.testing.assert_allclose(linear(x, w, k), jnp.tensordot(x, w, k), rtol=1e-6, atol=1e-6)
    got = jax.jit(jax.grad(ours, (0, 1)))(x, w)
    want = jax.grad(plain, (0, 1))(x, w)
    for g, h in zip(got, want):
        assert g.shape == h.shape
        np.testing.assert_allclose(g, h, rtol=1e-5, atol=1e-5)


def test_linear_rejects_mismatched_axes():
    with pytest.raises(ValueError, match="cannot contract"):
        linear(jnp.zeros((2, 3)), jnp.zeros((4, 5)))


def test_rope_matches_the_two_half_formula():
    x = jax.random.normal(jax.random.key(1), (2, 6, 3, 8))
    positions = jnp.array([[0, 1, 2, 0, 1, 5], [3, 4, 5, 6, 7, 8]])
    half = 4
    inv_freq = 10000.0 ** (-jnp.arange(half, dtype=jnp.float32) / half)
    angle = positions[..., None] * inv_freq
    sin, cos = jnp.sin(angle)[:, :, None], jnp.cos(angle)[:, :, None]
    x1, x2 = x[..., :half], x[..., half:]
    want = jnp.concatenate([x1 * cos - x2 * sin, x2 * cos + x1 * sin], axis=-1)
    np.testing.assert_array_equal(rope(x, positions, 10000.0), want)
    # Position 0 is the identity.
    np.testing.assert_array_equal(rope(x, jnp.zeros((2, 6), jnp.int32), 10000.0), x)


def test_rope_from_the_constant_table_matches_float64_and_flags_bad_positions():
    x = jax.random.normal(jax.random.key(2), (2, 5, 3, 8))
    positions = jnp.array([[0, 1, 2, 0, 15], [3, 4, 5, 6, 7]])
    half = 4
    angle = np.asarray(positions, np.float64)[..., None] * 500.0 ** (-np.arange(half) / half)
    xd = np.asarray(x, np.float64)
    x1, x2 = xd[..., :half], xd[..., half:]
    cos, sin = np.cos(angle)[:, :, None], np.sin(angle)[:, :, None]
    want = np.concatenate([x1 * cos - x2 * sin, x2 * cos + x1 * sin], axis=-1)
    got = rope(x, positions, 500.0, length=16)
    np.testing.assert_allclose(np.asarray(got), want, rtol=0, atol=2e-6)
    # Positions the table does not hold are NaN, not a silently wrong (clamped or wrapped) row.
    bad = rope(x, jnp.array([[0, 1, 16, -1, 2]] * 2), 500.0, length=16)
    assert np.isnan(np.asarray(bad)[:, 2:4]).all() and np.isfinite(np.asarray(bad)[:, [0, 1, 4]]).all()


def test_the_decoders_compiled_gradient_evaluates_no_sine_or_cosine():
    # The rotary tables are gathered from a trace-time constant; computed in the program, XLA's CPU
    # backend fused cos/sin into every q/k consumer (dozens of cosine ops in the forward and
    # backward passes for the program's one table).
    from codescale_jax.config import make_config
    from codescale_jax.model import decoder

    cfg = make_config("micro-0.1m", overrides=["model.vocab_size=267", "model.dtype=float32"]).model
    params = decoder.init_params(cfg, jax.random.key(0))
    tokens = jnp.zeros((2, 32), jnp.int32)
    positions = jnp.broadcast_to(jnp.arange(32), (2, 32)) % 20  # two packed documents per row
    segments = jnp.where(jnp.arange(32) < 20, 1, 2) * jnp.ones((2, 1), jnp.int32)

    def loss(p):
        return jnp.mean(decoder.apply(cfg, p, tokens, segments, positions)[..., :267] ** 2)

    hlo = jax.jit(jax.grad(loss)).lower(params).compile().as_text()
    assert re.search(r"\s(cosine|sine)\(", hlo) is None
