"""Pallas kernel bodies for blockwise (online-softmax) attention and their ``pallas_call`` launches.

Three kernels, all written against refs whose layout is the model's ``[batch, len, heads, dim]``:

* forward: one program per (query tile, batch, query head). It streams key/value tiles, keeps a
  running row maximum ``m``, normaliser ``l`` and un-normalised output in float32, and writes the
  output and the log-sum-exp ``lse = m + log(l)`` that the backward pass reuses.
* dq: one program per (query tile, batch, query head); recomputes the probabilities from ``lse``.
* dk/dv: one program per (key tile, batch, key/value head). It loops over the ``group`` query
  heads that share this key/value head, so grouped-query attention never materialises repeated
  keys or values and needs no reduction of per-query-head partial gradients afterwards.

Causal tiles that are entirely masked are never visited: the loop bounds are computed from the
program's tile index. Tiles entirely below the diagonal run without the causal comparison; only
the tiles crossing it pay for the mask. Masked logits use a large finite negative value and the
probabilities are zeroed explicitly, so a row with no visible key gives zeros, not NaN.

Causal alignment follows the reference: query row ``r`` sits at key position ``r + kv_len - q_len``.
"""

from __future__ import annotations

import dataclasses
import functools

import jax
import jax.numpy as jnp
from jax import lax
from jax.experimental import pallas as pl

from codescale_jax.kernels.blocks import launch_params, BlockSizes
from codescale_jax.kernels.reference import NEG_INF

_NT = (((1,), (1,)), ((), ()))  # contract the last dim of both operands: a @ b.T
_NN = (((1,), (0,)), ((), ()))  # plain matmul


def _dot(a, b, dims):
    """Tile product accumulated in float32. Float32 operands ask for full precision so the Triton
    lowering does not silently use TF32 (which would miss the tests' float32 tolerance)."""
    precision = lax.Precision.HIGHEST if a.dtype == jnp.float32 else None
    return lax.dot_general(a, b, dims, precision=precision, preferred_element_type=jnp.float32)


@dataclasses.dataclass(frozen=True)
class KernelConfig:
    """Everything static about one attention call (hashable: it is a ``custom_vjp`` static arg).

    ``q_len`` / ``kv_len`` are the true lengths; ``q_pad`` / ``kv_pad`` the padded ones the
    arrays actually have. ``blocks`` holds tiles already fitted to those lengths.
    """

    causal: bool
    scale: float
    q_len: int
    kv_len: int
    q_pad: int
    kv_pad: int
    group: int
    has_segments: bool
    blocks: BlockSizes
    interpret: bool

    @property
    def offset(self) -> int:
        return self.kv_len - self.q_len

    @property
    def kv_padded(self) -> bool:
        return self.kv_pad != self.kv_len


def _and(a, b):
    return b if a is None else a & b


def _mask(cfg: KernelConfig, q_pos, k_pos, q_seg, k_seg, *, causal: bool):
    """Boolean visibility for broadcastable query/key positions, or None when all is visible."""
    mask = None
    if causal:
        mask = _and(mask, k_pos <= q_pos + cfg.offset)
    if cfg.kv_padded:
        mask = _and(mask, k_pos < cfg.kv_len)
    if q_seg is not None:
        mask = _and(mask, q_seg == k_seg)
    return mask


def _cdiv(x, d: int):
    """Ceil division of a non-negative traced int by a static int (``lax.div`` truncates, which
    equals floor only for non-negative operands: callers clamp at zero first)."""
    return lax.div(x + (d - 1), jnp.int32(d))


def _kv_tile_range(cfg: KernelConfig, q_tile, bq: int, bk: int):
    """For the query tile ``q_tile``: key tiles ``[0, n_free)`` are fully visible, tiles
    ``[n_free, n_end)`` cross the causal diagonal, the rest are fully masked and skipped."""
    nk = cfg.kv_pad // bk
    if not cfg.causal:
        return nk, nk
    first = q_tile * bq + cfg.offset          # key position of the tile's first query
    last = first + (bq - 1)
    n_end = jnp.minimum(nk, _cdiv(jnp.maximum(last + 1, 0), bk))
    n_free = jnp.minimum(n_end, lax.div(jnp.maximum(first + 1, 0), jnp.int32(bk)))
    return n_free, n_end


