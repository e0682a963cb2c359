"""cuDNN fused attention through ``jax.nn.dot_product_attention``, with segment ids honoured.

``jax.nn.dot_product_attention`` has no segment-id argument; its cuDNN path accepts a boolean
``mask`` (turned into an additive bias inside the cuDNN call). Packed documents are therefore
passed as the mask ``segment_q == segment_kv`` of shape ``[batch, 1, q_len, kv_len]`` (broadcast
over heads). That costs one ``q_len x kv_len`` bias per example: 128 MiB in bf16 at batch 4 and
length 4096. Without segment ids no mask is built and cuDNN's own causal mask is used.

``jax.nn`` aligns its causal mask to the top-left corner; the reference aligns queries to the end
of the keys. The two agree when ``q_len == kv_len``; otherwise the causal mask is folded into the
boolean mask with the reference's alignment.

cuDNN needs a CUDA GPU and bf16/fp16 inputs: anything else raises instead of falling back, so a
run configured for cuDNN never silently measures or trains something else.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

from codescale_jax.kernels.reference import attention_mask


def cudnn_attention(q, k, v, segment_ids=None, *, causal: bool = True, kv_segment_ids=None,
                    scale: float | None = None, implementation: str = "cudnn"):
    """Attention via ``jax.nn.dot_product_attention(implementation=...)``.

    ``implementation="xla"`` builds exactly the same arguments but runs JAX's XLA path; tests use
    it on CPU to check the mask plumbing (segments, causal alignment, grouped heads).
    """
    if implementation == "cudnn":
        if jax.default_backend() != "gpu":
            raise RuntimeError(f"impl='cudnn' needs a CUDA GPU with cuDNN; this backend is "
                               f"{jax.default_backend()!r}. Use impl='xla' (or 'pallas' on GPU)")
        if q.dtype not in (jnp.bfloat16, jnp.float16):
            raise ValueError(f"cuDNN attention supports bfloat16/float16 only, got {q.dtype}; cast "
                             "the inputs or use impl='pallas'/'xla' for float32")
    if segment_ids is None and kv_segment_ids is not None:
        raise ValueError("kv_segment_ids given without segment_ids (the query segments)")
    tq, tk = q.shape[1], k.shape[1]
    mask = None
    use_builtin_causal = causal and tq == tk
    if segment_ids is not None or (causal and not use_builtin_causal):
        mask = attention_mask(tq, tk, causal=causal and not use_builtin_causal,
                              q_segment_ids=segment_ids, kv_segment_ids=kv_segment_ids)
    return jax.nn.dot_product_attention(q, k, v, mask=mask, scale=scale,
                                        is_causal=use_builtin_causal, implementation=implementation)
