"""Study plans: grids of runs as :class:`RunSpec` values, stable run ids, compute and time estimates.

A plan is a plain list of :class:`RunSpec`. Each spec says everything that changes the run: the
experiment it belongs to, the language it is scored on, the model, the token budget, the data
strategy, the mixture (for bilingual and allocation runs), the seed and any extra ``--set``
overrides shared by the whole sweep (corpus, sequence length, batch size ...).

Run ids are stable: a readable prefix (``scaling-python-micro-0.4m-2e6-monolingual-s0``) plus an
8-hex digest of every field, so the same spec always maps to the same run directory (which is what
lets a rerun skip finished runs and resume unfinished ones) and changing any setting, even one hidden
in an override, gives a new directory instead of silently mixing two configurations.

Compute: training FLOPs per run = F(model, seq_len) * D, with F from
:func:`codescale_jax.model.counting.flops_per_token` (6 N_total per token for the dense matmuls
including the output projection, plus the attention score/value term 6 * layers * seq_len * heads
* head_dim). The ETA divides total FLOPs by a sustained FLOP/s rate and by the number of workers;
the rate defaults to a deliberately conservative CPU figure and is a planning number, not a promise.
"""

from __future__ import annotations

import dataclasses
import hashlib
import itertools
import json
import math
from typing import Iterable, Sequence

from codescale_jax import languages
from codescale_jax.errors import InputError

#: Sustained training FLOP/s assumed per worker for the ETA when none is given: a shared 2-core CPU
#: running micro models (a few GFLOP/s; the trainer's MFU line measures the real figure).
DEFAULT_FLOPS_PER_S = 2e9
#: Fixed cost per run (process start, jit compile, final evaluation), seconds, for the ETA.
DEFAULT_OVERHEAD_S = 30.0
#: Byte-tokenizer vocabulary (256 bytes + special tokens), used when the overrides name no tokenizer.
BYTE_VOCAB = 260


#: Settings a run spec owns: it appends them after the sweep's overrides, so the same key among
#: the overrides would be silently replaced. Such an override is refused instead.
OWNED_SETTINGS = {"train.seed": "seed (a grid's seeds, or --seeds)", "data.strategy": "strategy",
                  "data.mixture": "mixture"}


class PlanError(InputError, ValueError):
    """A run spec that cannot mean what it says (an override of a setting the spec itself owns)."""


#: Fields that always enter the run-id digest; fields added later enter it only when set.
_DIGEST_V1 = ("experiment", "language", "model", "tokens", "strategy", "seed", "mixture", "overrides",
              "eval_languages", "tag")


@dataclasses.dataclass(frozen=True)
class RunSpec:
    """One training run of the study."""

    experiment: str
    language: str  # the language the run is scored on (the target of a mixture)
    model: str
    tokens: int
    strategy: str = "monolingual"
    seed: int = 0
    mixture: str = ""  # "python=0.5,java=0.5" or an alloc.json path; "" = the language alone
    overrides: tuple[str, ...] = ()  # extra "section.key=value" settings
    eval_languages: tuple[str, ...] = ()  # also score these after training (experiments.evaluate --suite loss)
    tag: str = ""  # free label copied into the results rows (e.g. "optimized" / "uniform")
    translation_pairs: int = 0  # > 0: score the 7x7 translation loss on this many pairs per direction

    def __post_init__(self):
        for o in self.overrides:
            key = o.split("=", 1)[0].strip()
            if key in OWNED_SETTINGS:
                raise PlanError(f"{o!r}: {key} is set per run from the run's {OWNED_SETTINGS[key]}, after the "
                                f"shared settings, so this override would be ignored; set the run's field instead")

    @property
    def run_id(self) -> str:
        mix = "-mix" if self.mixture else ""
        tag = f"-{self.tag}" if self.tag else ""
        prefix = (f"{self.experiment}{tag}-{self.language}-{self.model}-{format_tokens(self.tokens)}-"
                  f"{self.strategy}{mix}-s{self.seed}")
        return f"{prefix}-{self.digest()}"

    def digest(self) -> str:
        """8 hex digits over the original fields plus any later field that differs from its default
        (so adding an optional field to this class keeps the ids, and finished runs, of existing plans)."""
        fields = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)
                  if f.name in _DIGEST_V1 or getattr(self, f.name) != f.default}
        blob = json.dumps({k: (list(v) if isinstance(v, tuple) else v) for k, v in fields.items()}, sort_keys=True)
        return hashlib.sha1(blob.encode("utf-8")).hexdigest()[:8]

    def settings(self) -> list[str]:
        """All ``--set`` values for ``experiments.train`` (the sweep's overrides, then this run's own)."""
        out = list(self.overrides)
        out.append(f"train.seed={self.seed}")
        if self.strategy != "monolingual":
            out.append(f"data.strategy={self.strategy}")
        if self.mixture:
            out.append(f"data.mixture={self.mixture}")
        return out

    def train_argv(self, workdir: str) -> list[str]:
        """Arguments of ``python -m experiments.train`` for this run."""
        argv = ["--model", self.model, "--language", self.language, "--tokens", str(int(self.tokens)),
                "--workdir", workdir]
        for s in self.settings():
            argv += ["--set", s]
        return argv


