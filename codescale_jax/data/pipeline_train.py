"""The mixture pipeline as the trainer sees it: built from ``DataConfig``.

``input.train_dataset`` hands over to :func:`train_pipeline` when ``data.mixture`` is set or
``data.strategy`` is a pairing strategy:

* ``data.mixture``: ``"python=0.6,java=0.4"`` or the path of an allocator ``alloc.json``; empty
  means ``data.language`` alone.
* ``data.strategy`` in ``paired | paired-prompt | shuffled``: a component ``pairs`` of translation
  pairs (``data.directions``, default ``python<->*``) rendered from ``data.parallel_programs``
  synthetic programs takes ``data.pair_share`` of the tokens; the languages share the rest in the
  proportions of the mixture.
* ``data.num_workers``: Grain worker processes (0: read and tokenize in the training process).

Each process reads its own shard of every component (``ShardOptions`` from the process index and
count), and the batches carry the ``languages`` feature for the per-language token counters.
"""

from __future__ import annotations

import grain

from codescale_jax import languages
from codescale_jax.config import DataConfig
from codescale_jax.data import input as input_lib
from codescale_jax.data.pipeline import Component, MixturePipeline, PipelineOptions, language_components
from codescale_jax.data.pipeline_mixture import Proportions, normalize, parse_proportions
from codescale_jax.data.pipeline_pairs import STRATEGIES, PairsMapDataset, parse_directions, synthetic_parallel_corpus

PAIRS = "pairs"
#: Seeds of the synthetic parallel programs: training pairs and held-out (translation eval) pairs.
PAIR_TRAIN_SEED, PAIR_EVAL_SEED = 0, 1


def is_configured(data_cfg: DataConfig) -> bool:
    return bool(data_cfg.mixture) or data_cfg.strategy in STRATEGIES


def proportions(data_cfg: DataConfig) -> Proportions:
    """The configured language shares (before the pair component takes its part)."""
    if data_cfg.mixture:
        return parse_proportions(data_cfg.mixture)
    return normalize({data_cfg.language: 1.0})


def mixture_record(data_cfg: DataConfig) -> dict[str, float]:
    """The ``mixture`` of the results row: component -> token share."""
    props = proportions(data_cfg).as_dict()
    if data_cfg.strategy not in STRATEGIES:
        return props
    rest = 1.0 - data_cfg.pair_share
    out = {l: s * rest for l, s in props.items() if s * rest > 0}
    out[f"{PAIRS}:{data_cfg.strategy}"] = data_cfg.pair_share
    return out


def components(data_cfg: DataConfig, tok) -> list[Component]:
    props = proportions(data_cfg)
    pairs = data_cfg.strategy in STRATEGIES
    if pairs and not 0 < data_cfg.pair_share <= 1:
        raise ValueError(f"data.pair_share must be in (0, 1], got {data_cfg.pair_share}")
    rest = 1.0 - data_cfg.pair_share if pairs else 1.0
    comps: list[Component] = []
    if rest > 0:
        docs = {l: input_lib.train_documents(data_cfg, l) for l in props.languages}
        pieces = {"max_piece_chars": data_cfg.piece_chars} if data_cfg.piece_chars else {}
        comps = [Component(c.name, c.dataset, c.share * rest) for c in language_components(docs, props, tok, **pieces)]
    if pairs:
        directions = parse_directions(data_cfg.directions)
        langs = sorted({l for d in directions for l in d}, key=languages.ALL_LANGUAGES.index)
        corpus = synthetic_parallel_corpus(data_cfg.parallel_programs, PAIR_TRAIN_SEED, langs,
                                           progress=lambda i, n: print(f"parallel programs {i}/{n}", flush=True))
        comps.append(Component(PAIRS, PairsMapDataset(corpus, tok, directions, data_cfg.strategy), data_cfg.pair_share))
    return comps


def train_pipeline(data_cfg: DataConfig, batch_size: int, *, seed: int, process_index: int = 0,
                   process_count: int = 1) -> MixturePipeline:
    """Infinite per-process batches of packed rows ``[batch_size, seq_len + 1]`` (see module doc)."""
    tok = input_lib.get_tokenizer(data_cfg)
    shard = grain.sharding.ShardOptions(shard_index=process_index, shard_count=process_count, drop_remainder=True)
    opts = PipelineOptions(seq_len=data_cfg.seq_len, batch_size=batch_size, seed=seed, shuffle=data_cfg.shuffle,
                           num_workers=data_cfg.num_workers, shard=shard)
    return MixturePipeline(components(data_cfg, tok), opts)