def _q_tile_range(cfg: KernelConfig, kv_tile, bq: int, bk: int):
    """For the key tile ``kv_tile``: query tiles ``[q_lo, q_free)`` cross the diagonal, tiles
    ``[q_free, nq)`` see the whole key tile, tiles before ``q_lo`` see none of it."""
    nq = cfg.q_pad // bq
    if not cfg.causal:
        return 0, 0, nq
    k_first = kv_tile * bk
    q_lo = jnp.minimum(nq, lax.div(jnp.maximum(k_first - cfg.offset, 0), jnp.int32(bq)))
    q_free = jnp.clip(_cdiv(jnp.maximum(k_first + (bk - 1) - cfg.offset, 0), bq), q_lo, nq)
    return q_lo, q_free, nq


def _compiler_params(cfg: KernelConfig, head_dim: int, *, backward: bool):
    if cfg.interpret:
        return None
    from jax.experimental.pallas import triton as plgpu  # GPU-only import, kept lazy

    warps, stages = launch_params(cfg.blocks, head_dim, backward=backward)
    return plgpu.CompilerParams(num_warps=warps, num_stages=stages)


# --------------------------------------------------------------------------------------------
# Forward.


def _fwd_kernel(*refs, cfg: KernelConfig):
    if cfg.has_segments:
        q_ref, k_ref, v_ref, qseg_ref, kseg_ref, o_ref, lse_ref = refs
    else:
        q_ref, k_ref, v_ref, o_ref, lse_ref = refs
        qseg_ref = kseg_ref = None
    bq, bk = cfg.blocks.block_q, cfg.blocks.block_k
    i = pl.program_id(0)
    q = q_ref[...]
    head_dim = q.shape[-1]
    q_pos = (i * bq + jnp.arange(bq, dtype=jnp.int32))[:, None]
    q_seg = qseg_ref[...][:, None] if qseg_ref is not None else None

    def step(j, carry, *, causal):
        acc, m, l = carry
        start = pl.multiple_of(j * bk, bk)
        k = k_ref[pl.ds(start, bk), :]
        v = v_ref[pl.ds(start, bk), :]
        s = _dot(q, k, _NT) * cfg.scale
        k_pos = (start + jnp.arange(bk, dtype=jnp.int32))[None, :]
        k_seg = kseg_ref[pl.ds(start, bk)][None, :] if kseg_ref is not None else None
        mask = _mask(cfg, q_pos, k_pos, q_seg, k_seg, causal=causal)
        if mask is not None:
            s = jnp.where(mask, s, NEG_INF)
        m_new = jnp.maximum(m, jnp.max(s, axis=1))
        p = jnp.exp(s - m_new[:, None])
        if mask is not None:
            p = jnp.where(mask, p, 0.0)  # a row masked so far has m_new == NEG_INF: exp(0) = 1
        alpha = jnp.exp(m - m_new)
        l = l * alpha + jnp.sum(p, axis=1)
        pv = _dot(p.astype(v.dtype), v, _NN)
        return acc * alpha[:, None] + pv, m_new, l

    init = (jnp.zeros((bq, head_dim), jnp.float32), jnp.full((bq,), NEG_INF, jnp.float32),
            jnp.zeros((bq,), jnp.float32))
    n_free, n_end = _kv_tile_range(cfg, i, bq, bk)
    carry = lax.fori_loop(0, n_free, functools.partial(step, causal=False), init)
    if cfg.causal:
        carry = lax.fori_loop(n_free, n_end, functools.partial(step, causal=True), carry)
    acc, m, l = carry
    empty = l == 0.0
    o_ref[...] = (acc / jnp.where(empty, 1.0, l)[:, None]).astype(o_ref.dtype)
    lse_ref[...] = jnp.where(empty, NEG_INF, m + jnp.log(jnp.where(empty, 1.0, l)))


