"""Optimized vs uniform token allocation at equal tokens.

    python -m experiments.allocation --preset micro [--out runs/study-micro] [--workers 2] [--dry-run]

Prints the plan (runs, FLOPs, ETA), then allocates from OUT/laws.json (run scaling_sweep first), then trains both splits and scores every language. Finished runs are skipped and unfinished ones
resume, so rerunning the command continues where it stopped. Writes into the same study directory
as ``python -m experiments.reproduce`` (see codescale_jax.study.stages for the layout) and refreshes
OUT/report/report.md. Expected time: see the preset's docstring (experiments/presets/).
"""

from __future__ import annotations

import sys

from codescale_jax.study.cli import main as study_main

STAGES = ("allocation", "report")


def main(argv: list[str] | None = None) -> int:
    return study_main(argv, "python -m experiments.allocation", __doc__.split("\n")[0], STAGES)


if __name__ == "__main__":
    sys.exit(main())
