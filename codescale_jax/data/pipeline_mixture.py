"""Mixture proportions and the deterministic mixing of per-language document streams.

Three pieces, all pure and small:

* :func:`parse_proportions` reads token shares ``p`` from a flag (``"python=0.6,java=0.4"``) or from
  the allocator's ``alloc.json`` (``{"languages": {lang: {"share": ...}}}``; flat ``{lang: share}``,
  ``{"shares": ...}`` and ``{"proportions": ...}`` documents are accepted too).
* :func:`document_weights` turns *token* shares into *document* weights. Languages differ in how
  many tokens a document holds (a Java file is longer than a Python one), so drawing documents in
  proportion ``p`` would over-feed the verbose languages; the weight of language ``i`` is
  ``p_i / mean_tokens_per_document_i``, which makes the expected token share ``p_i``.
* :class:`MixtureMapDataset` interleaves the components at the ``MapDataset`` level: one source,
  one reader thread pool however many languages there are. Element ``k`` is assigned by a balanced
  binary tree over the components; at a node with integer weights ``a`` (left) and ``b`` (right) the
  number of left elements among the first ``k`` is ``round(k * a / (a + b))``. Every prefix of the
  stream therefore holds each component within a few documents of its exact share (no sampling
  noise from the selection itself), the mapping is random access (``O(log #components)`` integer
  operations per element) and needs no state beyond the index. ``offsets`` start each component
  later in its own stream, which is how a run that changes ``p`` when it resumes continues every
  language where it stopped (see :mod:`codescale_jax.data.pipeline`).

Weights are integers at a resolution of 2**40 of the total, so a share is represented to ~1e-12.
"""

from __future__ import annotations

import json
import math
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping, Sequence

import grain
import numpy as np

from codescale_jax import languages
from codescale_jax.errors import InputError

WEIGHT_RESOLUTION = 1 << 40


class MixtureError(InputError, ValueError):
    """Proportions that cannot describe a mixture (negative, all zero, unknown language, ...)."""


@dataclass(frozen=True)
class Proportions:
    """Token shares per language, normalised to sum to one, zero shares dropped, registry order."""

    languages: tuple[str, ...]
    shares: tuple[float, ...]

    def as_dict(self) -> dict[str, float]:
        return dict(zip(self.languages, self.shares))


def normalize(shares: Mapping[str, float]) -> Proportions:
    """Canonical language ids, shares divided by their sum, languages with share 0 left out."""
    clean: dict[str, float] = {}
    for name, value in shares.items():
        lang = languages.canonical(name)
        v = float(value)
        if not math.isfinite(v) or v < 0:
            raise MixtureError(f"share of {lang} is {value!r}; shares must be finite and >= 0")
        if lang in clean:
            raise MixtureError(f"{lang} is given twice in the mixture ({name!r})")
        clean[lang] = v
    total = sum(clean.values())
    if total <= 0:
        raise MixtureError(f"the mixture {dict(shares)} has no positive share; give at least one language > 0")
    order = [l for l in languages.ALL_LANGUAGES if clean.get(l, 0.0) > 0]
    return Proportions(tuple(order), tuple(clean[l] / total for l in order))


def _shares_from_json(doc: Any, where: str) -> dict[str, float]:
    if not isinstance(doc, dict):
        raise MixtureError(f"{where}: expected a JSON object of shares, got {type(doc).__name__}")
    for key in ("languages", "shares", "proportions", "mixture"):
        if key in doc and isinstance(doc[key], dict):
            inner = doc[key]
            if all(isinstance(v, dict) for v in inner.values()):
                try:
                    return {lang: float(v["share"]) for lang, v in inner.items()}
                except KeyError:
                    raise MixtureError(f"{where}: entries of {key!r} need a 'share' field") from None
            return {lang: float(v) for lang, v in inner.items()}
    if doc and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in doc.values()):
        return {lang: float(v) for lang, v in doc.items()}
    raise MixtureError(f"{where}: no shares found; expected alloc.json ('languages' -> {{lang: {{'share': p}}}}) "
                       "or a flat {lang: share} object")


def parse_proportions(spec: str | Mapping[str, float] | os.PathLike) -> Proportions:
    """Token shares from ``"python=0.6,java=0.4"``, a mapping, or the path of an ``alloc.json``."""
    if isinstance(spec, Mapping):
        return normalize(spec)
    text = str(spec).strip()
    if not text:
        raise MixtureError("empty mixture; give 'lang=share,...' or the path of an alloc.json")
    if text.endswith(".json") or os.path.isfile(text):
        path = Path(text)
        if not path.is_file():
            raise MixtureError(f"mixture file {text} does not exist")
        try:
            doc = json.loads(path.read_text())
        except json.JSONDecodeError as e:
            raise MixtureError(f"{text} is not valid JSON ({e})") from None
        return normalize(_shares_from_json(doc, text))
    shares: dict[str, float] = {}
    for part in text.split(","):
        if "=" not in part:
            raise MixtureError(f"mixture item {part!r} is not lang=share (e.g. 'python=0.5,java=0.5')")
        name, value = part.split("=", 1)
        try:
            shares[name.strip()] = float(value)
        except ValueError:
            raise MixtureError(f"share {value!r} of {name.strip()} is not a number") from None
    return normalize(shares)


