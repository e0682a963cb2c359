"""The benchmark's FLOP formula and timing plumbing (tiny shapes; no speed is asserted)."""

import math

import jax

from codescale_jax.kernels.bench import attention_flops, time_implementation
from codescale_jax.kernels.testing import Case


def test_flops_formula_halves_causal_and_counts_backward_as_two_and_a_half():
    full = Case(batch=4, q_len=4096, q_heads=16, kv_heads=16, head_dim=128, causal=False)
    causal = Case(batch=4, q_len=4096, q_heads=16, kv_heads=16, head_dim=128, causal=True)
    assert attention_flops(full, backward=False) == 4 * 4 * 16 * 4096 * 4096 * 128
    assert attention_flops(causal, backward=False) == attention_flops(full, backward=False) / 2
    assert attention_flops(causal, backward=True) == 3.5 * attention_flops(causal, backward=False)


def test_timing_reports_numbers_or_the_failure_per_implementation():
    case = Case(batch=1, q_len=64, q_heads=2, kv_heads=1, head_dim=32, dtype="bfloat16")
    ok = time_implementation("xla", case, iters=2)
    assert ok.error is None and ok.fwd_tflops > 0 and math.isfinite(ok.fwd_bwd_tflops)
    cudnn = time_implementation("cudnn", case, iters=2)
    if jax.default_backend() == "gpu":
        assert cudnn.error is None and cudnn.fwd_tflops > 0
    else:  # recorded, not raised: the other implementations still get measured
        assert cudnn.fwd_tflops is None and "cudnn" in cudnn.error.lower()
