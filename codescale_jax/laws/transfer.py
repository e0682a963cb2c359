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
    target, n, shares, total, loss = [], [], [], [], []
    for row in rows:
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
    if not target:
        raise ValueError("no rows with a mixture and a language among the fitted laws")
    return (np.asarray(target), np.asarray(n), np.asarray(shares), np.asarray(total), np.asarray(loss))


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


def _obj_gamma(g, tau, params, target, n, shares, total, log_l, delta):
    r = log_l - jnp.log(_predict(tau, jnp.exp(g[0]), params, target, n, shares, total))
    return jnp.sum(huber(r, delta)) / delta ** 2


def fit_transfer(rows, languages, params: np.ndarray, tau: np.ndarray | None = None, gamma: float = 1.0,
                 delta: float = 1e-3) -> TransferFit:
    """Fit tau (gamma fixed) or, when ``tau`` is given, gamma; ``params``: ``[K, 5]`` per-language laws."""
    languages = tuple(languages)
    target, n, shares, total, loss = _design(rows, languages)
    k = len(languages)
    observed = np.zeros((k, k))
    for t, p in zip(target, shares):
        observed[t] = np.maximum(observed[t], (p > 0).astype(float))
    np.fill_diagonal(observed, 0.0)
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
