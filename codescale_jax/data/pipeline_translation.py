"""Translation evaluation: per-direction batches scored on target tokens only, and the 7x7 matrix.

For a direction ``src -> tgt`` every held-out program becomes ``<lang:src> source <sep> <lang:tgt>
target <eos>`` (the ``paired`` format, or ``paired-prompt`` with its instruction), packed first-fit
so a pair is never split across rows. ``lm_batch(rows, weights="loss_weights")`` then gives a
``loss_mask`` that is 1 only where the *target* is a token of the translation (its text and
``<eos>``): the source, the separator and the target tag are context, not scored. The loss of a
direction is the mean cross-entropy over those tokens (nats per target token).

:func:`loss_matrix` fills ``L[i, j]`` = loss of translating ``langs[i]`` into ``langs[j]`` from any
function that scores a batch as ``(sum of losses, number of scored tokens)`` (the trainer's
``eval_step`` has that shape), with NaN on the diagonal and for directions without batches. The
study trains the Python<->X directions and reads the other 30 as zero-shot transfer.
"""

from __future__ import annotations

from typing import Callable, Mapping, Sequence

import numpy as np

from codescale_jax import languages
from codescale_jax.data.packing import lm_batch
from codescale_jax.data.pipeline_packing import batches_of, first_fit_rows
from codescale_jax.data.pipeline_pairs import TARGET, ParallelCorpus, PairsMapDataset

Direction = tuple[str, str]


def direction_batches(corpus: ParallelCorpus, tok, direction: Direction, seq_len: int, batch_size: int,
                      strategy: str = "paired", max_pairs: int | None = None) -> tuple[list[dict], dict]:
    """Next-token batches of one direction (target-only ``loss_mask``) and packing statistics."""
    if strategy == "shuffled":
        raise ValueError("translation is evaluated on true pairs; use strategy 'paired' or 'paired-prompt'")
    pairs = PairsMapDataset(corpus, tok, [direction], strategy, target_mask=True)
    n = len(pairs) if max_pairs is None else min(len(pairs), max_pairs)
    packed = first_fit_rows([pairs[k] for k in range(n)], seq_len + 1)
    batches = [lm_batch(b, weights=TARGET) for b in batches_of(packed.rows, batch_size)]
    stats = {"pairs": n - packed.dropped, "dropped_too_long": packed.dropped, "rows": int(packed.rows[TARGET].shape[0]),
             "padding_fraction": packed.padding_fraction,
             "target_tokens": int(sum(float(b["loss_mask"].sum()) for b in batches))}
    return batches, stats


def translation_batches(corpus: ParallelCorpus, tok, directions: Sequence[Direction], seq_len: int,
                        batch_size: int, strategy: str = "paired",
                        max_pairs: int | None = None) -> tuple[dict[Direction, list[dict]], dict[Direction, dict]]:
    """:func:`direction_batches` for every direction (e.g. ``parse_directions("all")``)."""
    out, stats = {}, {}
    for d in directions:
        out[d], stats[d] = direction_batches(corpus, tok, d, seq_len, batch_size, strategy, max_pairs)
    return out, stats


def direction_loss(loss_fn: Callable[[dict], tuple[float, float]], batches: Sequence[dict]) -> float:
    """Mean loss per scored token over ``batches``; NaN when nothing is scored."""
    total = count = 0.0
    for b in batches:
        s, c = loss_fn(b)
        total, count = total + float(s), count + float(c)
    return total / count if count > 0 else float("nan")


def loss_matrix(loss_fn: Callable[[dict], tuple[float, float]], batches: Mapping[Direction, Sequence[dict]],
                langs: Sequence[str] = languages.CODE_LANGUAGES) -> np.ndarray:
    """``[len(langs), len(langs)]`` matrix of per-direction target-token losses (row = source)."""
    langs = [languages.canonical(l) for l in langs]
    index = {l: i for i, l in enumerate(langs)}
    m = np.full((len(langs), len(langs)), np.nan)
    for (src, tgt), bs in batches.items():
        src, tgt = languages.canonical(src), languages.canonical(tgt)
        if src not in index or tgt not in index:
            raise ValueError(f"direction {src}->{tgt} is not among the matrix languages {langs}")
        m[index[src], index[tgt]] = direction_loss(loss_fn, bs)
    return m


def format_matrix(m: np.ndarray, langs: Sequence[str] = languages.CODE_LANGUAGES, trained: Sequence[Direction] = ()) -> str:
    """A plain-text table (row = source, column = target); trained directions are marked ``*``."""
    langs = [languages.canonical(l) for l in langs]
    marked = {(languages.canonical(a), languages.canonical(b)) for a, b in trained}
    width = max(10, *(len(l) + 1 for l in langs))
    lines = ["src\\tgt".ljust(width) + "".join(l.rjust(width) for l in langs)]
    for i, a in enumerate(langs):
        cells = []
        for j, b in enumerate(langs):
            v = m[i, j]
            cell = "-" if np.isnan(v) else f"{v:.3f}" + ("*" if (a, b) in marked else "")
            cells.append(cell.rjust(width))
        lines.append(a.ljust(width) + "".join(cells))
    return "\n".join(lines)
