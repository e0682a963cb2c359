"""The Pallas attention kernel (interpret mode on CPU, Triton on GPU) against the XLA reference.

Default grid: a covering set where every value of each axis (causal, segments, GQA ratio 1/2/4,
head dim 64/128, lengths 128-512 including ones that are not a tile multiple, f32/bf16) appears
at least once, each checking outputs and all three gradients. Under ``-m slow``: every
combination of any three axes' values (18 cases), or the full product (144) with
``CODESCALE_FULL_KERNEL_GRID=1``.
"""

import itertools
import os

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from codescale_jax.kernels import BlockSizes, flash_attention, reference_attention
from codescale_jax.kernels import flash_kernels as fk
from codescale_jax.kernels.testing import (Case, compare, covering_array, forward_and_grads, full_precision,
                                         make_inputs, max_abs)

F32_TOL = 2e-4
# None = by backend: interpret mode on CPU, compiled through Triton when run on a GPU, so the same
# tests are the GPU correctness check.
INTERPRET = None


def _pallas(blocks=None, **kw):
    def fn(q, k, v, seg):
        return flash_attention(q, k, v, seg, block_sizes=blocks, interpret=INTERPRET, **kw)
    return fn


def _ref(causal):
    return lambda q, k, v, seg: reference_attention(q, k, v, seg, causal=causal)


def _check(case: Case, blocks=None):
    errs = compare(_pallas(blocks, causal=case.causal), _ref(case.causal), case)
    assert errs["finite"], errs
    if case.dtype == "float32":
        assert errs["fwd"] < F32_TOL and errs["grad"] < F32_TOL, (case, errs)
    else:
        # Low precision: no worse than the reference computed at the same precision (plus slack
        # for a different rounding order), both measured against float32 on the same inputs.
        assert errs["fwd"] <= 2 * errs["ref_fwd"] + 5e-3, (case, errs)
        assert errs["grad"] <= 2 * errs["ref_grad"] + 5e-3, (case, errs)


SMALL_TILES = BlockSizes(block_q=32, block_k=64, block_q_dq=64, block_k_dq=32, block_q_dkv=32,
                         block_k_dkv=64)

COVERING = [
    (Case(q_len=128, q_heads=2, kv_heads=2, head_dim=64, causal=True, segments=True), None),
    (Case(q_len=256, q_heads=4, kv_heads=2, head_dim=128, causal=True, segments=False), None),
    (Case(q_len=384, q_heads=4, kv_heads=1, head_dim=64, causal=False, segments=True), None),
    (Case(q_len=512, q_heads=2, kv_heads=2, head_dim=128, causal=False, segments=False,
          dtype="bfloat16"), None),
    (Case(batch=2, q_len=200, q_heads=4, kv_heads=1, head_dim=128, causal=True, segments=True,
          dtype="bfloat16"), None),
    (Case(q_len=512, q_heads=2, kv_heads=1, head_dim=64, causal=True, segments=True), SMALL_TILES),
    (Case(batch=2, q_len=320, q_heads=2, kv_heads=1, head_dim=64, causal=False, segments=True),
     SMALL_TILES),
]


@pytest.mark.parametrize("case,blocks", COVERING, ids=lambda x: repr(x) if isinstance(x, Case) else "")
def test_matches_reference(case, blocks):
    _check(case, blocks)


GRID_AXES = ((True, False), (True, False), (1, 2, 4), (64, 128), (128, 320, 512), ("float32", "bfloat16"))
# The slow grid: every combination of values of any three axes (causal, segments, GQA ratio, head
# dim, length, dtype) at least once, 18 cases; CODESCALE_FULL_KERNEL_GRID=1 runs the whole product
# (144 cases, about 11 minutes on 2 cores with a cold compilation cache).
_ROWS = (list(itertools.product(*GRID_AXES)) if os.environ.get("CODESCALE_FULL_KERNEL_GRID") == "1"
         else covering_array(GRID_AXES, strength=3))
