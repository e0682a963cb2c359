"""Plan expansion, stable run ids, FLOP totals and the presets."""

from __future__ import annotations

import pytest

from codescale_jax.model.counting import flops_per_token
from codescale_jax.model.ladder import model_config
from codescale_jax.study import plan, presets
from experiments.presets import NAMES, docstring, load


def test_grid_expands_full_factorial_with_canonical_languages():
    g = plan.Grid("scaling", ("py", "rs"), ("micro-0.1m", "micro-0.2m"), (1e3, 2e3, 4e3), seeds=(0, 1))
    specs = plan.expand(g)
    assert len(specs) == 2 * 2 * 3 * 2
    assert {s.language for s in specs} == {"python", "rust"}
    assert len({s.run_id for s in specs}) == len(specs)


def test_run_id_is_stable_and_changes_with_any_setting():
    a = plan.RunSpec("scaling", "python", "micro-0.1m", 2000)
    assert a.run_id == plan.RunSpec("scaling", "python", "micro-0.1m", 2000).run_id
    assert a.run_id.startswith("scaling-python-micro-0.1m-2e3-monolingual-s0-")
    changed = [plan.RunSpec("scaling", "python", "micro-0.1m", 2000, overrides=("data.seq_len=64",)),
               plan.RunSpec("scaling", "python", "micro-0.1m", 2000, seed=1),
               plan.RunSpec("scaling", "python", "micro-0.1m", 2000, mixture="python=0.5,java=0.5"),
               plan.RunSpec("scaling", "python", "micro-0.1m", 2000, tag="uniform")]
    assert len({a.run_id} | {c.run_id for c in changed}) == 5


def test_run_id_is_pinned_so_finished_runs_stay_found():
    """Changing the digest would orphan every finished run dir of existing studies."""
    assert plan.RunSpec("scaling", "python", "micro-0.1m", 2000).run_id == \
        "scaling-python-micro-0.1m-2e3-monolingual-s0-9c45fb04"


def test_train_argv_carries_every_setting():
    s = plan.RunSpec("synergy", "java", "micro-0.2m", 4096, seed=3, mixture="java=0.5,go=0.5",
                     overrides=("data.seq_len=64",))
    argv = s.train_argv("runs/x")
    assert argv[:8] == ["--model", "micro-0.2m", "--language", "java", "--tokens", "4096", "--workdir", "runs/x"]
    sets = [argv[i + 1] for i, a in enumerate(argv) if a == "--set"]
    assert sets == ["data.seq_len=64", "train.seed=3", "data.mixture=java=0.5,go=0.5"]


def test_synergy_baselines_repeat_half_the_budget_of_unique_target_tokens():
    specs = plan.synergy_specs(("python", "go", "rust"), "micro-0.1m", 4096, overrides=("data.seq_len=64",))
    baselines = [s for s in specs if s.mixture.endswith("=1.0")]
    assert len(baselines) == 3
    for s in baselines:
        assert s.overrides == ("data.seq_len=64", "data.unique_tokens=2048")
    assert all("data.unique_tokens" not in o for s in specs if s not in baselines for o in s.overrides)


def test_synergy_specs_count_and_eval_languages():
    langs = ("python", "java", "javascript", "typescript", "csharp", "go", "rust")
    specs = plan.synergy_specs(langs, "micro-0.1m", 1000)
    assert len(specs) == 28
    pairs = [s for s in specs if s.eval_languages]
    assert len(pairs) == 21 and all(len(s.eval_languages) == 2 for s in pairs)
    with pytest.raises(ValueError, match="two distinct"):
        plan.synergy_specs(("python", "py"), "micro-0.1m", 1000)


def test_flops_use_the_model_counting_formula():
    s = plan.RunSpec("scaling", "python", "micro-0.4m", 10_000, overrides=("data.seq_len=64",))
    expected = flops_per_token(model_config("micro-0.4m"), 64, plan.BYTE_VOCAB) * 10_000
    assert plan.run_flops(s) == pytest.approx(expected)
    summ = plan.summarize([s, s], finished=[True, False], workers=2, flops_per_s=1e9, overhead_s=0)
    assert summ.to_run == 1 and summ.remaining_flops == pytest.approx(expected)
    assert summ.eta_s == pytest.approx(expected / 1e9 / 2)


def test_format_tokens():
    assert plan.format_tokens(2e6) == "2e6"
    assert plan.format_tokens(1.5e6) == "1.5e6"
    assert plan.format_tokens(64e9) == "6.4e10"
    with pytest.raises(ValueError):
        plan.format_tokens(0)