def format_tokens(tokens: float) -> str:
    """``2000000 -> '2e6'``, ``1500000 -> '1.5e6'``, ``64e9 -> '6.4e10'`` (file-name safe)."""
    tokens = float(tokens)
    if tokens <= 0:
        raise ValueError(f"token budget must be positive, got {tokens}")
    exp = int(math.floor(math.log10(tokens)))
    mant = round(tokens / 10 ** exp, 3)
    if mant >= 10:
        mant, exp = mant / 10, exp + 1
    return f"{mant:g}e{exp}"


@dataclasses.dataclass(frozen=True)
class Grid:
    """A full-factorial grid: languages x models x budgets x strategies x seeds."""

    experiment: str
    languages: tuple[str, ...]
    models: tuple[str, ...]
    budgets: tuple[float, ...]
    strategies: tuple[str, ...] = ("monolingual",)
    seeds: tuple[int, ...] = (0,)
    overrides: tuple[str, ...] = ()


def expand(grid: Grid) -> list[RunSpec]:
    """Every cell of the grid as a :class:`RunSpec` (languages normalised, duplicates removed)."""
    for name, values in (("languages", grid.languages), ("models", grid.models), ("budgets", grid.budgets),
                         ("strategies", grid.strategies), ("seeds", grid.seeds)):
        if not values:
            raise ValueError(f"grid {grid.experiment!r}: '{name}' is empty; give at least one value")
    langs = [languages.canonical(l) for l in grid.languages]
    specs: list[RunSpec] = []
    for lang, model, budget, strategy, seed in itertools.product(langs, grid.models, grid.budgets,
                                                                 grid.strategies, grid.seeds):
        specs.append(RunSpec(grid.experiment, lang, model, int(budget), strategy, int(seed),
                             overrides=tuple(grid.overrides)))
    return dedupe(specs)


def synergy_specs(langs: Sequence[str], model: str, tokens: float, seed: int = 0,
                  overrides: Sequence[str] = ()) -> list[RunSpec]:
    """Bilingual 50:50 runs for every unordered pair plus one single-language baseline per language.

    ``k`` languages give ``k (k - 1) / 2 + k`` runs (28 for seven). A pair run is scored on both of
    its languages afterwards (``eval_languages``), so one run fills two cells of the synergy matrix.
    The baseline is the study's "target repeated twice": the target alone at the same total tokens,
    on a fixed half-budget of its documents seen twice (``data.unique_tokens``). It then holds as
    many unique target tokens as a 50:50 pair run, so the comparison measures what the partner's
    tokens add against repeating the target's, not how much more target data the baseline saw.
    """
    langs = [languages.canonical(l) for l in langs]
    if len(set(langs)) < 2:
        raise ValueError("synergy needs at least two distinct languages")
    specs = []
    for a, b in itertools.combinations(langs, 2):
        specs.append(RunSpec("synergy", a, model, int(tokens), seed=seed, mixture=f"{a}=0.5,{b}=0.5",
                             overrides=tuple(overrides), eval_languages=(a, b)))
    for a in langs:
        specs.append(RunSpec("synergy", a, model, int(tokens), seed=seed, mixture=f"{a}=1.0",
                             overrides=(*overrides, f"data.unique_tokens={int(tokens) // 2}")))
    return specs


