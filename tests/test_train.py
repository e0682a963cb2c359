"""End-to-end training on the embedded corpus with a tiny model."""

import json
import math

import numpy as np
import pytest

from _train_helpers import tiny_config
from codescale_jax import io_utils
from codescale_jax.config import ConfigError, OptimizerConfig
from codescale_jax.model import counting, decoder
from codescale_jax.train.loop import NaNLossError, resolve_config, train
from codescale_jax.train.optimizer import schedule

ROW_FIELDS = {"run_id", "language", "mixture", "params", "params_total", "tokens", "loss", "strategy", "seed",
              "model", "steps", "wall_s"}


def _quiet(_):
    pass


def test_fifty_steps_lower_the_loss_and_write_the_run_dir(tmp_path):
    cfg = tiny_config("optimizer.lr=3e-3", "train.checkpoint_every=25", "train.tensorboard=true", steps=50)
    row = train(cfg, tmp_path / "run", print_fn=_quiet)
    rows = io_utils.read_jsonl(tmp_path / "run" / "metrics.jsonl")
    losses = [r["loss"] for r in rows if "loss" in r]
    assert len(losses) == 50 and all(math.isfinite(x) for x in losses)
    first, last = np.mean(losses[:5]), np.mean(losses[-5:])
    assert first > 5.0 and last < first - 1.5, (first, last)  # from ~ln(267) to well below
    assert set(row) == ROW_FIELDS
    assert row["loss"] < first - 1.5 and row["steps"] == 50 and row["tokens"] == 50 * 8 * 64
    counts = counting.count_tree(decoder.abstract_params(resolve_config(cfg).model))
    assert row["params"] == counts.non_embedding and row["params_total"] == counts.total
    assert row["mixture"] == {"python": 1.0} and row["language"] == "python" and row["run_id"] == "run"
    run = tmp_path / "run"
    assert json.loads((run / "result.json").read_text()) == row
    assert (run / "config.json").exists() and any((run / "tensorboard").iterdir())
    assert sorted(p.name for p in (run / "checkpoints").iterdir() if p.name.isdigit()) == ["25", "50"]
    assert any("val_loss" in r for r in rows)


def test_finished_run_is_a_no_op_and_other_configs_are_refused(tmp_path):
    cfg = tiny_config(steps=3)
    row = train(cfg, tmp_path / "r", print_fn=_quiet)
    before = (tmp_path / "r" / "metrics.jsonl").read_text()
    lines = []
    assert train(cfg, tmp_path / "r", print_fn=lines.append) == row
    assert "already finished" in lines[0]
    assert (tmp_path / "r" / "metrics.jsonl").read_text() == before
    # Bookkeeping keys may change; the model may not.
    assert train(tiny_config("train.log_every=5", steps=3), tmp_path / "r", print_fn=_quiet) == row
    with pytest.raises(ConfigError, match="model.d_model"):
        train(tiny_config("model.d_model=64", steps=3), tmp_path / "r", print_fn=_quiet)


def test_nan_loss_stops_with_the_step(tmp_path):
    cfg = tiny_config("optimizer.lr=1e30", "optimizer.grad_clip=0", "optimizer.warmup_steps=0", steps=20)
    with pytest.raises(NaNLossError, match=r"at step \d+") as e:
        train(cfg, tmp_path / "nan", print_fn=_quiet)
    bad_step = int(str(e.value).split("at step ")[1].split()[0])
    logged = [r["step"] for r in io_utils.read_jsonl(tmp_path / "nan" / "metrics.jsonl") if "loss" in r]
    assert 1 < bad_step <= 20 and logged == list(range(1, bad_step))


def test_cli_reports_bad_input_and_nan_loss_without_a_traceback(tmp_path, capsys):
    from experiments import train as train_cli

    common = ["--tokens", "2048", "--workdir", str(tmp_path / "r"), "--set", "data.seq_len=64",
              "--set", "train.batch_size=8", "--set", "data.eval_tokens=256", "--set", "train.tensorboard=false"]
    cases = [(["--model", "micro-9m", "--language", "python"], "unknown model 'micro-9m'"),
             (["--model", "micro-0.1m", "--language", "cobol"], "unknown language 'cobol'"),
             (["--model", "micro-0.1m", "--language", "python", "--set", "model.foo=1"], "unknown key 'foo'"),
             (["--model", "micro-0.1m", "--language", "python", "--set", "mesh.data=64"], "needs 64 devices"),
             (["--model", "micro-0.1m", "--language", "python", "--set", "train.batch_size=3"], "multiple of")]
    for argv, message in cases:
        assert train_cli.main(common + argv) == 2
        err = capsys.readouterr().err
        assert err.startswith("error: ") and message in err and "Traceback" not in err
    assert not (tmp_path / "r" / "config.json").exists()  # nothing failed input set stays in the run dir
    nan = ["--set", "optimizer.lr=1e30", "--set", "optimizer.grad_clip=0", "--set", "optimizer.warmup_steps=0"]
    assert train_cli.main(["--model", "micro-0.1m", "--language", "python"] + common + nan) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: training loss is") and "at step" in err and "Traceback" not in err


def test_schedules():
    cos = schedule(OptimizerConfig(lr=1.0, warmup_steps=10, min_lr_ratio=0.1), 110)
    assert float(cos(0)) == 0.0 and float(cos(10)) == pytest.approx(1.0) and float(cos(110)) == pytest.approx(0.1)
    wsd = schedule(OptimizerConfig(lr=1.0, schedule="wsd", warmup_steps=10, decay_fraction=0.2, min_lr_ratio=0.0), 110)
    assert float(wsd(50)) == pytest.approx(1.0) and float(wsd(88)) == pytest.approx(1.0)
    assert float(wsd(99)) < 0.6 and float(wsd(110)) == pytest.approx(0.0, abs=1e-6)
    with pytest.raises(ValueError, match="schedule"):
        schedule(OptimizerConfig(schedule="linear"), 10)


def test_warmup_is_a_fraction_of_the_run_unless_set():
    from codescale_jax.train.optimizer import warmup_steps

    assert warmup_steps(OptimizerConfig(), 125) == 2  # default 2%
    assert warmup_steps(OptimizerConfig(warmup_fraction=0.2), 125) == 25
    assert warmup_steps(OptimizerConfig(warmup_fraction=0.2), 16) == 3
    assert warmup_steps(OptimizerConfig(warmup_steps=7, warmup_fraction=0.2), 125) == 7  # explicit wins
    sched = schedule(OptimizerConfig(lr=1.0, warmup_fraction=0.2), 100)
    assert float(sched(10)) == pytest.approx(0.5) and float(sched(20)) == pytest.approx(1.0)
    with pytest.raises(ValueError, match="warmup_fraction"):
        warmup_steps(OptimizerConfig(warmup_fraction=1.5), 10)
