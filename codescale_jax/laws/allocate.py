"""Split a token budget across languages to minimise the (weighted) mean predicted loss.

Problem: given per-language laws, a model size ``N`` and a total budget ``D``, choose shares ``p`` on
the simplex, giving ``D_i = p_i D`` tokens to language ``i``, to minimise
``sum_i w_i L_i(N, Deff_i) / sum_i w_i`` subject to ``min_share <= p_i <= max_share``.

Effective data ``Deff_i`` combines two optional effects:

* **Transfer** (DESIGN.md): ``D_i + gamma * sum_{j != i} tau_ij D_j`` with a transfer matrix ``tau``.
* **Repetition beyond one epoch.** ``available[i]`` is the number of unique tokens language ``i``
  has. A language can never get more *unique* tokens than that. Two policies:

  - ``"discount"`` (default): tokens beyond one epoch are repeats and count less, following the
    data-constrained law of Muennighoff et al. 2023 (arXiv:2305.16264, Eq. 5):
    ``D' = U + U R* (1 - exp(-R / R*))`` with ``R = D/U - 1`` repetitions and ``R* = 15.4``. It is
    continuous with a continuous derivative at one epoch, and saturates at ``U (1 + R*)``.
  - ``"forbid"``: at most one epoch; the share cap becomes ``min(max_share, U_i / D)``.

**Regret cap** (``max_regret``, optional): no language's predicted loss may exceed its loss under the
uniform split by more than that fraction. With ``regret_draws`` (bootstrap draws of the laws) the
cap must hold under every draw as well as under the point estimate, so a language whose law is
poorly determined stays near its uniform share instead of being starved on the strength of a
guess; ``regret_tau_draws`` gives each draw its own transfer matrix (the transfer bootstrap).
With ``regret_without_transfer`` it must also hold with the transfer switched off (gamma 0): a
transfer matrix fitted on 50:50 mixtures says little about a language given a twentieth of the
tokens, and this keeps the cap from resting on it. The uniform split always satisfies the cap.

The cap is met in two steps. First, floors: a language breaking the cap gets its minimum share
raised to the smallest share that would satisfy it (others held, by bisection) and the problem is
solved again, for a few rounds; a bisection along the segment back towards the uniform split makes
the cap exact should rounds run out. Without transfer a language's loss falls monotonically with
its own share and the floors land close to the capped optimum. With transfer they need not: a
share taken from the others can cost a language more than its own share gives it back (any
``tau_ij > 1``, as fitted on real-micro), and on one real-micro fit the floors stopped above the
uniform split's mean loss. So, second, SLSQP polishes with every (draw, scenario, language) cap as
an explicit smooth constraint, started from the floors' split and from the uniform split; the
best split that meets the cap exactly (after the same pull-back) is kept, never a worse one.

The solver is projected gradient with an exact projection onto ``{sum p = 1, lo <= p <= hi}``
(``solver.projected_gradient_box_simplex``), from the uniform (projected) start; every iterate is
feasible. A feasibility check runs first and names the violated constraint.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import jax
import jax.numpy as jnp
import numpy as np

from codescale_jax.laws import solver
from codescale_jax.laws.forms import law_loss

#: Muennighoff et al. 2023 (arXiv:2305.16264): fitted "half-life" of repeated-data value, in epochs.
R_STAR = 15.4
EPOCH_POLICIES = ("discount", "forbid")


@dataclass(frozen=True)
class AllocationProblem:
    """Everything the allocator needs; ``params`` is ``[K, 5]`` rows of ``A, B, alpha_N, alpha_D, L_inf``."""

    languages: tuple[str, ...]
    params: np.ndarray
    n_params: float
    total_tokens: float
    weights: np.ndarray | None = None
    min_share: np.ndarray | float = 0.0
    max_share: np.ndarray | float = 1.0
    available: np.ndarray | None = None  # unique tokens per language; None = unlimited
    epochs: str = "discount"
    tau: np.ndarray | None = None
    gamma: float = 0.0
    max_regret: float | None = None  # e.g. 0.01: no language more than 1% above its uniform-split loss
    regret_draws: np.ndarray | None = None  # [R, K, 5] law draws under which the cap must also hold
    regret_tau_draws: np.ndarray | None = None  # [R, K, K] transfer draws, draw r paired with law draw r
    regret_without_transfer: bool = False  # the cap must also hold with the transfer switched off

    def bounds(self) -> tuple[np.ndarray, np.ndarray]:
        k = len(self.languages)
        lo = np.broadcast_to(np.asarray(self.min_share, dtype=np.float64), (k,)).copy()
        hi = np.broadcast_to(np.asarray(self.max_share, dtype=np.float64), (k,)).copy()
        if self.epochs not in EPOCH_POLICIES:
            raise ValueError(f"epochs={self.epochs!r}; choose one of {EPOCH_POLICIES}")
        if self.available is not None and self.epochs == "forbid":
            hi = np.minimum(hi, np.asarray(self.available, dtype=np.float64) / self.total_tokens)
        return lo, hi


@dataclass(frozen=True)
class Allocation:
    languages: tuple[str, ...]
    shares: np.ndarray
    tokens: np.ndarray
    losses: np.ndarray
    objective: float
    uniform_shares: np.ndarray
    uniform_losses: np.ndarray
    uniform_objective: float
    iterations: int
    spread: dict = field(default_factory=dict)
    regret: dict = field(default_factory=dict)


def validate(problem: AllocationProblem) -> None:
    """Raise a clear error when the constraints admit no split (or inputs are malformed)."""
    k = len(problem.languages)
    if k < 1:
        raise ValueError("no languages to allocate over")
    p = np.asarray(problem.params)
    if p.shape != (k, 5):
        raise ValueError(f"params must be [{k}, 5] (A, B, alpha_N, alpha_D, L_inf), got {p.shape}")
    if not np.all(np.isfinite(p)):
        raise ValueError("law parameters contain NaN or infinity")
    if not (problem.n_params > 0 and problem.total_tokens > 0):
        raise ValueError("--params and --tokens must be positive")
    lo, hi = problem.bounds()
    if np.any(lo < 0) or np.any(hi > 1) or np.any(lo > hi):
        bad = [problem.languages[i] for i in np.flatnonzero((lo < 0) | (hi > 1) | (lo > hi))]
        raise ValueError(f"share bounds must satisfy 0 <= min <= max <= 1; broken for {', '.join(bad)}")
    if lo.sum() > 1 + 1e-12:
        raise ValueError(f"minimum shares add up to {lo.sum():.4g} > 1; lower them")
    if hi.sum() < 1 - 1e-12:
        why = " (one epoch of the available tokens)" if problem.available is not None and problem.epochs == "forbid" else ""
        raise ValueError(f"maximum shares{why} add up to {hi.sum():.4g} < 1: the budget cannot be placed; "
                         f"raise the caps, lower --tokens, or allow repeats with epochs='discount'")
    if problem.weights is not None:
        w = np.asarray(problem.weights, dtype=np.float64)
        if w.shape != (k,) or np.any(w < 0) or w.sum() <= 0:
            raise ValueError(f"weights must be {k} non-negative numbers with a positive sum")
    if problem.tau is not None and np.asarray(problem.tau).shape != (k, k):
        raise ValueError(f"transfer matrix must be {k}x{k}")
    if problem.max_regret is not None and not (np.isfinite(problem.max_regret) and problem.max_regret >= 0):
        raise ValueError(f"max_regret must be a non-negative fraction (0.01 = 1%), got {problem.max_regret}")
    if problem.regret_draws is not None:
        r = np.asarray(problem.regret_draws)
        if r.ndim != 3 or r.shape[1:] != (k, 5) or r.shape[0] < 1:
            raise ValueError(f"regret_draws must be [R, {k}, 5] law draws, got {r.shape}")
        if not np.all(np.isfinite(r)):
            raise ValueError("regret_draws contain NaN or infinity")
    if problem.regret_tau_draws is not None:
        t = np.asarray(problem.regret_tau_draws)
        if t.ndim != 3 or t.shape[1:] != (k, k) or t.shape[0] < 1:
            raise ValueError(f"regret_tau_draws must be [R, {k}, {k}] transfer draws, got {t.shape}")
        if problem.regret_draws is not None and t.shape[0] != np.asarray(problem.regret_draws).shape[0]:
            raise ValueError(f"regret_tau_draws has {t.shape[0]} draws for {np.asarray(problem.regret_draws).shape[0]} "
                             "law draws: draw r of each is used together")
        if not np.all(np.isfinite(t)):
            raise ValueError("regret_tau_draws contain NaN or infinity")
        if problem.tau is None:
            raise ValueError("regret_tau_draws given without a transfer matrix tau")


def repeat_discount(tokens, available):
    """Effective tokens when ``tokens`` may exceed the ``available`` unique tokens (Muennighoff et al.).

    ``available`` may be ``inf`` (no limit). Both branches are kept finite so gradients stay clean.
    """
    limited = jnp.isfinite(available)
    u = jnp.where(limited, available, 1.0)
    extra = jnp.maximum(tokens - u, 0.0)
    repeated = u + u * R_STAR * (-jnp.expm1(-extra / (u * R_STAR)))
    return jnp.where(limited & (tokens > u), repeated, tokens)


def mean_loss(p, params, n, total, weights, available, tau, gamma):
    """Weighted mean predicted loss of split ``p`` (pure; ``available``/``tau`` arrays, inf/zeros = off).

    One token is added to every language so that a zero share gives a large finite loss, not
    ``inf``; unlike a ``max`` floor it keeps the gradient (a floor would make ``p_i = 0`` a false
    stationary point). A negative transfer (a ``tau`` draw below 0: the other language's tokens
    hurt) can take the effective tokens below that one token, where the power law is undefined;
    they are held at one token there (the zero-share loss), so every split has a finite loss.
    """
    d = p * total + 1.0
    d = repeat_discount(d, available)
    off = tau * (1.0 - jnp.eye(tau.shape[0], dtype=tau.dtype))
    d_eff = jnp.maximum(d + gamma * (off @ d), 1.0)
    losses = law_loss(params[:, 0], params[:, 1], params[:, 2], params[:, 3], params[:, 4], n, d_eff)
    return jnp.sum(weights * losses) / jnp.sum(weights), losses


def _arrays(problem: AllocationProblem):
    k = len(problem.languages)
    w = np.ones(k) if problem.weights is None else np.asarray(problem.weights, dtype=np.float64)
    avail = np.full(k, np.inf) if problem.available is None else np.asarray(problem.available, dtype=np.float64)
    tau = np.zeros((k, k)) if problem.tau is None else np.asarray(problem.tau, dtype=np.float64)
    return w, avail, tau


def _objective(p, params, n, total, weights, available, tau, gamma):
    return mean_loss(p, params, n, total, weights, available, tau, gamma)[0]


def _solve(params, lo, hi, n, total, w, avail, tau, gamma, start):
    return solver.projected_gradient_box_simplex(_objective, start, lo, hi, params, n, total, w, avail, tau, gamma)


def _draw_losses(p, draws, n, total, avail, taus, gammas):
    """Per-language losses of split ``p`` under each law in ``draws`` (``[R, K, 5]``) with its transfer
    matrix in ``taus`` (``[R, K, K]``) and each transfer strength in ``gammas`` (``[S]``): ``[S * R, K]``."""
    w = jnp.ones(draws.shape[1], draws.dtype)
    per = jax.vmap(lambda g: jax.vmap(lambda th, ta: mean_loss(p, th, n, total, w, avail, ta, g)[1])(draws, taus))(
        gammas)
    return per.reshape(-1, draws.shape[1])


def _regret_excess(p, draws, ref, cap, n, total, avail, taus, gammas):
    """How far each (scenario, language) is above ``(1 + cap)`` times its uniform-split loss ``ref``;
    a loss that is not a number counts as infinitely far (a NaN must never pass the cap)."""
    excess = _draw_losses(p, draws, n, total, avail, taus, gammas) / ref - 1.0 - cap
    return jnp.where(jnp.isnan(excess), jnp.inf, jnp.maximum(excess, 0.0))


_regret_excess_jit = jax.jit(_regret_excess)


def _own_share_floor(i, p, draws, ref, cap, hi_i, n, total, avail, taus, gammas, steps: int = 60) -> float:
    """Smallest share of language ``i`` (the others' shares held at ``p``) at which its loss is within
    ``cap`` of ``ref`` under every draw; its loss falls monotonically with its own share."""
    def ok(s):
        q = np.array(p, dtype=np.float64)
        q[i] = s
        excess = _regret_excess_jit(jnp.asarray(q), draws, ref, cap, n, total, avail, taus, gammas)[:, i]
        return bool(jnp.max(excess) <= 0.0)

    if not ok(hi_i):
        return hi_i
    a, b = float(p[i]), hi_i
    for _ in range(steps):
        m = 0.5 * (a + b)
        a, b = (a, m) if ok(m) else (m, b)
    return b


def _solve_capped(problem: "AllocationProblem", args, rounds: int = 20):
    """Optimum under the regret cap: raise the violators' minimum shares until the cap holds, then
    make it exact by pulling back towards the uniform split (which always satisfies it).

    The cap is checked under the fit, each usable bootstrap draw (with its paired transfer draw when
    ``regret_tau_draws`` is given) and each transfer scenario. Each
    round solves the box-simplex problem, and for every language above the cap somewhere raises
    its minimum share to the smallest share that would satisfy the cap with the others' shares as
    they are. Returns ``(p, iterations, the regret record for alloc.json)``.
    """
    lo, hi, n, total, w, avail, tau, gamma, uni = args
    cap = float(problem.max_regret)
    theta = jnp.asarray(problem.params, jnp.float64)
    draws = theta[None]
    if problem.regret_draws is not None:
        draws = jnp.concatenate([draws, jnp.asarray(problem.regret_draws, jnp.float64)])
    taus = jnp.broadcast_to(tau, (draws.shape[0],) + tau.shape)
    if problem.regret_tau_draws is not None:
        taus = jnp.concatenate([tau[None], jnp.asarray(problem.regret_tau_draws, jnp.float64)])
        if problem.regret_draws is None:  # transfer draws alone: each with the fitted laws
            draws = jnp.broadcast_to(theta, (taus.shape[0],) + theta.shape)
    both = problem.regret_without_transfer and problem.tau is not None and problem.gamma != 0
    gammas = jnp.asarray([gamma, 0.0] if both else [gamma], jnp.float64)
    # A draw whose losses overflow at the uniform split (say A = 1e300 with a large exponent) cannot
    # be compared with anything: leave it out and say how many.
    at_uniform = np.asarray(_draw_losses(uni, draws, n, total, avail, taus, gammas)).reshape(len(gammas), -1,
                                                                                             draws.shape[1])
    usable = np.all(np.isfinite(at_uniform) & (at_uniform > 0), axis=(0, 2))
    if not usable[0]:
        raise ValueError("the fitted laws give a non-finite loss at the uniform split")
    keep = np.flatnonzero(usable)
    draws, taus = draws[keep], taus[keep]
    ref = jnp.asarray(at_uniform[:, usable].reshape(-1, draws.shape[1]))

    floor = np.asarray(lo, dtype=np.float64).copy()
    hi_np = np.asarray(hi, dtype=np.float64)
    solve = jax.jit(_solve)
    p, iters, used = np.asarray(uni), 0, 0
    for used in range(1, rounds + 1):
        q, _, it = solve(theta, jnp.asarray(floor), hi, n, total, w, avail, tau, gamma,
                         solver.project_box_simplex(uni, jnp.asarray(floor), hi))
        p, iters = np.asarray(q), iters + int(it)
        excess = np.asarray(_regret_excess_jit(jnp.asarray(p), draws, ref, cap, n, total, avail, taus, gammas)).max(0)
        if excess.max() <= 0.0:
            break
        for i in np.flatnonzero(excess > 0.0):
            floor[i] = max(floor[i], _own_share_floor(i, p, draws, ref, cap, float(hi_np[i]), n, total, avail, taus,
                                                      gammas))
        if floor.sum() > 1.0:  # the floors no longer fit: fall back on the pull-back below
            break

    def pull_back(p):
        """The point nearest ``p`` on the segment from the uniform split to ``p`` that meets the cap."""
        def worst(t):
            q = uni + t * (jnp.asarray(p) - uni)
            return float(jnp.max(_regret_excess_jit(q, draws, ref, cap, n, total, avail, taus, gammas)))

        t = 1.0
        if worst(1.0) > 0.0:
            a, b = 0.0, 1.0
            for _ in range(60):
                m = 0.5 * (a + b)
                a, b = (m, b) if worst(m) <= 0.0 else (a, m)
            t = a
        return np.asarray(uni + t * (jnp.asarray(p) - uni)), t

    p, t = pull_back(p)

    # Polish (module docstring): SLSQP from the floors' split and from the uniform split.
    def objective(q):
        return _objective(q, theta, n, total, w, avail, tau, gamma)

    def margins(q):
        m = 1.0 + cap - _draw_losses(q, draws, n, total, avail, taus, gammas) / ref
        return jnp.where(jnp.isnan(m), -1.0, m).reshape(-1)

    floors_value = float(objective(jnp.asarray(p)))
    best, best_value, polish_iters = p, floors_value, 0
    for q, _, it in solver.slsqp_box_simplex(objective, margins, (p, np.asarray(uni)), lo, hi):
        polish_iters += it
        q, _ = pull_back(np.asarray(solver.project_box_simplex(jnp.asarray(q), lo, hi)))
        value = float(objective(jnp.asarray(q)))
        if value < best_value:
            best, best_value = q, value
    p = best
    rel = np.asarray(_draw_losses(jnp.asarray(p), draws, n, total, avail, taus, gammas) / ref - 1.0)
    regret = {"cap": cap, "laws_checked": int(draws.shape[0]), "draws_left_out_non_finite": int((~usable).sum()),
              "transfer_draws": problem.regret_tau_draws is not None,
              "transfer_scenarios": ["fitted", "none"] if both else ["fitted" if problem.gamma else "none"],
              "rounds": used, "pull_back_step": float(t),
              "floors_mean_loss": floors_value, "slsqp_iterations": polish_iters,
              "polished": bool(best_value < floors_value),
              "max_predicted_regret": {lang: float(rel[:, i].max()) for i, lang in enumerate(problem.languages)}}
    return p, iters + polish_iters, regret


def evaluate(problem: AllocationProblem, shares) -> tuple[float, np.ndarray]:
    """``(mean loss, per-language losses)`` of a split, in float64."""
    w, avail, tau = _arrays(problem)
    with jax.enable_x64(True):
        obj, losses = mean_loss(jnp.asarray(shares, jnp.float64), jnp.asarray(problem.params, jnp.float64),
                                problem.n_params, problem.total_tokens, jnp.asarray(w), jnp.asarray(avail),
                                jnp.asarray(tau), problem.gamma)
        return float(obj), np.asarray(losses)


def uniform_shares(problem: AllocationProblem) -> np.ndarray:
    """The uniform split, projected onto the constraints when it violates them."""
    lo, hi = problem.bounds()
    k = len(problem.languages)
    with jax.enable_x64(True):
        u = solver.project_box_simplex(jnp.full(k, 1.0 / k), jnp.asarray(lo), jnp.asarray(hi))
        return np.asarray(u)


def allocate(problem: AllocationProblem, param_draws: np.ndarray | None = None) -> Allocation:
    """Optimal split, the uniform split beside it and, given ``param_draws`` (``[R, K, 5]``
    bootstrap draws of the laws), the 95% spread of the optimal shares over the draws."""
    validate(problem)
    lo, hi = problem.bounds()
    w, avail, tau = _arrays(problem)
    uni = uniform_shares(problem)
    with jax.enable_x64(True):
        args = (jnp.asarray(lo), jnp.asarray(hi), float(problem.n_params), float(problem.total_tokens),
                jnp.asarray(w), jnp.asarray(avail), jnp.asarray(tau), float(problem.gamma), jnp.asarray(uni))
        regret = {}
        if problem.max_regret is None:
            p, _, iters = jax.jit(_solve)(jnp.asarray(problem.params, jnp.float64), *args)
        else:
            p, iters, regret = _solve_capped(problem, args)
        p = np.asarray(p)
        spread = {}
        if param_draws is not None:
            draws = jnp.asarray(param_draws, jnp.float64)
            ps, _, _ = jax.jit(jax.vmap(_solve, in_axes=(0,) + (None,) * len(args)))(draws, *args)
            ps = np.asarray(ps)
            spread = {"n_draws": int(ps.shape[0]), "of": "the optimum without the regret cap",
                      "shares_ci95": {lang: [float(np.quantile(ps[:, i], 0.025)), float(np.quantile(ps[:, i], 0.975))]
                                      for i, lang in enumerate(problem.languages)}}
    obj, losses = evaluate(problem, p)
    uobj, ulosses = evaluate(problem, uni)
    return Allocation(languages=tuple(problem.languages), shares=p, tokens=p * problem.total_tokens, losses=losses,
                      objective=obj, uniform_shares=uni, uniform_losses=ulosses, uniform_objective=uobj,
                      iterations=int(iters), spread=spread, regret=regret)


def mirrored_shares(shares, uniform, min_share=0.0, max_share=1.0) -> np.ndarray:
    """``uniform - (shares - uniform)``: a split's move away from uniform, reversed (the allocation
    check's control arm), projected onto the share bounds (``solver.project_box_simplex``) where the
    reversal leaves them."""
    p, u = np.asarray(shares, dtype=np.float64), np.asarray(uniform, dtype=np.float64)
    lo = np.broadcast_to(np.asarray(min_share, dtype=np.float64), p.shape)
    hi = np.broadcast_to(np.asarray(max_share, dtype=np.float64), p.shape)
    if lo.sum() > 1.0 + 1e-12:
        raise ValueError(f"minimum shares add up to {lo.sum():.4g} > 1")
    with jax.enable_x64(True):
        return np.asarray(solver.project_box_simplex(jnp.asarray(2.0 * u - p), jnp.asarray(lo), jnp.asarray(hi)))


def to_json(problem: AllocationProblem, alloc: Allocation) -> dict:
    """The ``alloc.json`` document: shares, tokens, losses (optimised and uniform), constraints."""
    lo, hi = problem.bounds()
    per = {}
    for i, lang in enumerate(alloc.languages):
        per[lang] = {"share": float(alloc.shares[i]), "tokens": float(alloc.tokens[i]),
                     "uniform_share": float(alloc.uniform_shares[i]),
                     "uniform_tokens": float(alloc.uniform_shares[i] * problem.total_tokens),
                     "predicted_loss": float(alloc.losses[i]), "uniform_predicted_loss": float(alloc.uniform_losses[i])}
        if alloc.spread:
            per[lang]["share_ci95"] = alloc.spread["shares_ci95"][lang]
    return {
        "N_non_embedding_params": float(problem.n_params), "D_total_tokens": float(problem.total_tokens),
        "objective": "weighted mean predicted validation loss (nats/token)",
        "mean_loss": alloc.objective, "uniform_mean_loss": alloc.uniform_objective,
        "languages": per,
        "constraints": {"min_share": lo.tolist(), "max_share_effective": hi.tolist(),
                        "weights": None if problem.weights is None else np.asarray(problem.weights).tolist(),
                        "available_tokens": None if problem.available is None else np.asarray(problem.available).tolist(),
                        "beyond_one_epoch": problem.epochs, "repeat_half_life_epochs": R_STAR,
                        "transfer_matrix": None if problem.tau is None else np.asarray(problem.tau).tolist(),
                        "gamma": problem.gamma},
        "solver": {"method": "projected gradient on {sum p = 1, lo <= p <= hi}", "iterations": alloc.iterations},
        "bootstrap_spread": alloc.spread or None,
        "regret_cap": alloc.regret or None,
    }
