"""The transfer matrix's bootstrap: intervals that carry the laws' and the losses' uncertainty."""

import json

import numpy as np
import pytest

from codescale_jax.laws.transfer import bootstrap_transfer, fit_transfer

LANGS = ("python", "java", "go")
PARAMS = np.array([[400.0, 300.0, 0.30, 0.28, 1.5],
                   [350.0, 280.0, 0.32, 0.30, 1.2],
                   [300.0, 320.0, 0.31, 0.29, 1.3]])
TAU = np.array([[0.0, 0.6, 0.1],
                [0.3, 0.0, 0.5],
                [0.2, 0.4, 0.0]])
N, TOTAL = 2e5, 6.4e4


def _loss(params, tau, target, shares, total=TOTAL, n=N):
    d = shares * total
    d_eff = d[target] + sum(tau[target, j] * d[j] for j in range(len(d)) if j != target)
    a, b, an, ad, e = params[target]
    return a * n ** -an + b * d_eff ** -ad + e


def _rows(noise=None, seeds=(0,)):
    """One 50:50 run per pair (two rows each), as the synergy stage makes them; ``noise``: log factor per row."""
    rows, k = [], 0
    for seed in seeds:
        for i in range(3):
            for j in range(i + 1, 3):
                shares = np.zeros(3)
                shares[[i, j]] = 0.5
                rid = f"{LANGS[i]}+{LANGS[j]}-s{seed}"
                for t in (i, j):
                    loss = _loss(PARAMS, TAU, t, shares) * (np.exp(noise[k]) if noise is not None else 1.0)
                    k += 1
                    rows.append({"language": LANGS[t], "params": N, "tokens": TOTAL, "loss": loss, "run_id": rid,
                                 "mixture": json.dumps({LANGS[i]: 0.5, LANGS[j]: 0.5})})
    return rows


def test_one_run_per_pair_needs_more_than_run_resampling():
    """Each tau_ij rests on one loss: resampling runs alone cannot move it, so the interval would
    claim certainty. That is why the bootstrap also perturbs the losses and the laws."""
    rows = _rows()
    fit = fit_transfer(rows, LANGS, PARAMS)
    runs_only = bootstrap_transfer(rows, LANGS, PARAMS, 40)
    lo, hi = runs_only.ci95()
    off = ~np.eye(3, dtype=bool)
    assert np.allclose(lo[off], TAU[off], atol=2e-3) and np.allclose(hi[off], TAU[off], atol=2e-3)
    residuals = [np.random.default_rng(i).normal(0.0, 0.02, 16) for i in range(3)]
    noisy = bootstrap_transfer(rows, LANGS, PARAMS, 40, residuals=residuals, start=fit.tau)
    lo, hi = noisy.ci95()
    assert np.all(hi[off] - lo[off] > 0.05)  # a 2% loss scatter is a wide band on tau
    assert np.all((lo[off] <= TAU[off]) & (TAU[off] <= hi[off]))


def test_intervals_cover_the_planted_transfer_under_noise():
    # Losses measured with 1% log noise; the residual pool has the same scatter. Over 3 planted
    # matrices x 6 entries, the 95% intervals must cover the truth nearly always.
    covered = total = 0
    for seed in range(3):
        rng = np.random.default_rng(100 + seed)
        rows = _rows(noise=rng.normal(0.0, 0.01, 6))
        fit = fit_transfer(rows, LANGS, PARAMS)
        pool = [rng.normal(0.0, 0.01, 30) for _ in range(3)]
        boot = bootstrap_transfer(rows, LANGS, PARAMS, 60, seed=seed, residuals=pool, start=fit.tau)
        lo, hi = boot.ci95()
        off = ~np.eye(3, dtype=bool)
        covered += int(np.sum((lo[off] <= TAU[off]) & (TAU[off] <= hi[off])))
        total += int(off.sum())
        assert boot.usable().all() and boot.hit_maxiter == 0
    assert covered >= total - 2


def test_law_draws_are_used_one_per_resample():
    rows = _rows()
    draws = np.repeat(PARAMS[None], 4, axis=0)
    draws[1, :, 4] += 0.05  # higher floors: the data term must explain less loss, so more transfer
    draws[2, 0, 0] = np.nan  # a law draw that overflowed says nothing: its resample is left out
    boot = bootstrap_transfer(rows, LANGS, PARAMS, 4, param_draws=draws, resample_runs=False)
    assert boot.usable().tolist() == [True, True, False, True]
    assert np.all(np.isnan(boot.taus[2]))
    off = ~np.eye(3, dtype=bool)
    for r in (0, 3):  # the true laws: the planted tau
        assert np.allclose(boot.taus[r][off], TAU[off], atol=2e-3)
    assert np.all(boot.taus[1][off] > TAU[off] + 0.005)
    with pytest.raises(ValueError, match="param_draws"):
        bootstrap_transfer(rows, LANGS, PARAMS, 5, param_draws=draws)
    with pytest.raises(ValueError, match="residuals"):
        bootstrap_transfer(rows, LANGS, PARAMS, 4, residuals=[np.zeros(3)])


def test_a_resample_without_a_pairs_run_says_nothing_about_it():
    boot = bootstrap_transfer(_rows(), LANGS, PARAMS, 30, seed=1)
    off = ~np.eye(3, dtype=bool)
    missing = np.isnan(boot.taus[:, off])
    assert missing.any() and not missing.all()  # some resamples drew some pairs' runs, none drew all
    assert np.allclose(boot.taus[:, off][~missing], np.broadcast_to(TAU[off], missing.shape)[~missing], atol=2e-3)
    lo, hi = boot.ci95()
    assert np.allclose(lo[off], TAU[off], atol=2e-3) and np.allclose(hi[off], TAU[off], atol=2e-3)


def test_unobserved_pairs_stay_nan():
    rows = [r for r in _rows() if set(json.loads(r["mixture"])) != {"java", "go"}]
    boot = bootstrap_transfer(rows, LANGS, PARAMS, 10, residuals=[np.full(4, 0.01)] * 3)
    lo, hi = boot.ci95()
    assert np.isnan(lo[1, 2]) and np.isnan(hi[2, 1]) and np.isfinite(lo[0, 1])
    assert boot.observed[1, 2] == 0 and boot.observed[0, 1] == 1
