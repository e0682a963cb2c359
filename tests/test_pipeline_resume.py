"""Iterator state: save, restore, identical next batch (mid-epoch, through an orbax checkpoint, with
two Grain worker processes), and a change of the mixture when resuming."""

import json
import random

import numpy as np
import pytest

from codescale_jax.data import pipeline as P
from codescale_jax.data import pipeline_mixture as M
from codescale_jax.data.pipeline_encode import TOKENS, TokenCounter
from codescale_jax.data.tokenizer import ByteTokenizer
from codescale_jax.train.checkpoint import Checkpointer

TOK = ByteTokenizer()


def docs(n=30, seed=0):
    rng = random.Random(seed)
    out = {}
    for lang, mean in (("python", 200), ("go", 500), ("rust", 350)):
        out[lang] = [f"{lang} {i} " + "x" * max(1, int(rng.expovariate(1 / mean))) for i in range(n)]
    return out


def pipeline(props="python=0.5,go=0.3,rust=0.2", workers=0, seed=1):
    comps = P.language_components(docs(), M.parse_proportions(props), TOK)
    return P.MixturePipeline(comps, P.PipelineOptions(seq_len=64, batch_size=4, seed=seed, num_workers=workers))


def equal(a, b):
    return a.keys() == b.keys() and all(np.array_equal(a[k], b[k]) for k in a)


@pytest.mark.parametrize("steps", [1, 37])  # 37 batches = ~9.5k tokens: well past one epoch of python
def test_restore_gives_the_identical_next_batch(steps):
    it = iter(pipeline())
    for _ in range(steps):
        next(it)
    state = json.loads(json.dumps(it.get_state()))  # what the checkpoint stores is JSON
    assert state["iterator"]["offset"] >= 0 or steps == 1  # mid-document (and mid-epoch) position
    want = [next(it) for _ in range(3)]
    again = iter(pipeline())
    again.set_state(state)
    got = [next(again) for _ in range(3)]
    assert all(equal(a, b) for a, b in zip(want, got))


def test_state_survives_an_orbax_checkpoint(tmp_path):
    it = iter(pipeline())
    for _ in range(11):
        next(it)
    ckpt = Checkpointer(tmp_path / "ckpt", keep=1)
    ckpt.save(11, {"w": np.arange(3, dtype=np.float32)}, {"iterator": it.get_state()})
    ckpt.wait()
    want = next(it)
    _, data = ckpt.restore(11, {"w": np.zeros(3, np.float32)})
    ckpt.close()
    again = iter(pipeline())
    again.set_state(data["iterator"])
    assert equal(next(again), want)


@pytest.mark.slow
def test_restore_with_two_worker_processes():
    it = iter(pipeline(workers=2))
    ref = iter(pipeline(workers=0))
    first = [next(it) for _ in range(9)]
    assert all(equal(a, next(ref)) for a in first)  # workers do not change the stream
    state = json.loads(json.dumps(it.get_state()))
    want = [next(it) for _ in range(2)]
    it.close()
    again = iter(pipeline(workers=2))
    again.set_state(state)
    got = [next(again) for _ in range(2)]
    again.close()
    assert all(equal(a, b) for a, b in zip(want, got))


def test_changing_the_mixture_on_resume_continues_each_language():
    old = iter(pipeline("python=0.5,go=0.3,rust=0.2"))
    for _ in range(20):
        next(old)
    state = old.get_state()
    new_pipe = pipeline("python=0.1,go=0.9")
    it = iter(new_pipe)
    it.set_state(state)
    s = it.get_state()["mixture"]
    assert s["components"] == ["python", "go"]
    # Each language restarts where the old phase had reached (not at the start of its stream).
    old_mix = M.MixtureMapDataset([None] * 3, [int(w) for w in state["mixture"]["weights"]])
    k = P._consumed_index(state["iterator"])
    reached = old_mix.consumed(k)
    assert s["offsets"] == [reached[0], reached[1]] and min(s["offsets"]) > 0
    assert it.get_state()["mixture"]["weights"] == [str(w) for w in new_pipe.weights]
    # The first document of the new phase is python's or go's next one in their own streams.
    rows = next(it)
    texts = TOK.decode(rows[TOKENS][0][:40])
    assert texts.startswith("python") or texts.startswith("go")
    # And the new shares apply from then on.
    counter = TokenCounter()
    for _ in range(150):
        counter.update(next(it))
    assert counter.shares()["go"] == pytest.approx(0.9, abs=0.05) and counter.counts["rust"] == 0
    # A saved state of the new phase restores exactly within that phase.
    st = json.loads(json.dumps(it.get_state()))
    want = next(it)
    again = iter(pipeline("python=0.1,go=0.9"))
    again.set_state(st)
    assert equal(next(again), want)
