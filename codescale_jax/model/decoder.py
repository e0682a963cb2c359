"""A LLaMA-style decoder in Flax Linen, used functionally (``init`` / ``apply``).

Pre-norm blocks: ``x + Attn(RMSNorm(x))`` then ``x + SwiGLU(RMSNorm(x))``; rotary position
embeddings; multi-head or grouped-query attention; optional tied input/output embeddings.

Layout choices made for speed and for sharding:

* **Fused QKV parameter.** One ``[d_model, kv_heads, group + 2, head_dim]`` matrix holds, per
  key/value head, its ``group`` query heads, its key and its value, so tensor parallelism shards
  the ``kv_heads`` dimension and every shard holds whole GQA groups. Query head ``h`` reads
  key/value head ``h // group`` (the layout of ``kernels.attention``). The forward pass runs one
  matmul per slice of it (q, k, v): slicing the weight is cheap, while slicing one fused-width
  activation costs a padded gradient of that activation in the backward pass.
* **Fused gate/up parameter.** One ``[d_model, 2, d_ff]`` matrix for the SwiGLU gate and up
  projections, used the same way.
* **Projections** go through :func:`codescale_jax.model.linear.linear` (a tensordot whose
  backward picks the cheap operand to transpose for the weight gradient), and the rotary
  sin/cos tables are gathered once per forward pass from a constant table and shared by all layers.
* **Packed sequences.** ``segment_ids`` keep documents of a packed row from attending to each
  other (0 marks padding) and ``positions`` restart at 0 for each document, so a document's
  outputs do not depend on what it was packed with.
* **Vocabulary padding.** The embedding table has ``padded_vocab`` rows (an even shard count);
  logits of the padding ids are set to a large negative number, so softmax and loss cover the
  real vocabulary only.

Every parameter carries logical axis names (see :mod:`codescale_jax.parallel.rules`). Parameters
are stored in ``param_dtype``; matmuls run in ``dtype`` with float32 accumulation for the logits.
"""

from __future__ import annotations

import math

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np

from codescale_jax import kernels
from codescale_jax.config import ModelConfig
from codescale_jax.model.linear import linear
from codescale_jax.model.swiglu import swiglu
from codescale_jax.parallel.rules import constrain

NEG_LOGIT = -1e9


def _normal(std: float):
    return nn.initializers.normal(stddev=std)


def _param(module: nn.Module, name: str, shape, axes, init, cfg: ModelConfig):
    return module.param(name, nn.with_logical_partitioning(init, axes), shape, jnp.dtype(cfg.param_dtype))


def rope_tables(positions: jax.Array, head_dim: int, theta: float, dtype,
                length: int | None = None) -> tuple[jax.Array, jax.Array]:
    """``(cos [B, T, 1, 1, D/2], signed_sin [B, T, 1, 2, D/2])`` for :func:`apply_rope`.

    With ``length`` (what the decoder passes: its row length, or the decoding cache's), the
    tables are rows of a constant ``[length, 2, D/2]`` table of ``cos`` and ``sin`` computed once
    at trace time in float64 and gathered by position; a position outside ``[0, length)`` gets
    NaN, so a caller that breaks that contract sees it in the loss. Why a constant: a table
    computed inside the program is fused by XLA's CPU backend into every consumer, which then
    evaluates a cosine and a sine per element of ``q`` and ``k`` in the forward pass and again in
    the backward pass. An optimisation barrier around computed tables did not stop it (it is
    removed before fusion: ``bench_train --profile`` counted 100 sines and cosines in the model's
    passes of the compiled micro-3.2m train step); gathering from a constant made that step about
    5% faster (BUILD_NOTES, "Model, FLOPs and training"). Without ``length`` the tables are
    computed from ``positions`` in float32 (any positions).
    """
    half = head_dim // 2
    if length is None:
        inv_freq = theta ** (-jnp.arange(half, dtype=jnp.float32) / half)
        angle = positions.astype(jnp.float32)[..., None] * inv_freq  # [B, T, half]
        cos, sin = jnp.cos(angle), jnp.sin(angle)
    else:
        angle = np.arange(length, dtype=np.float64)[:, None] * theta ** (-np.arange(half, dtype=np.float64) / half)
        table = jnp.asarray(np.stack([np.cos(angle), np.sin(angle)], axis=1), jnp.float32)  # [length, 2, half]
        index = jnp.where(positions < 0, length, positions)  # negative: out of range too, not wrapped
        rows = jnp.take(table, index, axis=0, mode="fill", fill_value=np.nan)  # [B, T, 2, half]
        cos, sin = rows[..., 0, :], rows[..., 1, :]
    signed_sin = jnp.stack([-sin, sin], axis=2)[:, :, None]
    return cos[:, :, None, None, :].astype(dtype), signed_sin.astype(dtype)


