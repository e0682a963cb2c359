"""The multistart screen: Huber loss as a sum of squares, its analytic Jacobian, and jaxopt's LM."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from codescale_jax.laws import datasets, fit, solver


def _args(delta=1e-3, seed=0):
    rng = np.random.default_rng(seed)
    n = 10 ** rng.uniform(6, 9, 40)
    d = 10 ** rng.uniform(8, 11, 40)
    loss = 400 * n ** -0.34 + 400 * d ** -0.28 + 1.7
    loss = loss * np.exp(rng.normal(0, 5e-3, 40))  # residuals on both sides of delta
    w = rng.integers(0, 3, 40).astype(np.float64)
    return tuple(jnp.asarray(x, jnp.float64) for x in (w, np.log(n), np.log(d), np.log(loss), delta))


def test_half_squared_residuals_equal_scaled_huber_objective():
    with jax.enable_x64(True):
        args = _args()
        for theta in ([6.0, 6.0, 0.5, 0.34, 0.28], [3.0, 8.0, -1.0, 0.1, 0.6], [6.0, 6.0, 0.53, 0.34, 0.28]):
            theta = jnp.asarray(theta, jnp.float64)
            r = fit.huber_residuals(theta, *args)
            np.testing.assert_allclose(0.5 * float(jnp.sum(r * r)), float(fit.scaled_objective(theta, *args)),
                                       rtol=1e-12)


def test_analytic_jacobian_matches_autodiff():
    with jax.enable_x64(True):
        args = _args()
        for theta in ([6.0, 6.0, 0.5, 0.34, 0.28], [3.0, 8.0, -1.0, 0.1, 0.6]):
            theta = jnp.asarray(theta, jnp.float64)
            auto = jax.jacfwd(fit.huber_residuals)(theta, *args)
            np.testing.assert_allclose(np.asarray(fit.huber_jacobian(theta, *args)), np.asarray(auto),
                                       rtol=1e-9, atol=1e-9)


def _zero_jacobian(theta, *args):
    return jnp.zeros((args[1].shape[0], theta.shape[0]), theta.dtype)


def test_lm_uses_the_given_jacobian():
    """jaxopt 0.8.5 drops a user Jacobian when it materialises J; the wrapper must not."""
    with jax.enable_x64(True):
        args = _args()
        x0 = jnp.asarray([[6.0, 6.0, 0.0, 0.3, 0.3]], jnp.float64)
        moved = solver.lm_many(fit.huber_residuals, fit.huber_jacobian, x0, *args, maxiter=20)
        stuck = solver.lm_many(fit.huber_residuals, _zero_jacobian, x0, *args, maxiter=20)
        assert float(moved.value[0]) < 0.5 * float(fit.scaled_objective(x0[0], *args))
        # Were the given Jacobian ignored, both runs would use the same autodiff one and agree.
        assert not np.allclose(np.asarray(stuck.params), np.asarray(moved.params), equal_nan=True)


def test_lm_per_row_data_equals_separate_runs():
    with jax.enable_x64(True):
        w, *shared = _args()
        weights = jnp.stack([w, jnp.ones_like(w)])
        x0 = jnp.broadcast_to(jnp.asarray([6.0, 6.0, 0.5, 0.34, 0.28], jnp.float64), (2, 5))
        both = solver.lm_many(fit.huber_residuals, fit.huber_jacobian, x0, *shared, batched=(weights,), maxiter=15)
        for k in range(2):
            one = solver.lm_many(fit.huber_residuals, fit.huber_jacobian, x0[k:k + 1], weights[k], *shared,
                                 maxiter=15)
            np.testing.assert_allclose(np.asarray(both.params[k]), np.asarray(one.params[0]), rtol=1e-10)


def test_unknown_screen_is_an_error():
    n, d, loss = datasets.load_chinchilla()
    with pytest.raises(ValueError, match="screen solver"):
        fit.fit_law(n, d, loss, cfg=fit.FitConfig(grid="coarse", screen="newton", polish_top=10))


def _weights(rows: int, seed: int = 1) -> jnp.ndarray:
    w, *_ = _args()
    rng = np.random.default_rng(seed)
    return jnp.asarray(rng.integers(0, 3, (rows, w.shape[0])), jnp.float64)


def test_lbfgs_rows_run_in_small_calls_on_cpu_and_match_one_batch(monkeypatch):
    """On CPU a vmapped L-BFGS waits for its slowest row at every line-search step, so the rows
    run a few per call; the answers must equal one vmapped batch, in the same row order."""
    with jax.enable_x64(True):
        _, *shared = _args()
        weights = _weights(7)
        x0 = jnp.broadcast_to(jnp.asarray([6.0, 6.0, 0.5, 0.34, 0.28], jnp.float64), (7, 5))
        cfg = solver.SolverConfig(tol=1e-6, maxiter=500)
        seen = []
        raw = solver._many_data_fn

        def recording(objective, c):
            fn = raw(objective, c)

            def call(x, b, s):
                seen.append(x.shape[0])
                return fn(x, b, s)
            return call

        monkeypatch.setattr(solver, "_many_data_fn", recording)
        monkeypatch.setattr(solver, "_CPU_LBFGS_ROWS", 3)
        chunked = solver.lbfgs_many_data(fit.scaled_objective, x0, (weights,), tuple(shared), cfg=cfg)
        assert jax.default_backend() == "cpu" and sorted(seen) == [3, 3, 3]  # 7 rows padded to 9
        monkeypatch.setattr(solver, "_CPU_LBFGS_ROWS", 10**9)
        seen.clear()
        whole = solver.lbfgs_many_data(fit.scaled_objective, x0, (weights,), tuple(shared), cfg=cfg)
        assert seen == [7]
        assert chunked.params.shape == (7, 5) and chunked.iterations.shape == (7,)
        np.testing.assert_allclose(np.asarray(chunked.params), np.asarray(whole.params), rtol=1e-6, atol=1e-8)
        np.testing.assert_array_equal(np.asarray(chunked.hit_maxiter), np.asarray(whole.hit_maxiter))
        # Rows with different weights reach different optima, so a shuffled concatenation would show.
        assert np.ptp(np.asarray(chunked.params)[:, 3]) > 1e-4


def test_lbfgs_many_chunks_the_starts_on_cpu(monkeypatch):
    with jax.enable_x64(True):
        args = _args()
        # Every start lies where the path to the optimum is stable: a start such as
        # [3, 8, -1, 0.1, 0.6] wanders for ~330 iterations and lands 3e4 apart when moved by 1e-9,
        # so a one-row and a three-row program (different reduction order) disagree on some CPUs.
        x0 = jnp.asarray([[6.0, 6.0, 0.5, 0.34, 0.28], [7.0, 5.0, 1.0, 0.4, 0.2], [5.0, 5.0, 0.0, 0.3, 0.3]],
                         jnp.float64)
        cfg = solver.SolverConfig(tol=1e-6, maxiter=500)
        seen = []
        raw = solver._many_fn

        def recording(objective, c, n_args):
            fn = raw(objective, c, n_args)

            def call(x, *a):
                seen.append(x.shape[0])
                return fn(x, *a)
            return call

        monkeypatch.setattr(solver, "_many_fn", recording)
        monkeypatch.setattr(solver, "_CPU_LBFGS_ROWS", 1)
        one = solver.lbfgs_many(fit.scaled_objective, x0, *args, cfg=cfg)
        assert seen == [1, 1, 1]
        monkeypatch.setattr(solver, "_CPU_LBFGS_ROWS", 10**9)
        whole = solver.lbfgs_many(fit.scaled_objective, x0, *args, cfg=cfg)
        assert seen == [1, 1, 1, 3]
        np.testing.assert_allclose(np.asarray(one.params), np.asarray(whole.params), rtol=1e-6, atol=1e-8)
        np.testing.assert_allclose(np.asarray(one.value), np.asarray(whole.value), rtol=1e-9)
        # The rows start apart and take different paths, so a chunking that returned one row's
        # answer for all would still show in the iteration counts.
        assert len(set(np.asarray(one.iterations).tolist())) == 3
