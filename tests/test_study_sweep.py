"""Sweep runner: skip finished runs, resume unfinished ones, isolate failures, collect rows."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

from codescale_jax.study import plan, sweep


def _specs():
    return plan.expand(plan.Grid("scaling", ("python", "java"), ("micro-0.1m",), (1000, 2000)))


class FakeRunner:
    """Writes what the trainer writes; ``interrupt`` run ids stop half way once (config, no result)."""

    def __init__(self, interrupt=(), fail=()):
        self.calls: list[str] = []
        self.interrupt, self.fail = set(interrupt), set(fail)

    def __call__(self, spec: plan.RunSpec, d: Path) -> int:
        self.calls.append(spec.run_id)
        d.mkdir(parents=True, exist_ok=True)
        (d / "config.json").write_text("{}")
        if spec.run_id in self.fail:
            return 3
        if spec.run_id in self.interrupt:
            self.interrupt.discard(spec.run_id)
            return 1
        mix = {k: float(v) for k, v in (i.split("=") for i in spec.mixture.split(","))} if spec.mixture else \
            {spec.language: 1.0}
        row = {"language": spec.language, "params": 1e5, "tokens": spec.tokens, "loss": 4.0 - spec.tokens / 1e4,
               "mixture": mix, "strategy": spec.strategy, "seed": spec.seed}
        (d / "result.json").write_text(json.dumps(row))
        if spec.eval_languages:
            (d / "eval").mkdir(exist_ok=True)
            scores = {l: {"loss": 3.0 + k, "tokens": 100} for k, l in enumerate(spec.eval_languages)}
            (d / "eval" / "loss.json").write_text(json.dumps({"languages": scores}))
        if spec.translation_pairs:
            (d / "eval").mkdir(exist_ok=True)
            (d / "eval" / "translation.json").write_text(json.dumps({"mean_loss_seen": 1.0}))
        return 0


def test_runs_then_skips_finished(tmp_path):
    specs, runner = _specs(), FakeRunner()
    rep = sweep.run_sweep(specs, tmp_path, workers=2, runner=runner, print_fn=lambda s: None)
    assert sorted(rep.finished) == sorted(s.run_id for s in specs) and rep.ok
    again = FakeRunner()
    lines: list[str] = []
    rep2 = sweep.run_sweep(specs, tmp_path, workers=2, runner=again, print_fn=lines.append)
    assert again.calls == [] and len(rep2.skipped) == len(specs)
    assert lines[-1] == f"[sweep] 0 ran, {len(specs)} skipped (finished before), 0 failed"


def test_unfinished_run_is_resumed_and_failures_reported(tmp_path):
    specs = _specs()
    first = FakeRunner(interrupt={specs[0].run_id}, fail={specs[1].run_id})
    lines: list[str] = []
    rep = sweep.run_sweep(specs, tmp_path, workers=1, runner=first, print_fn=lines.append)
    assert set(rep.failed) == {specs[0].run_id, specs[1].run_id}
    assert any("FAILED" in l for l in lines)
    assert sweep.status(specs[0], tmp_path) == "partial"
    second = FakeRunner()
    lines = []
    rep2 = sweep.run_sweep(specs, tmp_path, workers=1, runner=second, print_fn=lines.append)
    assert sorted(second.calls) == sorted([specs[0].run_id, specs[1].run_id])
    assert any(l.startswith("[sweep] resume") for l in lines) and rep2.ok


def test_dry_run_prints_plan_and_runs_nothing(tmp_path):
    runner, lines = FakeRunner(), []
    sweep.run_sweep(_specs(), tmp_path, runner=runner, dry_run=True, print_fn=lines.append)
    assert runner.calls == [] and "training FLOPs" in lines[0] and "ETA" in lines[0]


def test_collect_expands_extra_languages(tmp_path):
    specs = plan.synergy_specs(("python", "java"), "micro-0.1m", 1000)
    sweep.run_sweep(specs, tmp_path, runner=FakeRunner(), print_fn=lambda s: None)
    rows = sweep.collect(specs, tmp_path)
    pair = [r for r in rows if len(r["mixture"]) == 2]
    assert sorted(r["language"] for r in pair) == ["java", "python"]
    assert {r["loss"] for r in pair} == {3.0, 4.0}
    assert all(r["experiment"] == "synergy" for r in rows) and len(rows) == 4


def test_subprocess_runner_runs_the_trainer_command(tmp_path):
    """The default runner launches ``python -m experiments.train`` with the spec's arguments."""
    fake_python = tmp_path / "py.sh"
    fake_python.write_text("#!/bin/sh\necho \"$@\" > \"$(dirname \"$0\")/argv.txt\"\nexit 7\n")
    fake_python.chmod(0o755)
    spec = plan.RunSpec("scaling", "python", "micro-0.1m", 1000)
    rc = sweep.subprocess_runner(python=str(fake_python))(spec, tmp_path / "run")
    assert rc == 7
    argv = (tmp_path / "argv.txt").read_text().split()
    assert argv[:2] == ["-m", "experiments.train"] and "--workdir" in argv
    assert (tmp_path / "run" / "train.log").is_file()


