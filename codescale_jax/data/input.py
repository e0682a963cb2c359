"""The training input: documents -> tokens -> packed rows -> batches, as one Grain pipeline.

``documents(data_cfg, language, split)`` is the single place that knows where text comes from:

* ``data.corpus=embedded`` (default): for Python the interpreter's own standard-library source,
  split by top-level module (present on every machine); for the other languages the embedded
  corpus (synthetic parallel programs, English from the interpreter's documentation), built once
  on first use;
* ``data.corpus=shards``: ArrayRecord shards ``<data.corpus_dir>/<language>/<split>*.array_record``.

Every document is encoded as ``<lang:ID> text <eos>`` (the language tag lets one model serve a
mixture and matches the pair format of the parallel data). The training pipeline shuffles
documents (reshuffled every epoch, repeated forever), tokenizes, packs to ``seq_len + 1``
(:mod:`codescale_jax.data.packing`) and batches; its iterator state is checkpointed with the model,
so a resumed run sees exactly the batches an uninterrupted run would have seen.
"""

from __future__ import annotations

import zlib
from typing import Iterator, Sequence

import grain
import numpy as np

from codescale_jax import languages
from codescale_jax.config import ConfigError, DataConfig
from codescale_jax.data import tokenizer as tokenizer_lib
from codescale_jax.data.packing import PackedRowsIterDataset, lm_batch
from codescale_jax.data.pipeline_encode import TOKENS, ChunkedDocuments, encode_piece, piece_count, piece_text
from codescale_jax.errors import EmptyCorpusError


def get_tokenizer(data_cfg: DataConfig):
    return tokenizer_lib.from_spec(data_cfg.tokenizer)


def documents(data_cfg: DataConfig, language: str, split: str) -> Sequence[str]:
    """A random-access sequence of document strings (``len`` and ``[i]``) for one language and split."""
    lang = languages.canonical(language)
    if data_cfg.corpus == "embedded":
        if lang == "python":
            from codescale_jax.data.embedded import stdlib_python_documents

            docs = stdlib_python_documents(split)
        else:
            # The other languages (synthetic programs, and English from the interpreter's own docs)
            # come from the embedded corpus, built once on first use ($CODESCALE_CORPUS_DIR or
            # artifacts/corpus/embedded; `python -m experiments.build_corpus --recipe embedded`).
            from codescale_jax.data.corpus_recipes import ensure_embedded_corpus
            from codescale_jax.data.shards import open_documents

            docs = open_documents(ensure_embedded_corpus(), lang, split, verify=data_cfg.verify_shards)
    elif data_cfg.corpus == "shards":
        if not data_cfg.corpus_dir:
            raise ConfigError("data.corpus=shards needs data.corpus_dir (a directory with manifest.json)")
        from codescale_jax.data.shards import open_documents

        docs = open_documents(data_cfg.corpus_dir, lang, split, verify=data_cfg.verify_shards)
    else:
        raise ConfigError(f"unknown data.corpus {data_cfg.corpus!r}; use 'embedded' or 'shards'")
    if len(docs) == 0:
        raise EmptyCorpusError(f"no {lang} documents in split {split!r} of corpus {data_cfg.corpus!r}")
    return docs