def dedupe(specs: Iterable[RunSpec]) -> list[RunSpec]:
    """Drop repeated specs, keeping the first; order is otherwise preserved."""
    seen: set[str] = set()
    out = []
    for s in specs:
        if s.run_id not in seen:
            seen.add(s.run_id)
            out.append(s)
    return out


def _override_value(overrides: Sequence[str], key: str, default: str) -> str:
    value = default
    for item in overrides:
        k, _, v = item.partition("=")
        if k.strip() == key:
            value = v.strip()
    return value


def run_flops(spec: RunSpec, vocab_size: int | None = None) -> float:
    """Training FLOPs of one run: flops_per_token(model, seq_len, vocab) * tokens."""
    from codescale_jax.config import DataConfig
    from codescale_jax.model.counting import flops_per_token
    from codescale_jax.model.ladder import model_config

    seq_len = int(_override_value(spec.overrides, "data.seq_len", str(DataConfig.seq_len)))
    if vocab_size is None:
        tok = _override_value(spec.overrides, "data.tokenizer", "bytes")
        vocab_size = BYTE_VOCAB if tok == "bytes" else 8192
    return flops_per_token(model_config(spec.model), seq_len, vocab_size) * float(spec.tokens)


@dataclasses.dataclass(frozen=True)
class PlanSummary:
    runs: int
    to_run: int
    total_flops: float
    remaining_flops: float
    eta_s: float


def summarize(specs: Sequence[RunSpec], finished: Sequence[bool] | None = None, workers: int = 1,
              flops_per_s: float = DEFAULT_FLOPS_PER_S, overhead_s: float = DEFAULT_OVERHEAD_S,
              vocab_size: int | None = None) -> PlanSummary:
    """Totals and an ETA for a plan; ``finished[i]`` marks runs that will be skipped."""
    finished = list(finished) if finished is not None else [False] * len(specs)
    flops = [run_flops(s, vocab_size) for s in specs]
    remaining = [f for f, done in zip(flops, finished) if not done]
    workers = max(1, int(workers))
    eta = (sum(remaining) / flops_per_s + overhead_s * len(remaining)) / workers
    return PlanSummary(len(specs), len(remaining), float(sum(flops)), float(sum(remaining)), float(eta))


def format_plan(specs: Sequence[RunSpec], finished: Sequence[bool] | None = None, workers: int = 1,
                flops_per_s: float = DEFAULT_FLOPS_PER_S, vocab_size: int | None = None, limit: int = 40,
                overhead_s: float = DEFAULT_OVERHEAD_S) -> str:
    """Human-readable plan: one line per run (first ``limit``), then totals and the ETA."""
    finished = list(finished) if finished is not None else [False] * len(specs)
    lines = [f"{'status':8s} {'run id':72s} {'FLOPs':>10s}"]
    for s, done in list(zip(specs, finished))[:limit]:
        lines.append(f"{'done' if done else 'todo':8s} {s.run_id:72s} {run_flops(s, vocab_size):10.3g}")
    if len(specs) > limit:
        lines.append(f"... and {len(specs) - limit} more")
    summ = summarize(specs, finished, workers, flops_per_s, overhead_s=overhead_s, vocab_size=vocab_size)
    lines.append(f"plan: {summ.runs} runs ({summ.runs - summ.to_run} finished, {summ.to_run} to run); "
                 f"total {summ.total_flops:.3g} training FLOPs, {summ.remaining_flops:.3g} remaining; "
                 f"ETA {format_duration(summ.eta_s)} with {workers} worker(s) at {flops_per_s:.3g} FLOP/s each "
                 f"(+{overhead_s:.0f}s per run)")
    return "\n".join(lines)


def format_duration(seconds: float) -> str:
    seconds = max(0.0, float(seconds))
    if seconds < 120:
        return f"{seconds:.0f}s"
    if seconds < 7200:
        return f"{seconds / 60:.1f} min"
    if seconds < 3 * 86400:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 86400:.1f} days"