def forward(cfg: KernelConfig, q, k, v, q_seg, kv_seg):
    """Padded ``q [B, Tp, Hq, D]``, ``k, v [B, Sp, Hkv, D]`` -> (out like q, lse ``[B, Hq, Tp]``)."""
    b, tp, hq, d = q.shape
    sp = k.shape[1]
    bq = cfg.blocks.block_q
    group = cfg.group
    in_specs = [
        pl.BlockSpec((None, bq, None, d), lambda i, n, h: (n, i, h, 0)),
        pl.BlockSpec((None, sp, None, d), lambda i, n, h: (n, 0, lax.div(h, group), 0)),
        pl.BlockSpec((None, sp, None, d), lambda i, n, h: (n, 0, lax.div(h, group), 0)),
    ]
    args = [q, k, v]
    if cfg.has_segments:
        in_specs += [pl.BlockSpec((None, bq), lambda i, n, h: (n, i)),
                     pl.BlockSpec((None, sp), lambda i, n, h: (n, 0))]
        args += [q_seg, kv_seg]
    return pl.pallas_call(
        functools.partial(_fwd_kernel, cfg=cfg),
        grid=(tp // bq, b, hq),
        in_specs=in_specs,
        out_specs=[pl.BlockSpec((None, bq, None, d), lambda i, n, h: (n, i, h, 0)),
                   pl.BlockSpec((None, None, bq), lambda i, n, h: (n, h, i))],
        out_shape=[jax.ShapeDtypeStruct(q.shape, q.dtype),
                   jax.ShapeDtypeStruct((b, hq, tp), jnp.float32)],
        interpret=cfg.interpret,
        compiler_params=_compiler_params(cfg, d, backward=False),
        name="flash_attention_fwd",
    )(*args)


# --------------------------------------------------------------------------------------------
# Backward: dq.


def _dq_kernel(*refs, cfg: KernelConfig):
    if cfg.has_segments:
        q_ref, k_ref, v_ref, do_ref, lse_ref, delta_ref, qseg_ref, kseg_ref, dq_ref = refs
    else:
        q_ref, k_ref, v_ref, do_ref, lse_ref, delta_ref, dq_ref = refs
        qseg_ref = kseg_ref = None
    bq, bk = cfg.blocks.block_q_dq, cfg.blocks.block_k_dq
    i = pl.program_id(0)
    q = q_ref[...]
    do = do_ref[...]
    lse = lse_ref[...][:, None]
    delta = delta_ref[...][:, None]
    q_pos = (i * bq + jnp.arange(bq, dtype=jnp.int32))[:, None]
    q_seg = qseg_ref[...][:, None] if qseg_ref is not None else None

    def step(j, dq, *, causal):
        start = pl.multiple_of(j * bk, bk)
        k = k_ref[pl.ds(start, bk), :]
        v = v_ref[pl.ds(start, bk), :]
        s = _dot(q, k, _NT) * cfg.scale
        k_pos = (start + jnp.arange(bk, dtype=jnp.int32))[None, :]
        k_seg = kseg_ref[pl.ds(start, bk)][None, :] if kseg_ref is not None else None
        mask = _mask(cfg, q_pos, k_pos, q_seg, k_seg, causal=causal)
        p = jnp.exp(s - lse)
        if mask is not None:
            p = jnp.where(mask, p, 0.0)
        dp = _dot(do, v, _NT)
        ds = p * (dp - delta)
        return dq + _dot(ds.astype(k.dtype), k, _NN)

    n_free, n_end = _kv_tile_range(cfg, i, bq, bk)
    dq = jnp.zeros(q.shape, jnp.float32)
    dq = lax.fori_loop(0, n_free, functools.partial(step, causal=False), dq)
    if cfg.causal:
        dq = lax.fori_loop(n_free, n_end, functools.partial(step, causal=True), dq)
    dq_ref[...] = (dq * cfg.scale).astype(dq_ref.dtype)


def backward_dq(cfg: KernelConfig, q, k, v, do, lse, delta, q_seg, kv_seg):
    b, tp, hq, d = q.shape
    sp = k.shape[1]
    bq = cfg.blocks.block_q_dq
    group = cfg.group
    row = pl.BlockSpec((None, bq, None, d), lambda i, n, h: (n, i, h, 0))
    full_kv = pl.BlockSpec((None, sp, None, d), lambda i, n, h: (n, 0, lax.div(h, group), 0))
    stat = pl.BlockSpec((None, None, bq), lambda i, n, h: (n, h, i))
    in_specs = [row, full_kv, full_kv, row, stat, stat]
    args = [q, k, v, do, lse, delta]
    if cfg.has_segments:
        in_specs += [pl.BlockSpec((None, bq), lambda i, n, h: (n, i)),
                     pl.BlockSpec((None, sp), lambda i, n, h: (n, 0))]
        args += [q_seg, kv_seg]
    return pl.pallas_call(
        functools.partial(_dq_kernel, cfg=cfg),
        grid=(tp // bq, b, hq),
        in_specs=in_specs,
        out_specs=row,
        out_shape=jax.ShapeDtypeStruct(q.shape, q.dtype),
        interpret=cfg.interpret,
        compiler_params=_compiler_params(cfg, d, backward=True),
        name="flash_attention_bwd_dq",
    )(*args)


# --------------------------------------------------------------------------------------------
# Backward: dk and dv.


def _dkv_kernel(*refs, cfg: KernelConfig):
    if cfg.has_segments:
        q_ref, k_ref, v_ref, do_ref, lse_ref, delta_ref, qseg_ref, kseg_ref, dk_ref, dv_ref = refs
    else:
        q_ref, k_ref, v_ref, do_ref, lse_ref, delta_ref, dk_ref, dv_ref = refs
        qseg_ref = kseg_ref = None
    bq, bk = cfg.blocks.block_q_dkv, cfg.blocks.block_k_dkv
    j = pl.program_id(0)
    k = k_ref[...]
    v = v_ref[...]
    # Work in the transposed frame (key rows, query columns) so every product is a @ b.T or a @ b.
    k_pos = (j * bk + jnp.arange(bk, dtype=jnp.int32))[:, None]
    k_seg = kseg_ref[...][:, None] if kseg_ref is not None else None

    def step(i, carry, *, g, causal):
        dk, dv = carry
        start = pl.multiple_of(i * bq, bq)
        q = q_ref[pl.ds(start, bq), g, :]
        do = do_ref[pl.ds(start, bq), g, :]
        lse = lse_ref[g, pl.ds(start, bq)][None, :]
        delta = delta_ref[g, pl.ds(start, bq)][None, :]
        s_t = _dot(k, q, _NT) * cfg.scale
        q_pos = (start + jnp.arange(bq, dtype=jnp.int32))[None, :]
        q_seg = qseg_ref[pl.ds(start, bq)][None, :] if qseg_ref is not None else None
        mask = _mask(cfg, q_pos, k_pos, q_seg, k_seg, causal=causal)
        p_t = jnp.exp(s_t - lse)
        if mask is not None:
            p_t = jnp.where(mask, p_t, 0.0)
        dv = dv + _dot(p_t.astype(do.dtype), do, _NN)
        dp_t = _dot(v, do, _NT)
        ds_t = p_t * (dp_t - delta)
        dk = dk + _dot(ds_t.astype(q.dtype), q, _NN)
        return dk, dv

    q_lo, q_free, nq = _q_tile_range(cfg, j, bq, bk)

    def one_head(g, carry):
        if cfg.causal:
            carry = lax.fori_loop(q_lo, q_free, functools.partial(step, g=g, causal=True), carry)
        return lax.fori_loop(q_free, nq, functools.partial(step, g=g, causal=False), carry)

    zeros = jnp.zeros(k.shape, jnp.float32)
    dk, dv = lax.fori_loop(0, cfg.group, one_head, (zeros, zeros))
    dk_ref[...] = (dk * cfg.scale).astype(dk_ref.dtype)
    dv_ref[...] = dv.astype(dv_ref.dtype)


def backward_dkv(cfg: KernelConfig, q, k, v, do, lse, delta, q_seg, kv_seg):
    b, tp, hq, d = q.shape
    sp, hkv = k.shape[1], k.shape[2]
    bk = cfg.blocks.block_k_dkv
    group = cfg.group
    kv_tile = pl.BlockSpec((None, bk, None, d), lambda j, n, h: (n, j, h, 0))
    # All query rows of the `group` query heads that read key/value head h.
    q_all = pl.BlockSpec((None, tp, group, d), lambda j, n, h: (n, 0, h, 0))
    stat = pl.BlockSpec((None, group, tp), lambda j, n, h: (n, h, 0))
    in_specs = [q_all, kv_tile, kv_tile, q_all, stat, stat]
    args = [q, k, v, do, lse, delta]
    if cfg.has_segments:
        in_specs += [pl.BlockSpec((None, tp), lambda j, n, h: (n, 0)),
                     pl.BlockSpec((None, bk), lambda j, n, h: (n, j))]
        args += [q_seg, kv_seg]
    return pl.pallas_call(
        functools.partial(_dkv_kernel, cfg=cfg),
        grid=(sp // bk, b, hkv),
        in_specs=in_specs,
        out_specs=[kv_tile, kv_tile],
        out_shape=[jax.ShapeDtypeStruct(k.shape, k.dtype), jax.ShapeDtypeStruct(v.shape, v.dtype)],
        interpret=cfg.interpret,
        compiler_params=_compiler_params(cfg, d, backward=True),
        name="flash_attention_bwd_dkv",
    )(*args)
