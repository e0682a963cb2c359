"""The study's stages, each reading and writing plain files under one output directory.

Layout of ``OUT`` (every stage can be rerun alone; finished runs are skipped)::

    OUT/runs/<run_id>/          one run dir per training run (experiments.train)
    OUT/results/<stage>.csv     results rows of a stage (codescale_jax.study.results.write_csv)
    OUT/laws.json, OUT/plots/   per-language laws with bootstrap intervals and holdout check
    OUT/alloc.json, alloc.png   optimized vs uniform split from the fitted laws
    OUT/report/report.md        the report and its PNG figures

Stages: ``scaling`` (per-language grid), ``fit``, ``synergy``, ``pairing``, ``allocation`` (allocate
from the fitted laws, then train both splits at equal tokens and score every language) and
``report``. The fit and the allocation call the same entry points a user would
(``experiments.fit_laws``, ``experiments.allocate``), so their files are identical to a manual run.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Callable

import numpy as np

from codescale_jax import io_utils
from codescale_jax.errors import InputError
from codescale_jax.study import presets as presets_lib
from codescale_jax.study import sweep as sweep_lib
from codescale_jax.study.presets import StudyPreset
from codescale_jax.study.results import write_csv

STAGES = ("scaling", "fit", "synergy", "pairing", "allocation", "report")


class StageError(RuntimeError):
    """A stage could not produce its files; the message says which and what to do."""


class CorpusNotBuiltError(InputError, StageError):
    """The preset's corpus has not been built; the message gives the command that builds it."""


def resolve_corpus(preset: StudyPreset, build: bool = True) -> str | None:
    """Directory of the preset's corpus (building the embedded one on first use); None = no corpus
    directory (the trainer's built-in Python-only stdlib source)."""
    from codescale_jax.data import corpus_recipes

    if preset.corpus == "stdlib":
        return None
    if preset.corpus == "embedded":
        out = corpus_recipes.default_embedded_dir()
        if build and not (out / "manifest.json").is_file():
            print(f"[study] building the embedded corpus in {out} (a few minutes on 2 cores)")
            corpus_recipes.ensure_embedded_corpus(out)
        return str(out)
    if preset.corpus == "registries":
        out = Path("artifacts/corpus/registries")
        if not (out / "manifest.json").is_file() and build:
            raise CorpusNotBuiltError(f"{out}: no registries corpus; build it first with "
                             "python -m experiments.build_corpus --recipe registries --out artifacts/corpus/registries "
                             "--max-mb-per-language 40 (the cap the real-micro runs were measured with)")
        return str(out)
    return preset.corpus


def _sweep(specs, out: Path, preset: StudyPreset, workers: int | None, stage: str, runner=None) -> list[dict]:
    rep = sweep_lib.run_sweep(specs, out / "runs", workers=workers or preset.workers, runner=runner,
                              flops_per_s=preset.flops_per_s, overhead_s=preset.overhead_s)
    rows = sweep_lib.collect(specs, out / "runs")
    if rows:
        write_csv(rows, out / "results" / f"{stage}.csv")
    if rep.failed:
        raise StageError(f"{stage}: {len(rep.failed)} run(s) failed ({', '.join(rep.failed)}); see their train.log "
                         f"and rerun the same command (finished runs are skipped, others resume)")
    return rows


def run_scaling(preset, out: Path, corpus_dir, workers=None, runner=None) -> list[dict]:
    return _sweep(presets_lib.scaling_specs(preset, corpus_dir), out, preset, workers, "scaling", runner)


def run_synergy(preset, out: Path, corpus_dir, workers=None, runner=None) -> list[dict]:
    return _sweep(presets_lib.synergy_run_specs(preset, corpus_dir), out, preset, workers, "synergy", runner)


def run_pairing(preset, out: Path, corpus_dir, workers=None, runner=None) -> list[dict]:
    return _sweep(presets_lib.pairing_specs(preset, corpus_dir), out, preset, workers, "pairing", runner)


