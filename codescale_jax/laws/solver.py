"""Every call into jaxopt (and SciPy's constrained optimiser) lives in this file.

jaxopt is what the design names for fitting, but it is no longer maintained upstream; keeping the
solver calls here means a swap to ``optax.lbfgs`` (or anything else) touches one file.

Four solvers are exposed:

* :func:`lm_many` runs jaxopt's Levenberg-Marquardt from many starts at once on a residual vector
  with an analytic Jacobian: one residual/Jacobian evaluation per iteration and no line search, so
  a vmapped batch costs the same every iteration (the multistart screen of the fitter);
* :func:`lbfgs_many` minimises one smooth objective from many starting points at once (``vmap``
  over starts, and optionally over data weights for the bootstrap), returning the final parameters,
  objective values, iteration counts and whether each start stopped at ``maxiter`` (on CPU the
  rows run one per call from a thread per core, see ``_CPU_LBFGS_ROWS``);
* :func:`projected_gradient_box_simplex` minimises over ``{p : sum p = 1, lo <= p <= hi}``, the
  feasible set of the token allocator;
* :func:`slsqp_box_simplex` does the same under extra smooth inequality constraints (the
  allocator's regret cap), with SciPy's SLSQP.

Callers must run these inside ``jax.enable_x64(True)`` when they want float64 (the fitter does).
"""

from __future__ import annotations

import concurrent.futures as futures
import functools
import os
from dataclasses import dataclass
from typing import Callable

import jax
import jax.numpy as jnp
import jaxopt


@dataclass(frozen=True)
class SolverConfig:
    """Stopping rule for L-BFGS.

    ``tol`` bounds the gradient norm of the *scaled* objective (see ``fit.py``), so it is only
    meaningful together with that scaling; ``maxiter`` caps iterations per start.
    """

    tol: float = 1e-6
    maxiter: int = 1000
    history_size: int = 10
    linesearch: str = "zoom"
    maxls: int = 30


@dataclass(frozen=True)
class ManyResult:
    """Outcome of :func:`lbfgs_many`, one entry per start (arrays, leading axis = starts)."""

    params: jax.Array
    value: jax.Array
    grad_norm: jax.Array
    iterations: jax.Array
    hit_maxiter: jax.Array


def _lbfgs(objective: Callable, cfg: SolverConfig) -> jaxopt.LBFGS:
    return jaxopt.LBFGS(fun=objective, tol=cfg.tol, maxiter=cfg.maxiter, history_size=cfg.history_size,
                        linesearch=cfg.linesearch, maxls=cfg.maxls, implicit_diff=False, jit=True,
                        unroll=False)


def lbfgs_one(objective: Callable, init, *args, cfg: SolverConfig = SolverConfig()):
    """Minimise ``objective(params, *args)`` from one start; returns ``(params, value, grad_norm, iters)``.

    Pure and traceable: wrap it in ``vmap`` to run many starts or many data sets together.
    """
    solver = _lbfgs(objective, cfg)
    params, state = solver.run(init, *args)
    return params, state.value, state.error, state.iter_num


@functools.lru_cache(maxsize=64)
def _many_fn(objective: Callable, cfg: SolverConfig, n_args: int):
    # Cached so repeated fits with the same objective/config reuse one compiled program.
    one = lambda x0, *a: lbfgs_one(objective, x0, *a, cfg=cfg)  # noqa: E731
    return jax.jit(jax.vmap(one, in_axes=(0,) + (None,) * n_args))


@functools.lru_cache(maxsize=64)
def _many_data_fn(objective: Callable, cfg: SolverConfig):
    def one(x0, b, s):
        return lbfgs_one(objective, x0, *b, *s, cfg=cfg)

    return jax.jit(jax.vmap(one, in_axes=(0, 0, None)))


def _result(out, cfg: SolverConfig) -> ManyResult:
    params, value, err, iters = out
    return ManyResult(params=params, value=value, grad_norm=err, iterations=iters,
                      hit_maxiter=iters >= cfg.maxiter)


def lbfgs_many(objective: Callable, inits: jax.Array, *args, cfg: SolverConfig = SolverConfig()) -> ManyResult:
    """Run L-BFGS from every row of ``inits`` (shape ``[S, P]``) on the same data ``args``.

    ``objective`` must be a module-level function (it keys the compilation cache). On CPU the rows
    run in small chunks spread over the cores (:func:`_in_threads`); each row's result does not
    depend on the others either way.
    """
    fn = _many_fn(objective, cfg, len(args))
    return _result(_in_threads(fn, inits, (), args, chunk=_CPU_LBFGS_ROWS), cfg)


