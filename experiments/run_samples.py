"""Execute arbitrary programs in the sandbox and record status, exit code and output per sample.

    python -m experiments.run_samples samples.jsonl --out results.jsonl [--workers 2] [--timeout 10]

Each input line is ``{"id": ..., "language": ..., "program": "<a whole program>"}`` (optional
``"stdin"``). Languages: python, java, javascript, typescript, csharp, go, rust (aliases accepted).
Each output line is the input's id and language plus ``status`` (passed | failed | timeout | error),
``exit_code``, ``phase`` (compile | run), ``stdout``/``stderr`` (first 4096 characters), ``wall_s``
and ``note``; any other input fields (e.g. ``problem``) are carried over for pass@k. The status
rules are in ``codescale_jax/eval/runners.py``. Compilers come from scripts/install_toolchains.sh.

Prints a table of status counts per language; the last line is
``passed=<k> failed=<m> timeout=<t> error=<e>``. Exits 2 on unusable input or missing toolchains.
"""

from __future__ import annotations

import argparse
import collections
import json
import sys
import time

from codescale_jax.eval.runners import ToolchainError, run_many
from codescale_jax.io_utils import atomic_write_text

STATUSES = ("passed", "failed", "timeout", "error")


def parse_args(argv=None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    ap.add_argument("samples", help="JSONL file of {id, language, program} objects")
    ap.add_argument("--out", required=True, help="where to write one JSON result per sample")
    ap.add_argument("--workers", type=int, default=2, help="samples run in parallel (default 2)")
    ap.add_argument("--timeout", type=float, default=None,
                    help="run-phase wall-clock limit per sample in seconds (default 10)")
    return ap.parse_args(argv)


def load_samples(path: str) -> list[dict]:
    """Read the input JSONL; a line that is not a JSON object is a hard error naming the line."""
    samples = []
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as e:
                raise ValueError(f"{path}:{n}: not valid JSON ({e.msg})") from None
            if not isinstance(obj, dict):
                raise ValueError(f"{path}:{n}: expected a JSON object with id, language, program")
            obj.setdefault("id", n)
            samples.append(obj)
    return samples


def summary(records: list[dict]) -> str:
    """A per-language count table, then the totals line (always last)."""
    per = collections.defaultdict(collections.Counter)
    for r in records:
        per[str(r.get("language"))][r["status"]] += 1
    rows = [f"{'language':<12}" + "".join(f"{s:>9}" for s in STATUSES)]
    for lang in sorted(per):
        rows.append(f"{lang:<12}" + "".join(f"{per[lang][s]:>9}" for s in STATUSES))
    total = collections.Counter(r["status"] for r in records)
    rows.append(" ".join(f"{s}={total[s]}" for s in STATUSES))
    return "\n".join(rows)


def main(argv=None) -> int:
    args = parse_args(argv)
    try:
        samples = load_samples(args.samples)
    except (OSError, ValueError) as e:
        print(f"run_samples: {e}", file=sys.stderr)
        return 2
    print(f"[run_samples] {len(samples)} samples from {args.samples}, {args.workers} workers", file=sys.stderr)
    t0 = time.monotonic()
    try:
        records = run_many(samples, workers=args.workers, timeout_s=args.timeout, progress=True)
    except ToolchainError as e:
        print(f"run_samples: {e}", file=sys.stderr)
        return 2
    elapsed = time.monotonic() - t0
    extra = [{k: v for k, v in s.items() if k not in ("program", "stdin") and k not in r}
             for s, r in zip(samples, records)]
    lines = [json.dumps({**r, **e}, ensure_ascii=False) for r, e in zip(records, extra)]
    atomic_write_text(args.out, "".join(line + "\n" for line in lines))
    rate = len(records) / elapsed if elapsed > 0 else 0.0
    print(f"[run_samples] wrote {args.out} in {elapsed:.1f}s ({rate:.2f} samples/s)", file=sys.stderr)
    print(summary(records), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
