"""The probe CLI: model entries parse, specs expand, and a fake sweep is fitted and summarised."""

from __future__ import annotations

import json

import pytest

from experiments import probe_laws


def test_model_entries():
    got = probe_laws.parse_models("micro-0.2m, w48=micro-0.1m@model.d_model=48+model.d_ff=112")
    assert got == [("", "micro-0.2m", ()), ("w48", "micro-0.1m", ("model.d_model=48", "model.d_ff=112"))]
    with pytest.raises(ValueError, match="needs a label"):
        probe_laws.parse_models("micro-0.1m@model.d_model=48")
    with pytest.raises(ValueError, match="not section.key=value"):
        probe_laws.parse_models("w=micro-0.1m@d_model=48")
    with pytest.raises(ValueError, match="labels must differ"):
        probe_laws.parse_models("micro-0.1m,micro-0.1m")


def test_specs_keep_shapes_apart():
    models = probe_laws.parse_models("micro-0.1m,w48=micro-0.1m@model.d_model=48")
    specs = probe_laws.build_specs(["rust"], models, [1000, 2000], ("train.batch_size=4",))
    assert len(specs) == 4 and len({s.run_id for s in specs}) == 4
    assert specs[2].overrides == ("train.batch_size=4", "model.d_model=48") and specs[2].tag == "w48"


def test_fake_sweep_is_fitted_and_summarised(tmp_path, capsys, monkeypatch):
    from codescale_jax.study import stages

    monkeypatch.setattr(stages, "resolve_corpus", lambda preset, build=True: None)  # no corpus needed

    def law(n, d):  # a law-shaped loss: the probe must report no steepening
        return 300.0 * n ** -0.3 + 900.0 * d ** -0.35 + 1.2

    sizes = {"micro-0.1m": 1e5, "micro-0.2m": 2e5, "micro-0.4m": 4e5, "micro-0.8m": 8e5}

    def runner(spec, d):
        d.mkdir(parents=True, exist_ok=True)
        (d / "config.json").write_text("{}")
        n = sizes[spec.model]
        row = {"language": spec.language, "params": n, "tokens": spec.tokens, "loss": law(n, spec.tokens),
               "mixture": {spec.language: 1.0}, "strategy": "monolingual", "seed": 0}
        (d / "result.json").write_text(json.dumps(row))
        return 0

    out = tmp_path / "probe"
    rc = probe_laws.main(["--out", str(out), "--like", "smoke", "--languages", "rust,go", "--workers", "1"],
                         runner=runner)
    assert rc == 0
    text = capsys.readouterr().out
    assert "held-out err" in text and "rust" in text and "0/8" in text
    laws = json.loads((out / "laws.json").read_text())["laws"]
    assert laws["go"]["holdout"]["heldout_mean_rel_error"] < 0.01
    assert probe_laws.main(["--out", str(out), "--models", "micro-0.1m"]) == 2
    assert "at least 2 models" in capsys.readouterr().err


def test_seeds_are_runs_of_their_own_and_a_seed_override_is_refused(tmp_path, capsys, monkeypatch):
    """``--set train.seed=1`` used to be replaced by the spec's own ``train.seed=0`` (appended after
    the shared settings), so a "seed 1" probe silently retrained seed 0."""
    from codescale_jax.study import stages

    models = probe_laws.parse_models("micro-0.1m,micro-0.2m")
    specs = probe_laws.build_specs(["rust"], models, [1000, 2000], (), seeds=(0, 1))
    assert len(specs) == 8 and len({s.run_id for s in specs}) == 8
    assert sorted({s.seed for s in specs}) == [0, 1]
    assert all(s.settings().count(f"train.seed={s.seed}") == 1 for s in specs)

    monkeypatch.setattr(stages, "resolve_corpus", lambda preset, build=True: None)
    seen = []

    def runner(spec, d):  # must not be reached
        seen.append(spec)
        return 1

    out = tmp_path / "probe"
    assert probe_laws.main(["--out", str(out), "--like", "smoke", "--set", "train.seed=1"], runner=runner) == 2
    err = capsys.readouterr().err
    assert "train.seed is set per run" in err and seen == []
    for bad in ("0,0", "", "a"):
        assert probe_laws.main(["--out", str(out), "--like", "smoke", "--seeds", bad], runner=runner) == 2
        assert "--seeds" in capsys.readouterr().err
