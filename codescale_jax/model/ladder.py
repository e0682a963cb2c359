"""The named model ladder.

Names give the approximate **non-embedding** parameter count N (the N of the scaling laws):
``micro-0.1m`` ... ``micro-3.2m`` train on a laptop CPU in minutes; ``0.1b`` ... ``3.1b`` are the ten
sizes of the reference study's per-language grid (Yang et al., arXiv:2512.13472, Exp. 1) and
``0.5b``, ``1.5b``, ``3b``, ``7b``, ``14b`` the sizes of its parallel-pairing and allocation
experiments. The study does not publish layer, width or head counts, so the shapes below are this
project's choice: LLaMA-2-like (multi-head attention, SwiGLU hidden size about 8/3 of d_model
rounded to a multiple of 32 or 256; 112 for micro-0.1m), head dimension 12 to 64 at the micro end and 64 or 128 above,
and the depth picked so N lands within about 5% of the name. The exact N of every entry is
``codescale_jax.model.counting.count_params(cfg, vocab).non_embedding`` and is tested against
the real parameter pytree.
"""

from __future__ import annotations

import dataclasses

from codescale_jax.config import ModelConfig

# name: (d_model, n_layers, n_heads, n_kv_heads, d_ff)
_SHAPES: dict[str, tuple[int, int, int, int, int]] = {
    # CPU micro ladder: doubling N per rung. micro-0.1m to 0.8m share a depth of 4 and differ in
    # width: at the micro study's budgets (16 to 125 steps) a model half as deep but as wide as the
    # next rung reached the same loss (micro-0.1m was once (64, 2, ...)), so each rung changes width.
    # micro-0.4m has six heads of 16: with four of 24 its two-seed means were no better than
    # micro-0.2m's at 64k-128k tokens in python, java and rust on real code, and the laws fitted
    # without micro-0.8m found no gain from size (BUILD_NOTES, "The study", "micro-0.4m's heads").
    "micro-0.1m": (48, 4, 4, 4, 112),
    "micro-0.2m": (64, 4, 4, 4, 176),
    "micro-0.4m": (96, 4, 6, 6, 224),
    "micro-0.8m": (128, 4, 4, 4, 352),
    "micro-1.6m": (128, 8, 4, 4, 352),
    "micro-3.2m": (256, 4, 4, 4, 704),
    # The study's grid (head_dim 64 below 0.5B, 128 from 0.5B up).
    "0.1b": (768, 14, 12, 12, 2048),
    "0.2b": (1024, 16, 16, 16, 2816),
    "0.4b": (1280, 20, 20, 20, 3456),
    "0.5b": (1536, 17, 12, 12, 4096),
    "0.6b": (1536, 22, 12, 12, 4096),
    "1.1b": (2048, 22, 16, 16, 5504),
    "1.3b": (2048, 26, 16, 16, 5504),
    "1.5b": (2048, 30, 16, 16, 5504),
    "1.6b": (2048, 32, 16, 16, 5504),
    "2.0b": (2560, 26, 20, 20, 6912),
    "2.4b": (2560, 30, 20, 20, 6912),
    "3b": (2560, 38, 20, 20, 6912),
    "3.1b": (3072, 27, 24, 24, 8192),
    "7b": (4096, 35, 32, 32, 11008),
    "14b": (5120, 44, 40, 40, 13824),
}

#: Every ladder name, smallest first.
LADDER: tuple[str, ...] = tuple(_SHAPES)
MICRO: tuple[str, ...] = tuple(n for n in LADDER if n.startswith("micro-"))
STUDY: tuple[str, ...] = tuple(n for n in LADDER if not n.startswith("micro-"))


def model_config(name: str, **changes) -> ModelConfig:
    """The :class:`ModelConfig` of a ladder entry (accepts ``0.1B``, ``micro-3.2M``; ``changes`` override fields)."""
    key = name.strip().lower()
    if key not in _SHAPES:
        raise ValueError(f"unknown model {name!r}; the ladder is: {', '.join(LADDER)}")
    d, layers, heads, kv, ff = _SHAPES[key]
    big = not key.startswith("micro-")
    base = ModelConfig(name=key, d_model=d, n_layers=layers, n_heads=heads, n_kv_heads=kv, d_ff=ff,
                       # Big models: bf16 compute, remat and a scanned layer stack keep memory and
                       # compile time in check; micro models run fastest unrolled in float32 on CPU.
                       dtype="bfloat16" if big else "float32", remat="full" if big else "none",
                       scan_layers=big)
    return dataclasses.replace(base, **changes)
