"""Shared command line of the study's entry points (reproduce, scaling_sweep, synergy, pairing, allocation).

Every entry point takes ``--preset NAME --out DIR [--workers K] [--dry-run]`` and runs its stages of
:mod:`codescale_jax.study.stages`; the plan (runs, FLOPs, ETA) is always printed first. A preset
marked ``plan_only`` (``paper``) prints the plan of every stage and trains nothing.
"""

from __future__ import annotations

import argparse
import sys
from typing import Sequence

from codescale_jax.errors import InputError
from codescale_jax.study import plan as plan_lib
from codescale_jax.study import presets as presets_lib
from codescale_jax.study import stages as stages_lib
from codescale_jax.study import sweep as sweep_lib


def parser(prog: str, description: str, default_stages: Sequence[str]) -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog=prog, description=description)
    p.add_argument("--preset", default="micro", help="smoke | micro | real-micro | paper (experiments/presets/)")
    p.add_argument("--out", default=None, help="study directory (default runs/study-<preset>)")
    p.add_argument("--workers", type=int, default=None, help="training runs at once (default: the preset's)")
    p.add_argument("--stages", default=",".join(default_stages),
                   help=f"comma list from {', '.join(stages_lib.STAGES)} (default: {','.join(default_stages)})")
    p.add_argument("--dry-run", action="store_true", help="print the plan, FLOPs and ETA; train nothing")
    return p


def print_plan(preset, out: str, workers: int | None) -> None:
    corpus_dir = stages_lib.resolve_corpus(preset, build=False)
    specs = presets_lib.all_planned_specs(preset, corpus_dir)
    runs_dir = f"{out}/runs"
    done = [sweep_lib.status(s, runs_dir) == "finished" for s in specs]
    print(plan_lib.format_plan(specs, done, workers or preset.workers, preset.flops_per_s,
                               overhead_s=preset.overhead_s))
    if preset.outside_runs_s and not all(done):
        total = plan_lib.summarize(specs, done, workers or preset.workers, preset.flops_per_s,
                                   overhead_s=preset.overhead_s).eta_s + preset.outside_runs_s
        print(f"  + about {plan_lib.format_duration(preset.outside_runs_s)} outside the training runs "
              f"(scoring, fits, report) -> ETA {plan_lib.format_duration(total)} in all")
    for name, part in (("scaling", presets_lib.scaling_specs(preset, corpus_dir)),
                       ("synergy", presets_lib.synergy_run_specs(preset, corpus_dir)),
                       ("pairing", presets_lib.pairing_specs(preset, corpus_dir))):
        if part:
            s = plan_lib.summarize(part, workers=workers or preset.workers, flops_per_s=preset.flops_per_s,
                                   overhead_s=preset.overhead_s)
            print(f"  {name:9s} {s.runs:4d} runs {s.total_flops:10.3g} FLOPs  ETA {plan_lib.format_duration(s.eta_s)}")


def main(argv, prog: str, description: str, default_stages: Sequence[str]) -> int:
    from experiments.presets import load

    args = parser(prog, description, default_stages).parse_args(argv)
    try:
        preset = load(args.preset)
        presets_lib.check(preset)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    out = args.out or f"runs/study-{preset.name}"
    stages = tuple(s.strip() for s in args.stages.split(",") if s.strip())
    unknown = [s for s in stages if s not in stages_lib.STAGES]
    if unknown:
        print(f"error: unknown stage(s) {', '.join(unknown)}; choose from {', '.join(stages_lib.STAGES)}",
              file=sys.stderr)
        return 2
    print(f"[study] preset {preset.name}, output {out}, stages {', '.join(stages)}")
    try:  # what the stages themselves refuse is caught per stage; this is input they never reach (no corpus)
        print_plan(preset, out, args.workers)
        if args.dry_run or preset.plan_only:
            if preset.plan_only:
                print(f"[study] preset {preset.name} is plan-only: nothing is trained here")
            return 0
        outcome = stages_lib.run_all(preset, out, stages=stages, workers=args.workers)
    except InputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    for stage, what in outcome.items():
        print(f"[study] {stage}: {what}")
    return 0 if all(not v.startswith("failed") for v in outcome.values()) else 1
