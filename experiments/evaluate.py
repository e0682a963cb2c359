"""Evaluate a run dir: validation loss, translation matrices, sandboxed pass@k, or the harness self-check.

    python -m experiments.evaluate --run RUN_DIR --suite loss [--languages code]
    python -m experiments.evaluate --run RUN_DIR --suite translation [--pairs FILE.jsonl] [--plot]
    python -m experiments.evaluate --run RUN_DIR --suite passk [--benchmark synthetic|humaneval|FILE.jsonl]
    python -m experiments.evaluate --suite canonical [--benchmark synthetic|humaneval] [--languages code]

Writes ``RUN_DIR/eval/<suite>.json`` (or ``--out``) atomically and prints a table. ``canonical``
needs no model: it runs each benchmark task's reference solution (must pass) and an empty and a
wrong completion (must not) through the sandbox, and exits 1 if any of them misbehaves.

Translation: by default the parallel set is the synthetic test split (the corpus builder's held-out
programs; ``--programs 2000 --program-seed 0`` must match how the corpus was built) in all 42
directions; ``--pairs`` takes a JSONL of ``src_lang, tgt_lang, src, tgt``. Seen directions (the
run's trained pair directions) are marked ``*`` and outlined in the ``--plot`` heat maps
(``translation_loss.png``, ``translation_bleu.png`` beside the JSON).

Measured on the busy 2-core CPU box with a 0.1M-parameter model (BUILD_NOTES.md, Evaluation):
``loss`` about 20 s for 8k tokens; ``translation --languages python,go,rust --limit 1 --max-len 4096
--bleu-pairs 1 --max-new-tokens 128`` 2.5 min (the full 42 directions x 94 programs is a job for an
accelerator: long pairs make the CPU's reference attention slow; ``--bleu-pairs 0`` skips decoding);
``canonical`` 2.5 samples/s over the seven languages with 2 workers (12 samples/s for Python alone).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

SUITES = ("loss", "translation", "passk", "canonical")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m experiments.evaluate", description=__doc__.split("\n\n")[0])
    p.add_argument("--run", help="run directory (config.json + checkpoints/); not needed for --suite canonical")
    p.add_argument("--suite", required=True, choices=SUITES)
    p.add_argument("--out", help="output JSON (default RUN_DIR/eval/<suite>.json, or ./canonical.json)")
    p.add_argument("--step", type=int, help="checkpoint step (default: the latest)")
    p.add_argument("--languages", default="", help="comma list, 'code' or 'all' (default: per suite)")
    p.add_argument("--batch-size", type=int, default=8)
    p.add_argument("--plot", action="store_true", help="translation: also write PNG heat maps")
    # loss
    p.add_argument("--max-tokens", type=int, help="loss: scored tokens per language (default data.eval_tokens)")
    # translation
    p.add_argument("--pairs", help="translation: JSONL of src_lang,tgt_lang,src,tgt (default: synthetic test split)")
    p.add_argument("--programs", type=int, default=2000, help="synthetic programs the corpus was built from")
    p.add_argument("--program-seed", type=int, default=0, help="seed the corpus's synthetic programs were built with")
    p.add_argument("--limit", type=int, help="use only the first N held-out synthetic programs")
    p.add_argument("--max-pairs", type=int, help="translation: pairs per direction for the loss (default all)")
    p.add_argument("--bleu-pairs", type=int, default=16, help="translation: pairs per direction decoded for BLEU; 0 skips")
    p.add_argument("--max-len", type=int, help="translation: longest pair in tokens (default data.seq_len)")
    p.add_argument("--seen", help="translation: seen directions, e.g. 'python<->*' (default: from the run's config)")
    # passk / canonical
    p.add_argument("--benchmark", default="synthetic", help="synthetic | humaneval | a JSONL of task dicts")
    p.add_argument("--samples", type=int, default=1, help="passk: samples per task")
    p.add_argument("--k", default="1", help="passk: comma list of k")
    p.add_argument("--temperature", type=float, default=0.0, help="passk: 0 = greedy")
    p.add_argument("--top-p", type=float, default=0.95)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--max-new-tokens", type=int, default=512)
    p.add_argument("--workers", type=int, default=2, help="sandbox workers")
    p.add_argument("--timeout", type=float, help="sandbox run timeout per sample, seconds")
    return p.parse_args(argv)


def _log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def _tasks(args, langs):
    from codescale_jax import languages
    from codescale_jax.eval import suites

    if args.benchmark == "synthetic":
        return suites.synthetic_tasks(args.programs, args.program_seed, langs=langs, limit=args.limit), None
    if args.benchmark == "humaneval":
        return suites.humaneval_tasks(langs)
    path = Path(args.benchmark)
    if not path.is_file():
        raise SystemExit(f"--benchmark {args.benchmark!r}: use synthetic, humaneval or an existing JSONL file")
    from codescale_jax.io_utils import read_jsonl

    tasks = read_jsonl(path)
    for i, t in enumerate(tasks):
        missing = {"task_id", "language", "prompt", "tests"} - set(t)
        if missing:
            raise SystemExit(f"{path}: task {i} lacks {sorted(missing)}")
    for t in tasks:
        t["language"] = languages.canonical(t["language"])
    return [t for t in tasks if t["language"] in langs], None


def _table(result: dict) -> str:
    from codescale_jax.eval import translation

    suite = result["suite"]
    if suite == "loss":
        return "\n".join(f"{lang:<12} " + (f"{v['loss']:.4f} nats/token over {v['tokens']:,} tokens" if "loss" in v
                                           else f"error: {v['error']}") for lang, v in result["languages"].items())
    if suite == "translation":
        langs, seen = result["languages"], [tuple(d) for d in result["seen"]]
        out = ["target-only loss (nats/token; row = source, * = seen direction)",
               translation.format_table(result["loss_matrix"], langs, seen)]
        if "bleu_matrix" in result:
            out += ["", "BLEU (code tokens)", translation.format_table(result["bleu_matrix"], langs, seen, "{:.1f}")]
        return "\n".join(out)
    if suite == "passk":
        return "\n".join(f"{lang:<12} tasks {v['tasks']:>4}  " + "  ".join(f"{k} {v[k]:.3f}" for k in v if k.startswith("pass@"))
                         + f"  {v['statuses']}" for lang, v in result["languages"].items())
    rows = []
    for lang, kinds in result["languages"].items():
        rows.append(f"{lang:<12} " + "  ".join(f"{kind} {c['passed']}/{c['total']} passed" for kind, c in kinds.items()))
    rows.append(f"{'OK' if result['ok'] else 'PROBLEMS'}: {len(result['problems'])} misbehaving samples; "
                f"{result['samples']} samples in {result['wall_s']}s ({result['samples_per_s']}/s, {result['workers']} workers)")
    return "\n".join(rows)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    from codescale_jax.errors import InputError

    try:
        return _main(args)
    except InputError as exc:  # no such run dir or step, an unknown language, a corpus that cannot be read
        print(f"error: {exc}", file=sys.stderr)
        return 2


def _main(args) -> int:
    from codescale_jax import io_utils, languages
    from codescale_jax.eval import suites

    if args.suite != "canonical" and not args.run:
        raise SystemExit(f"--suite {args.suite} needs --run RUN_DIR")
    out = Path(args.out) if args.out else (Path(args.run) / "eval" / f"{args.suite}.json" if args.run
                                           else Path(f"{args.suite}.json"))
    run = None
    if args.suite != "canonical":
        from codescale_jax.eval.checkpoint_io import load_run

        run = load_run(args.run, args.step)
        _log(f"loaded {args.run} at step {run.step} ({run.cfg.model.name})")

    if args.suite == "loss":
        result = suites.loss_suite(run, languages.parse_list(args.languages) if args.languages else None,
                                   batch_size=args.batch_size, max_tokens=args.max_tokens, progress=_log)
    elif args.suite == "translation":
        from codescale_jax.eval import translation

        langs = languages.parse_list(args.languages or "code")
        if args.pairs:
            pairs = translation.read_pairs_jsonl(args.pairs)
        else:
            pairs = translation.synthetic_test_pairs(args.programs, args.program_seed, langs=langs, limit=args.limit,
                                                     progress=_log)
        seen = None
        if args.seen is not None:
            from codescale_jax.data.pipeline_pairs import parse_directions

            seen = parse_directions(args.seen, langs) if args.seen else ()
        result = suites.translation_suite(run, pairs, langs=langs, max_len=args.max_len, batch_size=args.batch_size,
                                          max_pairs=args.max_pairs, bleu_pairs=args.bleu_pairs,
                                          max_new_tokens=args.max_new_tokens, seen=seen, progress=_log)
        if args.plot:
            seen_dirs = [tuple(d) for d in result["seen"]]
            for key, title in (("loss", "target-only loss (nats/token)"), ("bleu", "BLEU")):
                if f"{key}_matrix" in result:
                    png = out.with_name(f"translation_{key}.png")
                    translation.plot_matrix(result[f"{key}_matrix"], result["languages"], png,
                                            f"{run.run_id}: {title}", seen_dirs)
                    _log(f"wrote {png}")
    else:
        langs = languages.parse_list(args.languages or ("python" if args.benchmark == "humaneval" else "code"))
        tasks, report = _tasks(args, langs)
        if not tasks:
            raise SystemExit(f"no {args.benchmark} task in languages {list(langs)}")
        _log(f"{len(tasks)} {args.benchmark} tasks in {len(langs)} languages")
        if args.suite == "canonical":
            result = suites.canonical_suite(tasks, workers=args.workers, timeout_s=args.timeout, progress=_log)
        else:
            ks = [int(k) for k in args.k.split(",") if k.strip()]
            result = suites.passk_suite(run, tasks, n_samples=args.samples, ks=ks, temperature=args.temperature,
                                        top_p=args.top_p, max_new_tokens=args.max_new_tokens, seed=args.seed,
                                        batch_size=args.batch_size, workers=args.workers, timeout_s=args.timeout,
                                        progress=_log)
        result["benchmark"] = args.benchmark
        if report is not None:
            result["kept_per_language"] = {lang: r["kept"] for lang, r in report.items()}
            result["dropped"] = {lang: r["dropped"] for lang, r in report.items()}
    io_utils.atomic_write_json(out, result)
    print(_table(result))
    print(f"wrote {out}")
    return 0 if result.get("ok", True) else 1


if __name__ == "__main__":
    sys.exit(main())
