"""Fit one per-language law ``L = A N^-alpha_N + B D^-alpha_D + L_inf`` to (N, D, loss) points.

The procedure follows the reference replication of Chinchilla (Besiroglu et al. 2024,
arXiv:2404.10102): the log-space LSE form, the *sum* of Huber losses of log residuals
(delta = 1e-3 by default), L-BFGS from every point of a 4,500-point grid, best start kept.

Choices made here, and why:

* float64 throughout: the objective is ~1e-3 and its curvature spans many decades; float32 stalls.
  Fits run inside ``jax.enable_x64(True)`` (a context manager), so models trained in the same process
  keep float32 defaults. Results leave the context as NumPy arrays.
* Objective scaling: the summed Huber loss is divided by ``delta**2``, so a residual of one ``delta``
  costs 0.5 and the gradient-norm tolerance of L-BFGS is measured in units of ``delta``. Unscaled,
  jaxopt's default ``tol=1e-3`` is met at the first iterate and the fit returns its start.
* N and D enter as raw counts (their logs); the grid and the returned ``A``/``B`` are in raw units.
* Iteration counts are returned and the number of starts that stopped at ``maxiter`` is reported.
* Phases: all starts run a short *screen* together, the ``polish_top`` best continue, and the
  ``converge_top`` best of those are run to convergence with L-BFGS (the reference's solver). A
  vmapped solver runs as long as its slowest member, so the early phases must have a fixed, small
  cost per start. The default screen (and the middle phase, ``refine_iters``) is
  Levenberg-Marquardt on the Huber loss written as a sum of squares (``huber_residuals``: the
  objective is ``0.5 * sum psi(r / delta)^2`` with ``psi(u) = u`` for ``|u| <= 1`` and
  ``sign(u) sqrt(2|u| - 1)`` beyond, which is exactly the scaled sum of Huber losses and is C1),
  with the analytic Jacobian of the LSE form. One residual/Jacobian evaluation per iteration and
  no line search, unlike vmapped L-BFGS whose nested line-search loop runs to the batch's worst
  member at every iteration. ``screen="lbfgs"`` keeps the former L-BFGS screen (BUILD_NOTES.md
  gives both timings).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

import jax
import jax.numpy as jnp
import numpy as np

from codescale_jax.laws import solver
from codescale_jax.laws.forms import LawParams, log_loss_lse

#: Fewest points a fit accepts: five parameters plus at least one degree of freedom.
MIN_POINTS = 6


@dataclass(frozen=True)
class FitConfig:
    """How to fit. ``grid``: "hoffmann" (4,500 starts) or "coarse" (243 starts, for tests/bootstraps)."""

    delta: float = 1e-3
    grid: str = "hoffmann"
    tol: float = 1e-4
    maxiter: int = 1000
    #: Every start runs ``screen_iters`` iterations of the ``screen`` solver ("lm":
    #: Levenberg-Marquardt, or "lbfgs"); the ``polish_top`` best (by objective) continue (see
    #: ``refine_iters``) and end with L-BFGS to convergence. ``screen_iters=0`` runs L-BFGS from
    #: every start to convergence.
    screen: str = "lm"
    screen_iters: int = 10
    polish_top: int = 50
    #: Levenberg-Marquardt screen only: the ``polish_top`` best run ``refine_iters`` more LM
    #: iterations (cheap: few starts), then the ``converge_top`` best of those go to L-BFGS. LM
    #: itself rarely meets the gradient tolerance (the Huber kink slows its last steps), L-BFGS
    #: from its output takes a few dozen iterations.
    refine_iters: int = 200
    converge_top: int = 10
    #: Line-search budget per iteration of an L-BFGS screen. A vmapped line search runs as long as
    #: its slowest member, so a small budget bounds the cost of hopeless starts.
    screen_maxls: int = 10
    #: Relative distance to the best objective within which a start counts as having reached it.
    reach_rtol: float = 1e-3

    def solver_config(self, maxiter: int | None = None, maxls: int = 30) -> solver.SolverConfig:
        return solver.SolverConfig(tol=self.tol, maxiter=self.maxiter if maxiter is None else maxiter, maxls=maxls)


@dataclass(frozen=True)
class LawFit:
    """The best fit of one law, with solver and goodness-of-fit diagnostics."""

    params: LawParams
    theta: np.ndarray
    objective: float  # unscaled sum of Huber losses at the optimum
    n_points: int
    delta: float
    diagnostics: dict = field(default_factory=dict)


def hoffmann_grid() -> np.ndarray:
    """The 4,500-point start grid of Hoffmann et al. / Besiroglu et al.: rows ``(a, b, e, alpha, beta)``.

    alpha, beta in {0, 0.5, .., 2}; e in {-1, -0.5, .., 1}; a, b in {0, 5, .., 25}.
    """
    ab = np.arange(0.0, 30.0, 5.0)
    e = np.arange(-1.0, 1.5, 0.5)
    ex = np.arange(0.0, 2.5, 0.5)
    return np.array(list(itertools.product(ab, ab, e, ex, ex)), dtype=np.float64)


def coarse_grid() -> np.ndarray:
    """A 243-point grid (3 values per parameter) for fast fits of small synthetic problems."""
    ab = np.array([0.0, 5.0, 10.0])
    e = np.array([-1.0, 0.0, 1.0])
    ex = np.array([0.2, 0.6, 1.2])
    return np.array(list(itertools.product(ab, ab, e, ex, ex)), dtype=np.float64)


def start_grid(name: str) -> np.ndarray:
    grids = {"hoffmann": hoffmann_grid, "coarse": coarse_grid}
    if name not in grids:
        raise ValueError(f"unknown start grid {name!r}; choose one of {sorted(grids)}")
    return grids[name]()


def huber(r, delta):
    """Huber loss ``0.5 r^2`` inside ``|r| <= delta``, ``delta (|r| - delta/2)`` outside."""
    a = jnp.abs(r)
    return jnp.where(a <= delta, 0.5 * r * r, delta * (a - 0.5 * delta))


def scaled_objective(theta, weights, log_n, log_d, log_l, delta):
    """Weighted sum of Huber losses of log residuals, divided by ``delta**2`` (see module doc)."""
    r = log_l - log_loss_lse(theta, log_n, log_d)
    return jnp.sum(weights * huber(r, delta)) / (delta * delta)


def huber_residuals(theta, weights, log_n, log_d, log_l, delta):
    """Residual vector whose half squared norm is :func:`scaled_objective` (see module doc)."""
    return _residuals_and_jacobian(theta, weights, log_n, log_d, log_l, delta)[0]


def huber_jacobian(theta, weights, log_n, log_d, log_l, delta):
    """Analytic ``[points, 5]`` Jacobian of :func:`huber_residuals`."""
    return _residuals_and_jacobian(theta, weights, log_n, log_d, log_l, delta)[1]


def _residuals_and_jacobian(theta, weights, log_n, log_d, log_l, delta):
    a, b, e, alpha_n, alpha_d = theta[0], theta[1], theta[2], theta[3], theta[4]
    terms = jnp.stack([a - alpha_n * log_n, b - alpha_d * log_d, jnp.broadcast_to(e, log_n.shape)])
    top = jnp.max(terms, axis=0)
    ex = jnp.exp(terms - top)
    total = jnp.sum(ex, axis=0)
    u = (log_l - top - jnp.log(total)) / delta  # log residual in units of delta
    big = jnp.abs(u) > 1.0
    root = jnp.sqrt(jnp.maximum(2.0 * jnp.abs(u) - 1.0, 1.0))
    sw = jnp.sqrt(weights)
    psi = sw * jnp.where(big, jnp.sign(u) * root, u)
    # d psi/d theta = sw * psi'(u) * du/d theta, du/d theta = -(1/delta) d lse/d theta (softmax weights).
    g = -sw * jnp.where(big, 1.0 / root, 1.0) / delta
    soft = ex / total
    jac = jnp.stack([g * soft[0], g * soft[1], g * soft[2], -g * soft[0] * log_n, -g * soft[1] * log_d], axis=1)
    return psi, jac


def check_points(n, d, loss) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Validate fit inputs: same length, finite, positive, enough points. Returns float64 arrays."""
    n, d, loss = (np.asarray(x, dtype=np.float64).reshape(-1) for x in (n, d, loss))
    if not (n.shape == d.shape == loss.shape):
        raise ValueError(f"params, tokens and loss must have the same length, got {n.size}, {d.size}, {loss.size}")
    for name, x in (("params", n), ("tokens", d), ("loss", loss)):
        if not np.all(np.isfinite(x)):
            raise ValueError(f"{name} contains NaN or infinite values; drop or fix those rows before fitting")
        if np.any(x <= 0):
            raise ValueError(f"{name} must be positive (found {x.min()}); the law is fitted in log space")
    if n.size < MIN_POINTS:
        raise ValueError(f"a law has 5 parameters: fitting needs at least {MIN_POINTS} points, got {n.size}")
    return n, d, loss


