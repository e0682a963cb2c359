"""From results rows to ``laws.json`` entries: fit, bootstrap, diagnostics and holdout, per language.

Holdout rules (``--holdout``) say which runs are the "larger" ones to predict:

* ``params>=X`` / ``tokens>=X`` / ``compute>=X`` (compute = 6 N D): rows at or above a threshold;
* ``largest=K``: rows of the K largest distinct model sizes.

The law is fitted on the remaining rows and its relative error on the held-out rows is reported
(mean and max), beside the in-sample error. Rows of equal ``(N, D)`` (seeds) are averaged first,
so the check scores configurations; the error against single runs is reported beside it.
Extrapolation is what users of a law need; the study reports no such check.

The shape check (:func:`shape_check`) says whether the measured curves can be matched by the law at
all: ``A N^-alpha_N + B D^-alpha_D + L_inf`` with non-negative coefficients is convex in ``log D``
at fixed ``N`` (and in ``log N`` at fixed ``D``), so along every curve the loss drop per doubling
must shrink. Where measured drops grow instead, no parameter values fit those points and an
extrapolation along that direction is not meaningful, whatever the fitter does.
"""

from __future__ import annotations

import time

import numpy as np

from codescale_jax.laws import bootstrap as boot_mod
from codescale_jax.laws.fit import MIN_POINTS, FitConfig, LawFit, fit_law, predict
from codescale_jax.laws.lawfile import law_entry


def holdout_mask(n: np.ndarray, d: np.ndarray, rule: str) -> np.ndarray:
    """Boolean mask of held-out points under ``rule`` (see module doc)."""
    rule = rule.strip().replace(" ", "")
    if rule.startswith("largest="):
        k = int(rule.split("=", 1)[1])
        sizes = np.unique(n)
        if k < 1 or k >= sizes.size:
            raise ValueError(f"holdout {rule!r}: need 1 <= K < {sizes.size} (distinct model sizes)")
        return n >= sizes[-k]
    for key, values in (("params", n), ("tokens", d), ("compute", 6.0 * n * d)):
        if rule.startswith(key + ">="):
            return values >= float(rule.split(">=", 1)[1])
    raise ValueError(f"unknown holdout rule {rule!r}; use params>=X, tokens>=X, compute>=X or largest=K")


def arrays(rows: list[dict]):
    n = np.array([r["params"] for r in rows], dtype=np.float64)
    d = np.array([r["tokens"] for r in rows], dtype=np.float64)
    loss = np.array([r["loss"] for r in rows], dtype=np.float64)
    runs = np.array([str(r["run_id"]) for r in rows])
    return n, d, loss, runs


def fit_language(rows: list[dict], cfg: FitConfig, n_boot: int = 200, seed: int = 0, holdout: str | None = None,
                 keep_draws: int = 200, log=print, name: str = "") -> tuple[dict, LawFit, np.ndarray | None]:
    """Fit one language: returns (laws.json entry, the fit, bootstrap thetas or None)."""
    n, d, loss, runs = arrays(rows)
    if n.size < MIN_POINTS:
        raise ValueError(f"language {name!r}: {n.size} points; a 5-parameter law needs at least {MIN_POINTS}")
    t0 = time.perf_counter()
    f = fit_law(n, d, loss, cfg)
    log(f"[{name}] fit {n.size} points in {time.perf_counter() - t0:.1f}s: objective {f.objective:.6g}, "
        f"alpha_N {f.params.alpha_N:.4f}, alpha_D {f.params.alpha_D:.4f}, L_inf {f.params.L_inf:.4f}; "
        f"{f.diagnostics['starts_reaching_best']}/{f.diagnostics['starts']} starts reached the best, "
        f"{f.diagnostics['starts_screened_out']} screened out, {f.diagnostics['starts_hit_maxiter']} stopped at maxiter")
    extra: dict = {"n_points": f.n_points, "n_runs": int(np.unique(runs).size), "objective": f.objective,
                   "huber_delta": f.delta, "diagnostics": f.diagnostics}
    thetas = None
    if n_boot > 0:
        t0 = time.perf_counter()
        b = boot_mod.bootstrap_fit(f, n, d, loss, run_ids=runs, n_resamples=n_boot, seed=seed, cfg=cfg)
        s = boot_mod.summarize(b)
        extra["ci95"] = s["ci95"]
        extra["se"] = s["se"]
        unbounded = b.nonfinite_draws()
        extra["bootstrap"] = {"resamples": n_boot, "unit": "run", "n_runs": b.n_runs, "seed": seed,
                              "refits_hit_maxiter": b.hit_maxiter, "nonfinite_draws": unbounded}
        thetas = b.thetas
        if keep_draws > 0:
            p = b.params()
            extra["bootstrap_draws"] = [[float(p[k][i]) for k in ("A", "B", "alpha_N", "alpha_D", "L_inf")]
                                        for i in range(min(keep_draws, n_boot))]
        log(f"[{name}] {n_boot} bootstrap refits (by run, {b.n_runs} runs) in {time.perf_counter() - t0:.1f}s: "
            f"alpha_N 95% [{s['ci95']['alpha_N'][0]:.4f}, {s['ci95']['alpha_N'][1]:.4f}]"
            + (f"; {unbounded} draw(s) with a coefficient past float range (left out of the intervals)"
               if unbounded else ""))
    extra["shape"] = shape_check(n, d, loss)
    if holdout:
        extra["holdout"] = holdout_report(n, d, loss, holdout, cfg)
        log(f"[{name}] holdout {holdout}: mean rel. error {extra['holdout']['heldout_mean_rel_error']:.4f} on "
            f"{extra['holdout']['n_heldout']} held-out points")
    return law_entry(f.params, **extra), f, thetas


