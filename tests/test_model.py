"""The decoder: parameter counts against the formula, packed-document isolation, numerics options."""

import dataclasses

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from codescale_jax.config import ModelConfig
from codescale_jax.model import counting, decoder
from codescale_jax.model.ladder import LADDER, model_config

#: Jitted apply (ModelConfig is a frozen dataclass, so it can be a static argument).
apply = jax.jit(decoder.apply, static_argnums=0)
SMALL = ModelConfig(d_model=32, n_layers=2, n_heads=4, n_kv_heads=2, d_ff=64, vocab_size=267)


@pytest.mark.parametrize("name", LADDER)
def test_param_count_matches_formula(name):
    vocab = 267 if name.startswith("micro-") else 32000
    cfg = dataclasses.replace(model_config(name), vocab_size=vocab)
    tree = counting.count_tree(decoder.abstract_params(cfg))  # jax.eval_shape: nothing allocated
    assert tree == counting.count_params(cfg)
    # Hand-expanded closed form, so the formula function itself is checked too.
    d, h, f, L = cfg.d_model, cfg.resolved_head_dim, cfg.d_ff, cfg.n_layers
    n = L * (2 * d + d * (cfg.n_heads + 2 * cfg.n_kv_heads) * h + cfg.n_heads * h * d + 3 * d * f) + d
    assert tree.non_embedding == n
    assert tree.embedding == 2 * cfg.padded_vocab() * d
    # The name promises N within 10%.
    target = float(name.removeprefix("micro-")[:-1]) * (1e6 if name.startswith("micro-") else 1e9)
    assert abs(n / target - 1) < 0.1, (name, n)


def test_tied_embeddings_count_once():
    cfg = dataclasses.replace(SMALL, tie_embeddings=True)
    c = counting.count_tree(decoder.abstract_params(cfg))
    assert c.embedding == cfg.padded_vocab() * cfg.d_model == counting.count_params(cfg).embedding


def test_flops_per_token_formula():
    cfg = SMALL
    f = counting.flops_per_token(cfg, seq_len=64)
    matmul = cfg.n_layers * (32 * (4 + 4) * 8 + 4 * 8 * 32 + 3 * 32 * 64)
    assert f == 6 * (matmul + 32 * 267) + 6 * 2 * 64 * 4 * 8


def _packed_row(doc_a, doc_b):
    tokens = np.concatenate([doc_a, doc_b])[None]
    seg = np.concatenate([np.full(len(doc_a), 1), np.full(len(doc_b), 2)])[None]
    pos = np.concatenate([np.arange(len(doc_a)), np.arange(len(doc_b))])[None]
    return jnp.asarray(tokens, jnp.int32), jnp.asarray(seg, jnp.int32), jnp.asarray(pos, jnp.int32)


def test_packed_documents_do_not_interact():
    params = decoder.init_params(SMALL, jax.random.key(0))
    rng = np.random.default_rng(0)
    a, b = rng.integers(11, 267, 20), rng.integers(11, 267, 12)
    b2 = b.copy()
    b2[3] += 1
    la = apply(SMALL, params, *_packed_row(a, b))
    lb = apply(SMALL, params, *_packed_row(a, b2))
    np.testing.assert_array_equal(np.asarray(la[0, :20]), np.asarray(lb[0, :20]))  # doc A untouched
    assert not np.allclose(np.asarray(la[0, 23:]), np.asarray(lb[0, 23:]))  # doc B did change
    # The second document's logits do not depend on what precedes it: alone at positions 0.. == packed.
    a2 = a.copy()
    a2[:5] += 1
    lc = apply(SMALL, params, *_packed_row(a2, b))
    np.testing.assert_allclose(np.asarray(la[0, 20:]), np.asarray(lc[0, 20:]), atol=1e-6)
    alone = apply(SMALL, params, jnp.asarray(b[None], jnp.int32))
    np.testing.assert_allclose(np.asarray(la[0, 20:]), np.asarray(alone[0]), atol=1e-5)


def test_padding_ids_are_masked():
    params = decoder.init_params(SMALL, jax.random.key(1))
    logits = apply(SMALL, params, jnp.ones((1, 4), jnp.int32))
    assert logits.shape[-1] == 384
    probs = jax.nn.softmax(logits, axis=-1)
    assert float(probs[..., 267:].sum()) == 0.0


@pytest.mark.parametrize("change", [dict(remat="full"), dict(remat="dots")])
def test_remat_is_numerically_identical(change):
    cfg = dataclasses.replace(SMALL, **change)
    params = decoder.init_params(SMALL, jax.random.key(2))
    x = jax.random.randint(jax.random.key(3), (2, 16), 11, 267)

    def loss(c, p):
        return jnp.mean(apply(c, p, x)[..., :267] ** 2)

    g0 = jax.jit(jax.grad(lambda p: loss(SMALL, p)))(params)
    g1 = jax.jit(jax.grad(lambda p: loss(cfg, p)))(params)
    for u, v in zip(jax.tree.leaves(g0), jax.tree.leaves(g1)):
        np.testing.assert_allclose(np.asarray(u), np.asarray(v), rtol=1e-5, atol=1e-7)


def test_scanned_layers_match_unrolled():
    scanned = dataclasses.replace(SMALL, scan_layers=True)
    p = decoder.init_params(SMALL, jax.random.key(4))
    stacked = {k: v for k, v in p.items() if not k.startswith("layer_")}
    stacked["layers"] = {"block": jax.tree.map(lambda *xs: jnp.stack(xs), p["layer_0"], p["layer_1"])}
    x = jax.random.randint(jax.random.key(5), (2, 16), 11, 267)
    np.testing.assert_allclose(np.asarray(apply(SMALL, p, x)), np.asarray(apply(scanned, stacked, x)),
                               rtol=1e-5, atol=1e-5)


def test_bf16_compute_runs_with_f32_logits():
    cfg = dataclasses.replace(SMALL, dtype="bfloat16")
    params = decoder.init_params(cfg, jax.random.key(6))
    assert all(v.dtype == jnp.float32 for v in jax.tree.leaves(params))
    logits = apply(cfg, params, jnp.ones((1, 8), jnp.int32))
    assert logits.dtype == jnp.float32 and bool(jnp.all(jnp.isfinite(logits)))