def apply_rope(x: jax.Array, cos: jax.Array, signed_sin: jax.Array) -> jax.Array:
    """Rotary embedding of ``x [B, T, H, D]`` with tables from :func:`rope_tables`.

    With ``x = [x1, x2]`` split at ``D/2`` (rotate-half form) the result is
    ``[x1 cos - x2 sin, x2 cos + x1 sin]``, computed as ``x * cos + swap(x) * [-sin, sin]`` on a
    ``[..., 2, D/2]`` view where ``swap`` reverses the axis of size 2: one elementwise pass and no
    concatenation. Bit-identical to the two-half formula (``a - b`` and ``a + (-b)`` round the same).
    """
    *lead, d = x.shape
    xs = x.reshape(*lead, 2, d // 2)
    return (xs * cos + jnp.flip(xs, axis=-2) * signed_sin).reshape(x.shape)


def rope(x: jax.Array, positions: jax.Array, theta: float, length: int | None = None) -> jax.Array:
    """Rotary embedding of ``x [B, T, H, D]`` at integer ``positions [B, T]`` (rotate-half form);
    ``length``: see :func:`rope_tables`."""
    return apply_rope(x, *rope_tables(positions, x.shape[-1], theta, x.dtype, length))


class RMSNorm(nn.Module):
    cfg: ModelConfig

    @nn.compact
    def __call__(self, x: jax.Array) -> jax.Array:
        scale = _param(self, "scale", (x.shape[-1],), ("norm",), nn.initializers.ones, self.cfg)
        xf = x.astype(jnp.float32)
        y = xf * jax.lax.rsqrt(jnp.mean(xf * xf, axis=-1, keepdims=True) + self.cfg.norm_eps)
        return (y * scale.astype(jnp.float32)).astype(jnp.dtype(self.cfg.dtype))


class Attention(nn.Module):
    cfg: ModelConfig

    @nn.compact
    def __call__(self, x, segment_ids, rope_cs):
        c = self.cfg
        dtype = jnp.dtype(c.dtype)
        hd, kv = c.resolved_head_dim, c.n_kv_heads
        if c.n_heads % kv:
            raise ValueError(f"n_heads={c.n_heads} must be a multiple of n_kv_heads={kv}")
        group = c.n_heads // kv
        b, t, _ = x.shape
        wqkv = _param(self, "wqkv", (c.d_model, kv, group + 2, hd), ("embed", "kv_heads", "qkv", "head_dim"),
                      _normal(c.init_std), c)
        # One matmul per projection from slices of the fused weight: the backward pass then
        # sums three matmuls into dx instead of padding three gradients into one fused-width
        # activation (slicing the weight is cheap, slicing the activation is not).
        w = wqkv.astype(dtype)
        q = linear(x, w[:, :, :group]).reshape(b, t, kv * group, hd)
        k = linear(x, w[:, :, group])
        v = linear(x, w[:, :, group + 1])
        q = constrain(apply_rope(q, *rope_cs), ("batch", "length", "act_heads", None))
        k = constrain(apply_rope(k, *rope_cs), ("batch", "length", "act_heads", None))
        v = constrain(v, ("batch", "length", "act_heads", None))
        o = kernels.attention(q, k, v, segment_ids, causal=True, impl=c.attention)
        wo = _param(self, "wo", (c.n_heads, hd, c.d_model), ("heads", "head_dim", "embed"),
                    _normal(c.init_std / math.sqrt(2 * c.n_layers)), c)
        return linear(o.astype(dtype), wo.astype(dtype), 2)


class MLP(nn.Module):
    cfg: ModelConfig

    @nn.compact
    def __call__(self, x):
        c = self.cfg
        dtype = jnp.dtype(c.dtype)
        w_gu = _param(self, "w_gate_up", (c.d_model, 2, c.d_ff), ("embed", "gate", "mlp"), _normal(c.init_std), c)
        w = w_gu.astype(dtype)
        # Two matmuls from weight slices rather than one and an activation split (see Attention).
        gate = linear(x, w[:, 0])
        up = linear(x, w[:, 1])
        a = constrain(swiglu(gate, up), ("batch", "length", "act_mlp"))
        w_down = _param(self, "w_down", (c.d_ff, c.d_model), ("mlp", "embed"),
                        _normal(c.init_std / math.sqrt(2 * c.n_layers)), c)
        return linear(a, w_down.astype(dtype))


class Block(nn.Module):
    cfg: ModelConfig

    @nn.compact
    def __call__(self, x, segment_ids, rope_cs):
        h = x + Attention(self.cfg, name="attn")(RMSNorm(self.cfg, name="attn_norm")(x), segment_ids, rope_cs)
        out = h + MLP(self.cfg, name="mlp")(RMSNorm(self.cfg, name="mlp_norm")(h))
        return constrain(out, ("batch", "length", "act_embed"))


class _ScanBlock(nn.Module):
    """``Block`` with the ``(carry, xs) -> (carry, ys)`` signature ``nn.scan`` needs."""

    cfg: ModelConfig

    @nn.compact
    def __call__(self, x, segment_ids, rope_cs):
        return Block(self.cfg, name="block")(x, segment_ids, rope_cs), None


_REMAT_POLICIES = {
    "full": None,  # save nothing, recompute the block
    "dots": jax.checkpoint_policies.dots_with_no_batch_dims_saveable,
}


class Decoder(nn.Module):
    """``apply({"params": p}, tokens [B,T], segment_ids [B,T], positions [B,T]) -> logits [B,T,V_pad]`` (float32)."""

    cfg: ModelConfig

    @nn.compact
    def __call__(self, tokens, segment_ids=None, positions=None):
        c = self.cfg
        if c.vocab_size <= 0:
            raise ValueError("ModelConfig.vocab_size is 0: set it from the tokenizer (train.setup does this)")
        dtype = jnp.dtype(c.dtype)
        if segment_ids is None:
            segment_ids = jnp.ones(tokens.shape, jnp.int32)
        if positions is None:
            positions = jnp.broadcast_to(jnp.arange(tokens.shape[1], dtype=jnp.int32), tokens.shape)
        vpad = c.padded_vocab()
        emb = _param(self, "embedding", (vpad, c.d_model), ("vocab", "embed"), _normal(c.init_std), c)
        # Gather from a table whose d_model is whole on every device (FSDP all-gathers it like any
        # weight); gathering straight from the fsdp-sharded table forces a full rematerialisation.
        table = constrain(emb, ("vocab", None))
        x = constrain(jnp.take(table, tokens, axis=0).astype(dtype), ("batch", "length", "act_embed"))

        # Shared by all layers; positions restart per document, so they stay below the row length.
        rope_cs = rope_tables(positions, c.resolved_head_dim, c.rope_theta, dtype, length=tokens.shape[1])
        block_cls = _ScanBlock if c.scan_layers else Block
        if c.remat != "none":
            if c.remat not in _REMAT_POLICIES:
                raise ValueError(f"model.remat={c.remat!r}; choose none, full or dots")
            block_cls = nn.remat(block_cls, policy=_REMAT_POLICIES[c.remat], prevent_cse=not c.scan_layers)
        if c.scan_layers:
            stack = nn.scan(block_cls, variable_axes={"params": 0}, split_rngs={"params": True},
                            in_axes=(nn.broadcast, nn.broadcast), length=c.n_layers,
                            metadata_params={nn.PARTITION_NAME: "layers"})
            x, _ = stack(c, name="layers")(x, segment_ids, rope_cs)
        else:
            for i in range(c.n_layers):
                x = block_cls(c, name=f"layer_{i}")(x, segment_ids, rope_cs)

        x = RMSNorm(c, name="final_norm")(x)
        if c.tie_embeddings:
            logits = jnp.einsum("btd,vd->btv", x, emb.astype(dtype), preferred_element_type=jnp.float32)
        else:
            head = _param(self, "lm_head", (c.d_model, vpad), ("embed", "vocab"), _normal(c.init_std), c)
            logits = jnp.einsum("btd,dv->btv", x, head.astype(dtype), preferred_element_type=jnp.float32)
        if vpad > c.vocab_size:
            logits = jnp.where(jnp.arange(vpad) < c.vocab_size, logits, NEG_LOGIT)
        return constrain(logits, ("batch", "length", "act_vocab"))


def _dummy_inputs(batch: int = 1, length: int = 8):
    return jnp.zeros((batch, length), jnp.int32)


def init_params(cfg: ModelConfig, rng: jax.Array):
    """Fresh parameters (a plain pytree of arrays, logical-axis metadata stripped)."""
    variables = Decoder(cfg).init(rng, _dummy_inputs())
    return nn.meta.unbox(variables["params"])


def abstract_params(cfg: ModelConfig):
    """Parameter shapes and dtypes without allocating anything (``jax.eval_shape`` of init)."""
    return jax.eval_shape(lambda: init_params(cfg, jax.random.key(0)))


def logical_axes(cfg: ModelConfig):
    """A tree matching the parameters whose leaves are ``PartitionSpec``s of logical axis names."""
    boxed = jax.eval_shape(lambda: Decoder(cfg).init(jax.random.key(0), _dummy_inputs()))["params"]
    return nn.get_partition_spec(boxed)


def apply(cfg: ModelConfig, params, tokens, segment_ids=None, positions=None) -> jax.Array:
    """Logits ``[B, T, padded_vocab]`` in float32 (padding ids masked)."""
    return Decoder(cfg).apply({"params": params}, tokens, segment_ids, positions)
