"""paper: the study's ladder and budgets, for accelerator clusters (prints the plan and compute only).

    python -m experiments.reproduce --preset paper --out runs/study-paper

Yang et al., arXiv:2512.13472: 10 sizes (0.1B ... 3.1B) x 6 budgets (2B ... 64B tokens) x 7
languages = 420 runs; synergy 21 pairs + 7 baselines at 128B tokens; pairing at 0.2/0.5/1.5/3/7B
(1T tokens in the study; paired vs shuffled here); allocation with 1.5B models at 400B tokens.
Not reported by the study and chosen here: the model shapes (codescale_jax.model.ladder), the
synergy model size (1.5b), sequence length 2048 and an 8192-token SentencePiece vocabulary for the
FLOP count. Runs in seconds: it prints every run with its FLOPs and the totals, trains nothing.
Expected result: 460 runs and 2.75e23 training FLOPs (per-language sweep 7.4e22, synergy 3.6e22,
pairing 1.6e23; allocation the rest).
"""

from codescale_jax.study.presets import AllocationSpec, PairingSpec, StudyPreset, SynergySpec

PRESET = StudyPreset(
    name="paper",
    languages=("python", "java", "javascript", "typescript", "csharp", "go", "rust"),
    models=("0.1b", "0.2b", "0.4b", "0.6b", "1.1b", "1.3b", "1.6b", "2.0b", "2.4b", "3.1b"),
    budgets=(2e9, 4e9, 8e9, 16e9, 32e9, 64e9),
    corpus="registries",
    settings=("data.seq_len=2048", "data.tokenizer=tokenizer.model", "train.batch_size=512"),
    synergy=SynergySpec(model="1.5b", tokens=128e9),
    pairing=PairingSpec(models=("0.2b", "0.5b", "1.5b", "3b", "7b"), tokens=1e12),
    allocation=AllocationSpec(model="1.5b", tokens=400e9),
    holdout="largest=2",
    bootstrap=1000,
    fit_starts="hoffmann",
    workers=1,
    flops_per_s=4e17,  # assumed: a 1,024-accelerator job at 40% of a 1e15 FLOP/s peak
    plan_only=True,
)
