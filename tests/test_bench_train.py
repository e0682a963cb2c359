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
