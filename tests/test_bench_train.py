"""bench_train's ratio on CPU divides by the host's peak, also when the mesh has virtual devices."""

import re

import jax
import pytest

from experiments import bench_train


def test_virtual_cpu_devices_share_the_host_peak(capsys):
    if jax.default_backend() != "cpu" or jax.device_count() < 2:
        pytest.skip("needs two (virtual) CPU devices; tests/conftest.py asks for eight")
    assert bench_train.main(["--model", "micro-0.1m", "--batch", "8", "--seq", "64", "--rounds", "1",
                             "--steps", "2", "--peak-size", "256", "--set", "mesh.data=2"]) == 0
    out = capsys.readouterr().out
    assert "device cpu x2" in out
    rnd = re.search(r"= ([\d,.]+) GFLOP/s \| step .* ratio ([\d.]+)", out)
    peaks = re.search(r"peak ([\d,.]+) / ([\d,.]+) GFLOP/s", out)
    achieved = float(rnd.group(1).replace(",", ""))
    mean_peak = 0.5 * (float(peaks.group(1).replace(",", "")) + float(peaks.group(2).replace(",", "")))
    ratio = float(rnd.group(2))
    # The printed ratio is achieved / host peak (not / (2 x host peak), as for two chips).
    assert ratio == pytest.approx(achieved / mean_peak, rel=0.03, abs=1e-3)
    assert float(out.strip().splitlines()[-1].split("=")[1]) == pytest.approx(ratio, abs=1e-3)


def test_profile_splits_matmul_time_and_counts_sine_cosine(capsys, tmp_path):
    assert bench_train.main(["--model", "micro-0.1m", "--batch", "8", "--seq", "64", "--rounds", "1",
                             "--steps", "1", "--peak-size", "128", "--microbatches", "1",
                             "--profile", str(tmp_path / "trace")]) == 0
    out = capsys.readouterr().out
    m = re.search(r"matmul ops ([\d.]+) ms, other ops ([\d.]+) ms; the compiled step evaluates (\d+) sine/cosine "
                  r"ops in the model's passes, (\d+) elsewhere", out)
    assert m, out
    assert float(m.group(1)) > 0 and float(m.group(2)) > 0
    # The rotary tables come from a constant, so no q/k fusion recomputes them; the cosine
    # learning-rate schedule (fused into the optimizer's update fusions) is all that is left.
    assert int(m.group(3)) == 0 and int(m.group(4)) > 0


def test_matmul_ops_finds_plain_dots_and_fusions_that_call_one():
    hlo = """HloModule m

%fused_dot (p0: f32[2,2], p1: f32[2,2]) -> f32[2,2] {
  %p0 = f32[2,2]{1,0} parameter(0)
  %p1 = f32[2,2]{1,0} parameter(1)
  ROOT %d = f32[2,2]{1,0} dot(%p0, %p1), lhs_contracting_dims={1}, rhs_contracting_dims={0}
}

%fused_add (p0: f32[2,2]) -> f32[2,2] {
  %p0 = f32[2,2]{1,0} parameter(0)
  ROOT %a = f32[2,2]{1,0} add(%p0, %p0)
}

ENTRY %main (x: f32[2,2]) -> f32[2,2] {
  %x = f32[2,2]{1,0} parameter(0)
  %ynn_fusion.1 = f32[2,2]{1,0} fusion(%x, %x), kind=kCustom, calls=%fused_dot
  %dot.7 = f32[2,2]{1,0} dot(%x, %x), lhs_contracting_dims={1}, rhs_contracting_dims={0}
  ROOT %add_fusion = f32[2,2]{1,0} fusion(%ynn_fusion.1), kind=kLoop, calls=%fused_add
}
"""
    assert bench_train.matmul_ops(hlo) == {"ynn_fusion.1", "dot.7", "d"}
