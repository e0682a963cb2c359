"""``python -m experiments.evaluate`` end to end on a tiny run trained for a few steps."""

from __future__ import annotations

import json

import jax
import numpy as np
import pytest

from codescale_jax import io_utils
from codescale_jax.eval import checkpoint_io
from codescale_jax.model import decoder
from codescale_jax.train.loop import train
from experiments import evaluate
from tests._train_helpers import tiny_config


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    d = tmp_path_factory.mktemp("run")
    train(tiny_config(steps=3), d, print_fn=lambda _: None)
    return d


def test_load_run_restores_the_trained_parameters(run_dir):
    run = checkpoint_io.load_run(run_dir)
    assert run.step == 3 and run.tokenizer.name == "bytes"
    fresh = decoder.init_params(run.cfg.model, jax.random.key(run.cfg.train.seed))
    moved = [not np.allclose(a, b) for a, b in zip(jax.tree.leaves(run.params), jax.tree.leaves(fresh))]
    assert any(moved)  # three optimizer steps changed the weights
    with pytest.raises(checkpoint_io.RunDirError, match="no checkpoint at step 7"):
        checkpoint_io.load_run(run_dir, step=7)
    with pytest.raises(checkpoint_io.RunDirError, match="config.json"):
        checkpoint_io.load_run(run_dir / "nothing-here")


def test_loss_suite_matches_the_runs_own_validation_loss(run_dir, capsys):
    assert evaluate.main(["--run", str(run_dir), "--suite", "loss"]) == 0
    out = io_utils.read_json(run_dir / "eval" / "loss.json")
    stored = io_utils.read_json(run_dir / "result.json")
    assert out["languages"]["python"]["loss"] == pytest.approx(stored["loss"], rel=1e-5)
    assert "python" in capsys.readouterr().out


def test_translation_suite_writes_matrices_and_plots(run_dir, tmp_path, capsys):
    pairs = tmp_path / "pairs.jsonl"
    rows = [{"src_lang": "python", "tgt_lang": "go", "src": "x = 1\n", "tgt": "x := 1\n"},
            {"src_lang": "go", "tgt_lang": "python", "src": "x := 1\n", "tgt": "x = 1\n"},
            {"src_lang": "python", "tgt_lang": "rust", "src": "y = 2\n", "tgt": "let y = 2;\n"}]
    pairs.write_text("".join(json.dumps(r) + "\n" for r in rows))
    out = tmp_path / "tr.json"
    assert evaluate.main(["--run", str(run_dir), "--suite", "translation", "--pairs", str(pairs), "--out", str(out),
                          "--languages", "python,go,rust", "--bleu-pairs", "1", "--max-new-tokens", "8",
                          "--seen", "python->go", "--plot"]) == 0
    res = io_utils.read_json(out)
    m = res["loss_matrix"]
    assert m[0][0] is None and m[0][1] > 0 and m[1][0] > 0 and m[0][2] > 0 and m[2][0] is None
    assert res["directions"]["python->go"]["seen"] and not res["directions"]["go->python"]["seen"]
    assert res["directions"]["python->go"]["target_tokens"] == len("x := 1\n") + 1
    assert 0 <= res["bleu_matrix"][0][1] <= 100
    assert (tmp_path / "translation_loss.png").exists() and (tmp_path / "translation_bleu.png").exists()
    assert "*" in capsys.readouterr().out


def test_passk_suite_runs_completions_in_the_sandbox(run_dir, tmp_path, capsys):
    # The empty stop "" ends every completion at once, so the outcome depends only on the tests.
    tasks = tmp_path / "tasks.jsonl"
    tasks.write_text(
        json.dumps({"task_id": "ok", "language": "python", "prompt": "x = 1\n", "tests": "assert x == 1\n", "stop": [""]})
        + "\n" + json.dumps({"task_id": "bad", "language": "python", "prompt": "x = 1\n", "tests": "assert x == 2\n",
                             "stop": [""]}) + "\n")
    out = tmp_path / "pk.json"
    assert evaluate.main(["--run", str(run_dir), "--suite", "passk", "--benchmark", str(tasks), "--languages", "python",
                          "--out", str(out), "--max-new-tokens", "8"]) == 0
    res = io_utils.read_json(out)
    assert res["languages"]["python"]["pass@1"] == pytest.approx(0.5)
    assert res["languages"]["python"]["statuses"] == {"passed": 1, "failed": 1}
    assert all(s["completion"] == "" for s in res["samples"])


def test_cli_errors_are_explained(tmp_path):
    with pytest.raises(SystemExit, match="needs --run"):
        evaluate.main(["--suite", "loss"])
    with pytest.raises(SystemExit, match="synthetic, humaneval or an existing JSONL"):
        evaluate.main(["--suite", "canonical", "--benchmark", str(tmp_path / "missing.jsonl")])
