"""Unbiased pass@k.

With ``n`` samples per problem of which ``c`` pass, the probability that at least one of ``k`` samples
drawn without replacement passes is ``1 - C(n-c, k) / C(n, k)`` (Chen et al., 2021, "Evaluating Large
Language Models Trained on Code", eq. 1). Averaging it over problems gives an unbiased estimate of
pass@k, unlike ``1 - (1 - c/n)**k``. The ratio of binomials is evaluated as a running product so that
large ``n`` neither overflows nor loses precision.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Iterable, Mapping, Sequence

import numpy as np


def pass_at_k(n: int, c: int, k: int) -> float:
    """Unbiased pass@k for one problem with ``n`` samples, ``c`` of them correct."""
    n, c, k = int(n), int(c), int(k)
    if n < 1 or k < 1:
        raise ValueError(f"need n >= 1 and k >= 1, got n={n}, k={k}")
    if not 0 <= c <= n:
        raise ValueError(f"need 0 <= c <= n, got c={c}, n={n}")
    if k > n:
        raise ValueError(f"k={k} exceeds the number of samples n={n}; draw more samples or lower k")
    if n - c < k:
        return 1.0
    # C(n-c, k) / C(n, k) = prod_{i=n-c+1}^{n} (1 - k / i)
    return float(1.0 - np.prod(1.0 - k / np.arange(n - c + 1, n + 1, dtype=np.float64)))


def mean_pass_at_k(counts: Sequence[tuple[int, int]], k: int) -> float:
    """Mean of :func:`pass_at_k` over problems given as ``(n, c)`` pairs."""
    if not counts:
        raise ValueError("no problems given")
    return float(np.mean([pass_at_k(n, c, k) for n, c in counts]))


def counts_by_problem(records: Iterable[Mapping], problem_key: str = "problem") -> dict[str, tuple[int, int]]:
    """Group execution records (``run_many`` output plus a problem id) into ``{problem: (n, c)}``.

    A record counts as correct only when its ``status`` is ``"passed"``.
    """
    n: dict[str, int] = defaultdict(int)
    c: dict[str, int] = defaultdict(int)
    for r in records:
        if problem_key not in r:
            raise KeyError(f"record {r.get('id')!r} has no {problem_key!r} field")
        p = str(r[problem_key])
        n[p] += 1
        c[p] += r.get("status") == "passed"
    return {p: (n[p], c[p]) for p in n}


def pass_at_ks(records: Iterable[Mapping], ks: Sequence[int] = (1,), problem_key: str = "problem") -> dict[str, float]:
    """``{"pass@1": ..., ...}`` over problems; a k larger than a problem's sample count is an error."""
    counts = list(counts_by_problem(records, problem_key).values())
    return {f"pass@{k}": mean_pass_at_k(counts, k) for k in ks}
