"""What a study preset holds, and the run specs each experiment of a preset expands to.

A preset (``experiments/presets/<name>.py`` defines ``PRESET``) is one :class:`StudyPreset`: the
languages, the model ladder and token budgets of the per-language sweep, and one small spec per
further experiment (synergy, pairing, allocation). Everything that differs between a laptop smoke
test and the study's accelerator ladder lives in the preset; the code that runs it is the same.

``corpus`` selects the data: ``embedded`` (built on first use from what every Python ships plus the
synthetic programs), ``registries`` (built by ``experiments.build_corpus --recipe registries``) or a
directory path. ``settings`` are ``section.key=value`` overrides given to every run.
"""

from __future__ import annotations

import dataclasses
from typing import Sequence

from codescale_jax import languages
from codescale_jax.study.plan import Grid, RunSpec, expand, synergy_specs


@dataclasses.dataclass(frozen=True)
class SynergySpec:
    """Bilingual 50:50 runs plus baselines at one size and budget (the study: 128B tokens)."""

    model: str
    tokens: float
    languages: tuple[str, ...] = ()  # default: the preset's code languages


@dataclasses.dataclass(frozen=True)
class PairingSpec:
    """Paired vs shuffled parallel data at several sizes, scored on ``language``."""

    models: tuple[str, ...]
    tokens: float
    strategies: tuple[str, ...] = ("paired", "shuffled")
    language: str = "python"
    settings: tuple[str, ...] = ()  # e.g. data.pair_share=0.5, data.parallel_programs=200
    translation_pairs: int = 0  # > 0: score each run's 7x7 translation loss on this many pairs per direction


@dataclasses.dataclass(frozen=True)
class AllocationSpec:
    """Fit -> allocate -> train the optimized and the uniform split at equal tokens."""

    model: str
    tokens: float
    min_share: float = 0.02
    max_regret: float | None = None  # e.g. 0.01: no language's predicted loss over 1% above uniform's
    regret_without_transfer: bool = False  # the cap must also hold with the fitted transfer switched off
    seeds: tuple[int, ...] = ()  # train both splits once per seed (default: the preset's first seed)
    # Also train the mirrored split (uniform - (optimized - uniform)) at every seed: as far from
    # uniform as the optimized split, the other way. A gain it shares is not the laws' doing.
    control: bool = False


@dataclasses.dataclass(frozen=True)
class StudyPreset:
    name: str
    languages: tuple[str, ...]
    models: tuple[str, ...]
    budgets: tuple[float, ...]
    seeds: tuple[int, ...] = (0,)
    corpus: str = "embedded"
    settings: tuple[str, ...] = ()
    synergy: SynergySpec | None = None
    pairing: PairingSpec | None = None
    allocation: AllocationSpec | None = None
    holdout: str = "largest=1"  # extrapolation check: fit without the largest model, predict it
    bootstrap: int = 100
    fit_starts: str = "coarse"  # experiments.fit_laws --starts
    workers: int = 1
    flops_per_s: float = 2e9  # per worker, for the ETA
    overhead_s: float = 30.0  # fixed seconds per run (start-up, compile, evaluation), for the ETA
    outside_runs_s: float = 0.0  # seconds of work outside the runs (scoring, fits, report), for the ETA
    plan_only: bool = False  # print the plan and compute, run nothing (accelerator-cluster presets)

    def code_languages(self) -> tuple[str, ...]:
        return tuple(l for l in (languages.canonical(x) for x in self.languages) if l in languages.CODE_LANGUAGES)


def corpus_settings(preset: StudyPreset, corpus_dir: str | None) -> tuple[str, ...]:
    """Overrides that point every run at the preset's corpus directory."""
    if corpus_dir is None:
        return ()
    return ("data.corpus=shards", f"data.corpus_dir={corpus_dir}")


def scaling_specs(preset: StudyPreset, corpus_dir: str | None = None) -> list[RunSpec]:
    grid = Grid("scaling", tuple(preset.languages), tuple(preset.models), tuple(preset.budgets),
                seeds=tuple(preset.seeds), overrides=corpus_settings(preset, corpus_dir) + tuple(preset.settings))
    return expand(grid)