def run_fit(preset: StudyPreset, out: Path) -> Path:
    from experiments import fit_laws

    csv = out / "results" / "scaling.csv"
    if not csv.is_file():
        raise StageError(f"{csv}: no scaling results; run the scaling stage first")
    laws = out / "laws.json"
    argv = ["--results", str(csv), "--out", str(laws), "--bootstrap", str(preset.bootstrap), "--starts",
            preset.fit_starts, "--plot"]
    if preset.holdout:
        argv += ["--holdout", preset.holdout]
    if fit_laws.main(argv) != 0:
        raise StageError("fit: experiments.fit_laws failed (see the message above)")
    return laws


def run_allocation(preset: StudyPreset, out: Path, corpus_dir, workers=None, runner=None) -> list[dict]:
    """Allocate from ``laws.json`` at the preset's N and D, then train the optimized and uniform splits."""
    if preset.allocation is None:
        return []
    from experiments import allocate as allocate_cli

    from codescale_jax.laws.lawfile import read_laws
    from codescale_jax.model.counting import count_params
    from codescale_jax.model.ladder import model_config

    laws = out / "laws.json"
    if not laws.is_file():
        raise StageError(f"{laws}: no fitted laws; run the fit stage first")
    a = preset.allocation
    n = count_params(model_config(a.model), 256).non_embedding  # N excludes embeddings: any vocab
    fitted = read_laws(laws)
    langs = [l for l in fitted if l in preset.code_languages()] or list(fitted)
    argv = ["--laws", str(laws), "--params", str(n), "--tokens", str(a.tokens), "--out", str(out / "alloc.json"),
            "--min-share", str(a.min_share), "--plot"]
    if a.control:
        argv.append("--mirror")
    if a.max_regret is not None:
        argv += ["--max-regret", str(a.max_regret)]
        if a.regret_without_transfer:
            argv.append("--regret-without-transfer")
    if langs:
        argv += ["--languages", ",".join(langs)]
    transfer = fit_transfer_file(out, fitted, langs, preset.bootstrap)
    if transfer is not None:
        argv += ["--transfer", str(transfer), "--gamma", "1"]
    if allocate_cli.main(argv) != 0:
        raise StageError("allocation: experiments.allocate failed (see the message above)")
    doc = json.loads((out / "alloc.json").read_text())
    opt = {l: v["share"] for l, v in doc["languages"].items()}
    uni = {l: v["uniform_share"] for l, v in doc["languages"].items()}
    mirrored = {l: v["share"] for l, v in doc["mirrored"]["languages"].items()} if a.control else None
    specs = presets_lib.allocation_specs(preset, opt, uni, corpus_dir, mirrored)
    return _sweep(specs, out, preset, workers, "allocation", runner)


def fit_transfer_file(out: Path, fitted: dict, langs: list[str], bootstrap: int = 0, seed: int = 0) -> Path | None:
    """Fit the transfer matrix tau of the transfer form to the synergy runs (when the synergy stage
    produced results) and write ``transfer.json`` for the allocator; ``None`` without synergy rows.

    The allocation then credits each language with ``gamma * sum_j tau_ij D_j`` of the others'
    tokens (gamma fixed to 1: only the product is identifiable from bilingual runs). Pairs no run
    informs get tau = 0 (no transfer assumed). With ``bootstrap`` resamples, tau also gets 95%
    intervals and one draw per law bootstrap draw (``tau_draws[r]`` pairs with the laws'
    ``bootstrap_draws[r]``; null where either is unusable), from
    :func:`codescale_jax.laws.transfer.bootstrap_transfer` with the residuals of the scaling fit.
    """
    from codescale_jax.laws.forms import PARAM_NAMES
    from codescale_jax.laws.transfer import fit_transfer
    from codescale_jax.study.results import load_results

    csv = out / "results" / "synergy.csv"
    if not csv.is_file() or len(langs) < 2:
        return None
    rows = [r for r in load_results(csv) if r["language"] in langs]
    params = np.array([[float(fitted[l][k]) for k in PARAM_NAMES] for l in langs])
    fit = fit_transfer(rows, langs, params)
    doc = {"languages": list(fit.languages), "tau": np.nan_to_num(fit.tau).tolist(),
           "gamma": fit.gamma, "objective": fit.objective, "n_points": fit.n_points,
           "iterations": fit.iterations, "source": str(csv.name)}
    if bootstrap > 0:
        doc.update(_transfer_bootstrap(out, fitted, langs, rows, params, fit.tau, bootstrap, seed))
    path = out / "transfer.json"
    io_utils.atomic_write_json(path, doc)
    return path