def diagnostics(theta: np.ndarray, n, d, loss) -> dict:
    """R^2 and mean/max relative error of the predicted raw loss."""
    pred = np.asarray(predict(theta, n, d))
    loss = np.asarray(loss, dtype=np.float64)
    ss_res = float(np.sum((loss - pred) ** 2))
    ss_tot = float(np.sum((loss - loss.mean()) ** 2))
    rel = np.abs(pred - loss) / loss
    return {"r2": 1.0 - ss_res / ss_tot if ss_tot > 0 else float("nan"),
            "mean_rel_error": float(rel.mean()), "max_rel_error": float(rel.max())}


def predict(theta, n, d) -> np.ndarray:
    """Raw predicted loss for one ``theta``; NumPy in, NumPy out (float64)."""
    with jax.enable_x64(True):
        out = jnp.exp(log_loss_lse(jnp.asarray(theta, jnp.float64), jnp.log(jnp.asarray(n, jnp.float64)),
                                   jnp.log(jnp.asarray(d, jnp.float64))))
        return np.asarray(out)


def _run_starts(inits: np.ndarray, weights, n, d, loss, cfg: FitConfig, maxiter: int, maxls: int = 30,
                method: str = "lbfgs") -> dict:
    with jax.enable_x64(True):
        args = tuple(jnp.asarray(x, jnp.float64) for x in (weights, np.log(n), np.log(d), np.log(loss)))
        args = args + (jnp.asarray(cfg.delta, jnp.float64),)
        x0 = jnp.asarray(inits, jnp.float64)
        if method == "lm":
            res = solver.lm_many(huber_residuals, huber_jacobian, x0, *args, maxiter=maxiter, tol=cfg.tol)
        else:
            res = solver.lbfgs_many(scaled_objective, x0, *args, cfg=cfg.solver_config(maxiter, maxls))
        out = {k: np.array(getattr(res, k)) for k in ("params", "value", "grad_norm", "iterations", "hit_maxiter")}
    out["value"] = np.where(np.isfinite(out["value"]), out["value"] * cfg.delta ** 2, np.inf)  # unscaled
    return out