def lbfgs_many_data(objective: Callable, inits: jax.Array, batched: tuple, shared: tuple,
                    cfg: SolverConfig = SolverConfig()) -> ManyResult:
    """Run L-BFGS once per row of ``inits`` with per-row data ``batched`` and common data ``shared``.

    Used by the bootstrap: row ``k`` carries its own resampling weights. The objective is called
    as ``objective(params, *batched_k, *shared)``. Chunked on CPU as :func:`lbfgs_many`.
    """
    raw = _many_data_fn(objective, cfg)
    nb = len(batched)

    def fn(x0, *a):
        return raw(x0, a[:nb], a[nb:])

    return _result(_in_threads(fn, inits, tuple(batched), tuple(shared), chunk=_CPU_LBFGS_ROWS), cfg)


class _LevenbergMarquardt(jaxopt.LevenbergMarquardt):
    """jaxopt 0.8.5 ignores a user ``jac_fun`` when ``materialize_jac=True`` (it never assigns the
    private attribute the iterations call); set it here so the analytic Jacobian is the one used."""

    def __post_init__(self):
        super().__post_init__()
        if self.jac_fun is not None and self.materialize_jac:
            self._jac_fun = self.jac_fun


@functools.lru_cache(maxsize=64)
def _lm_fn(residual: Callable, jacobian: Callable, maxiter: int, tol: float, n_batched: int, n_shared: int):
    lm = _LevenbergMarquardt(residual, jac_fun=jacobian, maxiter=maxiter, tol=tol, xtol=0.0, gtol=0.0,
                             solver="cholesky", materialize_jac=True, implicit_diff=False, jit=True,
                             unroll=False)

    def one(x0, *args):
        params, state = lm.run(x0, *args)
        value = 0.5 * jnp.sum(jnp.square(residual(params, *args)))
        return params, value, jnp.linalg.norm(state.gradient), state.iter_num

    return jax.jit(jax.vmap(one, in_axes=(0,) + (0,) * n_batched + (None,) * n_shared))


def lm_many(residual: Callable, jacobian: Callable, inits: jax.Array, *args, batched: tuple = (),
            maxiter: int = 30, tol: float = 1e-4) -> ManyResult:
    """Levenberg-Marquardt from every row of ``inits`` on ``0.5 * ||residual(x, *batched_k, *args)||^2``.

    ``jacobian`` (same arguments) returns the ``[points, P]`` Jacobian of ``residual``. Both must be
    module-level functions (they key the compilation cache). ``batched`` holds per-row data (row
    ``k`` of each array goes with start ``k``, as in the bootstrap); ``args`` are shared. ``value``
    is the objective at the final parameters (non-finite for starts that diverged); ``grad_norm``
    is ``||J^T r||``, the gradient norm of that objective; ``tol`` stops a start once it falls below.
    """
    fn = _lm_fn(residual, jacobian, maxiter, tol, len(batched), len(args))
    params, value, gnorm, iters = _in_threads(fn, inits, batched, args)
    return ManyResult(params=params, value=value, grad_norm=gnorm, iterations=iters,
                      hit_maxiter=iters >= maxiter)


#: LM batches smaller than this run in one call (threading them costs more than it saves).
_THREAD_MIN_ROWS = 512

#: Rows per call of a vmapped L-BFGS on CPU. A vmapped solver is one XLA while loop: every row
#: takes as many iterations, and every iteration as many line-search steps, as the batch's slowest
#: row, so a large batch evaluates its objective far more often per row (a traced 800-row bootstrap
#: batch: about 21 evaluations per iteration) and the cost per row-iteration grows with the batch
#: (BUILD_NOTES "Scaling-law engine"). One row per call measured fastest for the bootstrap, and
#: it is one compiled shape for any number of rows. Off CPU the batch stays whole.
_CPU_LBFGS_ROWS = 1


