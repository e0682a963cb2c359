"""Verify the synthetic parallel programs by execution in every language with a renderer.

    python -m experiments.verify_synthetic --programs 200 --seed 0

Generates the programs, renders each in every language, compiles and runs them in the sandbox
(toolchains from ``scripts/install_toolchains.sh``), and compares stdout across languages and with
the reference interpreter. The last line is ``agreement=<fraction>``: the fraction of programs
whose output is identical in all compared languages. When fewer than the seven languages are
compared (a renderer is missing, or ``--languages`` narrows them), the line says which, e.g.
``agreement=1.0000 (3 of 7 languages: python,javascript,typescript)``. Disagreeing programs are
saved under ``--out`` (sources, outputs, stderr, the IR) for debugging.

Expected: agreement 1.0; below 0.99 is a defect. Run time on a 2-core CPU is roughly 0.2-1 s per
program and language (compilers dominate: javac, tsc, mcs, go, rustc).
"""

from __future__ import annotations

import argparse
import sys

from codescale_jax import languages
from codescale_jax.data import synthetic
from codescale_jax.data.synthetic.generate import GenConfig
from codescale_jax.data.synthetic.verify import verify_programs


def parse_args(argv=None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--programs", type=int, default=200, help="number of programs (default 200)")
    ap.add_argument("--seed", type=int, default=0, help="generator seed (default 0)")
    ap.add_argument("--languages", default=None,
                    help="comma-separated languages (default: every language with a renderer)")
    ap.add_argument("--size", type=int, default=GenConfig.size, help="generator size knob, 1-5")
    ap.add_argument("--difficulty", type=int, default=GenConfig.difficulty, help="generator difficulty knob, 1-5")
    ap.add_argument("--workers", type=int, default=2, help="parallel sandboxed runs (default 2)")
    ap.add_argument("--timeout", type=float, default=None, help="per-run timeout in seconds")
    ap.add_argument("--out", default="runs/verify_synthetic", help="where disagreements are saved")
    return ap.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    if args.programs < 1:
        sys.exit("--programs must be >= 1")
    available = synthetic.available_languages()
    if args.languages:
        try:
            langs = languages.parse_list(args.languages)
        except languages.UnknownLanguageError as err:
            sys.exit(f"error: {err}")
        missing = [lang for lang in langs if lang not in available]
        if missing:
            sys.exit(f"no renderer for {', '.join(missing)}; available: {', '.join(available)}")
    else:
        langs = available
        absent = [lang for lang in languages.CODE_LANGUAGES if lang not in available]
        if absent:
            print(f"note: no renderer yet for {', '.join(absent)}; comparing {', '.join(langs)}", flush=True)
    try:
        config = GenConfig(size=args.size, difficulty=args.difficulty)
    except ValueError as err:
        sys.exit(str(err))
    print(f"generating {args.programs} programs (seed {args.seed}, {config})", flush=True)
    programs = synthetic.generate_programs(args.programs, args.seed, config)
    from codescale_jax.eval.runners import ToolchainError
    try:
        report = verify_programs(programs, langs, workers=args.workers, timeout_s=args.timeout,
                                 out_dir=args.out, progress=True)
    except ToolchainError as err:  # names the missing compilers and the install command
        sys.exit(f"cannot verify: {err}")
    print(f"{'language':<12} {'oracle':>8}  status")
    for lang in report.languages:
        counts = ", ".join(f"{k}={v}" for k, v in sorted(report.status_counts(lang).items()))
        print(f"{lang:<12} {report.oracle_agreement(lang):>8.4f}  {counts}")
    bad = [o.index for o in report.outcomes if not o.agree]
    print(f"disagreements: {len(bad)} {bad[:20]}{' ...' if len(bad) > 20 else ''} (saved under {report.saved_to})")
    print(f"wall: {report.wall_s:.1f} s for {len(programs) * len(langs)} runs")
    suffix = "" if len(report.languages) == len(languages.CODE_LANGUAGES) else (
        f" ({len(report.languages)} of {len(languages.CODE_LANGUAGES)} languages: {','.join(report.languages)})")
    print(f"agreement={report.agreement:.4f}{suffix}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