def multistart(inits: np.ndarray, weights, n, d, loss, cfg: FitConfig) -> dict:
    """Run the phased search of :class:`FitConfig` from every row of ``inits``; NumPy arrays per start.

    Returns ``params``, ``value`` (unscaled objective), ``grad_norm``, ``iterations`` (screen plus
    polish), ``hit_maxiter`` and ``screened_out``: starts left where the screen stopped because
    better starts took the polishing slots (they count as unconverged, never as failures of the
    solver). With ``screen_iters <= 0`` (or fewer starts than ``polish_top``) L-BFGS runs every
    start to convergence.
    """
    if cfg.screen not in ("lm", "lbfgs"):
        raise ValueError(f"unknown screen solver {cfg.screen!r}; choose 'lm' or 'lbfgs'")
    if cfg.screen_iters <= 0 or cfg.polish_top >= len(inits):
        out = _run_starts(inits, weights, n, d, loss, cfg, cfg.maxiter)
        out["screened_out"] = np.zeros(len(inits), bool)
        out["polished"] = len(inits)
        return out
    out = _run_starts(inits, weights, n, d, loss, cfg, cfg.screen_iters, cfg.screen_maxls, method=cfg.screen)
    # An L-BFGS screen has converged some starts already: polish only the open ones. A
    # Levenberg-Marquardt screen hands every start over to L-BFGS, so rank them all.
    candidates = np.flatnonzero(out["hit_maxiter"]) if cfg.screen == "lbfgs" else np.arange(len(inits))
    candidates = candidates[np.isfinite(out["value"][candidates])]
    screened = np.zeros(len(inits), bool)
    polished = 0
    if candidates.size:
        order = _best(out["value"], candidates, cfg.polish_top)
        if cfg.screen == "lm" and cfg.refine_iters > 0:
            _update(out, order, _run_starts(out["params"][order], weights, n, d, loss, cfg, cfg.refine_iters,
                                            method="lm"))
            order = _best(out["value"], order[np.isfinite(out["value"][order])], cfg.converge_top)
        _update(out, order, _run_starts(out["params"][order], weights, n, d, loss, cfg, cfg.maxiter))
        polished = order.size
        screened = np.ones(len(inits), bool)
        screened[order] = False
        if cfg.screen == "lbfgs":  # starts its screen converged were never waiting for a slot
            screened &= out["hit_maxiter"]
    out["polished"] = int(polished)
    out["screened_out"] = screened
    return out


