"""The SwiGLU activation's hand-written backward pass against autodiff of the plain formula."""

import jax
import jax.numpy as jnp
import numpy as np

from codescale_jax.model import swiglu as sw


def _inputs(dtype=jnp.float32):
    kg, ku = jax.random.split(jax.random.key(3))
    gate = 4.0 * jax.random.normal(kg, (8, 33, 40), dtype)  # wide range: both sigmoid tails
    up = jax.random.normal(ku, (8, 33, 40), dtype)
    return gate, up


def test_value_is_bit_identical_to_the_formula():
    gate, up = _inputs()
    np.testing.assert_array_equal(np.asarray(jax.jit(sw.swiglu)(gate, up)), np.asarray(jax.nn.silu(gate) * up))


def _grads(fn, gate, up, cot):
    def loss(g, u):
        return jnp.sum((fn(g, u) * cot).astype(jnp.float32))

    return jax.jit(jax.grad(loss, argnums=(0, 1)))(gate, up)


def test_gradients_match_autodiff_in_float32():
    gate, up = _inputs()
    cot = jax.random.normal(jax.random.key(4), gate.shape)
    for g, w in zip(_grads(sw.swiglu, gate, up, cot), _grads(sw.reference, gate, up, cot)):
        assert g.dtype == jnp.float32
        np.testing.assert_allclose(np.asarray(g), np.asarray(w), rtol=1e-5, atol=1e-6)


def test_bfloat16_gradients_are_no_worse_than_autodiff():
    """Against the float32 gradients of the same bfloat16 inputs: one rounding beats a chain of them."""
    gate, up = _inputs(jnp.bfloat16)
    cot = jax.random.normal(jax.random.key(4), gate.shape, jnp.bfloat16)
    f32 = [x.astype(jnp.float32) for x in (gate, up, cot)]
    exact = _grads(sw.reference, *f32)
    got = _grads(sw.swiglu, gate, up, cot)
    auto = _grads(sw.reference, gate, up, cot)
    for g, a, e in zip(got, auto, exact):
        assert g.dtype == jnp.bfloat16
        err_got = np.abs(np.asarray(g, np.float32) - np.asarray(e))
        err_auto = np.abs(np.asarray(a, np.float32) - np.asarray(e))
        scale = np.abs(np.asarray(e)) + 1e-3
        assert np.max(err_got / scale) <= 2 ** -8 + 1e-6  # one bfloat16 rounding (8 significand bits)
        assert np.mean(err_got) <= np.mean(err_auto)


def test_saves_only_gate_and_up():
    """The forward pass keeps two residuals (the inputs), not the sigmoid and silu as well."""
    gate, up = _inputs()
    _, vjp_custom = jax.vjp(sw.swiglu, gate, up)
    _, vjp_auto = jax.vjp(sw.reference, gate, up)
    n_custom = len([x for x in jax.tree_util.tree_leaves(vjp_custom) if getattr(x, "shape", ()) == gate.shape])
    n_auto = len([x for x in jax.tree_util.tree_leaves(vjp_auto) if getattr(x, "shape", ()) == gate.shape])
    assert n_custom == 2
    assert n_auto > n_custom
