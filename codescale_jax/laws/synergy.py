"""Synergy between languages from bilingual results rows.

Setup of the study (Yang et al. 2025, arXiv:2512.13472, Exp. 2): target language ``i`` is trained
either alone (its data repeated, the baseline ``i + i``) or in a 50:50 mix with an auxiliary ``j``;
both read out on ``i``'s validation loss. Synergy is

    Delta(i, j) = L(i + i) - L(i + j)          (positive: ``j`` helps ``i``)
    relative(i, j) = Delta(i, j) / L(i + i)

(the paper prints the opposite sign in its formula but reports values with this one).
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import numpy as np

from codescale_jax.study.results import normalise_language


@dataclass(frozen=True)
class Synergy:
    """``loss[i, j]``: target ``i``'s loss mixed with auxiliary ``j`` (diagonal: baseline)."""

    languages: tuple[str, ...]
    loss: np.ndarray

    @property
    def absolute(self) -> np.ndarray:
        """``Delta(i, j) = loss[i, i] - loss[i, j]``; zero on the diagonal."""
        return np.diag(self.loss)[:, None] - self.loss

    @property
    def relative(self) -> np.ndarray:
        return self.absolute / np.diag(self.loss)[:, None]

    def to_json(self) -> dict:
        def table(m):
            return {a: {b: (None if np.isnan(m[i, j]) else float(m[i, j])) for j, b in enumerate(self.languages)}
                    for i, a in enumerate(self.languages)}
        return {"languages": list(self.languages), "loss": table(self.loss), "absolute": table(self.absolute),
                "relative": table(self.relative),
                "convention": "Delta(i,j) = L(i+i) - L(i+j); rows are targets, columns auxiliaries"}


def _mixture(row: dict) -> dict[str, float]:
    mix = row.get("mixture")
    if mix is None or mix == "":
        raise ValueError(f"run {row.get('run_id')}: bilingual synergy needs the 'mixture' column")
    if isinstance(mix, str):
        mix = json.loads(mix)
    return {normalise_language(k): float(v) for k, v in mix.items() if float(v) > 0}


def synergy_from_rows(rows, languages=None) -> Synergy:
    """Build the synergy matrix from rows with ``language`` (target) and ``mixture``.

    A row whose mixture holds only its target is a baseline; one with the target and one other
    language is the cell (target, other). Repeated cells (seeds) are averaged. Missing cells are
    NaN; a target without a baseline is an error (every Delta needs it).
    """
    cells: dict[tuple[str, str], list[float]] = {}
    for row in rows:
        target = row["language"]
        mix = _mixture(row)
        others = [k for k in mix if k != target]
        if target not in mix or len(others) > 1:
            continue  # not a (target, auxiliary) bilingual run
        aux = others[0] if others else target
        cells.setdefault((target, aux), []).append(float(row["loss"]))
    if not cells:
        raise ValueError("no bilingual rows found (need rows whose mixture holds the target and at most one other language)")
    langs = tuple(languages) if languages else tuple(sorted({t for t, _ in cells} | {a for _, a in cells}))
    k = len(langs)
    loss = np.full((k, k), np.nan)
    for (t, a), vals in cells.items():
        if t in langs and a in langs:
            loss[langs.index(t), langs.index(a)] = float(np.mean(vals))
    targets = {t for t, _ in cells}
    missing = [lang for lang in langs if lang in targets and np.isnan(loss[langs.index(lang), langs.index(lang)])]
    if missing:
        raise ValueError(f"no baseline (target-only) run for {', '.join(missing)}; synergy is measured against it")
    return Synergy(languages=langs, loss=loss)