def _transfer_bootstrap(out: Path, fitted: dict, langs: list[str], rows, params, tau, resamples: int,
                        seed: int) -> dict:
    """``transfer.json`` fields of the tau bootstrap: intervals, paired draws, what was resampled."""
    from codescale_jax.laws.forms import law_loss
    from codescale_jax.laws.transfer import bootstrap_transfer
    from codescale_jax.study.results import load_results

    draws = None
    if all(fitted[l].get("bootstrap_draws") for l in langs):
        r = min(len(fitted[l]["bootstrap_draws"]) for l in langs)
        draws = np.stack([np.asarray(fitted[l]["bootstrap_draws"][:r], np.float64) for l in langs], axis=1)
        resamples = min(resamples, r)
    residuals = None
    scaling = out / "results" / "scaling.csv"
    if scaling.is_file():
        srows = load_results(scaling)
        residuals = []
        for i, lang in enumerate(langs):
            mine = [x for x in srows if x["language"] == lang]
            n = np.array([float(x["params"]) for x in mine])
            d = np.array([float(x["tokens"]) for x in mine])
            pred = np.asarray(law_loss(*params[i], n, d))
            residuals.append(np.log([float(x["loss"]) for x in mine]) - np.log(pred))
    boot = bootstrap_transfer(rows, langs, params, resamples, seed=seed, param_draws=draws, residuals=residuals,
                              start=tau)
    lo, hi = boot.ci95()
    usable = boot.usable()

    def cells(m):
        return [[None if not np.isfinite(v) else float(v) for v in row] for row in m]

    return {"tau_ci95": {"lo": cells(lo), "hi": cells(hi)},
            # An entry the resample had no run for keeps the fitted value (it says nothing new there).
            "tau_draws": [np.where(np.isfinite(t), t, np.nan_to_num(tau)).tolist() if ok else None
                          for t, ok in zip(boot.taus, usable)],
            "bootstrap": {"resamples": int(resamples), "usable": int(usable.sum()), "seed": int(seed),
                          "law_draws": draws is not None, "residuals": residuals is not None,
                          "unit": "run", "refits_hit_maxiter": boot.hit_maxiter}}


def run_all(preset: StudyPreset, out: str | Path, stages=STAGES, workers: int | None = None,
            runner=None, log: Callable[[str], None] = print) -> dict[str, str]:
    """Run the chosen stages in order; returns stage -> "ok" | "skipped: why" | "failed: why"."""
    out = Path(out)
    corpus_dir = resolve_corpus(preset)  # before anything is written: a corpus not built is refused
    out.mkdir(parents=True, exist_ok=True)
    outcome: dict[str, str] = {}
    steps = {
        "scaling": lambda: run_scaling(preset, out, corpus_dir, workers, runner),
        "fit": lambda: run_fit(preset, out),
        "synergy": lambda: run_synergy(preset, out, corpus_dir, workers, runner) if preset.synergy else None,
        "pairing": lambda: run_pairing(preset, out, corpus_dir, workers, runner) if preset.pairing else None,
        "allocation": lambda: run_allocation(preset, out, corpus_dir, workers, runner) if preset.allocation else None,
    }
    for stage in stages:
        if stage == "report":
            continue
        if stage not in steps:
            raise ValueError(f"unknown stage {stage!r}; choose from {', '.join(STAGES)}")
        log(f"[study] stage {stage}")
        try:
            res = steps[stage]()
            outcome[stage] = "skipped: not in this preset" if res is None else "ok"
        except (StageError, ValueError) as exc:
            log(f"[study] stage {stage} failed: {exc}")
            outcome[stage] = f"failed: {exc}"
    if "report" in stages:
        from codescale_jax.study.report import write_report

        path = write_report(out, preset_name=preset.name, outcome=outcome)
        log(f"[study] report: {path}")
        outcome["report"] = "ok"
    return outcome