def document_weights(token_shares: Sequence[float], mean_tokens: Sequence[float]) -> list[int]:
    """Integer document weights whose expected token shares are ``token_shares``."""
    if len(token_shares) != len(mean_tokens):
        raise MixtureError("one mean document length per component is needed")
    raw = []
    for p, m in zip(token_shares, mean_tokens):
        if m <= 0:
            raise MixtureError(f"mean document length must be positive, got {m}")
        raw.append(p / m)
    total = sum(raw)
    weights = [max(1, round(r / total * WEIGHT_RESOLUTION)) if r > 0 else 0 for r in raw]
    if not any(weights):
        raise MixtureError("every component has weight 0")
    return weights


def mean_document_tokens(dataset: grain.MapDataset, count_tokens, sample: int = 1024) -> float:
    """Mean tokens per element of a finite dataset: exact when it has at most ``sample`` elements,
    else over ``sample`` evenly spaced ones (deterministic, no extra random state)."""
    n = len(dataset)
    if n == 0:
        raise MixtureError("cannot mix an empty component")
    idx = range(n) if n <= sample else np.linspace(0, n - 1, sample).round().astype(int)
    lengths = [count_tokens(dataset[int(i)]) for i in idx]
    return float(np.mean(lengths))


# ---------------------------------------------------------------------------------------------
# Selection


def _tree(items: list[tuple[int, int]]):
    """A balanced tree over (component, weight) leaves; nodes are (left, right, left_w, total_w)."""
    if len(items) == 1:
        return items[0][0]
    mid = len(items) // 2
    left, right = items[:mid], items[mid:]
    a, b = sum(w for _, w in left), sum(w for _, w in right)
    return (_tree(left), _tree(right), a, a + b)


def _left_count(k: int, a: int, total: int) -> int:
    """How many of the first ``k`` elements of a node go left: round(k * a / total)."""
    return (2 * k * a + total) // (2 * total)


def select(tree, k: int) -> tuple[int, int]:
    """(component, index within that component) of mixture element ``k``."""
    node = tree
    while not isinstance(node, int):
        left, right, a, total = node
        c = _left_count(k, a, total)
        if _left_count(k + 1, a, total) > c:
            node, k = left, c
        else:
            node, k = right, k - c
    return node, k


def prefix_counts(tree, k: int, n_components: int) -> list[int]:
    """Elements of each component among mixture elements ``0 .. k-1``."""
    out = [0] * n_components
    stack = [(tree, k)]
    while stack:
        node, n = stack.pop()
        if isinstance(node, int):
            out[node] += n
            continue
        left, right, a, total = node
        c = _left_count(n, a, total)
        stack.append((left, c))
        stack.append((right, n - c))
    return out


class MixtureMapDataset(grain.MapDataset):
    """Infinite interleaving of infinite component ``MapDataset``s with integer ``weights``.

    Element ``k`` is ``parents[c][offsets[c] + j]`` with ``(c, j) = select(tree, k)``.
    """

    def __init__(self, parents: Sequence[grain.MapDataset], weights: Sequence[int],
                 offsets: Sequence[int] | None = None):
        super().__init__(list(parents))
        if len(parents) != len(weights) or not parents:
            raise MixtureError(f"{len(parents)} components but {len(weights)} weights")
        if any(w < 0 for w in weights) or not any(weights):
            raise MixtureError(f"weights must be >= 0 with at least one positive, got {list(weights)}")
        self._weights = [int(w) for w in weights]
        self._offsets = [int(o) for o in (offsets or [0] * len(parents))]
        self._tree = _tree([(i, w) for i, w in enumerate(self._weights) if w > 0])

    @property
    def weights(self) -> list[int]:
        return list(self._weights)

    @property
    def offsets(self) -> list[int]:
        return list(self._offsets)

    def consumed(self, k: int) -> list[int]:
        """Position of each component's stream after mixture elements ``0 .. k-1`` (offsets included)."""
        counts = prefix_counts(self._tree, k, len(self._weights))
        return [o + c for o, c in zip(self._offsets, counts)]

    def __len__(self) -> int:
        return sys.maxsize

    def __getitem__(self, index):
        if isinstance(index, slice):
            return self.slice(index)
        comp, key = select(self._tree, int(index))
        return self._parents[comp][self._offsets[comp] + key]

    def __str__(self) -> str:
        return f"MixtureMapDataset({len(self._weights)} components)"
