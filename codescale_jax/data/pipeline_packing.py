"""First-fit packing for evaluation, and the padding fraction of packed rows.

Pre-training packs concatenate-and-split (:class:`codescale_jax.data.packing.PackedRowsIterDataset`):
no padding, but a document may continue in the next row. Evaluation wants every example whole in
one row (a translation pair cut after its source would score a target without its source), so it
packs first-fit with Grain's ``FirstFitPackIterDataset``: each example goes into the first open
row it fits in, rows are emitted when full or when ``num_bins`` rows are open, and what is left
at the end is padding. Examples longer than a row are left out and counted, never truncated.

Grain names its outputs ``<feature>_segment_ids`` / ``<feature>_positions``; :func:`first_fit_rows`
returns the same layout as the pre-training packer (``segment_ids`` and ``positions``) so that
``lm_batch`` reads both.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import grain
import numpy as np

from codescale_jax.data.packing import POSITIONS, SEGMENT_IDS


@dataclass(frozen=True)
class PackedExamples:
    rows: dict[str, np.ndarray]  # [n_rows, length] per feature, plus segment_ids and positions
    dropped: int  # examples longer than a row, left out

    @property
    def padding_fraction(self) -> float:
        return padding_fraction(self.rows)


def padding_fraction(rows: dict[str, np.ndarray]) -> float:
    """Share of row positions that hold no token (segment id 0)."""
    seg = rows[SEGMENT_IDS]
    return float((seg == 0).mean()) if seg.size else 0.0


def first_fit_rows(examples: Sequence[dict[str, np.ndarray]], length: int, num_bins: int = 16,
                   feature: str = "tokens") -> PackedExamples:
    """Pack whole examples (dicts of equal-length 1-D arrays) into rows of ``length``, first fit."""
    if length < 1:
        raise ValueError(f"row length must be positive, got {length}")
    keep = [e for e in examples if e[feature].shape[0] <= length]
    dropped = len(examples) - len(keep)
    if not keep:
        raise ValueError(f"no example fits a row of {length} tokens ({dropped} longer); raise seq_len")
    names = list(keep[0])
    ds = grain.experimental.FirstFitPackIterDataset(
        grain.MapDataset.source(keep).to_iter_dataset(), length_struct={k: length for k in names},
        num_packing_bins=num_bins, shuffle_bins=False)
    rows = list(ds)
    out = {k: np.stack([r[k] for r in rows]) for k in names}
    out[SEGMENT_IDS] = np.stack([r[f"{feature}_segment_ids"] for r in rows]).astype(np.int32)
    out[POSITIONS] = np.stack([r[f"{feature}_positions"] for r in rows]).astype(np.int32)
    return PackedExamples(out, dropped)


def batches_of(rows: dict[str, np.ndarray], batch_size: int) -> list[dict[str, np.ndarray]]:
    """Split rows into batches of ``batch_size``; the last is filled with empty rows (all padding)."""
    n = next(iter(rows.values())).shape[0]
    pad = (-n) % batch_size
    if pad:
        rows = {k: np.concatenate([v, np.zeros((pad,) + v.shape[1:], v.dtype)]) for k, v in rows.items()}
    return [{k: v[i:i + batch_size] for k, v in rows.items()} for i in range(0, n + pad, batch_size)]