@pytest.mark.parametrize("name", NAMES)
def test_presets_load_check_and_document_themselves(name):
    p = load(name)
    presets.check(p)
    doc = docstring(name)
    assert f"--preset {name}" in doc and "Expected" in doc
    specs = presets.all_planned_specs(p, "corpus")
    assert len(specs) == len({s.run_id for s in specs})


def test_micro_has_enough_points_per_language():
    p = load("micro")
    assert len(p.models) >= 4 and len(p.budgets) >= 4 and len(p.code_languages()) == 7
    assert len(presets.synergy_run_specs(p, "c")) == 28


def test_micro_and_real_micro_score_pieces_from_across_the_validation_split():
    """Every run of both presets scores pieces of the validation split, each preset one setting of
    each kind (real-micro replaces micro's amounts with its own rather than stacking them)."""
    from codescale_jax.config import Config, apply_overrides

    for name, tokens in (("micro", 16384), ("real-micro", 65536)):
        settings = load(name).settings
        for key in ("data.eval_tokens=", "data.eval_piece_chars="):
            assert sum(s.startswith(key) for s in settings) == 1, (name, key, settings)
        cfg = apply_overrides(Config(), list(settings))
        assert (cfg.data.eval_piece_chars, cfg.data.eval_tokens) == (1024, tokens), name


def test_unknown_preset_and_too_small_grid_are_rejected():
    with pytest.raises(ValueError, match="unknown preset"):
        load("huge")
    tiny = presets.StudyPreset("t", ("python",), ("micro-0.1m",), (1e3, 2e3))
    with pytest.raises(ValueError, match="points per language"):
        presets.check(tiny)


def test_paper_plan_total_compute(capsys):
    from experiments import reproduce

    assert reproduce.main(["--preset", "paper", "--out", "unused-paper-dir"]) == 0
    text = capsys.readouterr().out
    assert "460 runs" in text and "plan-only" in text


def test_eta_uses_the_presets_calibration(tmp_path, capsys):
    """Per-run overhead and the time outside the runs come from the preset, not a fixed 30 s."""
    s = plan.RunSpec("scaling", "python", "micro-0.4m", 10_000, overrides=("data.seq_len=64",))
    text = plan.format_plan([s, s], workers=2, flops_per_s=1e9, overhead_s=7)
    assert "(+7s per run)" in text
    eta = plan.summarize([s, s], workers=2, flops_per_s=1e9, overhead_s=7).eta_s
    assert eta == pytest.approx((2 * plan.run_flops(s) / 1e9 + 14) / 2)

    from experiments import reproduce

    assert reproduce.main(["--preset", "micro", "--out", str(tmp_path / "micro"), "--dry-run"]) == 0
    out = capsys.readouterr().out
    micro = load("micro")
    specs = presets.all_planned_specs(micro, None)
    runs_eta = plan.summarize(specs, workers=micro.workers, flops_per_s=micro.flops_per_s,
                              overhead_s=micro.overhead_s).eta_s
    assert f"(+{micro.overhead_s:.0f}s per run)" in out
    assert f"-> ETA {plan.format_duration(runs_eta + micro.outside_runs_s)} in all" in out
    # The smoke preset's calibrated ETA stays inside its own 5-minute target.
    assert reproduce.main(["--preset", "smoke", "--out", str(tmp_path / "smoke"), "--dry-run"]) == 0
    out = capsys.readouterr().out
    smoke = load("smoke")
    runs_eta = plan.summarize(presets.all_planned_specs(smoke, None), workers=smoke.workers,
                              flops_per_s=smoke.flops_per_s, overhead_s=smoke.overhead_s).eta_s
    assert runs_eta + smoke.outside_runs_s <= 300
    assert f"-> ETA {plan.format_duration(runs_eta + smoke.outside_runs_s)} in all" in out


