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

Harness self-check and throughput benchmark (no input file; N distinct small programs per language
that compute a sum and check it, so every one must pass and no compile cache can help)::

    python -m experiments.run_samples --smoke 20 --languages code --out smoke.jsonl
"""

from __future__ import annotations

import argparse
import collections
import json
import sys
import time

from codescale_jax import languages
from codescale_jax.eval.runners import ToolchainError, run_many
from codescale_jax.io_utils import atomic_write_text

STATUSES = ("passed", "failed", "timeout", "error")

# Smoke programs: sum 1..K in a loop, exit non-zero unless it equals K(K+1)/2. K makes each distinct.
_SMOKE = {
    "python": "def f(k):\n    s = 0\n    for i in range(1, k + 1):\n        s += i\n    return s\n\n"
              "assert f(K) == K * (K + 1) // 2\nprint(f(K))\n",
    "javascript": "function f(k) { let s = 0; for (let i = 1; i <= k; i++) s += i; return s; }\n"
                  "if (f(K) !== K * (K + 1) / 2) process.exit(1);\nconsole.log(f(K));\n",
    "typescript": "function f(k: number): number { let s = 0; for (let i = 1; i <= k; i++) s += i; return s; }\n"
                  "if (f(K) !== K * (K + 1) / 2) process.exit(1);\nconsole.log(f(K));\n",
    "java": "public class Main {\n  static long f(long k) { long s = 0; for (long i = 1; i <= k; i++) s += i; return s; }\n"
            "  public static void main(String[] a) {\n    if (f(K) != K * (K + 1) / 2) System.exit(1);\n"
            "    System.out.println(f(K));\n  }\n}\n",
    "csharp": "using System;\nclass Program {\n  static long F(long k) { long s = 0; for (long i = 1; i <= k; i++) s += i; return s; }\n"
              "  static void Main() {\n    if (F(K) != K * (K + 1) / 2) Environment.Exit(1);\n    Console.WriteLine(F(K));\n  }\n}\n",
    "go": "package main\n\nimport (\n\t\"fmt\"\n\t\"os\"\n)\n\nfunc f(k int) int {\n\ts := 0\n\tfor i := 1; i <= k; i++ {\n"
          "\t\ts += i\n\t}\n\treturn s\n}\n\nfunc main() {\n\tif f(K) != K*(K+1)/2 {\n\t\tos.Exit(1)\n\t}\n\tfmt.Println(f(K))\n}\n",
    "rust": "fn f(k: u64) -> u64 { (1..=k).sum() }\n\nfn main() {\n    assert_eq!(f(K), K * (K + 1) / 2);\n"
            "    println!(\"{}\", f(K));\n}\n",
}


def smoke_samples(n: int, langs: tuple[str, ...]) -> list[dict]:
    """``n`` distinct passing programs per language (ids ``smoke/<lang>/<i>``)."""
    bad = [lang for lang in langs if lang not in _SMOKE]
    if bad:
        raise ValueError(f"no smoke programs for {', '.join(bad)}; choose from {', '.join(_SMOKE)}")
    return [{"id": f"smoke/{lang}/{i}", "language": lang, "program": _SMOKE[lang].replace("K", str(100 + i))}
            for lang in langs for i in range(n)]


def parse_args(argv=None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    ap.add_argument("samples", nargs="?", help="JSONL file of {id, language, program} objects")
    ap.add_argument("--smoke", type=int, default=0, metavar="N",
                    help="instead of a file, run N distinct self-check programs per language")
    ap.add_argument("--languages", default="code", help="languages for --smoke (default: all seven)")
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
        if args.smoke > 0:
            samples = smoke_samples(args.smoke, languages.parse_list(args.languages))
            args.samples = f"--smoke {args.smoke}"
        elif args.samples:
            samples = load_samples(args.samples)
        else:
            raise ValueError("give a samples JSONL file or --smoke N")
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
