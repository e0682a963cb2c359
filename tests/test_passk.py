"""Unbiased pass@k against brute-force enumeration and closed forms."""

import itertools
import math

import pytest

from codescale_jax.eval.passk import counts_by_problem, mean_pass_at_k, pass_at_k, pass_at_ks


def _brute(n: int, c: int, k: int) -> float:
    outcomes = [1] * c + [0] * (n - c)
    draws = list(itertools.combinations(range(n), k))
    return sum(any(outcomes[i] for i in d) for d in draws) / len(draws)


@pytest.mark.parametrize("n,c,k", [(5, 0, 1), (5, 1, 1), (5, 2, 2), (6, 3, 4), (7, 7, 3), (8, 1, 8), (9, 4, 5)])
def test_matches_enumeration(n, c, k):
    assert pass_at_k(n, c, k) == pytest.approx(_brute(n, c, k), abs=1e-12)


def test_pass_at_1_is_fraction_correct():
    assert pass_at_k(200, 37, 1) == pytest.approx(37 / 200)


def test_matches_binomial_ratio_for_large_n():
    n, c, k = 1000, 13, 100
    want = 1 - math.comb(n - c, k) / math.comb(n, k)
    assert pass_at_k(n, c, k) == pytest.approx(want, rel=1e-10)


def test_bad_inputs_raise():
    with pytest.raises(ValueError, match="exceeds"):
        pass_at_k(3, 1, 4)
    with pytest.raises(ValueError):
        pass_at_k(3, 4, 1)
    with pytest.raises(ValueError):
        mean_pass_at_k([], 1)


def test_records_grouping():
    recs = [{"problem": "a", "status": "passed"}, {"problem": "a", "status": "failed"},
            {"problem": "b", "status": "timeout"}, {"problem": "b", "status": "error"}]
    assert counts_by_problem(recs) == {"a": (2, 1), "b": (2, 0)}
    out = pass_at_ks(recs, ks=(1, 2))
    assert out["pass@1"] == pytest.approx(0.25)
    assert out["pass@2"] == pytest.approx(0.5)
    with pytest.raises(KeyError):
        counts_by_problem([{"status": "passed"}])