GRID = [Case(q_len=t, q_heads=4, kv_heads=4 // r, head_dim=d, causal=c, segments=s, dtype=dt)
        for c, s, r, d, t, dt in _ROWS]


@pytest.mark.slow
@pytest.mark.parametrize("case", GRID, ids=repr)
def test_matches_reference_full_grid(case):
    _check(case)


def test_the_slow_grid_covers_every_three_axis_combination():
    for rows in (covering_array(GRID_AXES, 3), covering_array(GRID_AXES, 2)):
        assert set(rows) <= set(itertools.product(*GRID_AXES)) and len(set(rows)) == len(rows)
    rows = covering_array(GRID_AXES, 3)
    assert len(rows) == 18 and rows == covering_array(GRID_AXES, 3)
    for axes in itertools.combinations(range(len(GRID_AXES)), 3):
        seen = {tuple(r[i] for i in axes) for r in rows}
        assert seen == set(itertools.product(*(GRID_AXES[i] for i in axes))), axes
    assert len(covering_array(GRID_AXES, 6)) == 144


def test_lse_and_its_gradient_match_reference():
    case = Case(q_len=192, q_heads=4, kv_heads=2, head_dim=64, causal=True, segments=True)
    q, k, v, seg, _ = make_inputs(case)

    def total(fn):
        def f(q, k, v):
            out, lse = fn(q, k, v)
            return jnp.sum(out * out) + jnp.sum(jnp.sin(lse))
        return jax.jit(jax.value_and_grad(f, argnums=(0, 1, 2)))

    ours = total(lambda q, k, v: flash_attention(q, k, v, seg, interpret=INTERPRET, return_lse=True))
    ref = total(full_precision(lambda q, k, v: reference_attention(q, k, v, seg, causal=True, return_lse=True)))
    (val, grads), (ref_val, ref_grads) = ours(q, k, v), ref(q, k, v)
    np.testing.assert_allclose(val, ref_val, rtol=1e-5)
    for g, r in zip(grads, ref_grads):
        assert max_abs(g, r) < F32_TOL


def test_queries_shorter_than_keys_are_aligned_to_the_end():
    """Decoding-style shapes: 64 queries over 192 keys (not a tile multiple), causal."""
    case = Case(q_len=64, kv_len=192, q_heads=4, kv_heads=2, head_dim=64, causal=True)
    errs = compare(_pallas(causal=True), _ref(True), case)
    assert errs["fwd"] < F32_TOL and errs["grad"] < F32_TOL, errs


def test_rows_without_visible_keys_give_zeros_not_nan():
    case = Case(q_len=128, q_heads=2, kv_heads=1, head_dim=64, causal=False)
    q, k, v, _, cot = make_inputs(case)
    q_seg = jnp.asarray(np.repeat([[1, 2]], 64, axis=1), jnp.int32)     # second half: segment 2
    kv_seg = jnp.ones((1, 128), jnp.int32)                                # no key in segment 2
    ours = lambda q, k, v, s: flash_attention(q, k, v, s, causal=False, kv_segment_ids=kv_seg,
                                              interpret=INTERPRET)
    ref = lambda q, k, v, s: reference_attention(q, k, v, s, causal=False, kv_segment_ids=kv_seg)
    out, grads = forward_and_grads(ours, q, k, v, q_seg, cot)
    ref_out, ref_grads = forward_and_grads(ref, q, k, v, q_seg, cot)
    assert float(jnp.abs(out[:, 64:]).max()) == 0.0
    assert max_abs(out, ref_out) < F32_TOL
    for g, r in zip(grads, ref_grads):
        assert bool(jnp.isfinite(g).all()) and max_abs(g, r) < F32_TOL


def _cfg(q_len, kv_len, causal=True):
    return fk.KernelConfig(causal=causal, scale=1.0, q_len=q_len, kv_len=kv_len, q_pad=q_len,
                           kv_pad=kv_len, group=1, has_segments=False, blocks=BlockSizes(),
                           interpret=True)


@pytest.mark.parametrize("q_len,kv_len,bq,bk", [(256, 256, 64, 32), (256, 256, 32, 64),
                                                 (64, 192, 32, 64), (128, 128, 128, 16)])
def test_causal_tile_ranges_visit_exactly_the_needed_tiles(q_len, kv_len, bq, bk):
    """Loop bounds, checked tile by tile against the dense causal mask: skipped tiles are fully
    masked, 'free' tiles fully visible, and only the rest run the causal comparison."""
    cfg = _cfg(q_len, kv_len)
    visible = (np.arange(kv_len)[None, :] <= np.arange(q_len)[:, None] + kv_len - q_len)
    for i in range(q_len // bq):
        n_free, n_end = (int(x) for x in fk._kv_tile_range(cfg, jnp.int32(i), bq, bk))
        for j in range(kv_len // bk):
            tile = visible[i * bq:(i + 1) * bq, j * bk:(j + 1) * bk]
            kind = "free" if j < n_free else "diag" if j < n_end else "skip"
            assert kind == ("free" if tile.all() else "skip" if not tile.any() else "diag"), (i, j)
    for j in range(kv_len // bk):
        q_lo, q_free, nq = (int(x) for x in fk._q_tile_range(cfg, jnp.int32(j), bq, bk))
        for i in range(q_len // bq):
            tile = visible[i * bq:(i + 1) * bq, j * bk:(j + 1) * bk]
            kind = "skip" if i < q_lo else "diag" if i < q_free else "free"
            assert kind == ("free" if tile.all() else "skip" if not tile.any() else "diag"), (i, j)


@pytest.mark.parametrize("bad,match", [
    (dict(head_dim=48), "power of two"),
    (dict(q_heads=3, kv_heads=2), "multiple of kv_heads"),
])
def test_bad_shapes_raise_clear_errors(bad, match):
    case = Case(q_len=32, **{"q_heads": 2, "kv_heads": 1, **bad})
    q, k, v, _, _ = make_inputs(case)
    with pytest.raises(ValueError, match=match):
        flash_attention(q, k, v, interpret=True)


def test_bad_block_sizes_and_segments_raise():
    with pytest.raises(ValueError, match="powers of two"):
        BlockSizes(block_q=48)
    q, k, v, _, _ = make_inputs(Case(q_len=32))
    with pytest.raises(ValueError, match="segment_ids must be integer"):
        flash_attention(q, k, v, jnp.zeros((1, 31), jnp.int32), interpret=True)
    with pytest.raises(ValueError, match="dtype"):
        flash_attention(q, k.astype(jnp.bfloat16), v, interpret=True)
