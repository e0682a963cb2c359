"""``data.unique_tokens``: a fixed capped subset of a language's documents, repeated by training."""

from __future__ import annotations

import numpy as np
import pytest

from codescale_jax.config import ConfigError, make_config
from codescale_jax.data import input as input_lib
from codescale_jax.data.tokenizer import ByteTokenizer


def _docs(n=60):
    return [f"fn f{i}() {{ {'x' * (37 + 11 * (i % 7))} }} é\n" for i in range(n)]


def test_the_sample_holds_the_cap_and_cuts_only_its_last_piece():
    docs, tok = _docs(), ByteTokenizer()
    capped = input_lib.CappedDocuments(docs, 1000, tok, seed=3)
    assert capped.tokens == 1000
    assert sum(len(tok.encode(capped[k])) + 2 for k in range(len(capped))) == 1000
    assert all(capped[k] in docs for k in range(len(capped) - 1))
    assert capped[len(capped) - 1] not in docs and any(d.startswith(capped[-1]) for d in docs)
    again = input_lib.CappedDocuments(docs, 1000, tok, seed=3)
    assert [again[k] for k in range(len(again))] == [capped[k] for k in range(len(capped))]
    assert input_lib.CappedDocuments(docs, 10**9, tok).tokens == sum(len(tok.encode(d)) + 2 for d in docs)
    with pytest.raises(ConfigError, match="unique_tokens"):
        input_lib.CappedDocuments(docs, -5, tok)
    with pytest.raises(ConfigError, match="too large to select"):  # the study's 64B-token baseline
        input_lib.CappedDocuments(docs, 64_000_000_000, tok)


def test_long_documents_give_one_piece_each_so_the_sample_spans_many_documents():
    docs = [f"// file {i}\n" + "let x = 1;\n" * 2000 for i in range(40)]  # 22k characters each
    tok = ByteTokenizer()
    capped = input_lib.CappedDocuments(docs, 20_000, tok, seed=0, max_chars=2048)
    texts = [capped[k] for k in range(len(capped))]
    assert len(texts) == 10 and all(len(t) <= 2048 for t in texts)  # whole documents: one, cut
    assert len({d for d, _ in capped._pieces}) == len(texts)  # every piece from its own document
    assert all(any(t in d for d in docs) for t in texts)
    assert sum(len(tok.encode(t)) + 2 for t in texts) == capped.tokens == 20_000


@pytest.mark.parametrize("mixture", ["", "rust=1.0"])
def test_training_on_twice_the_cap_sees_the_subset_twice(mixture):
    """Monolingual and mixture pipelines alike (no shuffling, so the epochs line up): the packed
    token stream of the second cap of tokens is the first one again, and nothing else is read."""
    cap = 8 * 65 * 6  # six batches of 8 rows of 65 tokens
    overrides = ["data.seq_len=64", f"data.unique_tokens={cap}", "data.shuffle=false"]
    if mixture:
        overrides.append(f"data.mixture={mixture}")
    cfg = make_config("micro-0.1m", language="rust", tokens=2 * cap, overrides=overrides)
    docs = input_lib.train_documents(cfg.data, "rust")
    assert isinstance(docs, input_lib.CappedDocuments) and docs.tokens == cap
    it = iter(input_lib.train_dataset(cfg.data, 8, seed=0))
    flat = np.concatenate([np.asarray(next(it)["tokens"]).ravel() for _ in range(12)])
    assert flat.size == 2 * cap
    np.testing.assert_array_equal(flat[:cap], flat[cap:])
    assert len(set(flat[:cap].tolist())) > 20  # real text, not padding
