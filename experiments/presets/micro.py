"""micro: the main job on the embedded default corpus (seven code languages, CPU-sized).

    python -m experiments.reproduce --preset micro --out runs/study-micro

Per-language sweep: 4 sizes (micro-0.1m, 0.2m, 0.4m, 0.8m) x 4 budgets (16k, 32k, 64k, 128k tokens)
x 7 code languages = 112 runs (byte tokenizer, sequence length 128, 8 rows per step: 16 to 125
steps); the fit holds out the largest size and predicts it (the extrapolation check); synergy: 21
bilingual 50:50 runs + 7 baselines (the target repeated: half the budget of its tokens, a piece
from each of many documents, seen twice) at micro-0.2m, 64k tokens; pairing: paired vs shuffled at
micro-0.1m/0.2m/0.4m, 64k tokens in rows of 2,048 tokens (so that whole pairs fit), each scored on
the 7x7 translation loss (the first 16 held-out pairs per direction, those up to 2,048 tokens,
no BLEU); allocation: micro-0.4m at 256k tokens, the split capped so that no language's predicted
loss is more than 1% above uniform's (under every bootstrap draw of the laws, each with its own
draw of the transfer matrix, and without transfer), optimized vs uniform and the mirrored split
(uniform - (optimized - uniform), the control), ten seeds each, compared paired by seed. 176
training runs, two workers.

Expected time: about 26 minutes on a 2-core CPU box with AVX-512 from an empty run directory, the
embedded corpus already built (the first run builds it: 98 s on the faster host); more on a slower
box. Runs 6-10 trained 10 allocation runs, not 30: 17 min 58 s on the faster of two hosts (run
6: scaling 8.3 min, synergy 2.0, pairing with translation scoring 5.1, allocation 87 s, fits and
report about 1 min) and 30 min 2 s on the slower (run 9, commit 398a1e6: scaling 13.3
min, synergy 3.6, pairing 8.1, allocation 3.7; BUILD_NOTES.md, "The study"). The target is <= 60
minutes. ``--dry-run`` prints the plan, FLOPs and an ETA calibrated on run 9 (35.9 min now). Run 10
(commit 431b24b: micro-0.4m with six heads of 16, validation scored on pieces; the host with
AVX-512): 22 min 46 s (scaling 10.1, synergy 3.1, pairing 6.0, allocation 2.7). Run 12 (commit
3697b73, the allocation's 30 runs; same host): 26 min 19 s (scaling 10.2, synergy 2.4, pairing
5.3, allocation 7.6).
Expected result: seven fitted laws with bootstrap intervals, held-out error of the largest size
per language (8.40% mean in runs 10 and 12, 4.1-11.3% per language; 9.8-10.8% in runs 4-9 with the old
micro-0.4m and scoring: these runs are too short for the law's shape, which the report's shape
check shows), a 7x7 synergy heat map, and per-language losses of the splits with paired 95%
intervals (run 12: optimized against uniform -0.92%, [-2.21%, +0.37%], every language lower, go
-3.25% +- 1.63; the laws predicted -0.27%; the mirrored control +0.96% against uniform, go
+2.94%; optimized against mirrored -1.84%, [-3.21%, -0.47%]: the direction of the split
matters, the move off uniform alone does not explain the gain).
"""

from codescale_jax.study.presets import AllocationSpec, PairingSpec, StudyPreset, SynergySpec

# Warmup over 30% of each run: with the default 2% (2 of 63 steps) a micro-0.4m rust run at 64k
# tokens ended at 3.015 / 2.765 nats (seeds 0 / 1); 10%: 2.443 / 2.671; 20%: 2.356 / 2.468;
# 30%: 2.357 / 2.350 (BUILD_NOTES, "The study"). Runs this short are unstable without it, and
# the instability, not N or D, then decides the loss.
# Validation: 16,384 tokens of 1,024-character pieces drawn from across each language's validation
# split in one fixed order (data.eval_piece_chars), not the split's first documents: those were one
# 37 KB file for python and 9-14 files for the others (BUILD_NOTES, "The study", micro run 10).
_CPU = ("data.seq_len=128", "train.batch_size=8", "data.eval_tokens=16384", "data.eval_piece_chars=1024",
        "train.tensorboard=false",
        "train.peak_flops=-1", "train.checkpoint_every=100", "train.log_every=25", "optimizer.warmup_fraction=0.3")