class CappedDocuments:
    """A fixed sample of ``docs`` holding ``cap_tokens`` tokens (tag and ``<eos>`` included), as a
    random-access sequence of texts: one piece of at most ``max_chars`` characters from each
    document, documents and pieces in a seeded order, until the cap (the last piece cut to fit).
    Training on it with a budget above the cap repeats it (``data.unique_tokens``).

    Pieces rather than whole documents: a mixture run reads its languages in pieces of the same
    size (``pipeline.MAX_PIECE_CHARS``) drawn across the corpus, so a sample of pieces is spread
    over as many documents as the mixture's share of the language, where whole documents would
    be a handful (32k byte tokens: 3 C# files of the registries corpus). Building it encodes the
    chosen pieces once. ``tokens`` is what it holds: the cap, or less when the split has fewer
    documents than the cap needs pieces."""

    #: Above this the sample would take many CPU-minutes to find at every start.
    MAX_CAP = 1_000_000_000

    def __init__(self, docs: Sequence[str], cap_tokens: int, tok, seed: int = 0, max_chars: int | None = None):
        if cap_tokens < 1:
            raise ConfigError(f"data.unique_tokens={cap_tokens}; it must be positive (0 turns the cap off)")
        if cap_tokens > self.MAX_CAP:
            raise ConfigError(
                f"data.unique_tokens={cap_tokens:.3g} is too large to select by encoding documents at every "
                f"start (limit {self.MAX_CAP:.0e}); build a corpus of that many tokens "
                "(python -m experiments.build_corpus) and train on it with data.unique_tokens=0: the input "
                "repeats a corpus it has read to the end")
        if max_chars is None:
            from codescale_jax.data.pipeline import MAX_PIECE_CHARS

            max_chars = MAX_PIECE_CHARS
        rng = np.random.default_rng(seed)
        self._docs, self._max = docs, int(max_chars)
        self._pieces: list[tuple[int, int]] = []  # (document, piece index)
        self._last: str | None = None
        total = 0
        for i in rng.permutation(len(docs)):
            text = docs[int(i)]
            part = int(rng.integers(piece_count(len(text), self._max)))
            ids = tok.encode(self._piece(text, part))
            self._pieces.append((int(i), part))
            if total + len(ids) + 2 >= cap_tokens:
                keep = max(1, cap_tokens - total - 2)
                if keep < len(ids):
                    self._last = tok.decode(ids[:keep])
                total += min(len(ids), keep) + 2
                break
            total += len(ids) + 2
        self.tokens = total

    def _piece(self, text: str, part: int) -> str:
        return piece_text(text, part, self._max)

    def __len__(self) -> int:
        return len(self._pieces)

    def __getitem__(self, k: int) -> str:
        k = int(k)
        if k < 0:
            k += len(self._pieces)
        if not 0 <= k < len(self._pieces):
            raise IndexError(f"piece {k} out of range for {len(self._pieces)}")
        if k == len(self._pieces) - 1 and self._last is not None:
            return self._last
        doc, part = self._pieces[k]
        return self._piece(self._docs[doc], part)


def train_documents(data_cfg: DataConfig, language: str) -> Sequence[str]:
    """The train split of ``language``; with ``data.unique_tokens`` its fixed capped subset."""
    docs = documents(data_cfg, language, "train")
    if data_cfg.unique_tokens:
        lang = languages.canonical(language)
        docs = CappedDocuments(docs, data_cfg.unique_tokens, get_tokenizer(data_cfg),
                               seed=zlib.crc32(lang.encode()))
    return docs


class Encode(grain.transforms.Map):
    """Document text -> int32 token ids ``<lang:ID> ... <eos>``."""

    def __init__(self, tok, language: str):
        self._tok = tok
        self._prefix = [tok.special_id(languages.get(language).tag)]
        self._eos = [tok.eos_id]

    def map(self, text: str) -> np.ndarray:
        return np.asarray(self._prefix + self._tok.encode(text) + self._eos, dtype=np.int32)


class EncodePieceIds(grain.transforms.Map):
    """A :class:`~codescale_jax.data.pipeline_encode.ChunkedDocuments` piece -> int32 token ids
    (:func:`~codescale_jax.data.pipeline_encode.encode_piece`'s, without the language feature)."""

    def __init__(self, tok, language: str):
        self._tok = tok
        self._language = languages.canonical(language)

    def map(self, piece: tuple[str, bool, bool]) -> np.ndarray:
        return encode_piece(self._tok, self._language, piece)[TOKENS]


