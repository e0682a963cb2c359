"""Recovery of known laws from noisy synthetic data, and interval coverage over many draws."""

import numpy as np
import pytest

from codescale_jax.laws import bootstrap, fit

TRUE = {"A": 300.0, "B": 1500.0, "alpha_N": 0.30, "alpha_D": 0.35, "L_inf": 1.5}
CFG = fit.FitConfig(grid="coarse", screen_iters=30, polish_top=20)


def design():
    n, d = np.meshgrid(np.geomspace(1e7, 3e9, 6), np.geomspace(1e9, 3e11, 6), indexing="ij")
    return n.ravel(), d.ravel()


def simulate(rng, sigma):
    n, d = design()
    clean = TRUE["A"] * n ** -TRUE["alpha_N"] + TRUE["B"] * d ** -TRUE["alpha_D"] + TRUE["L_inf"]
    return n, d, clean * np.exp(sigma * rng.standard_normal(n.size))


def test_noiseless_recovery_is_exact():
    n, d, loss = simulate(np.random.default_rng(0), 0.0)
    f = fit.fit_law(n, d, loss, CFG)
    for k, v in TRUE.items():
        assert getattr(f.params, k) == pytest.approx(v, rel=1e-3), k
    assert f.objective < 1e-12
    assert f.diagnostics["r2"] > 0.999999


def test_bad_inputs_are_clear_errors():
    n, d, loss = simulate(np.random.default_rng(0), 0.0)
    with pytest.raises(ValueError, match="at least 6 points"):
        fit.fit_law(n[:5], d[:5], loss[:5], CFG)
    bad = loss.copy()
    bad[3] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        fit.fit_law(n, d, bad, CFG)
    with pytest.raises(ValueError, match="positive"):
        fit.fit_law(-n, d, loss, CFG)


@pytest.mark.slow
def test_interval_coverage_over_draws():
    """95% bootstrap intervals should cover the truth in about 95% of draws."""
    rng = np.random.default_rng(1)
    draws, covered, errors = 30, {k: 0 for k in ("alpha_N", "alpha_D", "L_inf")}, []
    for _ in range(draws):
        n, d, loss = simulate(rng, 0.01)
        f = fit.fit_law(n, d, loss, CFG)
        b = bootstrap.bootstrap_fit(f, n, d, loss, n_resamples=200, seed=int(rng.integers(1 << 30)), cfg=CFG)
        ci = bootstrap.summarize(b)["ci95"]
        for k in covered:
            lo, hi = ci[k]
            covered[k] += lo <= TRUE[k] <= hi
        errors.append(abs(f.params.alpha_N - TRUE["alpha_N"]))
    rates = {k: v / draws for k, v in covered.items()}
    # Binomial(30, 0.95): fewer than 24 covered has probability < 1e-3.
    for k, rate in rates.items():
        assert rate >= 0.8, (k, rates)
    assert np.median(errors) < 0.05


def test_bootstrap_moves_runs_together():
    codes = bootstrap.run_codes(["a", "a", "b", "c", "c", "c"])
    w = bootstrap.resample_weights(codes, 500, seed=0)
    assert np.all(w[:, 0] == w[:, 1]) and np.all(w[:, 3] == w[:, 5])
    # Each resample draws as many runs as there are: total weight = sum over runs of size * count.
    assert np.allclose(w[:, [0, 2, 3]].sum(axis=1), 3.0)
