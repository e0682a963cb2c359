"""Synergy matrix: bilingual 50:50 mixtures plus single-language baselines.

    python -m experiments.synergy --preset micro [--out runs/study-micro] [--workers 2] [--dry-run]

Prints the plan (runs, FLOPs, ETA), then trains every language pair 50:50 plus one baseline per
language (28 runs for seven languages) and scores both languages of each pair. Finished runs are
skipped and unfinished ones resume, so rerunning the command continues where it stopped.
Writes into the same study directory
as ``python -m experiments.reproduce`` (see codescale_jax.study.stages for the layout) and refreshes
OUT/report/report.md. Expected time: see the preset's docstring (experiments/presets/).
"""

from __future__ import annotations

import sys

from codescale_jax.study.cli import main as study_main

STAGES = ("synergy", "report")


def main(argv: list[str] | None = None) -> int:
    return study_main(argv, "python -m experiments.synergy", __doc__.split("\n")[0], STAGES)


if __name__ == "__main__":
    sys.exit(main())
