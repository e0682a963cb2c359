"""Run configuration: frozen dataclasses, ``section.key=value`` overrides and a JSON round trip.

A :class:`Config` has five sections, each a frozen dataclass: ``model`` (the decoder's shape),
``mesh`` (how devices are arranged), ``optimizer`` (AdamW and its schedule), ``data`` (corpus,
language, tokenizer, sequence length) and ``train`` (budget, batch, logging, checkpoints). The
resolved config is written into every run dir as ``config.json``; :func:`from_json` reads it back,
so a run can always be reproduced from its own directory.

Model shapes come from the named ladder in :mod:`codescale_jax.model.ladder` (``micro-0.1m`` ...
``micro-3.2m`` for CPUs, ``0.1b`` ... ``14b`` for accelerators).
"""

from __future__ import annotations

import dataclasses
import json
import math
import typing
from typing import Any, Iterable

from codescale_jax.errors import InputError


@dataclasses.dataclass(frozen=True)
class ModelConfig:
    """Shape and numerics of the LLaMA-style decoder.

    ``vocab_size`` 0 means "take it from the tokenizer"; the embedding table is padded up to a
    multiple of ``vocab_multiple`` so that it shards evenly (the padded logits are masked out of the
    loss, so the loss is over the real vocabulary only).
    """

    name: str = "custom"
    d_model: int = 128
    n_layers: int = 2
    n_heads: int = 4
    n_kv_heads: int = 4  # < n_heads: grouped-query attention
    head_dim: int = 0  # 0: d_model // n_heads
    d_ff: int = 352
    vocab_size: int = 0
    vocab_multiple: int = 128
    tie_embeddings: bool = False
    rope_theta: float = 10000.0
    norm_eps: float = 1e-5
    init_std: float = 0.02
    dtype: str = "float32"  # compute dtype ("bfloat16" on accelerators)
    param_dtype: str = "float32"
    attention: str = "auto"  # codescale_jax.kernels name; auto: cudnn on GPU in bf16/fp16, else xla
    remat: str = "none"  # none | full | dots (recompute all but matmul outputs in the backward pass)
    scan_layers: bool = False  # one scanned block instead of n_layers unrolled ones (faster compiles)

    @property
    def resolved_head_dim(self) -> int:
        return self.head_dim or self.d_model // self.n_heads

    def padded_vocab(self, vocab_size: int | None = None) -> int:
        v = vocab_size or self.vocab_size
        if v <= 0:
            raise ValueError("model.vocab_size is unset; resolve it from the tokenizer first")
        m = max(1, self.vocab_multiple)
        return int(math.ceil(v / m) * m)


@dataclasses.dataclass(frozen=True)
class MeshConfig:
    """Device mesh sizes. One axis may be -1 (use every remaining device).

    ``data`` replicates parameters, ``fsdp`` shards parameters and optimizer state along d_model
    (and the batch, like ``data``), ``tensor`` shards heads, the MLP hidden size and the vocabulary.
    """

    data: int = -1
    fsdp: int = 1
    tensor: int = 1


@dataclasses.dataclass(frozen=True)
class OptimizerConfig:
    """AdamW with warmup then cosine decay, warmup-stable-decay (``wsd``) or a constant rate."""

    lr: float = 3e-3
    schedule: str = "cosine"  # cosine | wsd | constant
    warmup_steps: int = -1  # -1: warmup_fraction of the run, at least 1 step
    warmup_fraction: float = 0.02  # used when warmup_steps is -1
    min_lr_ratio: float = 0.1  # final rate as a fraction of lr
    decay_fraction: float = 0.2  # wsd only: the last fraction of steps that decays
    b1: float = 0.9
    b2: float = 0.95
    eps: float = 1e-8
    weight_decay: float = 0.1
    grad_clip: float = 1.0  # global-norm clipping; 0 disables


