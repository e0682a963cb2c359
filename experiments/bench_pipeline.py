"""Input pipeline throughput against the train step that consumes it, and mixture accuracy.

    python -m experiments.bench_pipeline [--corpus-dir DIR] [--mixture SPEC|alloc.json] [--tokens 10e6]
        [--model micro-1.6m] [--batch 16] [--seq 256] [--workers 0] [--tokenizer bytes|MODEL] [--pairs N]

Measures in one process: (1) tokens/s of the full mixture -> tokenize -> pack -> batch -> lm_batch
pipeline over ``--tokens`` tokens, with the realised per-language token shares against the
requested ones; (2) the padding fraction of first-fit evaluation packing on the validation split;
(3) tokens/s of the jitted train step of ``--model`` on batches of the same shape. The last line is
``pipeline_over_train=<ratio> mixture_max_abs_err=<value>`` (the input pipeline should outrun the
train step by 20x or more, so it never stalls training).

Data: the shards of ``--corpus-dir`` (default ``artifacts/corpus/embedded``, built by
``python -m experiments.build_corpus --recipe embedded --out artifacts/corpus/embedded``); without
it, an in-memory corpus of 60 synthetic programs per language (~10 s to generate).
2-core CPU: about 1-2 minutes; expect a ratio in the tens and an error well under 0.01.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

DEFAULT_MIXTURE = "python=0.3,java=0.1,javascript=0.1,typescript=0.1,csharp=0.1,go=0.15,rust=0.15"


def parse_args(argv=None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m experiments.bench_pipeline", description=__doc__.split("\n\n")[0])
    p.add_argument("--corpus-dir", default="artifacts/corpus/embedded")
    p.add_argument("--mixture", default=DEFAULT_MIXTURE, help="lang=share,... or the path of an alloc.json")
    p.add_argument("--tokens", type=float, default=10e6, help="tokens drawn from the pipeline")
    p.add_argument("--model", default="micro-1.6m")
    p.add_argument("--batch", type=int, default=16)
    p.add_argument("--seq", type=int, default=256)
    p.add_argument("--workers", type=int, default=0, help="Grain worker processes")
    p.add_argument("--tokenizer", default="bytes")
    p.add_argument("--train-steps", type=int, default=5, help="timed train steps")
    p.add_argument("--pairs", type=int, default=0, help="also pack translation eval pairs of N synthetic programs")
    p.add_argument("--pair-seq", type=int, default=2048, help="row length for the translation eval packing")
    p.add_argument("--eval-chars", type=int, default=100, help="evaluation example size for first-fit packing")
    return p.parse_args(argv)


def load_documents(corpus_dir: str, langs, split: str) -> tuple[dict, str]:
    """Documents per language: corpus shards when present, else synthetic programs in memory."""
    from codescale_jax.data.shards import open_documents

    if Path(corpus_dir, "manifest.json").is_file():
        return {l: open_documents(corpus_dir, l, split) for l in langs}, f"shards of {corpus_dir}"
    from codescale_jax.data.pipeline_pairs import synthetic_parallel_corpus

    seed = 0 if split == "train" else 1
    corpus = synthetic_parallel_corpus(60, seed=seed, langs=langs)
    return {l: corpus.docs[l] for l in langs}, "synthetic programs in memory (no corpus dir)"


def bench_pipeline(pipe, tokens: int) -> tuple[float, dict, int]:
    from codescale_jax.data.packing import lm_batch
    from codescale_jax.data.pipeline_encode import TokenCounter

    counter = TokenCounter()
    it = iter(pipe)
    next(it)  # first batch: opens readers, starts workers
    seen, t0, last = 0, time.perf_counter(), time.perf_counter()
    while seen < tokens:
        rows = next(it)
        lm_batch(rows)
        counter.update(rows)
        seen += rows["tokens"].size
        if time.perf_counter() - last > 5:
            last = time.perf_counter()
            print(f"  pipeline {seen / 1e6:.1f}M / {tokens / 1e6:.0f}M tokens, "
                  f"{seen / (last - t0):,.0f} tokens/s", flush=True)
    dt = time.perf_counter() - t0
    it.close()
    return seen / dt, counter.shares(), seen


def bench_translation_packing(n_programs: int, tok, seq: int) -> None:
    """First-fit packing of translation eval pairs (held-out synthetic programs, all 42 directions)."""
    from codescale_jax.data.pipeline_pairs import parse_directions, synthetic_parallel_corpus
    from codescale_jax.data.pipeline_translation import translation_batches

    corpus = synthetic_parallel_corpus(n_programs, seed=1)
    _, stats = translation_batches(corpus, tok, parse_directions("all"), seq_len=seq, batch_size=8)
    pad = sum(s["padding_fraction"] for s in stats.values()) / len(stats)
    print(f"translation eval packing: {len(stats)} directions, {sum(s['pairs'] for s in stats.values())} pairs in "
          f"{sum(s['rows'] for s in stats.values())} rows of {seq + 1}, mean padding fraction {pad:.3f}, "
          f"{sum(s['dropped_too_long'] for s in stats.values())} pairs longer than a row left out", flush=True)


def bench_train(model: str, batch: int, seq: int, steps: int, rows: dict) -> float:
    import jax

    from codescale_jax.config import make_config
    from codescale_jax.data.packing import lm_batch
    from codescale_jax.parallel.mesh import make_mesh
    from codescale_jax.train.loop import resolve_config
    from codescale_jax.train.step import build_trainer

    cfg = resolve_config(make_config(model, overrides=[f"train.batch_size={batch}", f"data.seq_len={seq}",
                                                       "train.steps=1000", "model.dtype=float32"]))
    mesh = make_mesh(cfg.mesh)
    trainer = build_trainer(cfg.model, mesh, cfg.optimizer, 1000)
    b = trainer.device_batch(lm_batch(rows))
    state = trainer.init(jax.random.key(0))
    for _ in range(3):  # compile and warm up
        state, m = trainer.train_step(state, b)
    jax.block_until_ready(m["loss"])
    t0 = time.perf_counter()
    for _ in range(steps):
        state, m = trainer.train_step(state, b)
    jax.block_until_ready((state["step"], m["loss"]))
    return steps * batch * seq / (time.perf_counter() - t0)


def main(argv=None) -> int:
    args = parse_args(argv)
    import numpy as np

    from codescale_jax.data import tokenizer as tokenizer_lib
    from codescale_jax.data.pipeline import MixturePipeline, PipelineOptions, language_components
    from codescale_jax.data.pipeline_encode import ChunkedDocuments, encode_document
    from codescale_jax.data.pipeline_mixture import parse_proportions
    from codescale_jax.data.pipeline_packing import first_fit_rows

    from codescale_jax.errors import InputError

    try:  # an unknown language or a bad mixture, a corpus without a language's shards or damaged
        props = parse_proportions(args.mixture)
        tok = tokenizer_lib.from_spec(args.tokenizer)
        docs, where = load_documents(args.corpus_dir, props.languages, "train")
        val, _ = load_documents(args.corpus_dir, props.languages, "validation")
    except InputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"data: {where}; mixture {props.as_dict()}; tokenizer {tok.name}; batch {args.batch} x seq {args.seq}; "
          f"workers {args.workers}", flush=True)
    pipe = MixturePipeline(language_components(docs, props, tok),
                           PipelineOptions(seq_len=args.seq, batch_size=args.batch, seed=0, num_workers=args.workers))
    print("mean tokens per document: " + ", ".join(f"{n} {m:,.0f}" for n, m in zip(pipe.names, pipe.mean_tokens)))
    rate, shares, seen = bench_pipeline(pipe, int(args.tokens))
    want = props.as_dict()
    err = max(abs(shares.get(l, 0.0) - p) for l, p in want.items())
    print(f"pipeline: {rate:,.0f} tokens/s over {seen / 1e6:.1f}M tokens (mixture -> tokenize -> pack -> batch), "
          f"padding fraction 0 (concatenate-and-split)")
    print("realised shares: " + ", ".join(f"{l} {shares.get(l, 0):.4f} (want {p:.4f})" for l, p in want.items()))

    # First-fit packing of whole evaluation examples: validation pieces of at most --eval-chars
    # characters (long files are cut, as translation pairs of short programs need not be).
    for lang in props.languages:
        pieces = ChunkedDocuments(val[lang], args.eval_chars)
        n = min(len(pieces), 2000)
        examples = [encode_document(tok, lang, pieces[i][0]) for i in range(n)]
        packed = first_fit_rows(examples, args.seq + 1)
        print(f"first-fit eval packing {lang}: {n - packed.dropped} examples in {packed.rows['tokens'].shape[0]} rows "
              f"of {args.seq + 1}, padding fraction {packed.padding_fraction:.3f}, {packed.dropped} longer than a row "
              "left out", flush=True)

    if args.pairs > 0:
        bench_translation_packing(args.pairs, tok, args.pair_seq)

    rows = next(iter(pipe))
    train_rate = bench_train(args.model, args.batch, args.seq, args.train_steps, rows)
    print(f"train step {args.model}: {train_rate:,.0f} tokens/s (batch {args.batch} x seq {args.seq})")
    if not np.isfinite(rate / train_rate):
        return 1
    print(f"pipeline_over_train={rate / train_rate:.2f} mixture_max_abs_err={err:.5f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