def test_real_micro_is_micro_on_the_registries_corpus(tmp_path, monkeypatch):
    """real-micro trains micro's grid on the registries corpus with four times micro's scaling
    budgets: the same runs otherwise, with the corpus directory swapped, and a clear error naming
    the build command when the corpus is missing."""
    from codescale_jax.study import stages

    real, micro = load("real-micro"), load("micro")
    assert real.corpus == "registries" and micro.corpus == "embedded"
    monkeypatch.chdir(tmp_path)
    with pytest.raises(stages.StageError,
                       match="experiments.build_corpus --recipe registries .* --max-mb-per-language 40"):
        stages.resolve_corpus(real)
    # the preset's own docstring gives the same corpus command, cap included
    assert "--max-mb-per-language 40" in docstring("real-micro")
    corpus = tmp_path / "artifacts" / "corpus" / "registries"
    corpus.mkdir(parents=True)
    (corpus / "manifest.json").write_text("{}")
    where = stages.resolve_corpus(real)
    assert where == "artifacts/corpus/registries"
    ours, theirs = presets.all_planned_specs(real, where), presets.all_planned_specs(micro, "artifacts/corpus/embedded")
    # each of the 112 scaling runs also at seed 1; the allocation's three splits at 20 seeds, not 10
    assert len(theirs) == 176 and len(ours) == 176 + 112 + 30
    assert real.seeds == (0, 1) and micro.seeds == (0,)
    assert real.allocation.seeds == tuple(range(20)) and micro.allocation.seeds == tuple(range(10))
    assert real.allocation.control and micro.allocation.control
    second = [s for s in ours if s.experiment == "scaling" and s.seed == 1]
    assert len(second) == 112 and {s.experiment for s in ours if s.seed not in (0, 1)} <= {"allocation"}
    assert [(s.language, s.model, s.tokens) for s in second] == \
        [(s.language, s.model, s.tokens) for s in ours if s.experiment == "scaling" and s.seed == 0]
    ours = [s for s in ours if s not in second and not (s.experiment == "allocation" and s.seed >= 10)]
    assert len(ours) == 176
    # real code is read in pieces and scored on pieces from across the validation split
    reading = ["data.piece_chars=2048", "data.eval_piece_chars=1024", "data.eval_tokens=65536"]
    for a, b in zip(ours, theirs):
        assert f"data.corpus_dir={where}" in a.overrides
        assert sorted(o for o in a.overrides if not o.startswith("data.corpus_dir=")) == \
            sorted([o for o in b.overrides
                    if not o.startswith(("data.corpus_dir=", "data.eval_tokens=", "data.eval_piece_chars="))] + reading)
        scale = 4 if a.experiment == "scaling" else 1
        assert (a.experiment, a.language, a.model, a.tokens, a.strategy) == \
            (b.experiment, b.language, b.model, b.tokens * scale, b.strategy)
        assert a.run_id != b.run_id  # another corpus, another run dir


@pytest.mark.parametrize("override", ["train.seed=1", "data.strategy=paired", "data.mixture=python=1.0",
                                      " train.seed = 3"])
def test_a_spec_refuses_an_override_of_a_setting_it_owns(override):
    from codescale_jax.errors import InputError

    with pytest.raises(InputError, match="set per run"):
        plan.RunSpec("scaling", "python", "micro-0.1m", 2000, overrides=("data.seq_len=64", override))
    ok = plan.RunSpec("scaling", "python", "micro-0.1m", 2000, seed=1, overrides=("data.seq_len=64",))
    assert ok.settings()[-1] == "train.seed=1"


def test_allocation_control_adds_the_mirrored_split_at_every_seed():
    import dataclasses

    base = load("micro")
    opt = {"python": 0.2, "java": 0.1, "go": 0.7}
    uni = {l: 1 / 3 for l in opt}
    mir = {"python": 0.4667, "java": 0.5667, "go": 0.05}
    plain = presets.allocation_specs(dataclasses.replace(
        base, allocation=dataclasses.replace(base.allocation, control=False, seeds=(0, 1))), opt, uni, None, mir)
    assert [s.tag for s in plain] == ["optimized", "uniform"] * 2
    ctl = dataclasses.replace(base, allocation=dataclasses.replace(base.allocation, control=True, seeds=(0, 1)))
    specs = presets.allocation_specs(ctl, opt, uni, None, mir)
    assert [(s.tag, s.seed) for s in specs] == [(t, s) for s in (0, 1) for t in ("optimized", "uniform", "mirrored")]
    assert specs[2].mixture == "python=0.4667,java=0.5667,go=0.0500"
    assert specs[:2] == plain[:2]  # the control arm leaves the other runs (and their ids) as they were
    assert len({s.run_id for s in specs}) == 6
    # Before the split is known the plan counts the mirrored arm as one more uniform-sized run per seed.
    assert sum(s.experiment == "allocation" for s in presets.all_planned_specs(ctl)) == 6