@dataclasses.dataclass(frozen=True)
class DataConfig:
    """Where documents come from and how they are tokenized and packed."""

    corpus: str = "embedded"  # "embedded" (the stdlib source) or "shards" (corpus_dir/<lang>/<split>*.array_record)
    corpus_dir: str = ""
    language: str = "python"
    tokenizer: str = "bytes"  # "bytes" or the path of a SentencePiece model
    seq_len: int = 256
    strategy: str = "monolingual"  # monolingual | paired | paired-prompt | shuffled (recorded in the results row)
    eval_split: str = "validation"
    eval_tokens: int = 65536  # validation tokens scored at the end (and at every eval_every)
    # > 0: the validation tokens are pieces of at most this many characters drawn from across the
    # split (one fixed order per language, the same for every run). 0: the split's first documents
    # in corpus order, which on real code can be one file: the first 16,384 bytes of the registries
    # corpus's C# or Go validation split lie inside a single file (BUILD_NOTES, "The study").
    eval_piece_chars: int = 0
    shuffle: bool = True
    # Mixtures and parallel pairs (codescale_jax.data.pipeline_train): "lang=share,..." or an alloc.json path
    mixture: str = ""
    directions: str = ""  # trained translation directions for paired strategies; "" = python<->*
    pair_share: float = 0.5  # token share of the pair component when strategy is paired/paired-prompt/shuffled
    parallel_programs: int = 200  # synthetic programs rendered into the pair component
    num_workers: int = 0  # Grain worker processes for the mixture pipeline
    # Multi-process input: "documents" = each process reads its own share of the documents; "rows" =
    # each process builds the global batch and keeps its rows (same batches for any process count).
    host_split: str = "documents"
    # > 0: every language of the run trains on one fixed sample of its train documents (a piece of
    # each, as a mixture reads them) holding this many tokens, repeated as often as the budget
    # needs (the synergy baseline's "target repeated twice": half the budget of unique tokens, seen
    # twice). The sample is found by encoding its pieces once at the start: well under a second at
    # CPU-preset caps; above 1e9 tokens it is refused, and a corpus built at the cap's size
    # (repeated by the input) is the way.
    unique_tokens: int = 0
    # > 0: train documents are cut into pieces of at most this many characters and shuffled piece
    # by piece. 0: a single-language run reads whole documents in a shuffled order, and a mixture
    # its default pieces (pipeline.MAX_PIECE_CHARS = 2048). On real code a short run's sample of whole
    # documents is a few dozen files, and which ones moves its loss by up to 17% between seeds;
    # pieces spread the same tokens over many files (go and rust: a quarter of the seed spread,
    # typescript unchanged; BUILD_NOTES, "The study"). real-micro's scaling runs read pieces of
    # 2,048; micro's read whole documents.
    piece_chars: int = 0
    # Check each shard's SHA-256 against the corpus manifest when a run first opens it (once per
    # process: about 0.05 s per 15 MB on a 2-core CPU), so a damaged file stops the run before its
    # first step rather than at the record that fails, mid-run. Off for corpora too large to hash at
    # every start (the reader still checks each block it reads).
    verify_shards: bool = True


@dataclasses.dataclass(frozen=True)
class TrainConfig:
    """Budget and bookkeeping. ``tokens`` (or ``steps``) sets the run length; steps win if both set."""

    tokens: int = 0
    steps: int = 0
    batch_size: int = 16  # global rows per step
    # K independent forward/backward passes over K interleaved slices of the batch in one program,
    # gradients summed (the same update up to float rounding). On CPU XLA runs one pass's
    # single-threaded elementwise ops beside another's matmuls: with K=4 bench_train measured 5-8%
    # more micro-3.2m tokens/s (BUILD_NOTES). Not gradient accumulation: all K passes are in memory
    # at once.
    parallel_microbatches: int = 1
    # CPU only: the library XLA hands matmuls to, "ynnpack" (XLA's default) or "eigen" (4-10%
    # faster micro-3.2m steps, 2% slower at the study's smallest shapes; train/step.py, BUILD_NOTES).
    cpu_matmuls: str = "ynnpack"
    seed: int = 0
    log_every: int = 10
    eval_every: int = 0  # 0: only at the end
    checkpoint_every: int = 200  # 0: only at the end
    keep_checkpoints: int = 2
    run_id: str = ""  # default: the name of the run dir
    tensorboard: bool = True
    peak_flops: float = 0.0  # for MFU: 0 = the chip's published peak, or a quick matmul measurement on CPU; <0 = off

    def tokens_per_step(self, seq_len: int) -> int:
        return self.batch_size * seq_len

    def total_steps(self, seq_len: int) -> int:
        if self.steps < 0 or self.tokens < 0:
            raise ConfigError(f"train.steps={self.steps} and train.tokens={self.tokens:g}: neither may be negative")
        if self.steps > 0:
            return self.steps
        if self.tokens > 0:
            return max(1, math.ceil(self.tokens / self.tokens_per_step(seq_len)))
        raise ConfigError("set train.tokens (e.g. --tokens 2e6) or train.steps")


@dataclasses.dataclass(frozen=True)
class Config:
    model: ModelConfig = dataclasses.field(default_factory=ModelConfig)
    mesh: MeshConfig = dataclasses.field(default_factory=MeshConfig)
    optimizer: OptimizerConfig = dataclasses.field(default_factory=OptimizerConfig)
    data: DataConfig = dataclasses.field(default_factory=DataConfig)
    train: TrainConfig = dataclasses.field(default_factory=TrainConfig)


SECTIONS: dict[str, type] = {
    "model": ModelConfig, "mesh": MeshConfig, "optimizer": OptimizerConfig, "data": DataConfig,
    "train": TrainConfig,
}


class ConfigError(InputError, ValueError):
    """A bad override, an unknown key or a config file that does not match the schema."""


