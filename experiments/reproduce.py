"""The whole study end to end: scaling sweep, fits, synergy, pairing, allocation, then the report.

    python -m experiments.reproduce --preset smoke --out runs/study-smoke     # plumbing check
    python -m experiments.reproduce --preset micro                            # the main job (CPU)
    python -m experiments.reproduce --preset paper                            # plan and compute only

Prints the plan (every run, total training FLOPs, ETA) before starting. Finished runs are skipped
and unfinished ones resume, so the same command continues an interrupted study. A failed stage is
reported and the later stages still run where they can; the report says which sections lack data.
Output: OUT/report/report.md with PNG figures beside it. Time and expected results per preset:
see the docstrings in experiments/presets/.
"""

from __future__ import annotations

import sys

from codescale_jax.study.cli import main as study_main
from codescale_jax.study.stages import STAGES


def main(argv: list[str] | None = None) -> int:
    return study_main(argv, "python -m experiments.reproduce", __doc__.split("\n")[0], STAGES)


if __name__ == "__main__":
    from codescale_jax.hostenv import reexec_with_malloc_tuning

    reexec_with_malloc_tuning()  # huge pages for XLA's per-step CPU scratch memory (see hostenv)
    sys.exit(main())
