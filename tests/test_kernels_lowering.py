"""The kernels lower for their accelerators (Triton for CUDA, Mosaic for TPU) on a CPU-only machine.

Cross-platform lowering (``lower(lowering_platforms=("cuda",))``) runs the Pallas-to-Triton
lowering of all three kernels (forward, dq, dk/dv) and embeds them as Triton custom calls; it
catches operations the Triton lowering lacks and tiles that are not powers of two. It does not
compile to PTX or run anything: the numerics are covered by the interpret-mode tests.
"""

import jax
import jax.numpy as jnp
import pytest

from codescale_jax.kernels import flash_attention


@pytest.mark.parametrize("dtype,causal,segments,q_len,q_heads,kv_heads,head_dim", [
    ("bfloat16", True, True, 512, 4, 2, 128),
    ("float32", False, False, 200, 4, 1, 64),
    ("bfloat16", True, False, 320, 2, 2, 64),
])
def test_forward_and_backward_lower_to_triton(dtype, causal, segments, q_len, q_heads, kv_heads, head_dim):
    dt = jnp.dtype(dtype)
    q = jax.ShapeDtypeStruct((2, q_len, q_heads, head_dim), dt)
    kv = jax.ShapeDtypeStruct((2, q_len, kv_heads, head_dim), dt)
    seg = jax.ShapeDtypeStruct((2, q_len), jnp.int32) if segments else None

    def loss(q, k, v, s):
        return flash_attention(q, k, v, s, causal=causal, interpret=False).astype(jnp.float32).sum()

    lowered = jax.jit(jax.grad(loss, argnums=(0, 1, 2))).trace(q, kv, kv, seg).lower(
        lowering_platforms=("cuda",))
    text = lowered.as_text()
    assert text.count("xla.gpu.triton") == 3, "expected the forward, dq and dk/dv Triton kernels"


def test_splash_lowers_to_mosaic_for_a_tpu_target():
    """The splash wrapper (vmap over batch, GQA, segment ids, causal) lowers for TPU: forward,
    dq and dk/dv become Mosaic kernels."""
    from codescale_jax.kernels import splash_attention

    q = jax.ShapeDtypeStruct((2, 512, 4, 128), jnp.bfloat16)
    kv = jax.ShapeDtypeStruct((2, 512, 2, 128), jnp.bfloat16)
    seg = jax.ShapeDtypeStruct((2, 512), jnp.int32)

    def loss(q, k, v, s):
        return splash_attention(q, k, v, s, causal=True, interpret=False).astype(jnp.float32).sum()

    lowered = jax.jit(jax.grad(loss, argnums=(0, 1, 2))).trace(q, kv, kv, seg).lower(
        lowering_platforms=("tpu",))
    assert lowered.as_text().count("tpu_custom_call") == 3