# ---------------------------------------------------------------------------------------------
# Overrides


def _field_types(cls: type) -> dict[str, Any]:
    hints = typing.get_type_hints(cls)
    return {f.name: hints[f.name] for f in dataclasses.fields(cls)}


def _parse_value(raw: Any, typ: Any, where: str) -> Any:
    """Convert ``raw`` (a string from the command line, or a JSON value) to ``typ``, or raise."""
    try:
        if typ is bool:
            if isinstance(raw, bool):
                return raw
            s = str(raw).strip().lower()
            if s in ("1", "true", "yes", "on"):
                return True
            if s in ("0", "false", "no", "off"):
                return False
            raise ValueError
        if typ is int:
            if isinstance(raw, bool):
                raise ValueError
            if isinstance(raw, int):
                return raw
            f = float(raw)  # accepts "2e6"
            if not f.is_integer():
                raise ValueError
            return int(f)
        if typ is float:
            if isinstance(raw, bool):
                raise ValueError
            return float(raw)
        if typ is str:
            return str(raw)
    except (TypeError, ValueError):
        raise ConfigError(f"{where}: cannot read {raw!r} as {typ.__name__}") from None
    raise ConfigError(f"{where}: unsupported field type {typ!r}")


def replace(cfg: Config, section: str, **values: Any) -> Config:
    """Return ``cfg`` with keys of one section replaced (type-checked like an override)."""
    return apply_overrides(cfg, {f"{section}.{k}": v for k, v in values.items()})


def apply_overrides(cfg: Config, overrides: Iterable[str] | dict[str, Any]) -> Config:
    """Apply ``["section.key=value", ...]`` (or a ``{"section.key": value}`` dict) to ``cfg``.

    Unknown sections or keys and values of the wrong type raise :class:`ConfigError` naming the
    valid choices, so a typo never silently runs the wrong experiment.
    """
    items: list[tuple[str, Any]] = []
    if isinstance(overrides, dict):
        items = list(overrides.items())
    else:
        for ov in overrides:
            if "=" not in ov:
                raise ConfigError(f"override {ov!r} is not of the form section.key=value")
            key, val = ov.split("=", 1)
            items.append((key.strip(), val.strip()))
    sections = {name: getattr(cfg, name) for name in SECTIONS}
    for key, val in items:
        if key.count(".") != 1:
            raise ConfigError(f"override key {key!r} must be section.key; sections: {', '.join(SECTIONS)}")
        sec, name = key.split(".")
        if sec not in SECTIONS:
            raise ConfigError(f"unknown config section {sec!r} in {key!r}; sections: {', '.join(SECTIONS)}")
        types = _field_types(SECTIONS[sec])
        if name not in types:
            raise ConfigError(f"unknown key {name!r} in section {sec!r}; keys: {', '.join(types)}")
        sections[sec] = dataclasses.replace(sections[sec], **{name: _parse_value(val, types[name], key)})
    return Config(**sections)


# ---------------------------------------------------------------------------------------------
# JSON round trip


def to_dict(cfg: Config) -> dict[str, dict[str, Any]]:
    return {name: dataclasses.asdict(getattr(cfg, name)) for name in SECTIONS}


def from_dict(d: dict[str, Any]) -> Config:
    """Inverse of :func:`to_dict`; unknown sections or keys are an error (the schema changed)."""
    unknown = set(d) - set(SECTIONS)
    if unknown:
        raise ConfigError(f"unknown config sections {sorted(unknown)}; expected {list(SECTIONS)}")
    flat = {f"{sec}.{k}": v for sec, values in d.items() for k, v in values.items()}
    return apply_overrides(Config(), flat)


def to_json(cfg: Config) -> str:
    return json.dumps(to_dict(cfg), indent=2) + "\n"


def from_json(text: str) -> Config:
    """The config of a ``config.json``; text that is not a JSON object is a :class:`ConfigError`."""
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ConfigError(f"not valid JSON ({exc})") from exc
    if not isinstance(doc, dict):
        raise ConfigError(f"expected a JSON object of sections, got {type(doc).__name__}")
    return from_dict(doc)


# ---------------------------------------------------------------------------------------------
# Construction


def make_config(model: str | ModelConfig = "micro-0.4m", *, language: str = "python", tokens: float = 0,
                overrides: Iterable[str] | dict[str, Any] = ()) -> Config:
    """The usual entry point: a ladder model by name, a language, a token budget, then overrides."""
    from codescale_jax import languages
    from codescale_jax.model.ladder import model_config

    mcfg = model if isinstance(model, ModelConfig) else model_config(model)
    cfg = Config(model=mcfg)
    cfg = dataclasses.replace(cfg, data=dataclasses.replace(cfg.data, language=languages.canonical(language)))
    if tokens:
        cfg = replace(cfg, "train", tokens=tokens)
    return apply_overrides(cfg, overrides)
