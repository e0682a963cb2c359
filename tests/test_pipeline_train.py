"""The mixture pipeline inside the trainer: config dispatch, per-language counters in the metrics,
the mixture in the results row, and a resumed mixture run that matches an uninterrupted one."""

import random

import pytest

from codescale_jax import io_utils
from codescale_jax.config import apply_overrides
from codescale_jax.data import input as input_lib
from codescale_jax.data import pipeline_train
from codescale_jax.data.pipeline import MixturePipeline
from codescale_jax.data.shards import write_split
from codescale_jax.train.loop import train

from _train_helpers import tiny_config


@pytest.fixture(scope="module")
def corpus_dir(tmp_path_factory):
    root = tmp_path_factory.mktemp("corpus")
    rng = random.Random(0)
    for lang, word in (("python", "def f(x):\n    return x\n"), ("go", "func f(x int) int { return x }\n")):
        for split, n in (("train", 60), ("validation", 10)):
            write_split(root / lang, split, [word * rng.randint(1, 8) for _ in range(n)], corpus_root=root)
    return root


def cfg_for(corpus_dir, *extra, steps=4):
    return tiny_config("data.corpus=shards", f"data.corpus_dir={corpus_dir}", "data.mixture=python=0.25,go=0.75",
                       "train.checkpoint_every=2", *extra, steps=steps)


def test_train_dataset_dispatches_to_the_mixture_pipeline(corpus_dir):
    cfg = cfg_for(corpus_dir)
    ds = input_lib.train_dataset(cfg.data, 8, seed=0)
    assert isinstance(ds, MixturePipeline) and ds.names == ("python", "go")
    plain = apply_overrides(cfg, {"data.mixture": ""})
    assert not isinstance(input_lib.train_dataset(plain.data, 8, seed=0), MixturePipeline)
    paired = apply_overrides(plain, {"data.strategy": "shuffled", "data.parallel_programs": 3,
                                     "data.directions": "python<->go", "data.pair_share": 0.4})
    assert pipeline_train.mixture_record(paired.data) == pytest.approx({"python": 0.6, "pairs:shuffled": 0.4})
    ds = input_lib.train_dataset(paired.data, 8, seed=0)
    assert ds.names == ("python", "pairs")


def test_mixture_run_logs_counters_and_resumes_identically(corpus_dir, tmp_path):
    whole = train(cfg_for(corpus_dir), tmp_path / "whole", print_fn=lambda s: None)
    assert whole["mixture"] == pytest.approx({"python": 0.25, "go": 0.75})
    stopped = train(cfg_for(corpus_dir), tmp_path / "split", stop_after=2, print_fn=lambda s: None)
    assert stopped["stopped_at"] == 2
    resumed = train(cfg_for(corpus_dir), tmp_path / "split", print_fn=lambda s: None)
    assert resumed["loss"] == whole["loss"]
    rows = [r for r in io_utils.read_jsonl(tmp_path / "split" / "metrics.jsonl") if "loss" in r]
    ref = [r for r in io_utils.read_jsonl(tmp_path / "whole" / "metrics.jsonl") if "loss" in r]
    assert [r["loss"] for r in rows] == [r["loss"] for r in ref]
    last = rows[-1]
    # Counters continue across the resume: 4 steps x 8 rows x 65 tokens, split between the languages.
    assert last["tokens_python"] + last["tokens_go"] == 4 * 8 * 65 == ref[-1]["tokens_python"] + ref[-1]["tokens_go"]
    assert last["share_go"] > 0.5


def test_a_run_may_change_its_mixture_when_it_resumes(corpus_dir, tmp_path):
    work = tmp_path / "run"
    train(cfg_for(corpus_dir), work, stop_after=2, print_fn=lambda s: None)
    before = [r for r in io_utils.read_jsonl(work / "metrics.jsonl") if "loss" in r][-1]
    row = train(cfg_for(corpus_dir, "data.mixture=python=1"), work, print_fn=lambda s: None)
    assert row["mixture"] == {"python": 1.0} and row["steps"] == 4
    after = [r for r in io_utils.read_jsonl(work / "metrics.jsonl") if "loss" in r][-1]
    assert after["tokens_go"] == before["tokens_go"] > 0  # no go tokens after the change
    assert after["tokens_python"] > before["tokens_python"]


def test_loss_matrix_with_the_trainers_eval_step():
    """Translation batches have the trainer's batch layout; the matrix is filled from eval_step."""
    import jax
    import numpy as np

    from codescale_jax.data.pipeline_pairs import ParallelCorpus, parse_directions
    from codescale_jax.data.pipeline_translation import loss_matrix, translation_batches
    from codescale_jax.data.tokenizer import ByteTokenizer
    from codescale_jax.parallel.mesh import make_mesh
    from codescale_jax.train.loop import resolve_config
    from codescale_jax.train.step import build_trainer

    corpus = ParallelCorpus({"python": [f"x = {i}\n" for i in range(6)], "go": [f"x := {i}\n" for i in range(6)],
                             "rust": [f"let x = {i};\n" for i in range(6)]})
    dirs = parse_directions("python<->go,go->rust")
    batches, stats = translation_batches(corpus, ByteTokenizer(), dirs, seq_len=64, batch_size=8)
    cfg = resolve_config(tiny_config())
    trainer = build_trainer(cfg.model, make_mesh(cfg.mesh), cfg.optimizer, 10)
    params = trainer.init(jax.random.key(0))["params"]
    m = loss_matrix(lambda b: trainer.eval_step(params, trainer.device_batch(b)), batches)
    filled = [(a, b) for a in range(7) for b in range(7) if not np.isnan(m[a, b])]
    assert len(filled) == 3 and all(stats[d]["dropped_too_long"] == 0 for d in dirs)
    # An untrained model is near uniform over the vocabulary (padding ids are masked): loss ~ log(vocab).
    assert np.all(np.abs(m[~np.isnan(m)] - np.log(cfg.model.vocab_size)) < 0.5)
