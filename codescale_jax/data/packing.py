"""Sequence packing: documents of any length into fixed-length rows, without cross-talk.

A row is filled from a stream of tokenized documents, one after the other; a document that does
not fit in the rest of a row continues at the start of the next row. Each piece of a document in a
row gets its own segment id (1, 2, ... within the row; 0 marks padding, which only appears at the
very end of a finite stream) and positions that restart at 0. With the decoder's segment mask this
means a document never attends to another one, and because rotary embeddings depend only on
position *differences*, restarting a continued piece at 0 changes nothing for it. Nothing is
truncated or dropped, so every token of the corpus is trained on.

The stream is a Grain ``IterDataset`` whose elements are 1-D integer arrays (the feature
``tokens``) or dicts of equal-length 1-D arrays (for example ``tokens`` and ``loss_weights`` of
a translation pair): every feature is packed with the same layout. :class:`PackedRowsIterDataset`
is the Grain transformation; its iterator state is small (the parent's state before the current
document plus an offset into it) so a checkpointed pipeline restores the identical next row.

For language modelling, rows are packed with ``seq_len + 1`` tokens and :func:`lm_batch` shifts
them into inputs and targets.
"""

from __future__ import annotations

from typing import Any, Iterable, Sequence

import grain
import numpy as np

SEGMENT_IDS = "segment_ids"
POSITIONS = "positions"


def _as_features(element: Any, default_feature: str) -> dict[str, np.ndarray]:
    if isinstance(element, dict):
        feats = {k: np.asarray(v) for k, v in element.items()}
    else:
        feats = {default_feature: np.asarray(element)}
    lengths = {k: v.shape for k, v in feats.items()}
    if any(len(s) != 1 for s in lengths.values()) or len({s[0] for s in lengths.values()}) != 1:
        raise ValueError(f"packing needs 1-D features of equal length per document, got shapes {lengths}")
    return feats


class _PackIterator(grain.DatasetIterator):
    def __init__(self, parent: grain.DatasetIterator, length: int, feature: str):
        super().__init__(parent)
        self._length = length
        self._feature = feature
        self._doc: dict[str, np.ndarray] | None = None  # the document being consumed
        self._doc_state: Any = None  # parent state just before that document was read
        self._offset = 0

    def _fetch(self) -> bool:
        """Load the next non-empty document; False at the end of the stream."""
        while True:
            state = self._parent.get_state()
            try:
                doc = _as_features(next(self._parent), self._feature)
            except StopIteration:
                return False
            if next(iter(doc.values())).shape[0] > 0:
                self._doc, self._doc_state, self._offset = doc, state, 0
                return True

    def __next__(self) -> dict[str, np.ndarray]:
        length = self._length
        row: dict[str, np.ndarray] | None = None
        seg = np.zeros(length, np.int32)
        pos = np.zeros(length, np.int32)
        fill, seg_id = 0, 0
        while fill < length:
            if self._doc is None and not self._fetch():
                break
            doc = self._doc
            if row is None:
                row = {k: np.zeros(length, v.dtype) for k, v in doc.items()}
            elif doc.keys() != row.keys():
                raise ValueError(f"documents disagree on features: {sorted(row)} vs {sorted(doc)}")
            doc_len = next(iter(doc.values())).shape[0]
            n = min(length - fill, doc_len - self._offset)
            for k, v in doc.items():
                row[k][fill:fill + n] = v[self._offset:self._offset + n]
            seg_id += 1
            seg[fill:fill + n] = seg_id
            pos[fill:fill + n] = np.arange(n, dtype=np.int32)
            fill += n
            self._offset += n
            if self._offset == doc_len:
                self._doc = None
        if row is None:
            raise StopIteration
        row[SEGMENT_IDS] = seg
        row[POSITIONS] = pos
        return row

    def get_state(self) -> dict[str, Any]:
        if self._doc is None:
            return {"parent": self._parent.get_state(), "offset": -1}
        return {"parent": self._doc_state, "offset": int(self._offset)}

    def set_state(self, state: dict[str, Any]) -> None:
        self._parent.set_state(state["parent"])
        self._doc = None
        if state["offset"] >= 0:
            if not self._fetch():
                raise ValueError("packing state points past the end of its input stream")
            self._offset = int(state["offset"])


class PackedRowsIterDataset(grain.IterDataset):
    """Pack a stream of documents into rows of ``length`` with ``segment_ids`` and ``positions``.

    Elements of ``parent``: a 1-D array (stored under ``feature``) or a dict of 1-D arrays of one
    length. Output: a dict of ``[length]`` arrays, each input feature plus ``segment_ids`` (int32,
    1.. per piece, 0 = padding) and ``positions`` (int32, restarting at 0 per piece).
    """

    def __init__(self, parent: grain.IterDataset, length: int, feature: str = "tokens"):
        super().__init__(parent)
        if length < 1:
            raise ValueError(f"row length must be positive, got {length}")
        self._length = length
        self._feature = feature

    def __iter__(self) -> _PackIterator:
        return _PackIterator(self._parent.__iter__(), self._length, self._feature)

    def __str__(self) -> str:
        return f"PackedRowsIterDataset(length={self._length})"


def pack_sequences(documents: Iterable[Any], length: int, feature: str = "tokens") -> dict[str, np.ndarray]:
    """Pack a finite list of documents eagerly: a dict of ``[rows, length]`` arrays (the last row may
    end in padding). The same code path as the Grain transformation, for tests and small jobs."""
    ds = PackedRowsIterDataset(grain.MapDataset.source(list(documents)).to_iter_dataset(), length, feature)
    rows = list(ds)
    if not rows:
        raise ValueError("nothing to pack: every document is empty")
    return {k: np.stack([r[k] for r in rows]) for k in rows[0]}


def lm_batch(rows: dict[str, np.ndarray], feature: str = "tokens", weights: str | None = None) -> dict[str, np.ndarray]:
    """Turn packed rows of ``T + 1`` into a next-token batch of length ``T``.

    Returns ``inputs``, ``targets``, ``segment_ids``, ``positions`` and ``loss_mask`` (float32: 1 where
    the target is the next token of the same document piece, times ``rows[weights]`` at the target
    when a per-token weight feature is given, e.g. to score only a translation's target side).
    """
    tok, seg, pos = rows[feature], rows[SEGMENT_IDS], rows[POSITIONS]
    same = (seg[..., 1:] == seg[..., :-1]) & (seg[..., :-1] != 0)
    mask = same.astype(np.float32)
    if weights is not None:
        mask = mask * rows[weights][..., 1:].astype(np.float32)
    return {
        "inputs": tok[..., :-1].astype(np.int32),
        "targets": tok[..., 1:].astype(np.int32),
        "segment_ids": seg[..., :-1],
        "positions": pos[..., :-1],
        "loss_mask": mask,
    }


def segment_lengths(segment_ids: Sequence[int]) -> list[int]:
    """Lengths of the non-padding pieces of one packed row (for diagnostics and tests)."""
    ids = np.asarray(segment_ids)
    return [int((ids == s).sum()) for s in np.unique(ids) if s != 0]
