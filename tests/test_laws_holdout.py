"""The extrapolation check on runs with several seeds per (N, D): it scores configurations."""

import numpy as np
import pytest

from codescale_jax.laws.fit import FitConfig
from codescale_jax.laws.pipeline import cell_means, holdout_report

THETA = (400.0, 900.0, 0.34, 0.28, 1.7)


def _law(n, d):
    a, b, an, ad, e = THETA
    return a * n ** -an + b * d ** -ad + e


def _grid():
    n, d = np.meshgrid(np.geomspace(1e5, 3.2e6, 6), np.geomspace(1.6e4, 5.12e5, 6), indexing="ij")
    return n.ravel(), d.ravel()


def test_cell_means_average_equal_points():
    n = np.array([1.0, 1.0, 2.0, 1.0])
    d = np.array([5.0, 5.0, 5.0, 6.0])
    loss = np.array([2.0, 4.0, 1.0, 7.0])
    cn, cd, cl, counts = cell_means(n, d, loss)
    got = {(a, b): (l, c) for a, b, l, c in zip(cn, cd, cl, counts)}
    assert got == {(1.0, 5.0): (3.0, 2), (2.0, 5.0): (1.0, 1), (1.0, 6.0): (7.0, 1)}


def test_two_seeds_are_judged_by_their_mean():
    # Two seeds per point, +-4% of the law apart, the same shift for every size at one budget (as the
    # draw of the training files does it): each single run is ~4% off, their mean is on the law.
    n, d = _grid()
    budgets = np.unique(d)
    shift = 0.04 * np.where(np.searchsorted(budgets, d) % 2 == 0, 1.0, -1.0)
    truth = _law(n, d)
    nn, dd = np.concatenate([n, n]), np.concatenate([d, d])
    loss = np.concatenate([truth * (1 + shift), truth * (1 - shift)])
    h = holdout_report(nn, dd, loss, "largest=1", FitConfig(grid="coarse"))
    assert h["n_heldout"] == 6 and h["n_heldout_runs"] == 12
    assert h["n_fit"] == 30 and h["n_fit_runs"] == 60 and h["runs_per_point"] == [2]
    assert h["heldout_mean_rel_error"] < 0.002
    assert h["heldout_mean_rel_error_per_run"] == pytest.approx(0.04, abs=0.004)


def test_one_seed_per_point_reports_the_same_error_both_ways():
    n, d = _grid()
    rng = np.random.default_rng(3)
    loss = _law(n, d) * np.exp(0.01 * rng.standard_normal(n.size))
    h = holdout_report(n, d, loss, "largest=1", FitConfig(grid="coarse"))
    assert h["runs_per_point"] == [1] and h["n_heldout"] == h["n_heldout_runs"] == 6
    assert h["heldout_mean_rel_error"] == pytest.approx(h["heldout_mean_rel_error_per_run"], rel=1e-12)
    assert 0 < h["heldout_mean_rel_error"] < 0.05


def test_too_few_distinct_points_is_refused_even_with_many_seeds():
    # Four (N, D) points x 3 seeds = 12 rows, but only 2 distinct points remain to fit.
    n = np.repeat([1e5, 2e5, 1e5, 2e5], 3).astype(float)
    d = np.repeat([1e4, 1e4, 2e4, 2e4], 3).astype(float)
    with pytest.raises(ValueError, match=r"\(N, D\) points to fit"):
        holdout_report(n, d, _law(n, d), "largest=1", FitConfig(grid="coarse"))
