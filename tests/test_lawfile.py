"""laws.json is strict JSON: non-finite numbers are written as null and read back as NaN, and a
bootstrap draw that overflows is counted, not warned about."""

from __future__ import annotations

import json
import math
import warnings

import numpy as np
import pytest

from codescale_jax.laws import bootstrap as boot_mod
from codescale_jax.laws.lawfile import read_laws, read_laws_doc, write_laws


def _strict(text: str):
    def refuse(name):
        raise ValueError(f"non-standard JSON constant {name}")
    return json.loads(text, parse_constant=refuse)


def test_nonfinite_numbers_are_written_as_null_and_read_as_nan(tmp_path):
    entry = {"A": 3.0, "B": 40.0, "alpha_N": 0.3, "alpha_D": np.float64(0.4), "L_inf": 0.5,
             "se": {"A": float("inf"), "B": np.float64("nan")},
             "ci95": {"A": [1.0, 9.0]},
             "bootstrap_draws": [[3.0, 40.0, 0.3, 0.4, 0.5], [float("inf"), 0.0, 7e5, 0.4, np.float32("-inf")]],
             "holdout": {"rule": "largest=1", "n_fit": 12},
             "diagnostics": {"grid": np.array([1.5, np.inf]), "starts": np.int64(243)}}
    path = tmp_path / "laws.json"
    write_laws(path, {"rust": entry}, {"seed": 0})
    doc = _strict(path.read_text())  # parses with a strict parser
    written = doc["laws"]["rust"]
    assert written["se"] == {"A": None, "B": None}
    assert written["bootstrap_draws"][1] == [None, 0.0, 7e5, 0.4, None]
    assert written["holdout"] == {"rule": "largest=1", "n_fit": 12} and written["alpha_D"] == 0.4
    assert written["diagnostics"] == {"grid": [1.5, None], "starts": 243}
    back = read_laws(path)["rust"]
    assert math.isnan(back["se"]["A"]) and math.isnan(back["bootstrap_draws"][1][0])
    assert np.isfinite(np.asarray(back["bootstrap_draws"], np.float64)).sum(axis=1).tolist() == [5, 3]
    assert read_laws_doc(path)["fit"] == {"seed": 0}
    with pytest.raises(ValueError, match="lacks alpha_N"):
        write_laws(tmp_path / "x.json", {"go": {"A": 1.0, "B": 1.0, "alpha_D": 1.0, "L_inf": 0.0}})
    (tmp_path / "y.json").write_text(json.dumps({"laws": {"go": {"A": 1.0}}}))
    with pytest.raises(ValueError, match="lacks B"):
        read_laws(tmp_path / "y.json")


def test_an_overflowing_bootstrap_draw_is_counted_without_warnings():
    thetas = np.array([[np.log(3.0), np.log(40.0), np.log(0.5), 0.3, 0.4],
                       [np.log(3.2), np.log(38.0), np.log(0.4), 0.31, 0.41],
                       [900.0, np.log(40.0), np.log(0.5), 6e5, 0.4],   # A = e^900: past float range
                       [np.log(2.9), np.log(41.0), np.log(0.6), 0.29, 0.39]])
    b = boot_mod.Bootstrap(thetas=thetas, objective=np.zeros(4), hit_maxiter=0, n_runs=4)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # an overflow warning would fail here
        p = b.params()
        s = boot_mod.summarize(b)
    assert np.isinf(p["A"][2]) and b.nonfinite_draws() == 1
    lo, hi = s["ci95"]["A"]
    assert 2.9 <= lo <= hi <= 3.2  # the interval is over the three finite draws


def test_a_truncated_laws_file_is_named_in_the_error(tmp_path):
    path = tmp_path / "laws.json"
    path.write_text('{"laws": {"rust": {"E": 1.0,', encoding="utf-8")
    with pytest.raises(ValueError, match=r"laws\.json: not a JSON laws file"):
        read_laws(path)
