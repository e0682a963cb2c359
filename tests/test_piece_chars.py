"""``data.piece_chars``: a single-language run reads its documents in shuffled pieces."""

from __future__ import annotations

import dataclasses
import string

import numpy as np
import pytest

from codescale_jax.config import ConfigError, make_config
from codescale_jax.data import input as input_lib
from codescale_jax.data.pipeline_encode import ChunkedDocuments
from codescale_jax.data.tokenizer import ByteTokenizer

LETTERS = string.ascii_lowercase
DOC_CHARS = 2000


def _docs():  # document k is one letter repeated, so every token says which document it came from
    return [ch * DOC_CHARS for ch in LETTERS]


def test_a_documents_pieces_concatenate_to_its_whole_encoding():
    tok = ByteTokenizer()
    docs = ["fn main() {\n    println!(\"é\");\n}\n" * 40, "x", "y" * 300]
    pieces = ChunkedDocuments(docs, 128)
    whole, by_piece = input_lib.Encode(tok, "rust"), input_lib.EncodePieceIds(tok, "rust")
    got = np.concatenate([by_piece.map(pieces[c]) for c in range(len(pieces))])
    np.testing.assert_array_equal(got, np.concatenate([whole.map(d) for d in docs]))
    assert len(pieces) > len(docs)


def _letters_read(monkeypatch, piece_chars: int, rows: int) -> np.ndarray:
    monkeypatch.setattr(input_lib, "train_documents", lambda data_cfg, lang: _docs())
    cfg = make_config("micro-0.1m", language="rust", tokens=10**6,
                      overrides=["data.seq_len=64", f"data.piece_chars={piece_chars}"])
    it = iter(input_lib.train_dataset(cfg.data, 8, seed=0))
    flat = np.concatenate([np.asarray(next(it)["tokens"]).ravel() for _ in range(rows // 8)])
    ids = [ByteTokenizer().encode(ch)[0] for ch in LETTERS]
    return np.asarray([int(np.sum(flat == i)) for i in ids])


def test_pieces_spread_a_short_run_over_many_documents(monkeypatch):
    whole = _letters_read(monkeypatch, 0, 32)  # 32 rows of 65 tokens: about one document
    pieces = _letters_read(monkeypatch, 100, 32)
    assert np.count_nonzero(whole) <= 2
    assert np.count_nonzero(pieces) >= 10


def test_one_epoch_of_pieces_reads_every_document_once(monkeypatch):
    epoch_rows = (len(LETTERS) * (DOC_CHARS + 2)) // 65 // 8 * 8  # whole batches inside the first epoch
    counts = _letters_read(monkeypatch, 100, epoch_rows)
    assert counts.max() <= DOC_CHARS
    assert counts.sum() >= epoch_rows * 65 - 2 * len(LETTERS)  # every token but the tags and <eos>


def test_a_negative_piece_size_is_refused():
    cfg = make_config("micro-0.1m", language="rust", tokens=1000, overrides=["data.piece_chars=-1"])
    with pytest.raises(ConfigError, match="piece_chars"):
        input_lib.train_dataset(cfg.data, 8, seed=0)


def test_a_mixture_cuts_its_documents_at_the_same_setting(monkeypatch):
    from codescale_jax.data import pipeline_train
    from codescale_jax.data.pipeline import MAX_PIECE_CHARS

    monkeypatch.setattr(input_lib, "train_documents", lambda data_cfg, lang: _docs())
    for piece_chars, size in ((0, MAX_PIECE_CHARS), (100, 100)):
        cfg = make_config("micro-0.1m", language="rust", tokens=1000,
                          overrides=["data.mixture=rust=0.5,go=0.5", f"data.piece_chars={piece_chars}"])
        comps = pipeline_train.components(cfg.data, ByteTokenizer())
        assert [len(c.dataset) for c in comps] == [len(ChunkedDocuments(_docs(), size))] * 2
    with pytest.raises(ConfigError, match="piece_chars"):
        input_lib.train_dataset(dataclasses.replace(cfg.data, piece_chars=-1), 8, seed=0)



def _letters_scored(monkeypatch, eval_piece_chars: int, eval_tokens: int = 2048,
                    language: str = "rust", docs=None) -> np.ndarray:
    """How many tokens of each document the validation set holds (``data.eval_piece_chars``)."""
    docs = _docs() if docs is None else docs
    monkeypatch.setattr(input_lib, "documents", lambda data_cfg, lang, split: docs)
    cfg = make_config("micro-0.1m", language=language, tokens=1000,
                      overrides=["data.seq_len=64", f"data.eval_tokens={eval_tokens}",
                                 f"data.eval_piece_chars={eval_piece_chars}"])
    batches = input_lib.eval_batches(cfg.data, 4)
    flat = np.concatenate([np.asarray(b["targets"])[np.asarray(b["loss_mask"]) > 0].ravel() for b in batches])
    ids = [ByteTokenizer().encode(ch)[0] for ch in LETTERS]
    return np.asarray([int(np.sum(flat == i)) for i in ids])


def test_eval_pieces_score_many_documents_instead_of_the_first(monkeypatch):
    head = _letters_scored(monkeypatch, 0)  # 2,048 tokens of 2,000-character documents: the first two
    spread = _letters_scored(monkeypatch, 100)
    assert np.count_nonzero(head) <= 2 and head[0] > 0
    assert np.count_nonzero(spread) >= 10  # 20 pieces drawn from 520 of 26 documents
    assert abs(int(spread.sum()) - int(head.sum())) <= 64  # the same number of tokens, differently spread


def test_eval_pieces_are_one_fixed_set_per_language(monkeypatch):
    a = _letters_scored(monkeypatch, 100)
    np.testing.assert_array_equal(a, _letters_scored(monkeypatch, 100))  # every run scores the same pieces
    assert not np.array_equal(a, _letters_scored(monkeypatch, 100, language="go"))


def test_eval_pieces_of_a_whole_split_score_every_token(monkeypatch):
    docs = [ch * 300 for ch in LETTERS]  # 7,800 characters, fewer than the budget: the split is all read
    counts = _letters_scored(monkeypatch, 100, eval_tokens=10**6, docs=docs)
    # Every character is scored but a piece's first when it is not a document's first, and the first
    # of each row that continues a piece: at most 2 + 5 of 300 per document.
    assert counts.max() <= 300 and counts.min() >= 290


def test_a_negative_eval_piece_size_is_refused():
    cfg = make_config("micro-0.1m", language="rust", tokens=1000, overrides=["data.eval_piece_chars=-5"])
    with pytest.raises(ConfigError, match="eval_piece_chars"):
        input_lib.eval_batches(cfg.data, 4)