def _in_threads(fn: Callable, inits: jax.Array, batched: tuple, shared: tuple, chunk: int | None = None):
    """Call ``fn(rows, *batched_rows, *shared)`` on slices of the rows, spread over the CPU cores.

    A vmapped solver loop compiles to one XLA while loop that the CPU backend runs on a single
    thread; slices dispatched from separate Python threads run on separate cores (JAX releases
    the GIL while executing). ``chunk`` is the slice size (default: one equal slice per core, and
    no split below ``_THREAD_MIN_ROWS`` rows). Rows are padded with copies of the first so every
    slice has one shape (one compilation); results are concatenated and the padding dropped.
    Off CPU the whole batch is one call.
    """
    rows = inits.shape[0]
    cores = min(os.cpu_count() or 1, 8)
    if jax.default_backend() != "cpu":
        return fn(inits, *batched, *shared)
    if chunk is None:
        if cores < 2 or rows < _THREAD_MIN_ROWS:
            return fn(inits, *batched, *shared)
        chunk = -(-rows // cores)
    if rows <= chunk:
        return fn(inits, *batched, *shared)
    parts = -(-rows // chunk)
    pad = chunk * parts - rows

    def padded(x):
        return jnp.concatenate([x, jnp.broadcast_to(x[:1], (pad,) + x.shape[1:])]) if pad else x

    xs, bs = padded(inits), tuple(padded(b) for b in batched)
    x64 = inits.dtype == jnp.float64  # ``enable_x64`` is thread-local: carry it into the workers

    def part(k):
        with jax.enable_x64(x64):
            sl = slice(k * chunk, (k + 1) * chunk)
            return jax.block_until_ready(fn(xs[sl], *(b[sl] for b in bs), *shared))

    with futures.ThreadPoolExecutor(min(cores, parts)) as pool:
        outs = list(pool.map(part, range(parts)))
    return tuple(jnp.concatenate(parts_)[:rows] for parts_ in zip(*outs))


def project_box_simplex(x: jax.Array, lo: jax.Array, hi: jax.Array, iters: int = 200) -> jax.Array:
    """Euclidean projection of ``x`` onto ``{sum p = 1, lo <= p <= hi}`` (assumed non-empty).

    The projection is ``clip(x - t, lo, hi)`` for the scalar ``t`` that makes the sum one; the sum is
    monotone in ``t``, so bisection finds it. 200 halvings reach float64 resolution, tighter than
    jaxopt's ``projection_box_section`` (whose result can miss the simplex by ~1e-6).
    """
    t_lo = jnp.min(x - hi) - 1.0  # every coordinate at hi: sum >= 1
    t_hi = jnp.max(x - lo) + 1.0  # every coordinate at lo: sum <= 1

    def body(_, bounds):
        a, b = bounds
        mid = 0.5 * (a + b)
        above = jnp.sum(jnp.clip(x - mid, lo, hi)) > 1.0
        return jnp.where(above, mid, a), jnp.where(above, b, mid)

    a, b = jax.lax.fori_loop(0, iters, body, (t_lo, t_hi))
    return jnp.clip(x - 0.5 * (a + b), lo, hi)


def projected_gradient_box_simplex(objective: Callable, init: jax.Array, lo: jax.Array, hi: jax.Array, *args,
                                   tol: float = 1e-10, maxiter: int = 5000):
    """Minimise ``objective(p, *args)`` over ``{sum(p) = 1, lo <= p <= hi}`` by projected gradient.

    jaxopt's ``ProjectedGradient`` (accelerated, backtracking step size) with the exact projection
    :func:`project_box_simplex`, so every iterate is feasible. Returns ``(p, value, iters)``.
    """
    def proj(x, hp):
        return project_box_simplex(x, hp[0], hp[1])

    solver = jaxopt.ProjectedGradient(fun=objective, projection=proj, tol=tol, maxiter=maxiter,
                                      implicit_diff=False, jit=True, unroll=False)
    p, state = solver.run(init, (lo, hi), *args)
    return p, objective(p, *args), state.iter_num


def slsqp_box_simplex(objective: Callable, constraints: Callable, inits, lo, hi, maxiter: int = 300,
                      ftol: float = 1e-13) -> list[tuple]:
    """Minimise ``objective(p)`` over ``{sum p = 1, lo <= p <= hi, constraints(p) >= 0}`` from each
    start in ``inits``.

    SciPy's SLSQP (sequential quadratic programming) with JAX gradients: ``objective`` maps a
    float64 vector to a scalar, ``constraints`` to a vector of smooth inequality margins, both
    written in ``jax.numpy``; the gradient and the constraint Jacobian (forward mode: few
    variables, many constraints) are compiled once for all starts. jaxopt has no solver for general
    nonlinear inequality constraints, hence SciPy here. SLSQP may end a hair outside the
    constraints; callers make the result exactly feasible. Returns ``(p, value, iterations)`` per start.
    """
    import numpy as np
    from scipy import optimize

    value_grad = jax.jit(jax.value_and_grad(objective))
    margin = jax.jit(constraints)
    margin_jac = jax.jit(jax.jacfwd(constraints))

    def fun(p):
        v, g = value_grad(jnp.asarray(p))
        return float(v), np.asarray(g, dtype=np.float64)

    bounds = list(zip(np.asarray(lo, dtype=np.float64), np.asarray(hi, dtype=np.float64)))
    k = len(bounds)
    cons = [{"type": "eq", "fun": lambda p: float(np.sum(p) - 1.0), "jac": lambda p: np.ones(k)},
            {"type": "ineq", "fun": lambda p: np.asarray(margin(jnp.asarray(p)), dtype=np.float64),
             "jac": lambda p: np.asarray(margin_jac(jnp.asarray(p)), dtype=np.float64)}]
    results = [optimize.minimize(fun, np.asarray(init, dtype=np.float64), jac=True, method="SLSQP", bounds=bounds,
                                 constraints=cons, options={"maxiter": maxiter, "ftol": ftol}) for init in inits]
    return [(np.asarray(r.x, dtype=np.float64), float(r.fun), int(r.nit)) for r in results]