def train_dataset(data_cfg: DataConfig, batch_size: int, *, seed: int, language: str | None = None,
                  process_index: int = 0, process_count: int = 1) -> grain.IterDataset:
    """Infinite dataset of per-process batches of packed rows ``[batch_size, seq_len + 1]``.

    ``batch_size`` is per process; documents are split across processes by index so hosts never
    read the same document in the same epoch. With ``data.mixture`` or a pairing ``data.strategy``
    the mixture pipeline of :mod:`codescale_jax.data.pipeline_train` is used instead.
    """
    from codescale_jax.data import pipeline_train

    if data_cfg.piece_chars < 0:
        raise ConfigError(f"data.piece_chars={data_cfg.piece_chars}; it must be positive (0: whole documents)")
    if pipeline_train.is_configured(data_cfg):
        return pipeline_train.train_pipeline(data_cfg, batch_size, seed=seed, process_index=process_index,
                                             process_count=process_count)
    lang = language or data_cfg.language
    tok = get_tokenizer(data_cfg)
    ds = grain.MapDataset.source(train_documents(data_cfg, lang))
    if process_count > 1:  # documents, not pieces, are split across processes
        ds = ds[process_index::process_count]
    encode: grain.transforms.Map = Encode(tok, lang)
    if data_cfg.piece_chars:  # reads every document once for its length (as a mixture does)
        ds = grain.MapDataset.source(ChunkedDocuments(ds, data_cfg.piece_chars))
        encode = EncodePieceIds(tok, lang)
    if data_cfg.shuffle:
        ds = ds.shuffle(seed=seed)
    ds = ds.repeat(None).map(encode).to_iter_dataset()
    ds = PackedRowsIterDataset(ds, data_cfg.seq_len + 1)
    return ds.batch(batch_size, drop_remainder=True)


def eval_batches(data_cfg: DataConfig, batch_size: int, *, language: str | None = None,
                 max_tokens: int | None = None) -> list[dict[str, np.ndarray]]:
    """The fixed validation set: the held-out split in corpus order, packed, first ``max_tokens``
    target tokens (default ``data.eval_tokens``), as next-token batches. With
    ``data.eval_piece_chars`` the split is cut into pieces of at most that many characters and the
    pieces are read in one fixed shuffled order (seeded by the language, not the run), so the
    tokens scored come from many documents instead of the first one or two. The last batch is padded
    with empty rows (loss mask 0) so every batch has the training shape."""
    lang = language or data_cfg.language
    if data_cfg.eval_piece_chars < 0:
        raise ConfigError(f"data.eval_piece_chars={data_cfg.eval_piece_chars}; it must be positive "
                          "(0: whole documents in corpus order)")
    tok = get_tokenizer(data_cfg)
    budget = data_cfg.eval_tokens if max_tokens is None else max_tokens
    docs = documents(data_cfg, lang, data_cfg.eval_split)
    if data_cfg.eval_piece_chars:
        # The same pieces in the same order for every run of this language, whatever its seed.
        seed = zlib.crc32(f"eval:{languages.canonical(lang)}".encode())
        ds = grain.MapDataset.source(ChunkedDocuments(docs, data_cfg.eval_piece_chars)).shuffle(seed=seed)
        ds = ds.map(EncodePieceIds(tok, lang))
    else:
        ds = grain.MapDataset.source(docs).map(Encode(tok, lang))
    it: Iterator = iter(PackedRowsIterDataset(ds.to_iter_dataset(), data_cfg.seq_len + 1))
    rows, seen = [], 0
    for row in it:
        rows.append(row)
        seen += data_cfg.seq_len
        if seen >= budget:
            break
    if not rows:
        raise EmptyCorpusError(f"the {data_cfg.eval_split!r} split of {lang} is empty")
    while len(rows) % batch_size:
        rows.append({k: np.zeros_like(v) for k, v in rows[0].items()})
    out = []
    for i in range(0, len(rows), batch_size):
        chunk = rows[i:i + batch_size]
        out.append(lm_batch({k: np.stack([r[k] for r in chunk]) for k in chunk[0]}))
    return out