PRESET = StudyPreset(
    name="micro",
    languages=("python", "java", "javascript", "typescript", "csharp", "go", "rust"),
    models=("micro-0.1m", "micro-0.2m", "micro-0.4m", "micro-0.8m"),
    budgets=(16_000, 32_000, 64_000, 128_000),
    corpus="embedded",
    settings=_CPU,
    synergy=SynergySpec(model="micro-0.2m", tokens=64_000),
    # Pair documents are 1-3 KB of bytes: at the sweep's 128-token rows a source never shares a row
    # with its translation, so pairing could not matter. Rows of 2,048 (one per step: the same
    # tokens per step as 8 x 128 up to a factor 2) hold about 40% of the pairs whole.
    pairing=PairingSpec(models=("micro-0.1m", "micro-0.2m", "micro-0.4m"), tokens=64_000, translation_pairs=16,
                        settings=("data.seq_len=2048", "train.batch_size=1")),
    # No language's predicted loss more than 1% above its uniform-split loss, under the fit and each
    # of its bootstrap draws, with the transfer matrix and without it: the issue's "no language worse
    # by more than 1%", asked of the allocator rather than hoped for. Without a cap python got 5% of
    # the tokens and measured +9.6%; capped under the fitted transfer only, 5% again and +8.7% (tau,
    # fitted on 50:50 mixtures, credited python with the other languages' tokens).
    # Three seeds per split: with one seed, a near-uniform split measured every language 0.7-3.2%
    # worse than uniform, even go, given 14% more tokens; three seeds showed one split's losses
    # varying by 3-8% between seeds, far more than the 1% the target asks to resolve. Five since run
    # 8, whose report pairs the splits by seed: three seeds gave a 95% t-interval of [-3.81%, +0.56%]
    # for the mean change, five (four more 42-second runs) [-3.11%, +2.08%], the fifth seed measuring
    # +2.98%. Per-seed changes spread over 5 points, so 1% is beyond any seed count a CPU preset
    # can afford; the interval says so instead of a bare "met" or "not met". Ten since run 11 (five
    # gave [-3.60%, +1.01%] for the SLSQP-polished split), with the mirrored split as a control:
    # optimized against mirrored measured -1.84% [-3.21%, -0.47%], so the gain follows the
    # direction of the split, not the mere move away from uniform (BUILD_NOTES, "The study").
    allocation=AllocationSpec(model="micro-0.4m", tokens=256_000, min_share=0.05, max_regret=0.01,
                              regret_without_transfer=True, seeds=tuple(range(10)), control=True),
    holdout="largest=1",
    bootstrap=100,
    fit_starts="coarse",
    workers=2,
    # Calibrated on run 9 (BUILD_NOTES, "The study"; the slower of the two hosts measured, so on the
    # faster one the ETA runs high): a least-squares fit of its 151 planned runs' in-process wall
    # time against their FLOPs gave 2.7e10 FLOP/s plus 7.1 s per run (7.6 s with process start-up).
    # The translation scoring of the pairing runs, the synergy scoring, the fits and the report are
    # not runs: 660 s is what makes the whole ETA equal the measured 30 min 2 s. (Run 6, on the
    # faster host, had given 4.0e10 FLOP/s, 4.6 s per run and 400 s for its 17 min 58 s; run 4,
    # before the faster train step, 2.95e10 FLOP/s, 5 s per run and 550 s.)
    flops_per_s=2.7e10,
    overhead_s=7.6,
    outside_runs_s=660.0,
)
