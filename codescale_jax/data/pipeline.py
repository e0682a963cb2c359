"""The mixture training pipeline: components -> mixture -> [workers] -> pack -> batch, resumable.

A *component* is a finite ``MapDataset`` of encoded documents (:mod:`.pipeline_encode`): one
language of the corpus (documents cut into pieces of at most ``MAX_PIECE_CHARS`` characters, which
keeps heavy-tailed document lengths from skewing the realised shares), or a stream of translation
pairs (:mod:`.pipeline_pairs`). The pipeline

1. takes this process's shard of every component (``ShardOptions``; by default
   ``ShardByJaxProcess``, so each host reads different documents),
2. shuffles each one with its own seed and reshuffles it every epoch (``shuffle().repeat()``),
3. interleaves them with :class:`~.pipeline_mixture.MixtureMapDataset` at document weights that
   realise the requested *token* shares,
4. optionally runs the document work in ``num_workers`` Grain worker processes,
5. packs concatenate-and-split into rows of ``seq_len + 1`` (segment ids, positions, and the
   ``languages`` feature) and batches them (``lm_batch`` turns a batch into inputs and targets).

Its iterator state (``get_state()``) is a JSON dict: the mixture (component names, weights, start
offsets) and Grain's own state. ``set_state`` with the same mixture restores the identical next
batch, also mid-epoch and with workers.

Changing the mixture when resuming: if the configured shares (hence weights) or components differ
from the saved ones, ``set_state`` starts a new *phase*: every component continues at the position
its stream had reached (its documents are not replayed from the start), and the new weights apply
from the next batch on. The partially packed document and rows still buffered in the old phase are
dropped. With ``num_workers > 0`` the position is the sum of the per-worker positions (workers take
mixture elements round-robin); the tests cover the phase change without workers.
Per-language token counters (:class:`~.pipeline_encode.TokenCounter`) show the realised shares.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass, field
from typing import Any, Sequence

import grain
import numpy as np

from codescale_jax import languages
from codescale_jax.data.packing import PackedRowsIterDataset
from codescale_jax.data.pipeline_encode import (LANGS, ChunkedDocuments, EncodeDocument, EncodePiece, TokenCounter,
                                                token_count)
from codescale_jax.data.pipeline_mixture import (MixtureError, MixtureMapDataset, Proportions, document_weights,
                                                 mean_document_tokens)


@dataclass(frozen=True)
class Component:
    """One mixture component: a finite dataset of encoded documents and its token share."""

    name: str
    dataset: grain.MapDataset
    share: float
    mean_tokens: float = 0.0  # 0: measured from the dataset


@dataclass(frozen=True)
class PipelineOptions:
    seq_len: int
    batch_size: int  # rows per batch on this process
    seed: int = 0
    shuffle: bool = True
    num_workers: int = 0  # Grain worker processes for reading and tokenizing (0: in this process)
    shard: Any = field(default=None)  # grain.sharding.ShardOptions; None: ShardByJaxProcess


def ensure_flags_parsed() -> None:
    """Grain's worker processes read absl flags; a library user may never have parsed them."""
    from absl import flags

    if not flags.FLAGS.is_parsed():
        flags.FLAGS.mark_as_parsed()


def component_seed(seed: int, name: str) -> int:
    """Per-component shuffle seed: stable when other components are added or removed."""
    return (zlib.crc32(name.encode()) ^ (seed * 0x9E3779B1)) & 0x7FFFFFFF


def _shard_options(opts: PipelineOptions):
    return opts.shard if opts.shard is not None else grain.sharding.ShardByJaxProcess(drop_remainder=True)


def _consumed_index(iter_state: dict) -> int:
    """Mixture elements fully or partly consumed, read from the packed iterator's saved state."""
    parent, offset = iter_state["parent"], int(iter_state["offset"])
    if "next_index" in parent:
        n = int(parent["next_index"])
    elif "iterators_in_use_states" in parent:  # multiprocess prefetch: round-robin over worker slices
        n = sum(int(s["next_index"]) for s in parent["iterators_in_use_states"])
    else:
        raise MixtureError(f"cannot read the mixture position from iterator state keys {sorted(parent)}")
    return n + 1 if offset >= 0 else n


class MixturePipeline:
    """An iterable of packed batches over weighted components (see the module docstring)."""

    def __init__(self, components: Sequence[Component], options: PipelineOptions):
        if not components:
            raise MixtureError("a mixture needs at least one component")
        names = [c.name for c in components]
        if len(set(names)) != len(names):
            raise MixtureError(f"component names must be unique, got {names}")
        self.options = options
        shard = _shard_options(options)
        streams, means = [], []
        for c in components:
            ds = c.dataset
            if shard.shard_count > 1:
                ds = ds[shard.shard_index::shard.shard_count]
            if len(ds) == 0:
                raise MixtureError(f"component {c.name!r} has no documents on shard {shard.shard_index} of "
                                   f"{shard.shard_count}; use fewer processes or more data")
            means.append(c.mean_tokens or mean_document_tokens(ds, token_count))
            if options.shuffle:
                ds = ds.shuffle(seed=component_seed(options.seed, c.name))
            streams.append(ds.repeat(None))
        self.names = tuple(names)
        self.shares = tuple(float(c.share) for c in components)
        self.mean_tokens = tuple(means)
        self.weights = document_weights(self.shares, means)
        self._streams = streams

    def mixture(self, offsets: Sequence[int] | None = None) -> MixtureMapDataset:
        return MixtureMapDataset(self._streams, self.weights, offsets)

    def batches(self, offsets: Sequence[int] | None = None) -> grain.IterDataset:
        ds = self.mixture(offsets).to_iter_dataset()
        if self.options.num_workers > 0:
            ensure_flags_parsed()
            ds = ds.mp_prefetch(grain.MultiprocessingOptions(num_workers=self.options.num_workers))
        ds = PackedRowsIterDataset(ds, self.options.seq_len + 1)
        return ds.batch(self.options.batch_size, drop_remainder=True)

    def __iter__(self) -> "MixtureIterator":
        return MixtureIterator(self)


