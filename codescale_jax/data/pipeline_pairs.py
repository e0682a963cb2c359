"""Parallel pairing strategies: translation pairs as training documents, and their shuffled control.

A parallel corpus holds the same program in several languages, aligned by index (program ``i`` in
Python is a translation of program ``i`` in Java). The study's strategies turn it into documents:

* ``paired``: ``<lang:src> source <sep> <lang:tgt> target <eos>``;
* ``paired-prompt``: the same with a short English instruction between ``<sep>`` and the target
  tag (``Translate the Python program above to Java.``);
* ``shuffled``: the ``paired`` format with the pairs broken: within every direction the targets
  are a seeded derangement of the sources (no program meets its own translation). Over one epoch
  it holds exactly the same token multiset per language as ``paired``; only the alignment is gone,
  which is what the control isolates.

Which directions are trained is configurable (:func:`parse_directions`); the default is the
study's ``python<->*`` (Python to and from every other code language, 12 directions), leaving the
other 30 for zero-shot evaluation. Tokens carry their language in the ``languages`` feature: the
source side (tag, text, ``<sep>``) is the source language, the target side (tag, text, ``<eos>``)
the target language, the instruction of ``paired-prompt`` is English.
"""

from __future__ import annotations

import sys
from typing import Mapping, Sequence

import grain
import numpy as np

from codescale_jax import languages
from codescale_jax.data.pipeline_encode import LANGS, TOKENS, language_index, text_ids
from codescale_jax.errors import InputError

STRATEGIES = ("paired", "paired-prompt", "shuffled")
TARGET = "loss_weights"  # 1 on the target side's text and <eos>: what translation loss scores


class PairingError(InputError, ValueError):
    pass


def parse_directions(spec: str = "", langs: Sequence[str] = languages.CODE_LANGUAGES) -> tuple[tuple[str, str], ...]:
    """Ordered (source, target) pairs from a spec.

    ``""`` or ``"python<->*"``: Python to and from every other language of ``langs`` (the default);
    ``"all"``: every ordered pair of distinct languages; otherwise a comma list of ``a->b``,
    ``a<->b`` and ``a<->*`` items (``*`` = every other language of ``langs``).
    """
    langs = [languages.canonical(l) for l in langs]
    spec = (spec or "python<->*").strip()
    if spec == "all":
        return tuple((a, b) for a in langs for b in langs if a != b)
    out: list[tuple[str, str]] = []
    for item in spec.split(","):
        item = item.strip()
        both = "<->" in item
        if not both and "->" not in item:
            raise PairingError(f"direction {item!r} is not 'a->b', 'a<->b' or 'a<->*'")
        a, b = (s.strip() for s in item.split("<->" if both else "->", 1))
        src = languages.canonical(a)
        tgts = [l for l in langs if l != src] if b == "*" else [languages.canonical(b)]
        for tgt in tgts:
            if tgt == src:
                raise PairingError(f"direction {item!r} translates {src} into itself")
            for d in ((src, tgt), (tgt, src)) if both else ((src, tgt),):
                if d not in out:
                    out.append(d)
    return tuple(out)


def template(src: str, tgt: str) -> str:
    """The instruction of ``paired-prompt`` (English)."""
    return f"Translate the {languages.get(src).display} program above to {languages.get(tgt).display}.\n"


def encode_pair(tok, src: str, tgt: str, src_text: str, tgt_text: str, prompt: bool = False,
                target_mask: bool = False) -> dict[str, np.ndarray]:
    """One pair document; with ``target_mask`` also ``loss_weights`` (1 on target text and <eos>)."""
    s_ids, t_ids = text_ids(tok, src_text), text_ids(tok, tgt_text)
    p_ids = text_ids(tok, template(src, tgt)) if prompt else np.zeros(0, np.int32)
    src_part = np.concatenate([[tok.special_id(languages.get(src).tag)], s_ids, [tok.sep_id]]).astype(np.int32)
    tgt_part = np.concatenate([[tok.special_id(languages.get(tgt).tag)], t_ids, [tok.eos_id]]).astype(np.int32)
    ids = np.concatenate([src_part, p_ids, tgt_part])
    langs = np.concatenate([np.full(src_part.shape[0], language_index(src), np.int32),
                            np.full(p_ids.shape[0], language_index("english"), np.int32),
                            np.full(tgt_part.shape[0], language_index(tgt), np.int32)])
    out = {TOKENS: ids, LANGS: langs}
    if target_mask:
        w = np.zeros(ids.shape[0], np.int32)
        w[ids.shape[0] - tgt_part.shape[0] + 1:] = 1  # after the target tag: text and <eos>
        out[TARGET] = w
    return out