def _best(value: np.ndarray, idx: np.ndarray, k: int) -> np.ndarray:
    return idx[np.argsort(value[idx], kind="stable")][:k]


def _update(out: dict, idx: np.ndarray, more: dict) -> None:
    for k in ("params", "value", "grad_norm", "hit_maxiter"):
        out[k][idx] = more[k]
    out["iterations"][idx] = out["iterations"][idx] + more["iterations"]


def fit_law(n, d, loss, cfg: FitConfig = FitConfig(), weights=None, inits: np.ndarray | None = None) -> LawFit:
    """Fit the per-language law to points ``(n, d, loss)`` from every start, keep the best.

    ``weights`` (per point, default 1) let the bootstrap reuse this objective; ``inits`` overrides
    the start grid (rows ``(a, b, e, alpha_N, alpha_D)``).
    """
    n, d, loss = check_points(n, d, loss)
    w = np.ones_like(n) if weights is None else np.asarray(weights, dtype=np.float64)
    starts = start_grid(cfg.grid) if inits is None else np.atleast_2d(np.asarray(inits, dtype=np.float64))
    out = multistart(starts, w, n, d, loss, cfg)
    value = out["value"]
    best = int(np.argmin(value))
    theta = out["params"][best]
    if not np.isfinite(value[best]):
        raise RuntimeError("every start diverged; check the data (are losses in nats, params and tokens raw?)")
    reached = value <= value[best] * (1.0 + cfg.reach_rtol)
    diag = diagnostics(theta, n, d, loss)
    diag.update({
        "starts": int(len(starts)),
        "starts_reaching_best": int(reached.sum()),
        "starts_hit_maxiter": int((out["hit_maxiter"] & ~out["screened_out"]).sum()),
        "starts_screened_out": int(out["screened_out"].sum()),
        "best_start_iterations": int(out["iterations"][best]),
        "best_start_grad_norm": float(out["grad_norm"][best]),
        "max_iterations": int(out["iterations"].max()),
        "screen": cfg.screen, "screen_iters": cfg.screen_iters, "polished_starts": int(out.get("polished", len(starts))),
        "tol": cfg.tol, "maxiter": cfg.maxiter,
    })
    return LawFit(params=LawParams.from_theta(theta), theta=theta, objective=float(value[best]),
                  n_points=int(n.size), delta=cfg.delta, diagnostics=diag)
