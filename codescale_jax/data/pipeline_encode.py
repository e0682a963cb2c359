"""Documents -> token arrays with a per-token language feature, the unit every pipeline packs.

An encoded document is ``{"tokens": int32[n], "languages": int32[n]}``: the ``<lang:ID> text <eos>``
ids of :mod:`codescale_jax.data.input` plus, for each token, the index of its language in
``languages.ALL_LANGUAGES``. Packing carries the second feature along (it packs every feature with
the same layout), so a packed batch knows which language each token belongs to; that is what the
per-language token counters read, and it stays right for pair documents whose two halves are in
different languages.

``ByteTokenizer`` documents take a vectorised fast path (``numpy.frombuffer`` over the UTF-8
bytes); :func:`encode_reference` is the plain path through ``tokenizer.encode`` that tests compare
it with.
"""

from __future__ import annotations

from typing import Sequence

import grain
import numpy as np

from codescale_jax import languages
from codescale_jax.data.tokenizer import ByteTokenizer

TOKENS, LANGS = "tokens", "languages"


def language_index(language: str) -> int:
    """Index of a language in ``ALL_LANGUAGES`` (the value of the ``languages`` feature)."""
    return languages.ALL_LANGUAGES.index(languages.canonical(language))


def text_ids(tok, text: str) -> np.ndarray:
    """Token ids of ``text`` (no specials) as int32, vectorised for the byte tokenizer."""
    if isinstance(tok, ByteTokenizer):
        return np.frombuffer(text.encode("utf-8"), dtype=np.uint8).astype(np.int32) + tok.offset
    return np.asarray(tok.encode(text), dtype=np.int32)


def encode_document(tok, language: str, text: str) -> dict[str, np.ndarray]:
    """``<lang:ID> text <eos>`` with its language feature."""
    body = text_ids(tok, text)
    ids = np.empty(body.shape[0] + 2, np.int32)
    ids[0] = tok.special_id(languages.get(language).tag)
    ids[1:-1] = body
    ids[-1] = tok.eos_id
    return {TOKENS: ids, LANGS: np.full(ids.shape[0], language_index(language), np.int32)}


def encode_reference(tok, language: str, text: str) -> dict[str, np.ndarray]:
    """The same as :func:`encode_document` through ``tok.encode`` and Python lists (test oracle)."""
    ids = [tok.special_id(languages.get(language).tag)] + list(tok.encode(text)) + [tok.eos_id]
    return {TOKENS: np.asarray(ids, np.int32), LANGS: np.asarray([language_index(language)] * len(ids), np.int32)}


class EncodeDocument(grain.transforms.Map):
    """Grain map: document text -> encoded document of one language."""

    def __init__(self, tok, language: str):
        self._tok = tok
        self._language = languages.canonical(language)

    def map(self, text: str) -> dict[str, np.ndarray]:
        return encode_document(self._tok, self._language, text)


