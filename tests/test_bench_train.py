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
    m = re.search(r"matmul ops ([\d.]+) ms, attention kernels ([\d.]+) ms, other ops ([\d.]+) ms; the compiled "
                  r"step evaluates (\d+) sine/cosine ops in the model's passes, (\d+) elsewhere", out)
    assert m, out
    # On CPU attention is plain XLA ops (no fused attention kernel): it counts under "other".
    assert float(m.group(1)) > 0 and float(m.group(2)) == 0 and float(m.group(3)) > 0
    m = re.search(r"the compiled step evaluates (\d+) sine/cosine ops in the model's passes, (\d+) elsewhere", out)
    # The rotary tables come from a constant, so no q/k fusion recomputes them; the cosine
    # learning-rate schedule (fused into the optimizer's update fusions) is all that is left.
    assert int(m.group(1)) == 0 and int(m.group(2)) > 0


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
  %gemm = (bf16[2,2]{1,0}, s8[16]{0}) custom-call(%x, %x), custom_call_target="__cublas$lt$matmul"
  %attn = (bf16[2,2]{1,0}, s8[16]{0}) custom-call(%x, %x), custom_call_target="__cudnn$fmhaSoftmax"
  ROOT %add_fusion = f32[2,2]{1,0} fusion(%ynn_fusion.1), kind=kLoop, calls=%fused_add
}
"""
    assert bench_train.matmul_ops(hlo) == {"ynn_fusion.1", "dot.7", "d", "gemm"}


def test_op_events_keep_device_streams_when_the_trace_has_them():
    host = [{"ph": "M", "name": "process_name", "pid": 1, "args": {"name": "/host:CPU"}},
            {"ph": "X", "name": "fusion.1", "pid": 1, "dur": 5, "args": {"hlo_op": "fusion.1"}},
            {"ph": "i", "name": "marker", "pid": 1}]
    gpu = [{"ph": "M", "name": "process_name", "pid": 7, "args": {"name": "/device:GPU:0"}},
           {"ph": "X", "name": "loop_fusion", "pid": 7, "dur": 3, "args": {"hlo_op": "fusion.1"}}]
    # A CPU-only trace: every complete event times an op.
    assert [e["dur"] for e in bench_train.op_events(host)] == [5]
    # With a device stream, the host thread that launched the kernel is not counted again.
    assert [e["pid"] for e in bench_train.op_events(host + gpu)] == [7]


def test_op_class_uses_the_hlo_name_on_cpu_and_the_kernel_name_on_gpu():
    matmuls = {"ynn_fusion.3"}
    assert bench_train.op_class({"name": "ynn_fusion", "args": {"hlo_op": "ynn_fusion.3"}}, matmuls) == "matmul"
    assert bench_train.op_class({"name": "loop_fusion", "args": {"hlo_op": "loop_fusion.1"}}, matmuls) == "other"
    # GPU kernels launched from a command buffer name the buffer, not the instruction.
    buf = {"hlo_op": "command_buffer_1"}
    assert bench_train.op_class({"name": "nvjet_sm90_tst_128x160_64x5_2x1_v_bz_NNT", "args": buf}, matmuls) == "matmul"
    assert bench_train.op_class({"name": "flash_attention_bwd_dkv", "args": buf}, matmuls) == "attention"
    assert bench_train.op_class({"name": "cudnn_generated_fort_native_sdpa_sm90_flash_fprop", "args": buf},
                                matmuls) == "attention"
    assert bench_train.op_class({"name": "loop_convert_fusion_16", "args": buf}, matmuls) == "other"
