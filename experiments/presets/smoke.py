"""smoke: every stage of the study end to end with the tiniest settings (used by the tests).

    python -m experiments.reproduce --preset smoke --out runs/study-smoke

Two languages (python, java) of the embedded corpus, byte tokenizer, sequence length 64, 4 rows per
step; scaling grid micro-0.1m/0.2m/0.4m x 2k/4k/8k tokens (18 runs, 8 to 32 steps each), then the
fit (coarse start grid, 20 bootstrap resamples, holdout: the largest size), a 1-pair synergy matrix
(3 runs), paired vs shuffled at one size (2 runs), the allocation (regret cap 1%; the optimized,
the uniform and the mirrored control split, each scored on both languages) and the report. 26
training runs in all, two at a time.

Expected time: 2 min 27 s measured from an empty directory on the otherwise idle 2-core CPU box
(scaling 76 s, synergy 11 s, pairing 5 s, allocation 8 s, fits, report and start-up the rest);
with the allocation's control arm (26 runs), 2 min 28 s on the 2-core host with AVX-512
(2026-12-08, allocation 20 s);
2 min 28 s at a load average of about 3.5 from other jobs (``tests/test_study_smoke.py``, runs
sharing the compilation cache); 3 min 45 s before the cache, 27 min when the load was 20 (see the
"The study" section of BUILD_NOTES.md). ``--dry-run`` prints an ETA calibrated on the idle run
(2.5 min). A second call skips every run: seconds.
Expected result: a report.md whose sections are all filled; losses are far from converged
(4 to 5 nats/token on bytes after a few thousand tokens), so the fitted exponents and the
allocation are meaningless as numbers: this preset checks the plumbing, not the science.
"""

from codescale_jax.study.presets import AllocationSpec, PairingSpec, StudyPreset, SynergySpec

_TINY = ("data.seq_len=64", "train.batch_size=4", "data.eval_tokens=2048", "train.tensorboard=false",
         "train.peak_flops=-1", "train.checkpoint_every=0", "train.log_every=8")

PRESET = StudyPreset(
    name="smoke",
    languages=("python", "java"),
    models=("micro-0.1m", "micro-0.2m", "micro-0.4m"),
    budgets=(2048, 4096, 8192),
    corpus="embedded",
    settings=_TINY,
    synergy=SynergySpec(model="micro-0.1m", tokens=4096),
    pairing=PairingSpec(models=("micro-0.1m",), tokens=2048, settings=("data.parallel_programs=20",)),
    allocation=AllocationSpec(model="micro-0.2m", tokens=8192, min_share=0.05, max_regret=0.01, control=True),
    holdout="largest=1",
    bootstrap=20,
    fit_starts="coarse",
    workers=2,
    # Calibrated on the idle run above: runs this small cost their start-up, not their FLOPs (8 s
    # per run, process start included: scaling's ETA is then 74 s, measured 76 s), and the fits,
    # report and start-up outside the runs took 45 s.
    flops_per_s=3e10,
    overhead_s=8.0,
    outside_runs_s=45.0,
)
