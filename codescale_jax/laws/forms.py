"""Scaling-law functional forms as pure functions of arrays.

Three forms live here:

* the per-language law ``L(N, D) = A N^-alpha_N + B D^-alpha_D + L_inf``, both in raw form and in
  the log-space "LSE" parameterisation used for fitting,
  ``log L = logsumexp(a - alpha_N log N, b - alpha_D log D, e)`` with ``A = e^a, B = e^b, L_inf = e^e``;
* the study's proportion-dependent law (Yang et al. 2025, arXiv:2512.13472, Eq. 6-7) exactly as
  published: p-weighted exponents and floor, and effective data
  ``D_x = D_all (1 + gamma sum_{i != j} p_i p_j tau_ij)``;
* the per-language transfer form of this project: language ``i``'s data term sees
  ``D_i + gamma sum_{j != i} tau_ij D_j``.

Throughout, ``N`` is the non-embedding parameter count and ``D`` the number of training tokens, both
raw counts. Everything here is a pure ``jnp`` function, safe under ``jit``/``vmap``/``grad``.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import jax.numpy as jnp
import numpy as np

#: Names of the five per-language parameters, in the order used by every array form.
PARAM_NAMES: tuple[str, ...] = ("A", "B", "alpha_N", "alpha_D", "L_inf")
#: Names of the log-space fitting parameters, in the order of the ``theta`` vector.
THETA_NAMES: tuple[str, ...] = ("a", "b", "e", "alpha_N", "alpha_D")


@dataclass(frozen=True)
class LawParams:
    """One per-language law in raw units (N: non-embedding parameters, D: training tokens)."""

    A: float
    B: float
    alpha_N: float
    alpha_D: float
    L_inf: float

    def to_dict(self) -> dict[str, float]:
        return {k: float(v) for k, v in asdict(self).items()}

    @classmethod
    def from_theta(cls, theta) -> "LawParams":
        a, b, e, alpha_n, alpha_d = (float(x) for x in np.asarray(theta))
        return cls(A=float(np.exp(a)), B=float(np.exp(b)), alpha_N=alpha_n, alpha_D=alpha_d,
                   L_inf=float(np.exp(e)))

    def to_theta(self) -> np.ndarray:
        for name in ("A", "B", "L_inf"):
            if not getattr(self, name) > 0:
                raise ValueError(f"{name} must be positive to take its log, got {getattr(self, name)}")
        return np.array([np.log(self.A), np.log(self.B), np.log(self.L_inf), self.alpha_N, self.alpha_D])


def law_loss(A, B, alpha_n, alpha_d, l_inf, n, d):
    """Raw per-language law ``A N^-alpha_N + B D^-alpha_D + L_inf`` (broadcasts over all args)."""
    return A * jnp.power(n, -alpha_n) + B * jnp.power(d, -alpha_d) + l_inf


def log_loss_lse(theta, log_n, log_d):
    """``log L`` in the LSE parameterisation; ``theta = (a, b, e, alpha_N, alpha_D)``.

    The sum of three exponentials is taken with ``logaddexp``, so the form stays finite and
    well-conditioned for any real ``theta``; that is why fits run in this space.
    """
    a, b, e, alpha_n, alpha_d = theta[0], theta[1], theta[2], theta[3], theta[4]
    return jnp.logaddexp(jnp.logaddexp(a - alpha_n * log_n, b - alpha_d * log_d), e)


def loss_from_theta(theta, n, d):
    """Raw loss predicted by one log-space parameter vector ``theta`` (shape ``[5]``)."""
    return jnp.exp(log_loss_lse(theta, jnp.log(n), jnp.log(d)))


def compute_optimal_exponents(alpha_n, alpha_d):
    """Exponents of the compute-optimal frontier under ``C = 6 N D``.

    Minimising ``A N^-a + B D^-b`` at fixed ``C`` gives ``N_opt ~ C^(b/(a+b))`` and
    ``D_opt ~ C^(a/(a+b))`` (Hoffmann et al. 2022, arXiv:2203.15556, Eq. 4).
    """
    total = alpha_n + alpha_d
    return alpha_d / total, alpha_n / total


def compute_optimal_split(A, B, alpha_n, alpha_d, compute):
    """``(N_opt, D_opt)`` for a FLOP budget ``C = 6 N D`` (closed form of Hoffmann et al. Eq. 4)."""
    total = alpha_n + alpha_d
    g = (alpha_n * A / (alpha_d * B)) ** (1.0 / total)
    n_opt = g * (compute / 6.0) ** (alpha_d / total)
    d_opt = (1.0 / g) * (compute / 6.0) ** (alpha_n / total)
    return n_opt, d_opt


def transfer_effective_data(d, tau, gamma):
    """Per-language effective data ``D_i + gamma * sum_{j != i} tau_ij D_j``.

    ``d``: tokens per language, shape ``[K]``; ``tau``: ``[K, K]`` (the diagonal is ignored: a
    language's own data already counts once); ``gamma``: scalar strength.
    """
    tau = jnp.asarray(tau)
    off = tau * (1.0 - jnp.eye(tau.shape[0], dtype=tau.dtype))
    return d + gamma * (off @ d)


def transfer_loss(params, n, d, tau, gamma):
    """Per-language losses under the transfer form; ``params``: ``[K, 5]`` rows of PARAM_NAMES."""
    params = jnp.asarray(params)
    d_eff = transfer_effective_data(d, tau, gamma)
    return law_loss(params[:, 0], params[:, 1], params[:, 2], params[:, 3], params[:, 4], n, d_eff)


def paper_mixture_loss(p, n, d_all, alpha_n, alpha_d, l_inf, A, B, tau, gamma):
    """The study's proportion-dependent law, as published (arXiv:2512.13472, Eq. 6-7).

    ``alpha_N(p) = sum_i p_i alpha_N,i`` (same for ``alpha_D`` and ``L_inf``) and
    ``D_x = D_all (1 + gamma sum_{i != j} p_i p_j tau_ij)``. ``A`` and ``B`` are single constants,
    which the paper did not report. Returns one aggregate loss.
    """
    p = jnp.asarray(p)
    tau = jnp.asarray(tau)
    an = jnp.dot(p, alpha_n)
    ad = jnp.dot(p, alpha_d)
    e = jnp.dot(p, l_inf)
    off = tau * (1.0 - jnp.eye(tau.shape[0], dtype=tau.dtype))
    d_x = d_all * (1.0 + gamma * (p @ off @ p))
    return A * jnp.power(n, -an) + B * jnp.power(d_x, -ad) + e