def _steepening(x: np.ndarray, y: np.ndarray, group: np.ndarray, rtol: float) -> tuple[int, int, int]:
    """Over curves of fixed ``group``: (adjacent slope pairs, pairs whose drop steepens, rising steps).

    Slopes are of ``y`` against ``log x``; a pair steepens when the later slope is more negative
    than the earlier by more than ``rtol`` of the earlier's magnitude.
    """
    pairs = steep = rising = 0
    for g in np.unique(group):
        sel = group == g
        xs = np.unique(x[sel])
        if xs.size < 2:
            continue
        ys = np.array([y[sel][x[sel] == v].mean() for v in xs])
        slopes = np.diff(ys) / np.diff(np.log(xs))
        rising += int((slopes > 0).sum())
        for a, b in zip(slopes[:-1], slopes[1:]):
            pairs += 1
            steep += int(b < a - rtol * abs(a))
    return pairs, steep, rising


def shape_check(n, d, loss, rtol: float = 0.05) -> dict:
    """Does the data have the law's shape? (See the module doc.)

    Returns, for curves along ``D`` (fixed ``N``) and along ``N`` (fixed ``D``): the number of
    adjacent slope pairs, how many of them steepen (the drop per doubling grows by more than
    ``rtol``, which the law cannot produce) and how many steps go up (more data or parameters,
    higher loss). Points of equal ``(N, D)`` (seeds) are averaged first.
    """
    n, d, loss = (np.asarray(a, dtype=np.float64) for a in (n, d, loss))
    dp, ds, dr = _steepening(d, loss, n, rtol)
    np_, ns, nr = _steepening(n, loss, d, rtol)
    return {"rtol": rtol, "along_D": {"pairs": dp, "steepening": ds, "rising": dr},
            "along_N": {"pairs": np_, "steepening": ns, "rising": nr}}


def cell_means(n, d, loss) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Average the rows of equal ``(N, D)`` (one run per seed): returns (n, d, mean loss, runs per cell)."""
    n, d, loss = (np.asarray(a, dtype=np.float64) for a in (n, d, loss))
    keys, inv, counts = np.unique(np.stack([n, d], axis=1), axis=0, return_inverse=True, return_counts=True)
    inv = inv.reshape(-1)
    sums = np.zeros(len(keys))
    np.add.at(sums, inv, loss)
    return keys[:, 0], keys[:, 1], sums / counts, counts


def holdout_report(n, d, loss, rule: str, cfg: FitConfig) -> dict:
    """Fit on the non-held-out points, report the relative error on the held-out ones.

    The check works on ``(N, D)`` cells: where a cell has several runs (seeds), the law is fitted to
    the cells' mean losses and judged against the held-out cells' means, so it measures how well the
    law predicts a configuration, not one seed's draw of the data. The error against each held-out
    run is reported beside it (``heldout_mean_rel_error_per_run``); with one run per cell the two
    are equal.
    """
    n, d, loss = (np.asarray(a, dtype=np.float64) for a in (n, d, loss))
    run_mask = holdout_mask(n, d, rule)
    if run_mask.sum() == 0:
        raise ValueError(f"holdout {rule!r} holds out no points")
    cn, cd, closs, counts = cell_means(n, d, loss)
    mask = holdout_mask(cn, cd, rule)
    if (~mask).sum() < MIN_POINTS:
        raise ValueError(f"holdout {rule!r} leaves {(~mask).sum()} (N, D) points to fit; need {MIN_POINTS}")
    f = fit_law(cn[~mask], cd[~mask], closs[~mask], cfg)
    rel = np.abs(predict(f.theta, cn[mask], cd[mask]) - closs[mask]) / closs[mask]
    rel_run = np.abs(predict(f.theta, n[run_mask], d[run_mask]) - loss[run_mask]) / loss[run_mask]
    return {"rule": rule, "n_fit": int((~mask).sum()), "n_heldout": int(mask.sum()),
            "n_fit_runs": int(counts[~mask].sum()), "n_heldout_runs": int(run_mask.sum()),
            "runs_per_point": sorted({int(c) for c in counts}),
            "params_fit_on_subset": f.params.to_dict(),
            "heldout_mean_rel_error": float(rel.mean()), "heldout_max_rel_error": float(rel.max()),
            "heldout_mean_rel_error_per_run": float(rel_run.mean()),
            "insample_mean_rel_error": f.diagnostics["mean_rel_error"]}
