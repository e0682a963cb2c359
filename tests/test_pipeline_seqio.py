"""seqio bridge: per-language Tasks with the corpus's SentencePiece vocabulary, and a Mixture whose
example rates realise the requested token shares. Needs the seqio extra (TensorFlow)."""

import random

import numpy as np
import pytest

import seqio  # the seqio extra is a declared dependency of this test file: a missing install fails

from codescale_jax.data import pipeline_seqio as S
from codescale_jax.data.shards import write_split
from codescale_jax.data.tokenizer_sp import SentencePieceTokenizer, train_sentencepiece

LINES = {"python": "def f(x):\n    return x + {i}\n", "go": "func f(x int) int {{\n\treturn x * {i}\n}}\n"}


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    root = tmp_path_factory.mktemp("seqio_corpus")
    rng = random.Random(0)
    docs = {}
    for lang, line in LINES.items():
        for split, n in (("train", 40), ("validation", 12), ("test", 4)):
            split_docs = ["".join(line.format(i=rng.randint(0, 999)) for _ in range(rng.randint(1, 6 if lang == "python" else 18)))
                          for _ in range(n)]
            write_split(root / lang, split, split_docs, corpus_root=root)
            docs[(lang, split)] = split_docs
    train_sentencepiece({l: docs[(l, "train")] for l in LINES}, vocab_size=512, out_path=root / "tokenizer.model")
    return root, docs


def test_tasks_emit_tag_text_eos_with_the_corpus_vocabulary(corpus):
    root, docs = corpus
    names = S.register_language_tasks(root, ["python", "go"], prefix="t_seqio")
    assert names == ["t_seqio_python", "t_seqio_go"]
    tok = SentencePieceTokenizer(root / "tokenizer.model")
    task = seqio.get_mixture_or_task("t_seqio_go")
    ds = task.get_dataset(sequence_length={"targets": 4096}, split="validation", shuffle=False, use_cached=False)
    got = [ex["targets"].tolist() for ex in ds.as_numpy_iterator()]
    want = [[tok.lang_id("go")] + tok.encode(d) + [tok.eos_id] for d in docs[("go", "validation")]]
    assert got == want


def test_mixture_rates_turn_token_shares_into_example_rates(corpus):
    root, _ = corpus
    rates = S.register_mixture("t_seqio_mix", {"python": 0.25, "go": 0.75}, root, prefix="t_seqio")
    # go documents are about three times longer, so per token share they need fewer examples
    assert rates["go"] < 0.75 and sum(rates.values()) == pytest.approx(1.0)
    assert S.mixture_rates({"python": 1, "go": 1}, {"python": 10, "go": 30}) == pytest.approx(
        {"python": 0.75, "go": 0.25})
    mix = seqio.get_mixture_or_task("t_seqio_mix")
    ds = mix.get_dataset(sequence_length={"targets": 4096}, split="train", shuffle=True, seed=0, use_cached=False)
    tok = SentencePieceTokenizer(root / "tokenizer.model")
    counts = {"python": 0, "go": 0}
    for ex in ds.take(1500).as_numpy_iterator():
        t = ex["targets"]
        lang = "python" if t[0] == tok.lang_id("python") else "go"
        counts[lang] += int(np.count_nonzero(t))
    share = counts["go"] / sum(counts.values())
    assert share == pytest.approx(0.75, abs=0.05)
