"""Try a ladder, budgets or settings on a few languages before committing them to a preset.

    python -m experiments.probe_laws --out runs/probe-width --languages rust,python,go
    python -m experiments.probe_laws --out runs/probe-batch4 --languages rust,python,go --set train.batch_size=4
    python -m experiments.probe_laws --out runs/probe-small --languages rust,python,go --budgets 64e3,128e3,256e3,512e3 \
        --models "w24=micro-0.1m@model.d_model=24+model.d_ff=64,w32=micro-0.1m@model.d_model=32+model.d_ff=96,micro-0.1m,micro-0.2m"

Runs the per-language grid (languages x models x budgets) with the settings and corpus of a preset
(``--like``, default ``micro``), then fits each language's law, holds out the largest size and
prints the held-out error beside the shape check (``laws.pipeline.shape_check``): how many
adjacent slope pairs steepen, which the law cannot produce. A model entry is a ladder name, or
``label=name@section.key=value+...`` for a ladder entry with changed fields (the label keeps run
dirs of different shapes apart). ``--seeds 0,1`` trains every point once per seed: each run is
its own row in the law's fit, and the held-out check fits and scores the seed means of each
``(N, D)`` point. ``train.seed``, ``data.strategy`` and ``data.mixture`` belong to each run and
are refused in ``--set``. Leaves ``runs/``, ``results/scaling.csv`` and ``laws.json`` in
``--out``; rerunning skips finished runs. The first command is 48 runs of micro size: about 6
minutes on two CPU cores.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from codescale_jax import languages as languages_lib
from codescale_jax.errors import InputError
from codescale_jax.laws.lawfile import read_laws
from codescale_jax.study.plan import RunSpec


def parse_models(spec: str) -> list[tuple[str, str, tuple[str, ...]]]:
    """``"micro-0.2m,w48=micro-0.1m@model.d_model=48+model.d_ff=112"`` -> ``[(label, ladder name, overrides)]``."""
    out = []
    for item in (x.strip() for x in spec.split(",")):
        if not item:
            continue
        head, _, extra = item.partition("@")
        label, _, name = head.rpartition("=")
        overrides = tuple(x for x in extra.split("+") if x)
        for o in overrides:
            if "=" not in o or "." not in o.split("=", 1)[0]:
                raise ValueError(f"--models {item!r}: {o!r} is not section.key=value")
        if overrides and not label:
            raise ValueError(f"--models {item!r}: a changed ladder entry needs a label (label=name@...)")
        out.append((label, name.strip(), overrides))
    if not out:
        raise ValueError("--models is empty")
    labels = [l or n for l, n, _ in out]
    if len(set(labels)) != len(labels):
        raise ValueError(f"--models: labels must differ, got {', '.join(labels)}")
    return out


def parse_seeds(spec: str) -> list[int]:
    """``"0,1"`` -> ``[0, 1]``; whole numbers, at least one, no repeats."""
    items = [x.strip() for x in spec.split(",") if x.strip()]
    if not items or not all(x.isdigit() for x in items) or len(set(map(int, items))) != len(items):
        raise ValueError(f"--seeds {spec!r}: give one or more different whole numbers, such as 0,1")
    return [int(x) for x in items]


def build_specs(langs, models, budgets, settings, seeds=(0,)) -> list[RunSpec]:
    return [RunSpec("probe", lang, name, int(b), seed=int(s), overrides=tuple(settings) + extra, tag=label)
            for lang in langs for label, name, extra in models for b in budgets for s in seeds]


def summary(laws: dict) -> list[str]:
    lines = [f"{'language':<12}{'held-out err':>13}{'in-sample':>11}{'steepening D':>14}{'steepening N':>14}"]
    for lang, e in laws.items():
        h, s = e.get("holdout") or {}, e.get("shape") or {}
        err = f"{100 * h['heldout_mean_rel_error']:.2f}%" if h else "n/a"
        ins = f"{100 * h['insample_mean_rel_error']:.2f}%" if h else "n/a"
        d = f"{s['along_D']['steepening']}/{s['along_D']['pairs']}" if s else "n/a"
        n = f"{s['along_N']['steepening']}/{s['along_N']['pairs']}" if s else "n/a"
        lines.append(f"{lang:<12}{err:>13}{ins:>11}{d:>14}{n:>14}")
    return lines


def parse_args(argv=None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m experiments.probe_laws", description=__doc__.split("\n\n")[0])
    p.add_argument("--out", required=True, help="probe directory (created; reused to skip finished runs)")
    p.add_argument("--like", default="micro", help="preset whose settings and corpus the runs use (default micro)")
    p.add_argument("--languages", default="rust,python,go")
    p.add_argument("--models", default="micro-0.1m,micro-0.2m,micro-0.4m,micro-0.8m")
    p.add_argument("--budgets", default="16e3,32e3,64e3,128e3", help="training tokens per run, comma list")
    p.add_argument("--set", dest="overrides", action="append", default=[], metavar="SECTION.KEY=VALUE",
                   help="extra setting for every run, after the preset's (repeatable)")
    p.add_argument("--seeds", default="0", help="training seeds, comma list; every point is trained once per seed, each run is "
                   "its own row in the fit and the held-out check uses the seed means (default 0)")
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--holdout", default="largest=1")
    return p.parse_args(argv)


def main(argv=None, runner=None) -> int:
    args = parse_args(argv)
    from experiments import fit_laws
    from experiments.presets import load

    from codescale_jax.study import presets as presets_lib
    from codescale_jax.study import stages, sweep
    from codescale_jax.study.results import write_csv

    try:
        preset = load(args.like)
        langs = [languages_lib.canonical(x) for x in args.languages.split(",") if x.strip()]
        models = parse_models(args.models)
        budgets = [float(x) for x in args.budgets.split(",") if x.strip()]
        seeds = parse_seeds(args.seeds)
        if len(models) < 2 or len(budgets) < 2:
            raise ValueError("need at least 2 models and 2 budgets (and 6 points per language) to fit a law")
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    out = Path(args.out)
    try:  # the preset's corpus not built yet; a --set of a setting each run owns (train.seed: use --seeds)
        corpus = stages.resolve_corpus(preset)
        settings = presets_lib.corpus_settings(preset, corpus) + tuple(preset.settings) + tuple(args.overrides)
        specs = build_specs(langs, models, budgets, settings, seeds)
    except (ValueError, InputError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    rep = sweep.run_sweep(specs, out / "runs", workers=args.workers, runner=runner, flops_per_s=preset.flops_per_s,
                          overhead_s=preset.overhead_s)
    rows = sweep.collect(specs, out / "runs")
    if rep.failed or not rows:
        print(f"error: {len(rep.failed)} run(s) failed; see their train.log and rerun", file=sys.stderr)
        return 1
    write_csv(rows, out / "results" / "scaling.csv")
    rc = fit_laws.main(["--results", str(out / "results" / "scaling.csv"), "--out", str(out / "laws.json"),
                        "--bootstrap", "0", "--starts", preset.fit_starts, "--holdout", args.holdout])
    if rc != 0:
        return rc
    laws = read_laws(out / "laws.json")
    print("\n".join(summary(laws)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