def test_translation_scoring_is_part_of_finished(tmp_path):
    spec = plan.RunSpec("pairing", "python", "micro-0.1m", 1000, strategy="paired", translation_pairs=4)
    d = sweep.run_dir(tmp_path, spec)
    d.mkdir(parents=True)
    (d / "config.json").write_text("{}")
    (d / "result.json").write_text("{}")
    assert sweep.status(spec, tmp_path) == "partial"  # trained but not yet scored on translation
    (d / "eval").mkdir()
    (d / "eval" / "translation.json").write_text("{}")
    assert sweep.status(spec, tmp_path) == "finished"
    assert spec.run_id != plan.RunSpec("pairing", "python", "micro-0.1m", 1000, strategy="paired").run_id


def test_subprocess_runner_scores_translation_after_training(tmp_path):
    log = tmp_path / "calls.txt"
    fake_python = tmp_path / "py.sh"
    fake_python.write_text(f"#!/bin/sh\necho \"$@\" >> {log}\nexit 0\n")
    fake_python.chmod(0o755)
    spec = plan.RunSpec("pairing", "python", "micro-0.1m", 1000, strategy="paired", translation_pairs=4)
    assert sweep.subprocess_runner(python=str(fake_python))(spec, tmp_path / "run") == 0
    calls = log.read_text().splitlines()
    assert calls[0].startswith("-m experiments.train")
    assert calls[1].startswith("-m experiments.evaluate") and "--suite translation --max-pairs 4" in calls[1]


def test_eta_weighs_runs_and_flops():
    # Half the runs done but only a tenth of the FLOPs: more than the elapsed time is left.
    left = sweep.eta_seconds(100.0, 5, 10, 1.0, 10.0)
    assert left == 100.0 * (0.5 * 1.0 + 0.5 * 9.0)
    assert sweep.eta_seconds(100.0, 10, 10, 10.0, 10.0) == 0.0


def test_children_share_a_compilation_cache(tmp_path):
    env = sweep.compile_cache_env(tmp_path / "cache", base={"PATH": "/bin"})
    assert env["JAX_COMPILATION_CACHE_DIR"] == str(tmp_path / "cache")
    assert env["PATH"] == "/bin"
    mine = sweep.compile_cache_env(tmp_path / "cache", base={"JAX_COMPILATION_CACHE_DIR": "elsewhere"})
    assert mine["JAX_COMPILATION_CACHE_DIR"] == "elsewhere"  # a user's choice wins


