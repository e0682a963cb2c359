"""Parameter and FLOP counting.

**N (non-embedding parameters)** is every parameter except the token embedding table and the
output projection (``lm_head``): attention, MLP and RMSNorm weights of every layer plus the final
norm. It is the N of the scaling laws. With ``V`` the *padded* vocabulary, ``d`` = d_model,
``h`` = head_dim, ``H``/``K`` query/key-value heads, ``f`` = d_ff and ``L`` layers::

    N     = L * (2d + d*(H + 2K)*h + H*h*d + 3*d*f) + d
    N_emb = V*d * (1 if tied else 2)
    total = N + N_emb

**Training FLOPs per token** (forward + backward = 3x forward, 2 FLOPs per multiply-add)::

    F = 6 * (N_matmul + d * V_real) + 6 * L * T * H * h

``N_matmul`` is N without the norm scales (they do no matmul work). The first term is every weight
matmul including the logits (the embedding lookup is a gather, not a matmul; the logits count only
the real vocabulary). The second is attention: ``q.k`` and ``p.v`` cost ``2 * 2 * T * H*h`` per
token per layer forward, times 3 for training, halved because a causal mask leaves half of the
score matrix unused. This F is what MFU is computed from.
"""

from __future__ import annotations

import dataclasses

import jax
import numpy as np

from codescale_jax.config import ModelConfig

EMBEDDING_PARAMS = ("embedding", "lm_head")


@dataclasses.dataclass(frozen=True)
class ParamCount:
    non_embedding: int
    embedding: int

    @property
    def total(self) -> int:
        return self.non_embedding + self.embedding


def _per_layer(cfg: ModelConfig) -> tuple[int, int]:
    """(matmul weights, norm weights) of one block."""
    d, h, f = cfg.d_model, cfg.resolved_head_dim, cfg.d_ff
    attn = d * (cfg.n_heads + 2 * cfg.n_kv_heads) * h + cfg.n_heads * h * d
    mlp = 3 * d * f
    return attn + mlp, 2 * d


def count_params(cfg: ModelConfig, vocab_size: int | None = None) -> ParamCount:
    """The closed-form count above (``vocab_size`` defaults to ``cfg.vocab_size``)."""
    matmul, norms = _per_layer(cfg)
    n = cfg.n_layers * (matmul + norms) + cfg.d_model
    vpad = cfg.padded_vocab(vocab_size)
    emb = vpad * cfg.d_model * (1 if cfg.tie_embeddings else 2)
    return ParamCount(non_embedding=n, embedding=emb)


def count_tree(params) -> ParamCount:
    """Count a real (or ``jax.eval_shape``) parameter pytree, split by the top-level names above."""
    n = emb = 0
    for path, leaf in jax.tree_util.tree_flatten_with_path(params)[0]:
        size = int(np.prod(leaf.shape))
        names = {getattr(k, "key", None) for k in path}
        if names & set(EMBEDDING_PARAMS):
            emb += size
        else:
            n += size
    return ParamCount(non_embedding=n, embedding=emb)


def flops_per_token(cfg: ModelConfig, seq_len: int, vocab_size: int | None = None) -> float:
    """Training FLOPs per token, F in the module docstring."""
    v = vocab_size or cfg.vocab_size
    matmul, _ = _per_layer(cfg)
    dense = 6 * (cfg.n_layers * matmul + cfg.d_model * v)
    attention = 6 * cfg.n_layers * seq_len * cfg.n_heads * cfg.resolved_head_dim
    return float(dense + attention)
