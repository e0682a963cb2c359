"""Fit the transfer form: language ``i``'s data term sees ``D_i + gamma * sum_{j != i} tau_ij D_j``.

Inputs are per-language laws (fitted on monolingual runs) and multilingual results rows (each row:
target language, mixture shares, N, total tokens, loss on the target). Unknowns:

* ``tau_ij`` for every (target, auxiliary) pair observed, parameterised as ``tau = exp(s) - 1`` so that
  ``tau > -1`` (some interference is allowed, but an auxiliary never removes more than its own token
  count from the target's effective data) and ``s = 0`` means no transfer;
* ``gamma``: only the product ``gamma * tau`` is identifiable from such runs, so when tau is fitted
  ``gamma`` is fixed (default 1). When ``tau`` is given (e.g. :func:`tau_from_synergy`), ``gamma``
  alone is fitted, as a positive scale ``exp(g)``.

The objective is the same scaled sum of Huber losses of log residuals as the law fit.

:func:`bootstrap_transfer` gives tau an interval. A 50:50 synergy grid has one run per pair, so
each tau_ij is fitted from one loss: resampling runs alone would leave it either exact or
unidentified. Each resample therefore (1) uses one bootstrap draw of the laws (resample ``r``
with law draw ``r``), so tau carries the laws' uncertainty, (2) adds to every row's log loss a
residual drawn from its target language's law fit (a residual bootstrap: how far a measured loss
sits from its law), and (3) resamples runs (a bilingual run's two rows move together), which only
matters where several runs inform a pair. All resamples are refitted at once.

:func:`tau_from_synergy` is this project's definition of the study's "tau derived from the synergy
matrix" (arXiv:2512.13472 does not say how): the relative synergy ``(L(i+i) - L(i+j)) / L(i+i)``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import jax
import jax.numpy as jnp
import numpy as np

from codescale_jax.laws import solver
from codescale_jax.laws.fit import huber
from codescale_jax.laws.forms import law_loss
from codescale_jax.laws.synergy import Synergy
from codescale_jax.study.results import normalise_language


@dataclass(frozen=True)
class TransferFit:
    languages: tuple[str, ...]
    tau: np.ndarray  # [K, K], zero diagonal, NaN where no run informs the pair
    gamma: float
    objective: float
    n_points: int
    iterations: int


def tau_from_synergy(syn: Synergy) -> np.ndarray:
    """Relative synergy as tau (zero diagonal, NaN cells set to 0)."""
    tau = np.nan_to_num(syn.relative, nan=0.0)
    np.fill_diagonal(tau, 0.0)
    return tau


def _design(rows, languages):
    k = len(languages)
    index = {lang: i for i, lang in enumerate(languages)}
    target, n, shares, total, loss, run_ids = [], [], [], [], [], []
    for i, row in enumerate(rows):
        mix = row.get("mixture")
        mix = json.loads(mix) if isinstance(mix, str) else mix
        if not mix or row["language"] not in index:
            continue
        p = np.zeros(k)
        for lang, share in mix.items():
            lang = normalise_language(lang)
            if lang in index:
                p[index[lang]] = float(share)
        target.append(index[row["language"]])
        n.append(float(row["params"]))
        total.append(float(row["tokens"]))
        shares.append(p)
        loss.append(float(row["loss"]))
        run_ids.append(str(row.get("run_id") or f"row-{i}"))
    if not target:
        raise ValueError("no rows with a mixture and a language among the fitted laws")
    return (np.asarray(target), np.asarray(n), np.asarray(shares), np.asarray(total), np.asarray(loss),
            np.asarray(run_ids))


def _predict(tau, gamma, params, target, n, shares, total):
    d = shares * total[:, None]  # [R, K] tokens per language in each run
    off = tau * (1.0 - jnp.eye(tau.shape[0], dtype=tau.dtype))
    d_eff = d[jnp.arange(d.shape[0]), target] + gamma * jnp.sum(off[target] * d, axis=1)
    d_eff = jnp.maximum(d_eff, 1.0)
    pr = params[target]
    return law_loss(pr[:, 0], pr[:, 1], pr[:, 2], pr[:, 3], pr[:, 4], n, d_eff)


def _obj_tau(s, mask, gamma, params, target, n, shares, total, log_l, delta):
    tau = (jnp.exp(s) - 1.0) * mask
    r = log_l - jnp.log(_predict(tau, gamma, params, target, n, shares, total))
    return jnp.sum(huber(r, delta)) / delta ** 2


def _obj_tau_weighted(s, weights, params, log_l, mask, gamma, target, n, shares, total, delta):
    tau = (jnp.exp(s) - 1.0) * mask
    r = log_l - jnp.log(_predict(tau, gamma, params, target, n, shares, total))
    return jnp.sum(weights * huber(r, delta)) / delta ** 2


def _obj_gamma(g, tau, params, target, n, shares, total, log_l, delta):
    r = log_l - jnp.log(_predict(tau, jnp.exp(g[0]), params, target, n, shares, total))
    return jnp.sum(huber(r, delta)) / delta ** 2


def _observed(target, shares, k):
    """``[K, K]`` 1 where some run mixes auxiliary ``j`` into target ``i`` (diagonal 0)."""
    observed = np.zeros((k, k))
    for t, p in zip(target, shares):
        observed[t] = np.maximum(observed[t], (p > 0).astype(float))
    np.fill_diagonal(observed, 0.0)
    return observed


def fit_transfer(rows, languages, params: np.ndarray, tau: np.ndarray | None = None, gamma: float = 1.0,
                 delta: float = 1e-3) -> TransferFit:
    """Fit tau (gamma fixed) or, when ``tau`` is given, gamma; ``params``: ``[K, 5]`` per-language laws."""
    languages = tuple(languages)
    target, n, shares, total, loss, _ = _design(rows, languages)
    k = len(languages)
    observed = _observed(target, shares, k)
    cfg = solver.SolverConfig(tol=1e-6, maxiter=2000)
    with jax.enable_x64(True):
        data = (jnp.asarray(params, jnp.float64), jnp.asarray(target), jnp.asarray(n), jnp.asarray(shares),
                jnp.asarray(total), jnp.asarray(np.log(loss)), delta)
        if tau is None:
            mask = jnp.asarray(observed)
            res = solver.lbfgs_many(_obj_tau, jnp.zeros((1, k, k)), mask, float(gamma), *data, cfg=cfg)
            tau_fit = np.where(observed > 0, np.expm1(np.asarray(res.params[0])), np.nan)
            np.fill_diagonal(tau_fit, 0.0)
            gamma_fit = float(gamma)
        else:
            tau_j = jnp.asarray(tau, jnp.float64)
            res = solver.lbfgs_many(_obj_gamma, jnp.zeros((1, 1)), tau_j, *data, cfg=cfg)
            tau_fit = np.asarray(tau, dtype=np.float64)
            gamma_fit = float(np.exp(np.asarray(res.params[0, 0])))
        value = float(np.asarray(res.value[0])) * delta ** 2
        iters = int(np.asarray(res.iterations[0]))
    return TransferFit(languages=languages, tau=tau_fit, gamma=gamma_fit, objective=value, n_points=int(len(target)),
                       iterations=iters)


@dataclass(frozen=True)
class TransferBootstrap:
    """Refitted tau matrices, one per resample (``taus``: ``[R, K, K]``). An entry is NaN where no run
    informs the pair, where the resample drew none of the runs that do, and across a whole draw
    whose law draw was non-finite or whose refit did not converge (``ok`` False)."""

    languages: tuple[str, ...]
    taus: np.ndarray
    observed: np.ndarray  # [K, K] 1 where some run informs the pair
    ok: np.ndarray  # [R] the draw is usable
    n_runs: int
    hit_maxiter: int

    def usable(self) -> np.ndarray:
        return self.ok

    def ci95(self) -> tuple[np.ndarray, np.ndarray]:
        """Percentile 2.5% and 97.5% of each entry over the usable draws that inform it (NaN if none)."""
        t = self.taus[self.ok]
        informed = np.isfinite(t).any(axis=0) if t.shape[0] else np.zeros(self.taus.shape[1:], bool)
        lo, hi = np.full(self.taus.shape[1:], np.nan), np.full(self.taus.shape[1:], np.nan)
        for i, j in zip(*np.nonzero(informed)):
            x = t[:, i, j][np.isfinite(t[:, i, j])]
            lo[i, j], hi[i, j] = np.quantile(x, 0.025), np.quantile(x, 0.975)
        return lo, hi


def bootstrap_transfer(rows, languages, params: np.ndarray, n_resamples: int = 100, seed: int = 0,
                       param_draws: np.ndarray | None = None, residuals=None, resample_runs: bool = True,
                       gamma: float = 1.0, delta: float = 1e-3, start: np.ndarray | None = None) -> TransferBootstrap:
    """Refit tau on ``n_resamples`` perturbed resamples of the synergy rows (see the module doc).

    ``params``: ``[K, 5]`` laws; ``param_draws``: optional ``[R', K, 5]`` bootstrap draws of them, draw
    ``r`` used by resample ``r`` (``R' >= n_resamples``); a non-finite draw makes its resample NaN.
    ``residuals``: optional ``K`` arrays of log residuals (measured minus law) of each language's
    own law fit; each row's log loss gets one drawn from its target's array. ``resample_runs``: draw
    runs with replacement (rows of one run together); off, every resample keeps every row once.
    ``start``: the tau every refit starts from (default: no transfer).
    """
    from codescale_jax.laws.bootstrap import resample_weights, run_codes

    languages = tuple(languages)
    target, n, shares, total, loss, run_ids = _design(rows, languages)
    k = len(languages)
    if n_resamples < 1:
        raise ValueError(f"n_resamples must be >= 1, got {n_resamples}")
    codes = run_codes(run_ids)
    n_runs = int(codes.max()) + 1
    rng = np.random.default_rng(seed)
    if resample_runs and n_runs >= 2:
        weights = resample_weights(codes, n_resamples, seed)
    else:
        weights = np.ones((n_resamples, len(target)))
    log_l = np.broadcast_to(np.log(loss), (n_resamples, len(target))).copy()
    if residuals is not None:
        if len(residuals) != k:
            raise ValueError(f"residuals: need one array per language ({k}), got {len(residuals)}")
        for i in range(k):
            rows_i = np.flatnonzero(target == i)
            res_i = np.asarray(residuals[i], np.float64)
            res_i = res_i[np.isfinite(res_i)]
            if rows_i.size and res_i.size:
                log_l[:, rows_i] += rng.choice(res_i, size=(n_resamples, rows_i.size), replace=True)
    if param_draws is None:
        per_draw = np.broadcast_to(np.asarray(params, np.float64), (n_resamples, k, 5))
    else:
        per_draw = np.asarray(param_draws, np.float64)
        if per_draw.ndim != 3 or per_draw.shape[1:] != (k, 5) or per_draw.shape[0] < n_resamples:
            raise ValueError(f"param_draws must be [>= {n_resamples}, {k}, 5], got {per_draw.shape}")
        per_draw = per_draw[:n_resamples]
    finite_law = np.all(np.isfinite(per_draw), axis=(1, 2))
    safe = np.where(finite_law[:, None, None], per_draw, np.asarray(params, np.float64)[None])
    observed = _observed(target, shares, k)
    s0 = np.zeros((k, k)) if start is None else np.log1p(np.nan_to_num(np.asarray(start, np.float64)))
    cfg = solver.SolverConfig(tol=1e-6, maxiter=2000)
    with jax.enable_x64(True):
        shared = (jnp.asarray(observed), float(gamma), jnp.asarray(target), jnp.asarray(n), jnp.asarray(shares),
                  jnp.asarray(total), delta)
        inits = jnp.broadcast_to(jnp.asarray(s0 * observed, jnp.float64), (n_resamples, k, k))
        res = solver.lbfgs_many_data(_obj_tau_weighted, inits,
                                     (jnp.asarray(weights), jnp.asarray(safe), jnp.asarray(log_l)), shared, cfg=cfg)
        s = np.asarray(res.params)
        ok = finite_law & np.isfinite(np.asarray(res.value)) & ~np.asarray(res.hit_maxiter)
        hit = int(np.sum(np.asarray(res.hit_maxiter)))
    informed = np.zeros((n_resamples, k, k), dtype=bool)  # pairs some drawn row speaks to
    for q in range(len(target)):
        informed[:, target[q], :] |= (weights[:, q] > 0)[:, None] & (shares[q] > 0)[None, :]
    taus = np.where(informed & (observed[None] > 0), np.expm1(s), np.nan)
    idx = np.arange(k)
    taus[:, idx, idx] = 0.0
    taus[~ok] = np.nan
    return TransferBootstrap(languages=languages, taus=taus, observed=observed, ok=ok, n_runs=n_runs,
                             hit_maxiter=hit)
