"""Fused attention in Pallas: input checks, padding, backend choice and the ``custom_vjp`` wiring.

``flash_attention(q, k, v, segment_ids, causal=...)`` has the reference's signature and layout
(``q [B, T, Hq, D]``, ``k, v [B, S, Hkv, D]``, ``Hq % Hkv == 0``) and is differentiable in
``q, k, v``. On GPU the kernels lower through Triton; on CPU they run in Pallas interpret mode
(slow, for tests); on TPU use the ``splash`` implementation instead.

Lengths that are not a multiple of the tile are padded up to one and the padded keys masked, so any
length works; the head dimension must be a power of two >= 16 (Triton tiles must be).

The backward pass needs the forward's log-sum-exp and ``delta = rowsum(dO * O)``; a cotangent on
the returned log-sum-exp folds into the same kernels as ``delta - dlse`` because
``d lse / d logits`` is the probability matrix itself.
"""

from __future__ import annotations

import functools

import jax
import jax.numpy as jnp

from codescale_jax.kernels import flash_kernels as fk
from codescale_jax.kernels.blocks import BlockSizes, fit_block, padded_length

_DTYPES = (jnp.float32, jnp.bfloat16, jnp.float16)


def _check_inputs(q, k, v, segment_ids, kv_segment_ids):
    if q.ndim != 4 or k.ndim != 4 or v.ndim != 4:
        raise ValueError(f"expected q [B, T, Hq, D] and k, v [B, S, Hkv, D]; got shapes "
                         f"{q.shape}, {k.shape}, {v.shape}")
    if k.shape != v.shape:
        raise ValueError(f"k and v must have the same shape, got {k.shape} and {v.shape}")
    b, tq, hq, d = q.shape
    if k.shape[0] != b or k.shape[3] != d:
        raise ValueError(f"k/v batch and head dim must match q: q {q.shape}, k {k.shape}")
    if hq % k.shape[2]:
        raise ValueError(f"q_heads={hq} is not a multiple of kv_heads={k.shape[2]}")
    if not (q.dtype == k.dtype == v.dtype) or q.dtype not in _DTYPES:
        raise ValueError(f"q, k, v must share one dtype among float32/bfloat16/float16; got "
                         f"{q.dtype}, {k.dtype}, {v.dtype}")
    if d < 16 or d & (d - 1):
        raise ValueError(f"head_dim={d}: the Pallas kernel needs a power of two >= 16 "
                         "(use impl='xla' for other head sizes)")
    if segment_ids is None and kv_segment_ids is not None:
        raise ValueError("kv_segment_ids given without segment_ids (the query segments)")
    if segment_ids is not None:
        if segment_ids.shape != (b, tq) or not jnp.issubdtype(segment_ids.dtype, jnp.integer):
            raise ValueError(f"segment_ids must be integer [batch, q_len] = {(b, tq)}, got "
                             f"{segment_ids.dtype}{list(segment_ids.shape)}")
        if kv_segment_ids is None and k.shape[1] != tq:
            raise ValueError("q_len != kv_len: pass kv_segment_ids for the keys as well")
        if kv_segment_ids is not None and (kv_segment_ids.shape != (b, k.shape[1]) or
                                           not jnp.issubdtype(kv_segment_ids.dtype, jnp.integer)):
            raise ValueError(f"kv_segment_ids must be integer [batch, kv_len] = {(b, k.shape[1])}, "
                             f"got {kv_segment_ids.dtype}{list(kv_segment_ids.shape)}")


def resolve_interpret(interpret: bool | None) -> bool:
    """``None`` picks by backend: compiled (Triton) on GPU, interpret mode on CPU; TPU is refused
    because these kernels are written for the Triton lowering."""
    if interpret is not None:
        return bool(interpret)
    backend = jax.default_backend()
    if backend == "gpu":
        return False
    if backend == "cpu":
        return True
    raise RuntimeError(f"impl='pallas' targets GPUs (Triton) and CPU interpret mode, not {backend!r}; "
                       "use impl='splash' on TPU")


def _fit_blocks(blocks: BlockSizes, q_len: int, kv_len: int) -> BlockSizes:
    return BlockSizes(
        block_q=fit_block(blocks.block_q, q_len), block_k=fit_block(blocks.block_k, kv_len),
        block_q_dq=fit_block(blocks.block_q_dq, q_len), block_k_dq=fit_block(blocks.block_k_dq, kv_len),
        block_q_dkv=fit_block(blocks.block_q_dkv, q_len),
        block_k_dkv=fit_block(blocks.block_k_dkv, kv_len),
        num_warps=blocks.num_warps, num_stages=blocks.num_stages)