def derangement(n: int, seed: int) -> np.ndarray:
    """A seeded permutation without fixed points: ``perm[i] != i`` for every ``i`` (n >= 2)."""
    if n < 2:
        raise PairingError(f"the shuffled strategy needs at least 2 programs, got {n}")
    order = np.random.default_rng(seed).permutation(n)
    perm = np.empty(n, np.int64)
    perm[order] = np.roll(order, -1)  # each program in the cycle takes the next one's translation
    return perm


class ParallelCorpus:
    """Documents aligned by index across languages: ``text(i, lang)`` is program ``i`` in ``lang``."""

    def __init__(self, docs: Mapping[str, Sequence[str]]):
        self.docs = {languages.canonical(l): d for l, d in docs.items()}
        sizes = {l: len(d) for l, d in self.docs.items()}
        if not sizes or len(set(sizes.values())) != 1:
            raise PairingError(f"a parallel corpus needs the same number of documents per language, got {sizes}")
        self.size = next(iter(sizes.values()))
        if self.size == 0:
            raise PairingError("the parallel corpus is empty")

    @property
    def languages(self) -> tuple[str, ...]:
        return tuple(self.docs)

    def text(self, i: int, lang: str) -> str:
        return self.docs[lang][i]


def synthetic_parallel_corpus(n_programs: int, seed: int = 0, langs: Sequence[str] = languages.CODE_LANGUAGES,
                              progress=None) -> ParallelCorpus:
    """Render ``n_programs`` generated programs (sizes from ``synthetic.MIXED``) in every language.

    A program that any renderer rejects is left out of every language, so alignment holds.
    Generation costs ~0.1 s per program on a CPU core; ``progress(done, total)`` is called every
    50 programs.
    """
    from codescale_jax.data import synthetic

    langs = [languages.canonical(l) for l in langs]
    docs: dict[str, list[str]] = {l: [] for l in langs}
    for i in range(n_programs):
        prog = synthetic.generate_program(f"{seed}:{i}", synthetic.MIXED[i % len(synthetic.MIXED)])
        try:
            texts = {l: synthetic.render(prog, l) for l in langs}
        except Exception as e:  # one unrenderable program must not misalign the corpus
            print(f"synthetic program {seed}:{i} skipped: {type(e).__name__}: {str(e)[:120]}", file=sys.stderr)
            continue
        for l in langs:
            docs[l].append(texts[l])
        if progress is not None and (i + 1) % 50 == 0:
            progress(i + 1, n_programs)
    return ParallelCorpus(docs)


class PairsMapDataset(grain.MapDataset):
    """Finite dataset of pair documents: element ``k`` is program ``k // D`` in direction ``k % D``.

    For ``shuffled`` the target of program ``i`` in direction ``d`` is program ``perm_d[i]`` of a
    per-direction derangement, so every target document still appears once per direction.
    """

    def __init__(self, corpus: ParallelCorpus, tok, directions: Sequence[tuple[str, str]], strategy: str,
                 seed: int = 0, target_mask: bool = False):
        super().__init__([])
        if strategy not in STRATEGIES:
            raise PairingError(f"unknown pairing strategy {strategy!r}; choose from {', '.join(STRATEGIES)}")
        missing = sorted({l for d in directions for l in d} - set(corpus.languages))
        if missing:
            raise PairingError(f"directions need {missing} but the parallel corpus has {list(corpus.languages)}")
        if not directions:
            raise PairingError("no translation directions given")
        self._corpus, self._tok = corpus, tok
        self._directions = tuple(directions)
        self._strategy, self._mask = strategy, target_mask
        self._perms = ([derangement(corpus.size, seed * 1009 + d) for d in range(len(directions))]
                       if strategy == "shuffled" else None)

    @property
    def directions(self) -> tuple[tuple[str, str], ...]:
        return self._directions

    def __len__(self) -> int:
        return self._corpus.size * len(self._directions)

    def pair_of(self, k: int) -> tuple[str, str, int, int]:
        """(source language, target language, source program, target program) of element ``k``."""
        i, d = divmod(int(k), len(self._directions))
        src, tgt = self._directions[d]
        j = int(self._perms[d][i]) if self._perms is not None else i
        return src, tgt, i, j

    def __getitem__(self, index):
        if isinstance(index, slice):
            return self.slice(index)
        if not 0 <= index < len(self):
            raise IndexError(f"pair {index} out of range {len(self)}")
        src, tgt, i, j = self.pair_of(index)
        return encode_pair(self._tok, src, tgt, self._corpus.text(i, src), self._corpus.text(j, tgt),
                           prompt=self._strategy == "paired-prompt", target_mask=self._mask)

    def __str__(self) -> str:
        return f"PairsMapDataset({self._strategy}, {len(self._directions)} directions)"