def test_default_runner_gets_the_cache(tmp_path, monkeypatch):
    seen = {}

    def fake_runner(python=None, env=None):
        seen["env"] = env
        return lambda spec, d: 1

    monkeypatch.setattr(sweep, "subprocess_runner", fake_runner)
    monkeypatch.delenv("JAX_COMPILATION_CACHE_DIR", raising=False)
    spec = plan.RunSpec("scaling", "python", "micro-0.1m", 1000)
    sweep.run_sweep([spec], tmp_path, print_fn=lambda s: None)
    assert seen["env"]["JAX_COMPILATION_CACHE_DIR"] == str(tmp_path / ".jax_cache")


def test_run_of_another_model_shape_is_moved_aside_and_rerun(tmp_path):
    from codescale_jax.config import make_config, to_dict

    spec = plan.RunSpec("scaling", "python", "micro-0.1m", 1000)
    d = sweep.run_dir(tmp_path, spec)
    d.mkdir(parents=True)
    cfg = to_dict(make_config("micro-0.1m"))
    cfg["model"]["vocab_size"] = 256  # resolved from the tokenizer when the run started: not a change
    (d / "config.json").write_text(json.dumps(cfg))
    (d / "result.json").write_text(json.dumps({"language": "python", "params": 1e5, "tokens": 1000, "loss": 3.0}))
    assert sweep.status(spec, tmp_path) == "finished"
    # The same name once had another shape (micro-0.1m was 2 layers of width 64).
    cfg["model"].update(d_model=64, n_layers=2, d_ff=176)
    (d / "config.json").write_text(json.dumps(cfg))
    assert sweep.status(spec, tmp_path) == "stale"
    assert sweep.shape_change(spec, d) == "d_model 64 -> 48, n_layers 2 -> 4, d_ff 176 -> 112"
    lines: list[str] = []
    runner = FakeRunner()
    rep = sweep.run_sweep([spec], tmp_path, runner=runner, print_fn=lines.append)
    assert runner.calls == [spec.run_id] and rep.finished == [spec.run_id]
    old = d.with_name(d.name + ".stale-1")
    assert json.loads((old / "result.json").read_text())["loss"] == 3.0  # kept, not deleted
    assert any("another model shape (d_model 64 -> 48" in line and ".stale-1" in line for line in lines)
    # A spec whose overrides change the shape is compared with the overridden shape.
    wide = plan.RunSpec("scaling", "python", "micro-0.1m", 1000, overrides=("model.d_model=64",))
    dw = sweep.run_dir(tmp_path, wide)
    dw.mkdir(parents=True)
    (dw / "config.json").write_text(json.dumps(cfg))
    assert sweep.shape_change(wide, dw) == "n_layers 2 -> 4, d_ff 176 -> 112"


def test_first_runs_started_are_one_per_compiled_program(tmp_path):
    """Budgets and languages share a model's compiled step (the schedule is an argument), so the
    sweep starts one run of each model first and the rest load it from the compilation cache."""
    specs = plan.expand(plan.Grid("scaling", ("python", "java"), ("micro-0.1m", "micro-0.2m", "micro-0.4m"),
                                  (1000, 2000)))
    assert [s.model for s in specs[:3]] == ["micro-0.1m"] * 2 + ["micro-0.2m"]  # the grid's own order
    runner = FakeRunner()
    rep = sweep.run_sweep(specs, tmp_path, workers=1, runner=runner, print_fn=lambda s: None)
    order = {s.run_id: s for s in specs}
    started = [order[r] for r in runner.calls]
    assert [s.model for s in started[:3]] == ["micro-0.1m", "micro-0.2m", "micro-0.4m"]
    assert sorted(runner.calls) == sorted(order) and rep.ok
    for model in ("micro-0.1m", "micro-0.2m", "micro-0.4m"):  # each group keeps the grid's order
        assert [s for s in started if s.model == model] == [s for s in specs if s.model == model]
    other = plan.RunSpec("scaling", "python", "micro-0.1m", 1000, overrides=("data.seq_len=64",))
    assert sweep.compile_key(other) != sweep.compile_key(specs[0])
    assert sweep.compile_key(dataclasses.replace(specs[0], tokens=5, language="go", seed=3)) == \
        sweep.compile_key(specs[0])