def piece_count(n_chars, max_chars: int):
    """Pieces of at most ``max_chars`` characters in a text of ``n_chars`` (at least one; arrays too)."""
    return np.maximum(1, -(-np.asarray(n_chars) // max_chars))


def piece_text(text: str, part: int, max_chars: int) -> str:
    """Piece ``part`` of ``text`` cut into pieces of at most ``max_chars`` characters."""
    return text[part * max_chars:(part + 1) * max_chars]


class ChunkedDocuments:
    """Documents cut into pieces of at most ``max_chars`` characters, as a random-access sequence.

    Why: a mixture draws *documents* per language, so its realised token shares carry the variance
    of document lengths. Code corpora are heavy-tailed (one standard-library module can be 300 KB
    while the median is 3 KB), and a handful of huge documents would move a language's share by
    several percent over ten million tokens. Cutting every document into pieces of bounded size
    makes the shares converge like those of evenly sized documents. Element ``c`` is
    ``(text, first, last)``: the first piece gets the ``<lang:ID>`` tag and the last one ``<eos>``,
    so the pieces of a document concatenate to exactly its usual encoding. Building the piece table
    reads every document once (character counts only).
    """

    def __init__(self, docs: Sequence[str], max_chars: int):
        if max_chars < 1:
            raise ValueError(f"max_chars must be positive, got {max_chars}")
        self._docs = docs
        lengths = np.fromiter((len(docs[i]) for i in range(len(docs))), np.int64, len(docs))
        pieces = piece_count(lengths, max_chars)
        self._doc = np.repeat(np.arange(len(docs), dtype=np.int64), pieces)
        starts = np.concatenate([[0], np.cumsum(pieces)[:-1]]).astype(np.int64)
        self._part = np.arange(self._doc.shape[0], dtype=np.int64) - np.repeat(starts, pieces)
        self._pieces = pieces
        self._max = max_chars

    def __len__(self) -> int:
        return int(self._doc.shape[0])

    def __getitem__(self, c: int) -> tuple[str, bool, bool]:
        d, part = int(self._doc[c]), int(self._part[c])
        text = self._docs[d]
        return piece_text(text, part, self._max), part == 0, part == int(self._pieces[d]) - 1


def encode_piece(tok, language: str, piece: tuple[str, bool, bool]) -> dict[str, np.ndarray]:
    """A piece of :class:`ChunkedDocuments`: the tag only on the first piece, ``<eos>`` only on the last."""
    text, first, last = piece
    body = text_ids(tok, text)
    ids = np.empty(body.shape[0] + int(first) + int(last), np.int32)
    if first:
        ids[0] = tok.special_id(languages.get(language).tag)
    ids[int(first):int(first) + body.shape[0]] = body
    if last:
        ids[-1] = tok.eos_id
    return {TOKENS: ids, LANGS: np.full(ids.shape[0], language_index(language), np.int32)}


class EncodePiece(grain.transforms.Map):
    """Grain map over :class:`ChunkedDocuments` elements of one language."""

    def __init__(self, tok, language: str):
        self._tok = tok
        self._language = languages.canonical(language)

    def map(self, piece: tuple[str, bool, bool]) -> dict[str, np.ndarray]:
        return encode_piece(self._tok, self._language, piece)


def token_count(element: dict[str, np.ndarray]) -> int:
    return int(element[TOKENS].shape[0])


def language_token_counts(rows: dict[str, np.ndarray], langs: Sequence[str] = languages.ALL_LANGUAGES) -> dict[str, int]:
    """Non-padding tokens per language in packed rows (any leading shape)."""
    keep = rows["segment_ids"] != 0
    counts = np.bincount(rows[LANGS][keep].ravel(), minlength=len(languages.ALL_LANGUAGES))
    return {lang: int(counts[language_index(lang)]) for lang in langs}


class TokenCounter:
    """Cumulative per-language token counts of the batches a run consumed.

    ``state()`` is a JSON dict kept in the checkpoint beside the iterator state, so the counts of a
    resumed run continue from the saved ones; ``metrics()`` gives ``tokens_<lang>`` and
    ``share_<lang>`` for the metrics row.
    """

    def __init__(self, langs: Sequence[str] = languages.ALL_LANGUAGES, state: dict | None = None):
        self.langs = tuple(languages.canonical(l) for l in langs)
        self.counts = {l: 0 for l in self.langs}
        if state:
            for lang, n in state.items():
                self.counts[languages.canonical(lang)] = int(n)

    def update(self, rows: dict[str, np.ndarray]) -> None:
        if LANGS not in rows:
            return
        for lang, n in language_token_counts(rows, self.langs).items():
            self.counts[lang] += n

    def state(self) -> dict[str, int]:
        return dict(self.counts)

    def shares(self) -> dict[str, float]:
        total = sum(self.counts.values())
        return {l: (n / total if total else 0.0) for l, n in self.counts.items()}

    def metrics(self) -> dict[str, float]:
        out: dict[str, float] = {}
        shares = self.shares()
        for lang, n in self.counts.items():
            if n:
                out[f"tokens_{lang}"] = n
                out[f"share_{lang}"] = shares[lang]
        return out
