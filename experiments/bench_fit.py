"""Benchmark the law fitter on the Chinchilla points against a plain SciPy loop.

    python -m experiments.bench_fit                      # full: 4,500 starts both ways, 1,000 bootstrap refits
    python -m experiments.bench_fit --scipy-starts 450   # quicker: SciPy on every 10th start, time scaled x10

In one run: (1) this engine's 4,500-start grid fit (jaxopt L-BFGS, vmapped, float64), timed after a
warm-up call that compiles it (compile time printed separately); (2) 1,000 bootstrap refits;
(3) the same starts, one after another, with ``scipy.optimize.minimize(method="L-BFGS-B")`` on the same
scaled sum-Huber objective with an analytic gradient. The last line is
``speedup_vs_scipy=<ratio> grid_fit_s=<seconds>``. Expect minutes on a 2-core CPU (the SciPy loop
dominates).
"""

from __future__ import annotations

import argparse
import platform
import time

import numpy as np
from scipy.optimize import minimize

from codescale_jax.laws import bootstrap, datasets
from codescale_jax.laws.fit import FitConfig, fit_law, hoffmann_grid


def scipy_objective(delta: float, log_n, log_d, log_l):
    """NumPy sum-Huber of log residuals / delta^2 and its gradient, for SciPy."""

    def f(theta):
        a, b, e, al, be = theta
        t = np.stack([a - al * log_n, b - be * log_d, np.full_like(log_n, e)])
        m = t.max(axis=0)
        ex = np.exp(t - m)
        s = ex.sum(axis=0)
        lse = m + np.log(s)
        r = log_l - lse
        ar = np.abs(r)
        val = np.where(ar <= delta, 0.5 * r * r, delta * (ar - 0.5 * delta)).sum()
        dr = np.clip(r, -delta, delta)  # d huber / d r
        w = ex / s  # d lse / d t_k
        g_t = -(dr * w)  # d obj / d t_k
        grad = np.array([g_t[0].sum(), g_t[1].sum(), g_t[2].sum(), -(g_t[0] * log_n).sum(), -(g_t[1] * log_d).sum()])
        return val / delta ** 2, grad / delta ** 2

    return f


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--scipy-starts", type=int, default=4500, help="SciPy starts to run (time scaled to 4,500)")
    ap.add_argument("--bootstrap", type=int, default=1000)
    args = ap.parse_args(argv)
    n, d, loss = datasets.load_chinchilla()
    cfg = FitConfig()
    print(f"Chinchilla: {n.size} points; machine {platform.machine()} {platform.processor() or ''}".strip())

    t0 = time.perf_counter()
    fit_law(n, d, loss, cfg)
    first = time.perf_counter() - t0
    t0 = time.perf_counter()
    f = fit_law(n, d, loss, cfg)
    grid_s = time.perf_counter() - t0
    dg = f.diagnostics
    print(f"engine grid fit: {grid_s:.2f}s (first call incl. compile {first:.2f}s); objective {f.objective:.6e}, "
          f"alpha {f.params.alpha_N:.4f}, beta {f.params.alpha_D:.4f}; {dg['starts_reaching_best']}/{dg['starts']} "
          f"starts within 0.1% of best; {dg['starts_screened_out']} screened out after {dg['screen_iters']} iterations, "
          f"{dg['polished_starts']} polished, {dg['starts_hit_maxiter']} stopped at maxiter {dg['maxiter']}")

    t0 = time.perf_counter()
    b = bootstrap.bootstrap_fit(f, n, d, loss, n_resamples=args.bootstrap, seed=0, cfg=cfg)
    boot_s = time.perf_counter() - t0
    se = bootstrap.summarize(b)["se"]
    print(f"engine bootstrap: {args.bootstrap} refits in {boot_s:.2f}s (incl. compile); SE alpha {se['alpha_N']:.4f}, "
          f"beta {se['alpha_D']:.4f}; refits at iteration cap {b.hit_maxiter}")

    grid = hoffmann_grid()
    step = max(1, round(len(grid) / max(args.scipy_starts, 1)))
    starts = grid[::step]
    fun = scipy_objective(cfg.delta, np.log(n), np.log(d), np.log(loss))
    best, t0 = (np.inf, None), time.perf_counter()
    for k, x0 in enumerate(starts):
        res = minimize(fun, x0, jac=True, method="L-BFGS-B")
        if res.fun < best[0]:
            best = (res.fun, res.x)
        if (k + 1) % 500 == 0:
            print(f"  scipy: {k + 1}/{len(starts)} starts, {time.perf_counter() - t0:.1f}s", flush=True)
    scipy_s = (time.perf_counter() - t0) * (len(grid) / len(starts))
    note = "" if step == 1 else f" (ran {len(starts)} starts, time scaled to {len(grid)})"
    print(f"scipy L-BFGS-B loop: {scipy_s:.2f}s{note}; objective {best[0] * cfg.delta ** 2:.6e}, "
          f"alpha {best[1][3]:.4f}, beta {best[1][4]:.4f}")
    print(f"speedup_vs_scipy={scipy_s / grid_s:.2f} grid_fit_s={grid_s:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
