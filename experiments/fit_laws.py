"""Fit per-language scaling laws to results rows and write ``laws.json``.

    python -m experiments.fit_laws --results runs/ --out laws.json
    python -m experiments.fit_laws --results results.csv --out laws.json --bootstrap 1000 --holdout largest=2 --plot

PATH is a runs directory (every ``result.json`` below it) or a CSV with ``language,params,tokens,loss``
(no ``language`` column: one law named ``all``; no ``run_id``: each row is its own run). N is the
non-embedding parameter count and D the training tokens; ``A`` and ``B`` in the file are for raw N and D.
Expected run time on a 2-core CPU: tens of seconds per language for the 4,500-start grid and a few
hundred bootstrap refits (more when the machine is shared).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from codescale_jax.laws.fit import FitConfig, predict
from codescale_jax.laws.lawfile import write_laws
from codescale_jax.laws.pipeline import arrays, fit_language
from codescale_jax.study.results import ResultsError, by_language, load_results


def parse_args(argv=None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--results", required=True, help="runs directory or CSV")
    ap.add_argument("--out", required=True, help="laws.json to write")
    ap.add_argument("--delta", type=float, default=1e-3, help="Huber delta on log residuals")
    ap.add_argument("--starts", default="hoffmann", choices=("hoffmann", "coarse"),
                    help="start grid: 4,500 points (hoffmann) or 243 (coarse)")
    ap.add_argument("--bootstrap", type=int, default=200, help="bootstrap resamples by run (0: none)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--holdout", default=None, help="params>=X | tokens>=X | compute>=X | largest=K")
    ap.add_argument("--languages", default=None, help="comma-separated subset of languages to fit")
    ap.add_argument("--plot", action="store_true", help="write PNG plots next to --out")
    return ap.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    try:
        rows = load_results(args.results)
    except ResultsError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    groups = by_language(rows)
    if args.languages:
        wanted = [s.strip().lower() for s in args.languages.split(",") if s.strip()]
        unknown = [w for w in wanted if w not in groups]
        if unknown:
            print(f"error: no rows for {', '.join(unknown)}; present: {', '.join(groups)}", file=sys.stderr)
            return 2
        groups = {k: groups[k] for k in wanted}
    cfg = FitConfig(delta=args.delta, grid=args.starts)
    laws = {}
    for lang, lang_rows in groups.items():
        try:
            entry, f, _ = fit_language(lang_rows, cfg, n_boot=args.bootstrap, seed=args.seed, holdout=args.holdout,
                                       name=lang)
        except ValueError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
        laws[lang] = entry
        if args.plot:
            n, d, loss, _ = arrays(lang_rows)
            from codescale_jax.laws.plots import plot_fit

            out_dir = Path(args.out).resolve().parent / "plots"
            paths = plot_fit(lang, n, d, loss, lambda nn, dd, th=f.theta: predict(th, nn, dd), out_dir)
            print(f"[{lang}] plots: {', '.join(str(p) for p in paths)}")
    settings = {"huber_delta": args.delta, "start_grid": args.starts, "bootstrap_resamples": args.bootstrap,
                "bootstrap_unit": "run", "seed": args.seed, "holdout": args.holdout, "results": str(args.results),
                "objective": "sum of Huber losses of log residuals (log-space LSE form)"}
    write_laws(args.out, laws, settings)
    print(f"wrote {args.out} ({len(laws)} law(s): {', '.join(laws)})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
