"""Shared tiny configurations for the trainer tests (kept small so each test file runs fast on CPU)."""

from __future__ import annotations

from codescale_jax.config import ModelConfig, make_config

TINY_MODEL = ModelConfig(name="test-tiny", d_model=32, n_layers=2, n_heads=4, n_kv_heads=2, d_ff=64)


def tiny_config(*overrides: str, steps: int = 10):
    """A 2-layer GQA model on the embedded Python corpus, 8 rows of 64 tokens, no MFU probe."""
    base = [f"train.steps={steps}", "train.batch_size=8", "data.seq_len=64", "data.eval_tokens=2048",
            "train.log_every=1", "train.peak_flops=-1", "train.tensorboard=false", "mesh.data=1",
            "optimizer.warmup_steps=2"]
    return make_config(TINY_MODEL, language="python", overrides=base + list(overrides))
