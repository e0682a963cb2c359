"""Other functional forms of L(N, D), for one diagnostic question: is a held-out error the law's
form or the regime of the runs?

The project's law is ``L = E + A N^-alpha_N + B D^-alpha_D`` (additive, :mod:`.forms`). When it
extrapolates badly, fitting a few other forms to the same points and holding out the same runs
tells whether any reasonable form would have done better. The forms (N non-embedding parameters,
D training tokens, both raw counts):

* ``additive``: the project's law (the NumPy twin of ``forms.log_loss_lse``, same theta order),
  fitted here by the same least squares as the others so that the comparison is like for like;
* ``multiplicative``: ``E + A N^-alpha_N D^-alpha_D`` (the N and D effects multiply);
* ``kaplan``: ``[(N_c / N)^(alpha_N / alpha_D) + D_c / D]^alpha_D + E`` (Kaplan et al. 2020,
  arXiv:2001.08361, Eq. 1.5, plus a floor);
* ``loglinear``: ``c + a ln N + b ln D + d ln N ln D``, a local second-order description with no
  floor; not a scaling law (it goes negative far enough out), a baseline for short extrapolations.

The power-law forms are fitted as the project's fitter does: Huber loss (delta 1e-3) on log
residuals, the best of many deterministic random starts; ``loglinear`` by ordinary least squares.
Plain NumPy/SciPy on purpose: a diagnostic on a few dozen points, not the engine's jaxopt fitter.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np
from scipy.optimize import least_squares


def _additive(t, ln_n, ln_d):
    a, b, e, an, ad = t
    return np.exp(a - an * ln_n) + np.exp(b - ad * ln_d) + np.exp(e)


def _multiplicative(t, ln_n, ln_d):
    a, e, an, ad = t
    return np.exp(a - an * ln_n - ad * ln_d) + np.exp(e)


def _kaplan(t, ln_n, ln_d):
    ln_nc, ln_dc, an, ad, e = t
    inner = np.logaddexp((an / ad) * (ln_nc - ln_n), ln_dc - ln_d)
    return np.exp(ad * inner) + np.exp(e)


@dataclass(frozen=True)
class Form:
    name: str
    fn: Callable  # (theta, ln N, ln D) -> loss
    low: tuple[float, ...]  # start box for the random starts
    high: tuple[float, ...]


POWER_FORMS: dict[str, Form] = {
    "additive": Form("additive", _additive, (0, 0, -3, 0, 0), (12, 12, 1.5, 1.0, 1.0)),
    "multiplicative": Form("multiplicative", _multiplicative, (0, -3, 0, 0), (15, 1.5, 1.0, 1.0)),
    "kaplan": Form("kaplan", _kaplan, (5, 5, 0.05, 0.05, -3), (25, 25, 1.0, 1.0, 1.5)),
}
FORMS: tuple[str, ...] = (*POWER_FORMS, "loglinear")


def _loglinear_design(ln_n, ln_d):
    return np.stack([np.ones_like(ln_n), ln_n, ln_d, ln_n * ln_d], axis=1)


def fit_form(name: str, n, d, loss, starts: int = 64, seed: int = 0, delta: float = 1e-3) -> Callable:
    """Fit form ``name`` to points ``(n, d, loss)``; returns ``predict(n, d) -> loss``."""
    if name not in FORMS:
        raise ValueError(f"unknown form {name!r}; choose from {', '.join(FORMS)}")
    ln_n, ln_d = np.log(np.asarray(n, float)), np.log(np.asarray(d, float))
    loss = np.asarray(loss, float)
    k = 4 if name == "loglinear" else len(POWER_FORMS[name].low)
    if loss.size <= k:
        raise ValueError(f"form {name!r} has {k} parameters; {loss.size} points cannot fit it")
    if name == "loglinear":
        coef, *_ = np.linalg.lstsq(_loglinear_design(ln_n, ln_d), loss, rcond=None)
        return lambda n2, d2: _loglinear_design(np.log(np.asarray(n2, float)), np.log(np.asarray(d2, float))) @ coef
    form = POWER_FORMS[name]
    rng = np.random.default_rng(seed)
    best = None
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        for x0 in rng.uniform(form.low, form.high, size=(starts, k)):
            def resid(t):
                r = np.log(form.fn(t, ln_n, ln_d)) - np.log(loss)
                return np.where(np.isfinite(r), r, 1e3)
            try:
                res = least_squares(resid, x0, loss="huber", f_scale=delta)
            except ValueError:  # a start whose residuals are not finite at x0
                continue
            if np.all(np.isfinite(res.x)) and (best is None or res.cost < best.cost):
                best = res
    if best is None:
        raise RuntimeError(f"no start of form {name!r} converged")
    theta = best.x
    return lambda n2, d2: form.fn(theta, np.log(np.asarray(n2, float)), np.log(np.asarray(d2, float)))


def holdout_errors(n, d, loss, heldout, forms=FORMS, **kw) -> dict[str, dict[str, float]]:
    """Per form: mean relative error on the held-out points (fit on the others) and in-sample."""
    n, d, loss, heldout = (np.asarray(x) for x in (n, d, loss, heldout))
    if heldout.all() or not heldout.any():
        raise ValueError("the holdout must keep some points and hold out some")
    out = {}
    for name in forms:
        pred = fit_form(name, n[~heldout], d[~heldout], loss[~heldout], **kw)
        rel = lambda m: float(np.mean(np.abs(pred(n[m], d[m]) - loss[m]) / loss[m]))
        out[name] = {"heldout": rel(heldout), "insample": rel(~heldout)}
    return out