class MixtureIterator:
    """Iterator over batches with a JSON state that also survives a change of the mixture."""

    def __init__(self, pipeline: MixturePipeline, offsets: Sequence[int] | None = None):
        self._pipeline = pipeline
        self._offsets = [int(o) for o in (offsets or [0] * len(pipeline.names))]
        self._it = iter(pipeline.batches(self._offsets))

    def __iter__(self) -> "MixtureIterator":
        return self

    def __next__(self) -> dict[str, np.ndarray]:
        return next(self._it)

    def get_state(self) -> dict[str, Any]:
        p = self._pipeline
        return {"mixture": {"components": list(p.names), "weights": [str(w) for w in p.weights],
                            "offsets": list(self._offsets)},
                "iterator": self._it.get_state()}

    def set_state(self, state: dict[str, Any]) -> None:
        p = self._pipeline
        saved = state["mixture"]
        weights = [int(w) for w in saved["weights"]]
        if list(saved["components"]) == list(p.names) and weights == p.weights:
            self._reset([int(o) for o in saved["offsets"]])
            self._it.set_state(state["iterator"])
            return
        # A new phase: continue each component's stream where the saved run had left it.
        placeholders = [grain.MapDataset.range(1)] * len(weights)
        old = MixtureMapDataset(placeholders, weights, [int(o) for o in saved["offsets"]])
        reached = dict(zip(saved["components"], old.consumed(_consumed_index(state["iterator"]))))
        self._reset([reached.get(name, 0) for name in p.names])

    def _reset(self, offsets: list[int]) -> None:
        close = getattr(self._it, "close", None)
        if close is not None:
            close()
        self._offsets = offsets
        self._it = iter(self._pipeline.batches(offsets))

    def close(self) -> None:
        close = getattr(self._it, "close", None)
        if close is not None:
            close()


#: Default piece size of documents in a mixture (see ``ChunkedDocuments``): about 2k byte tokens.
MAX_PIECE_CHARS = 2048


def language_components(docs_by_language: dict[str, Sequence[str]], proportions: Proportions, tok,
                        max_piece_chars: int = MAX_PIECE_CHARS) -> list[Component]:
    """One component per language of ``proportions``: its documents encoded ``<lang:ID> text <eos>``,
    cut into pieces of at most ``max_piece_chars`` characters (0: whole documents)."""
    comps = []
    for lang, share in zip(proportions.languages, proportions.shares):
        if lang not in docs_by_language:
            raise MixtureError(f"the mixture asks for {lang} but no {lang} documents were given")
        docs = docs_by_language[lang]
        if max_piece_chars > 0:
            ds = grain.MapDataset.source(ChunkedDocuments(docs, max_piece_chars)).map(EncodePiece(tok, lang))
        else:
            ds = grain.MapDataset.source(docs).map(EncodeDocument(tok, lang))
        comps.append(Component(lang, ds, share))
    return comps


def realized_shares(pipeline: MixturePipeline, tokens: int) -> dict[str, float]:
    """Token shares per language of the first ``tokens`` packed tokens (no model involved)."""
    counter = TokenCounter()
    it = iter(pipeline)
    seen = 0
    while seen < tokens:
        rows = next(it)
        counter.update(rows)
        seen += int((rows["segment_ids"] != 0).sum())
    it.close()
    return {l: s for l, s in counter.shares().items() if s > 0 or l in pipeline.names}


def mixture_token_shares(pipeline: MixturePipeline, tokens: int) -> dict[str, float]:
    """Token shares per language of the first ``tokens`` tokens of the mixture stream, read straight
    from the document order (what the packer consumes, without packing or batching)."""
    mix = pipeline.mixture()
    counts = np.zeros(len(languages.ALL_LANGUAGES), np.int64)
    k = 0
    while counts.sum() < tokens:
        counts += np.bincount(mix[k][LANGS], minlength=counts.shape[0])
        k += 1
    total = counts.sum()
    return {l: float(counts[i] / total) for i, l in enumerate(languages.ALL_LANGUAGES) if counts[i] or l in pipeline.names}


def uniform(langs: Sequence[str]) -> Proportions:
    langs = [languages.canonical(l) for l in langs]
    return Proportions(tuple(langs), tuple(1.0 / len(langs) for _ in langs))
