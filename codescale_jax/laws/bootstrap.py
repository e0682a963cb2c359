"""Bootstrap uncertainty for a fitted law: resample *runs*, refit all resamples together.

Points from one run (the same model evaluated at several checkpoints, or on several languages) are
correlated, so the resampling unit is the run: rows sharing a ``run_id`` move together. A resample
is encoded as per-point weights (how many times the point's run was drawn), which keeps every
resample the same shape, so all refits run as one ``vmap`` over weight vectors (on CPU the
solver hands them over one per call, spread over the cores: :mod:`.solver`).

Each refit starts from the full-data optimum (and, when given, from extra starts such as the next
best grid minima; the best of those is kept per resample). Intervals are percentile intervals
(2.5%, 97.5%); standard errors are the standard deviation over resamples. Derived quantities
(compute-optimal exponents, predicted losses at chosen points) get intervals the same way.
"""

from __future__ import annotations

from dataclasses import dataclass

import jax
import jax.numpy as jnp
import numpy as np

from codescale_jax.laws import solver
from codescale_jax.laws.fit import FitConfig, LawFit, check_points, scaled_objective
from codescale_jax.laws.forms import PARAM_NAMES, compute_optimal_exponents


@dataclass(frozen=True)
class Bootstrap:
    """Refitted parameter draws and their summaries. ``thetas``: ``[R, 5]`` log-space rows."""

    thetas: np.ndarray
    objective: np.ndarray
    hit_maxiter: int
    n_runs: int

    def params(self) -> dict[str, np.ndarray]:
        """Raw-unit draws per parameter name (``A, B, alpha_N, alpha_D, L_inf``). A resample that
        cannot tell the N or D term from the floor can run its log-coefficient past what a float
        holds; that draw reads ``inf`` (without a warning) and the summaries skip it."""
        t = self.thetas
        with np.errstate(over="ignore"):
            return {"A": np.exp(t[:, 0]), "B": np.exp(t[:, 1]), "alpha_N": t[:, 3], "alpha_D": t[:, 4],
                    "L_inf": np.exp(t[:, 2])}

    def nonfinite_draws(self) -> int:
        """Resamples with some parameter at infinity (or NaN) in raw units."""
        p = self.params()
        return int(np.sum(~np.all(np.isfinite(np.stack(list(p.values()), axis=1)), axis=1)))

    def derived(self) -> dict[str, np.ndarray]:
        """Compute-optimal exponents: ``N_opt ~ C^a``, ``D_opt ~ C^b``."""
        a, b = compute_optimal_exponents(self.thetas[:, 3], self.thetas[:, 4])
        return {"N_opt_exponent": np.asarray(a), "D_opt_exponent": np.asarray(b)}


def run_codes(run_ids) -> np.ndarray:
    """Integer code per point for its run (rows with equal ids share a code)."""
    _, codes = np.unique(np.asarray([str(r) for r in run_ids]), return_inverse=True)
    return codes.astype(np.int64)


def resample_weights(codes: np.ndarray, n_resamples: int, seed: int = 0) -> np.ndarray:
    """``[R, points]`` weights: each resample draws runs with replacement; a point's weight is the
    number of times its run was drawn."""
    n_runs = int(codes.max()) + 1
    rng = np.random.default_rng(seed)
    draws = rng.integers(0, n_runs, size=(n_resamples, n_runs))
    counts = np.zeros((n_resamples, n_runs))
    np.add.at(counts, (np.arange(n_resamples)[:, None], draws), 1.0)
    return counts[:, codes]


def bootstrap_fit(fit: LawFit, n, d, loss, run_ids=None, n_resamples: int = 1000, seed: int = 0,
                  cfg: FitConfig = FitConfig(), extra_starts: np.ndarray | None = None) -> Bootstrap:
    """Refit ``n_resamples`` run-level resamples of the data, all at once.

    ``run_ids``: one id per point (default: every point its own run). ``extra_starts``: more
    ``[K, 5]`` starting points; each resample keeps its best over the full-data optimum and these.
    """
    n, d, loss = check_points(n, d, loss)
    codes = run_codes(run_ids if run_ids is not None else np.arange(n.size))
    if codes.shape[0] != n.size:
        raise ValueError(f"run_ids has {codes.shape[0]} entries for {n.size} points")
    n_runs = int(codes.max()) + 1
    if n_runs < 2:
        raise ValueError("bootstrap needs at least two distinct runs")
    weights = resample_weights(codes, n_resamples, seed)
    starts = [fit.theta[None]] + ([] if extra_starts is None else [np.atleast_2d(extra_starts)])
    starts = np.concatenate(starts, axis=0)
    best_theta = np.zeros((n_resamples, 5))
    best_val = np.full(n_resamples, np.inf)
    hit = 0
    with jax.enable_x64(True):
        shared = tuple(jnp.asarray(x, jnp.float64) for x in (np.log(n), np.log(d), np.log(loss), cfg.delta))
        w = jnp.asarray(weights, jnp.float64)
        for start in starts:
            inits = jnp.broadcast_to(jnp.asarray(start, jnp.float64), (n_resamples, 5))
            res = solver.lbfgs_many_data(scaled_objective, inits, (w,), shared, cfg=cfg.solver_config())
            val = np.asarray(res.value) * cfg.delta ** 2
            val = np.where(np.isfinite(val), val, np.inf)
            better = val < best_val
            best_val = np.where(better, val, best_val)
            best_theta = np.where(better[:, None], np.asarray(res.params), best_theta)
            hit += int(np.sum(np.asarray(res.hit_maxiter)))
    return Bootstrap(thetas=best_theta, objective=best_val, hit_maxiter=hit, n_runs=n_runs)


def interval(draws: np.ndarray, level: float = 0.95) -> list[float]:
    """Percentile interval of finite draws."""
    x = np.asarray(draws, dtype=np.float64)
    x = x[np.isfinite(x)]
    lo = (1.0 - level) / 2.0
    return [float(np.quantile(x, lo)), float(np.quantile(x, 1.0 - lo))]


def summarize(boot: Bootstrap, level: float = 0.95) -> dict:
    """``{"ci95": {name: [lo, hi]}, "se": {name: sd}}`` for parameters and derived quantities."""
    draws = {**boot.params(), **boot.derived()}
    with np.errstate(over="ignore", invalid="ignore"):  # finite draws near the float limit: an infinite SE
        return {"ci95": {k: interval(v, level) for k, v in draws.items()},
                "se": {k: float(np.std(v[np.isfinite(v)], ddof=1)) for k, v in draws.items()}}


def predicted_loss_interval(boot: Bootstrap, n: float, d: float, level: float = 0.95) -> list[float]:
    """Interval of the predicted loss at one ``(N, D)`` over the bootstrap draws."""
    p = boot.params()
    pred = p["A"] * n ** -p["alpha_N"] + p["B"] * d ** -p["alpha_D"] + p["L_inf"]
    return interval(pred, level)


__all__ = ["Bootstrap", "bootstrap_fit", "interval", "summarize", "predicted_loss_interval",
           "resample_weights", "run_codes", "PARAM_NAMES"]