def _pad_to(x, length: int, axis: int):
    extra = length - x.shape[axis]
    if extra == 0:
        return x
    widths = [(0, 0)] * x.ndim
    widths[axis] = (0, extra)
    return jnp.pad(x, widths)


@functools.partial(jax.custom_vjp, nondiff_argnums=(5,))
def _flash(q, k, v, q_seg, kv_seg, cfg: fk.KernelConfig):
    return fk.forward(cfg, q, k, v, q_seg, kv_seg)


def _flash_fwd(q, k, v, q_seg, kv_seg, cfg):
    out, lse = fk.forward(cfg, q, k, v, q_seg, kv_seg)
    return (out, lse), (q, k, v, q_seg, kv_seg, out, lse)


def _flash_bwd(cfg, residuals, cotangents):
    q, k, v, q_seg, kv_seg, out, lse = residuals
    d_out, d_lse = cotangents
    delta = jnp.einsum("bthd,bthd->bht", out.astype(jnp.float32), d_out.astype(jnp.float32))
    delta = delta - d_lse
    d_out = d_out.astype(q.dtype)
    dq = fk.backward_dq(cfg, q, k, v, d_out, lse, delta, q_seg, kv_seg)
    dk, dv = fk.backward_dkv(cfg, q, k, v, d_out, lse, delta, q_seg, kv_seg)
    return dq, dk, dv, None, None


_flash.defvjp(_flash_fwd, _flash_bwd)


def flash_attention(q, k, v, segment_ids=None, *, causal: bool = True, kv_segment_ids=None,
                    scale: float | None = None, block_sizes: BlockSizes | None = None,
                    interpret: bool | None = None, return_lse: bool = False):
    """Blockwise softmax attention in Pallas; same contract as ``reference_attention``.

    Args:
      q: ``[batch, q_len, q_heads, head_dim]``.
      k, v: ``[batch, kv_len, kv_heads, head_dim]``; ``q_heads % kv_heads == 0``.
      segment_ids: optional int ``[batch, q_len]``; a query sees a key only with an equal id.
      causal: mask keys after the query (queries aligned to the end of the keys).
      kv_segment_ids: key segments when ``kv_len != q_len`` (defaults to ``segment_ids``).
      scale: logit scale, default ``head_dim ** -0.5``.
      block_sizes: tiles; default :meth:`BlockSizes.for_head_dim`. Fitted down for short inputs.
      interpret: force Pallas interpret mode; ``None`` chooses by backend (see
        :func:`resolve_interpret`).
      return_lse: also return the float32 log-sum-exp ``[batch, q_heads, q_len]`` (differentiable).
    """
    _check_inputs(q, k, v, segment_ids, kv_segment_ids)
    b, tq, hq, d = q.shape
    tk, hkv = k.shape[1], k.shape[2]
    blocks = _fit_blocks(block_sizes or BlockSizes.for_head_dim(d), tq, tk)
    q_pad = padded_length(tq, max(blocks.block_q, blocks.block_q_dq, blocks.block_q_dkv))
    kv_pad = padded_length(tk, max(blocks.block_k, blocks.block_k_dq, blocks.block_k_dkv))
    cfg = fk.KernelConfig(
        causal=bool(causal), scale=float(d ** -0.5 if scale is None else scale), q_len=tq,
        kv_len=tk, q_pad=q_pad, kv_pad=kv_pad, group=hq // hkv,
        has_segments=segment_ids is not None, blocks=blocks, interpret=resolve_interpret(interpret))
    q_seg = kv_seg = None
    if segment_ids is not None:
        kv_segment_ids = segment_ids if kv_segment_ids is None else kv_segment_ids
        q_seg = _pad_to(segment_ids.astype(jnp.int32), q_pad, 1)
        kv_seg = _pad_to(kv_segment_ids.astype(jnp.int32), kv_pad, 1)
    out, lse = _flash(_pad_to(q, q_pad, 1), _pad_to(k, kv_pad, 1), _pad_to(v, kv_pad, 1),
                      q_seg, kv_seg, cfg)
    out, lse = out[:, :tq], lse[:, :, :tq]
    return (out, lse) if return_lse else out