def synergy_run_specs(preset: StudyPreset, corpus_dir: str | None = None) -> list[RunSpec]:
    if preset.synergy is None:
        return []
    s = preset.synergy
    langs = s.languages or preset.code_languages()
    return synergy_specs(langs, s.model, s.tokens, seed=preset.seeds[0],
                         overrides=corpus_settings(preset, corpus_dir) + tuple(preset.settings))


def pairing_specs(preset: StudyPreset, corpus_dir: str | None = None) -> list[RunSpec]:
    if preset.pairing is None:
        return []
    p = preset.pairing
    grid = Grid("pairing", (p.language,), tuple(p.models), (p.tokens,), strategies=tuple(p.strategies),
                seeds=(preset.seeds[0],),
                overrides=corpus_settings(preset, corpus_dir) + tuple(preset.settings) + tuple(p.settings))
    specs = expand(grid)
    if p.translation_pairs:
        specs = [dataclasses.replace(s, translation_pairs=p.translation_pairs) for s in specs]
    return specs


def mixture_string(shares: dict[str, float]) -> str:
    """``{"python": 0.31, ...}`` -> ``"python=0.3100,..."`` (rounded so equal splits give equal run ids)."""
    return ",".join(f"{lang}={share:.4f}" for lang, share in shares.items() if share > 0)


def allocation_specs(preset: StudyPreset, optimized: dict[str, float], uniform: dict[str, float],
                     corpus_dir: str | None = None, mirrored: dict[str, float] | None = None) -> list[RunSpec]:
    """The runs of the allocation check, both splits (and with ``control`` the ``mirrored`` one) once
    per seed; each is scored on every language."""
    if preset.allocation is None:
        return []
    a = preset.allocation
    langs = tuple(optimized)
    base = corpus_settings(preset, corpus_dir) + tuple(preset.settings)
    arms = [("optimized", optimized), ("uniform", uniform)]
    if a.control:
        arms.append(("mirrored", uniform if mirrored is None else mirrored))  # the plan counts it as uniform
    out = []
    for seed in a.seeds or preset.seeds[:1]:
        for tag, shares in arms:
            out.append(RunSpec("allocation", langs[0], a.model, int(a.tokens), seed=seed,
                               mixture=mixture_string(shares), overrides=base, eval_languages=langs, tag=tag))
    return out


def all_planned_specs(preset: StudyPreset, corpus_dir: str | None = None) -> list[RunSpec]:
    """Every run known before fitting (the allocation runs are added once the split is computed;
    for the plan they are counted as uniform runs of the same size and budget, one per arm)."""
    specs = scaling_specs(preset, corpus_dir) + synergy_run_specs(preset, corpus_dir) + pairing_specs(preset, corpus_dir)
    if preset.allocation is not None:
        langs = preset.code_languages() or tuple(languages.canonical(l) for l in preset.languages)
        uni = {l: 1.0 / len(langs) for l in langs}
        specs += allocation_specs(preset, uni, uni, corpus_dir)
    return specs


def check(preset: StudyPreset) -> None:
    """Reject presets that cannot produce what the report needs, naming the problem."""
    from codescale_jax.laws.fit import MIN_POINTS

    for l in preset.languages:
        languages.canonical(l)
    points = len(preset.models) * len(preset.budgets) * len(preset.seeds)
    if points < MIN_POINTS:
        raise ValueError(f"preset {preset.name!r}: {len(preset.models)} sizes x {len(preset.budgets)} budgets x "
                         f"{len(preset.seeds)} seeds = {points} points per language; a law needs {MIN_POINTS}")
    if preset.holdout.startswith("largest="):
        k = int(preset.holdout.split("=", 1)[1])
        if k >= len(preset.models):
            raise ValueError(f"preset {preset.name!r}: holdout {preset.holdout} leaves no model size to fit on")


def describe(preset: StudyPreset, specs: Sequence[RunSpec] | None = None) -> dict:
    """JSON-able summary (written beside the report)."""
    d = dataclasses.asdict(preset)
    if specs is not None:
        d["runs"] = len(specs)
    return d
