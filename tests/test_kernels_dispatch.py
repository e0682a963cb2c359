"""The implementation registry, the cuDNN wrapper's mask plumbing and splash attention (interpret
mode) against the reference."""

import jax
import pytest

from codescale_jax.config import ConfigError, make_config
from codescale_jax.kernels import IMPLEMENTATIONS, attention, cudnn_attention, reference_attention, resolve_impl
from codescale_jax.kernels.testing import Case, compare, full_precision, make_inputs, max_abs
from codescale_jax.train.loop import resolve_config

TOL = 2e-4


def _ref(causal):
    return lambda q, k, v, seg: reference_attention(q, k, v, seg, causal=causal)


def test_registry_lists_every_implementation_and_rejects_unknown_names():
    assert set(IMPLEMENTATIONS) == {"xla", "pallas", "cudnn", "splash"}
    q, k, v, _, _ = make_inputs(Case(q_len=32))
    with pytest.raises(ValueError, match="unknown attention implementation 'flash'"):
        attention(q, k, v, impl="flash")


def test_auto_picks_cudnn_for_low_precision_on_gpu_and_xla_otherwise():
    assert resolve_impl("auto", "bfloat16", backend="gpu") == "cudnn"
    assert resolve_impl("auto", "float16", backend="gpu") == "cudnn"
    assert resolve_impl("auto", "float32", backend="gpu") == "xla"
    assert resolve_impl("auto", "bfloat16", backend="cpu") == "xla"
    assert resolve_impl("auto", "bfloat16", backend="tpu") == "xla"
    assert resolve_impl("pallas", "float32", backend="gpu") == "pallas"
    with pytest.raises(ValueError, match="unknown attention implementation 'flash'"):
        resolve_impl("flash", "float32")


def test_auto_is_the_default_and_the_run_config_records_what_it_resolved_to():
    cfg = make_config("micro-0.1m")
    assert cfg.model.attention == "auto"
    expected = "cudnn" if jax.default_backend() == "gpu" and cfg.model.dtype == "bfloat16" else "xla"
    assert resolve_config(cfg).model.attention == expected
    assert resolve_config(make_config("micro-0.1m", overrides=["model.attention=pallas"])).model.attention == "pallas"
    with pytest.raises(ConfigError, match="model.attention: unknown attention implementation 'flash'"):
        resolve_config(make_config("micro-0.1m", overrides=["model.attention=flash"]))


def test_auto_through_the_dispatcher_equals_the_reference_on_cpu():
    if jax.default_backend() != "cpu":
        pytest.skip("checks the CPU choice; on a GPU auto is cuDNN, covered by test_cudnn_on_gpu")
    case = Case(q_len=64, q_heads=4, kv_heads=2, causal=True, segments=True)
    q, k, v, seg, _ = make_inputs(case)
    assert max_abs(attention(q, k, v, seg, impl="auto"), reference_attention(q, k, v, seg)) == 0.0


def test_pallas_through_the_dispatcher_picks_interpret_mode_on_cpu():
    case = Case(q_len=128, q_heads=4, kv_heads=2, causal=True, segments=True)
    q, k, v, seg, _ = make_inputs(case)
    out = jax.jit(lambda q, k, v, s: attention(q, k, v, s, causal=True, impl="pallas"))(q, k, v, seg)
    assert max_abs(out, attention(q, k, v, seg, causal=True)) < TOL


def test_cudnn_off_gpu_raises_instead_of_falling_back():
    q, k, v, seg, _ = make_inputs(Case(q_len=32, dtype="bfloat16", segments=True))
    if jax.default_backend() == "gpu":
        pytest.skip("this box has a GPU: the cuDNN path itself is exercised by test_cudnn_on_gpu")
    with pytest.raises(RuntimeError, match="needs a CUDA GPU"):
        attention(q, k, v, seg, impl="cudnn")


@pytest.mark.parametrize("case", [
    Case(q_len=128, q_heads=4, kv_heads=2, causal=True, segments=True),
    Case(q_len=128, q_heads=4, kv_heads=1, causal=False, segments=True),
    Case(q_len=64, kv_len=160, q_heads=2, kv_heads=1, causal=True),
], ids=repr)
def test_cudnn_arguments_honour_segments_and_causal_alignment(case):
    """Same call as on GPU, but through jax.nn's XLA backend: checks the mask we hand to cuDNN."""
    fn = full_precision(lambda q, k, v, seg: cudnn_attention(q, k, v, seg, causal=case.causal,
                                                              implementation="xla"))
    errs = compare(fn, _ref(case.causal), case)
    assert errs["fwd"] < TOL and errs["grad"] < TOL, errs


def test_cudnn_segment_ids_change_the_result():
    """Guard against the known failure of silently dropping segment ids."""
    q, k, v, seg, _ = make_inputs(Case(q_len=128, segments=True, causal=True))
    with_seg = cudnn_attention(q, k, v, seg, causal=True, implementation="xla")
    without = cudnn_attention(q, k, v, None, causal=True, implementation="xla")
    assert max_abs(with_seg, without) > 1e-2


@pytest.mark.skipif(jax.default_backend() != "gpu", reason="cuDNN runs only on a CUDA GPU")
@pytest.mark.parametrize("causal", [True, False])
def test_cudnn_on_gpu(causal):
    case = Case(batch=2, q_len=256, q_heads=4, kv_heads=2, head_dim=128, dtype="bfloat16",
                causal=causal, segments=True)
    fn = lambda q, k, v, seg: attention(q, k, v, seg, causal=causal, impl="cudnn")
    errs = compare(fn, _ref(causal), case)
    assert errs["fwd"] <= 2 * errs["ref_fwd"] + 5e-3 and errs["grad"] <= 2 * errs["ref_grad"] + 5e-3, errs


@pytest.mark.parametrize("case", [
    Case(q_len=256, q_heads=4, kv_heads=2, head_dim=64, causal=True, segments=True),
    Case(q_len=256, q_heads=4, kv_heads=1, head_dim=128, causal=False, segments=True),
    Case(q_len=128, q_heads=2, kv_heads=2, head_dim=64, causal=True, segments=False),
], ids=repr)
def test_splash_interpret_matches_reference(case):
    fn = full_precision(lambda q, k, v, seg: attention(q, k, v, seg, causal=case.causal, impl="splash"))
    errs = compare(fn, _ref(case.causal), case)
    assert errs["finite"] and errs["fwd"] < TOL and errs["grad"] < TOL, errs


def test_splash_rejects_lengths_off_the_tile():
    q, k, v, _, _ = make_inputs(Case(q_len=200))
    with pytest.raises(ValueError, match="multiples of the tile"):
        attention(q, k, v, impl="splash")


def test_full_precision_traces_the_function_with_highest_matmul_precision():
    # The XLA-backed implementations above are compared at float32 tolerances; on a GPU their dots
    # would round to TF32 unless traced under "highest" (no CPU result can show the rounding).
    seen, before = [], jax.config.jax_default_matmul_precision
    fn = full_precision(lambda x: seen.append(jax.config.jax_default_matmul_precision) or x * 2)
    assert float(jax.jit(fn)(1.5)) == 3.0
    assert seen == ["highest"] and jax.config.jax_default_matmul_precision == before  # restored
