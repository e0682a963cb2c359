"""The ``smoke`` preset end to end with the real trainer, fitter and allocator (slow: 26 tiny runs).

Every stage must finish and leave its files; the report must carry the two fitted laws, the
extrapolation table, the synergy cell, the pairing curves and the measured allocation.
"""

from __future__ import annotations

import json

import pytest

from codescale_jax.study.results import load_results


@pytest.mark.slow
def test_smoke_preset_end_to_end(tmp_path, capsys, monkeypatch):
    from experiments import reproduce

    # The training subprocesses inherit the environment: one CPU device, as on a user's machine
    # (the test session's eight virtual devices would not divide the preset's 4-row batches).
    monkeypatch.setenv("JAX_NUM_CPU_DEVICES", "1")

    out = tmp_path / "study"
    assert reproduce.main(["--preset", "smoke", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "training FLOPs" in printed and "ETA" in printed
    scaling = load_results(out / "results" / "scaling.csv")
    assert len(scaling) == 18 and {r["language"] for r in scaling} == {"python", "java"}
    assert len(load_results(out / "results" / "synergy.csv")) == 4  # one pair scored twice + two baselines
    assert len(load_results(out / "results" / "pairing.csv")) == 2
    alloc = json.loads((out / "alloc.json").read_text())
    # The fit plus its 20 bootstrap draws, less any refit that overflowed (left out with a note).
    assert alloc["regret_cap"]["cap"] == 0.01 and 11 <= alloc["regret_cap"]["laws_checked"] <= 21
    assert max(alloc["regret_cap"]["max_predicted_regret"].values()) <= 0.01 + 1e-9
    arms = load_results(out / "results" / "allocation.csv")
    assert sorted((r["tag"], r["language"]) for r in arms) == [
        ("mirrored", "java"), ("mirrored", "python"), ("optimized", "java"), ("optimized", "python"),
        ("uniform", "java"), ("uniform", "python")]
    mirrored = {l: v["share"] for l, v in alloc["mirrored"]["languages"].items()}
    for l, v in alloc["languages"].items():  # the control reverses the optimized split's move
        assert mirrored[l] == pytest.approx(2 * v["uniform_share"] - v["share"], abs=1e-9)
    text = (out / "report" / "report.md").read_text()
    assert "**Control.** The mirrored split" in text
    assert "_No data" not in text.split("## Parallel pairing")[0]  # laws, extrapolation, synergy are filled
    for png in ("law_python.png", "law_java.png", "synergy.png", "pairing.png", "allocation.png"):
        assert (out / "report" / png).is_file(), png
    # a second call skips every finished training run
    assert reproduce.main(["--preset", "smoke", "--out", str(out), "--stages", "scaling"]) == 0
    assert "18 skipped (finished before)" in capsys.readouterr().out
