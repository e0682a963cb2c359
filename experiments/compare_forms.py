"""Held-out error of several law forms on the same runs: is a bad extrapolation the form or the regime?

    python -m experiments.compare_forms --results runs/study-micro/results/scaling.csv [--holdout largest=1]
        [--forms additive,multiplicative,kaplan,loglinear] [--out forms.json]

PATH is what ``experiments.fit_laws`` reads (a runs directory or a results CSV). For each language,
each form (``codescale_jax.laws.alt_forms``) is fitted to the points the holdout rule keeps and
scored on the ones it holds out; prints a table of mean relative errors (held out / in sample) and
the mean over languages. About a minute on 2 cores for seven languages of 16 points.
"""

from __future__ import annotations

import argparse
import sys

import numpy as np

from codescale_jax.io_utils import atomic_write_json
from codescale_jax.laws.alt_forms import FORMS, holdout_errors
from codescale_jax.laws.pipeline import arrays, holdout_mask
from codescale_jax.study.results import ResultsError, by_language, load_results


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m experiments.compare_forms", description=__doc__.split("\n")[0])
    ap.add_argument("--results", required=True, help="runs directory or results CSV")
    ap.add_argument("--holdout", default="largest=1", help="params>=X | tokens>=X | compute>=X | largest=K")
    ap.add_argument("--forms", default=",".join(FORMS), help=f"comma list from {', '.join(FORMS)}")
    ap.add_argument("--starts", type=int, default=32, help="random starts per power-law fit")
    ap.add_argument("--out", default=None, help="also write the errors as JSON here")
    args = ap.parse_args(argv)
    forms = [f.strip() for f in args.forms.split(",") if f.strip()]
    unknown = [f for f in forms if f not in FORMS]
    if unknown or not forms:
        print(f"error: unknown form(s) {', '.join(unknown) or '(none given)'}; choose from {', '.join(FORMS)}",
              file=sys.stderr)
        return 2
    try:
        groups = by_language(load_results(args.results))
        table = {}
        for lang, rows in sorted(groups.items()):
            n, d, loss, _ = arrays(rows)
            table[lang] = holdout_errors(n, d, loss, holdout_mask(n, d, args.holdout), forms=forms,
                                         starts=args.starts)
    except (ResultsError, ValueError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    col = max(16, max(len(f) for f in forms) + 2)  # a cell is "held-out / in-sample"
    print(f"held-out / in-sample mean relative error (%), holdout {args.holdout}")
    print(f"{'language':12s}" + "".join(f"{f:>{col}s}" for f in forms))
    for lang, errs in table.items():
        cells = (f"{100 * errs[f]['heldout']:.2f} / {100 * errs[f]['insample']:5.2f}" for f in forms)
        print(f"{lang:12s}" + "".join(f"{c:>{col}s}" for c in cells))
    means = {f: float(np.mean([errs[f]["heldout"] for errs in table.values()])) for f in forms}
    print(f"{'mean':12s}" + "".join(f"{f'{100 * means[f]:.2f}':>{col - 8}s}{'':8s}" for f in forms))
    if args.out:
        atomic_write_json(args.out, {"holdout": args.holdout, "languages": table, "mean_heldout": means})
    return 0


if __name__ == "__main__":
    sys.exit(main())
