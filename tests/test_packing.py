"""Packing: layout, no token lost, segment ids / positions, resumable iterator state, LM shift."""

import grain
import numpy as np
import pytest

from codescale_jax.config import DataConfig
from codescale_jax.data import input as input_lib
from codescale_jax.data.packing import PackedRowsIterDataset, lm_batch, pack_sequences, segment_lengths


def _docs(rng, n=30, max_len=40):
    return [rng.integers(1, 100, rng.integers(0, max_len)).astype(np.int32) for _ in range(n)]


def test_every_token_kept_in_order_and_positions_restart():
    rng = np.random.default_rng(0)
    docs = _docs(rng)
    packed = pack_sequences(docs, 16)
    seg, pos, tok = packed["segment_ids"], packed["positions"], packed["tokens"]
    np.testing.assert_array_equal(tok[seg > 0], np.concatenate(docs))  # nothing dropped or reordered
    assert (seg[:-1] > 0).all()  # only the last row may hold padding
    for r in range(tok.shape[0]):
        for s in np.unique(seg[r][seg[r] > 0]):
            np.testing.assert_array_equal(pos[r][seg[r] == s], np.arange((seg[r] == s).sum()))
        ids = seg[r][seg[r] > 0]
        assert (np.diff(ids) >= 0).all() and ids[0] == 1  # ids count up from 1 within a row
    assert sum(sum(segment_lengths(row)) for row in seg) == sum(len(d) for d in docs)


def test_multi_feature_documents_share_the_layout():
    docs = [{"tokens": np.arange(5), "loss_weights": np.array([0, 0, 1, 1, 1])},
            {"tokens": np.arange(7) + 10, "loss_weights": np.ones(7, np.int32)}]
    packed = pack_sequences(docs, 8)
    np.testing.assert_array_equal(packed["loss_weights"][0], [0, 0, 1, 1, 1, 1, 1, 1])
    batch = lm_batch(packed, weights="loss_weights")
    # Target 0 is the token at position 1 (weight 0), target 2 is the third token (weight 1); the
    # cross-document target at index 4 -> 5 is masked whatever its weight.
    np.testing.assert_array_equal(batch["loss_mask"][0], [0, 1, 1, 1, 0, 1, 1])
    with pytest.raises(ValueError, match="equal length"):
        pack_sequences([{"tokens": np.arange(3), "w": np.arange(2)}], 4)


def test_lm_batch_masks_document_boundaries_and_padding():
    packed = pack_sequences([np.array([1, 2, 3]), np.array([4, 5])], 7)
    b = lm_batch(packed)
    np.testing.assert_array_equal(b["inputs"][0], [1, 2, 3, 4, 5, 0])
    np.testing.assert_array_equal(b["targets"][0], [2, 3, 4, 5, 0, 0])
    np.testing.assert_array_equal(b["loss_mask"][0], [1, 1, 0, 1, 0, 0])


def test_iterator_state_restores_the_identical_next_rows():
    rng = np.random.default_rng(1)
    docs = _docs(rng, n=50, max_len=60)
    ds = PackedRowsIterDataset(grain.MapDataset.source(docs).shuffle(seed=3).repeat(None).to_iter_dataset(), 24)
    for k in (0, 1, 7, 19):
        it = iter(ds)
        for _ in range(k):
            next(it)
        state = it.get_state()
        expected = [next(it) for _ in range(5)]
        it2 = iter(ds)
        it2.set_state(state)
        for e in expected:
            got = next(it2)
            for key in e:
                np.testing.assert_array_equal(e[key], got[key])


def test_training_pipeline_batches_and_resumes():
    cfg = DataConfig(seq_len=32)
    ds = input_lib.train_dataset(cfg, 4, seed=0)
    it = iter(ds)
    first = next(it)
    assert first["tokens"].shape == (4, 33) and first["segment_ids"].min() >= 1  # an endless stream never pads
    next(it)
    state = it.get_state()
    a = next(it)
    it2 = iter(ds)
    it2.set_state(state)
    np.testing.assert_array_equal(a["tokens"], next(it2)["tokens"])


def test_documents_are_tagged_and_terminated():
    from codescale_jax.data.tokenizer import ByteTokenizer

    tok = ByteTokenizer()
    ids = input_lib.Encode(tok, "python").map("x=1")
    assert ids[0] == tok.lang_id("python") and ids[-1] == tok.eos_id and tok.decode(ids) == "x=1"


def test_embedded_default_serves_every_language(tmp_path, monkeypatch):
    from codescale_jax.data.corpus_recipes import ensure_embedded_corpus

    built = ensure_embedded_corpus(tmp_path / "embedded", tokenizer_vocab=0, synthetic_programs=30)
    monkeypatch.setenv("CODESCALE_CORPUS_DIR", str(built))
    go = input_lib.documents(DataConfig(language="go"), "golang", "train")
    assert len(go) > 0 and all("package main" in go[i] for i in range(len(go)))
    english = input_lib.documents(DataConfig(language="english"), "english", "train")
    assert len(english) > 0 and "def " not in english[0][:200]
    # Python stays the interpreter's own standard library (no build needed).
    assert any("import" in d for d in input_lib.documents(DataConfig(), "python", "validation"))


def test_corpus_errors_are_clear():
    with pytest.raises(ValueError, match="unknown language"):
        input_lib.documents(DataConfig(), "cobol", "train")
    with pytest.raises(ValueError, match="corpus_dir"):
        input_lib.documents(DataConfig(corpus="shards"), "java", "train")
    with pytest.raises(ValueError, match="unknown data.corpus"):
        input_lib.documents(DataConfig(corpus="nope"), "python", "train")
