"""Attention implementations behind one entry point.

``attention(q, k, v, segment_ids, causal=True, impl="xla")``. ``xla`` is the reference (default on
CPU and the oracle in tests). Fused implementations register themselves in ``IMPLEMENTATIONS``.
"""

from __future__ import annotations

from codescale_jax.kernels.reference import reference_attention


def _xla(q, k, v, segment_ids=None, *, causal=True, **_):
    return reference_attention(q, k, v, segment_ids, causal=causal)


IMPLEMENTATIONS = {"xla": _xla}


def attention(q, k, v, segment_ids=None, *, causal: bool = True, impl: str = "xla", **kwargs):
    try:
        fn = IMPLEMENTATIONS[impl]
    except KeyError:
        raise ValueError(f"unknown attention implementation {impl!r}; choose from {sorted(IMPLEMENTATIONS)}") from None
    return fn(q, k, v, segment_ids, causal=causal, **kwargs)
