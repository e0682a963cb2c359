"""The allocator: optimum not beaten by 100,000 random feasible splits, constraints respected."""

import json
from pathlib import Path

import numpy as np
import pytest

from codescale_jax.laws import allocate as al

LANGS = ("python", "java", "go", "rust")
# Realistic-scale laws (raw N, D): different floors and exponents so the optimum is not uniform.
PARAMS = np.array([
    [400.0, 2000.0, 0.34, 0.37, 1.70],
    [500.0, 1500.0, 0.30, 0.33, 1.40],
    [350.0, 4000.0, 0.36, 0.42, 1.20],
    [450.0, 900.0, 0.33, 0.30, 1.55],
])
N, D = 1.5e9, 2e10


def numpy_mean_loss(p, problem):
    """Independent NumPy reference of the objective for a batch of splits ``p`` [M, K]."""
    w = np.ones(len(problem.languages)) if problem.weights is None else np.asarray(problem.weights)
    d = p * problem.total_tokens + 1.0
    if problem.available is not None:
        u = np.asarray(problem.available)
        extra = np.maximum(d - u, 0.0)
        with np.errstate(invalid="ignore"):
            rep = u + u * al.R_STAR * (1 - np.exp(-extra / (u * al.R_STAR)))
        d = np.where(d <= u, d, rep)
    if problem.tau is not None:
        off = problem.tau * (1 - np.eye(len(w)))
        d = np.maximum(d + problem.gamma * d @ off.T, 1.0)  # negative transfer: held at one token
    a, b, an, ad, e = PARAMS.T
    losses = a * problem.n_params ** -an + b * d ** -ad + e
    return losses @ w / w.sum()


def random_feasible(problem, m, rng):
    lo, hi = problem.bounds()
    out = []
    while sum(len(x) for x in out) < m:
        p = rng.dirichlet(np.ones(len(lo)), size=4 * m)
        ok = np.all((p >= lo) & (p <= hi), axis=1)
        out.append(p[ok])
    return np.concatenate(out)[:m]


def check_not_beaten(problem, seed=0):
    alloc = al.allocate(problem)
    lo, hi = problem.bounds()
    p = alloc.shares
    assert abs(p.sum() - 1.0) < 1e-9
    assert np.all(p >= lo - 1e-9) and np.all(p <= hi + 1e-9)
    ref = numpy_mean_loss(p[None], problem)[0]
    assert abs(ref - alloc.objective) < 1e-10
    rng = np.random.default_rng(seed)
    cand = random_feasible(problem, 100_000, rng)
    assert cand.shape == (100_000, len(LANGS))
    vals = numpy_mean_loss(cand, problem)
    assert vals.min() >= alloc.objective - 1e-12
    assert alloc.objective <= alloc.uniform_objective + 1e-12
    return alloc


def test_unconstrained_optimum_not_beaten():
    alloc = check_not_beaten(al.AllocationProblem(LANGS, PARAMS, N, D))
    assert np.ptp(alloc.shares) > 0.01  # a genuinely non-uniform optimum


def test_bounds_weights_and_repeats():
    problem = al.AllocationProblem(LANGS, PARAMS, N, D, weights=np.array([2.0, 1.0, 1.0, 0.5]),
                                   min_share=np.array([0.1, 0.1, 0.05, 0.05]), max_share=0.45,
                                   available=np.array([np.inf, 3e9, np.inf, 1e9]), epochs="discount")
    alloc = check_not_beaten(problem, seed=1)
    # Repeats are discounted, so the effective data of rust is below its token count.
    assert alloc.tokens[3] > 1e9 or alloc.shares[3] == pytest.approx(0.05)


def test_forbid_caps_at_one_epoch():
    avail = np.array([np.inf, 3e9, np.inf, 1e9])
    problem = al.AllocationProblem(LANGS, PARAMS, N, D, available=avail, epochs="forbid")
    alloc = check_not_beaten(problem, seed=2)
    assert np.all(alloc.tokens <= avail * (1 + 1e-9))


def test_transfer_changes_the_split():
    tau = np.full((4, 4), 0.3)
    base = al.allocate(al.AllocationProblem(LANGS, PARAMS, N, D))
    problem = al.AllocationProblem(LANGS, PARAMS, N, D, tau=tau, gamma=1.0)
    alloc = check_not_beaten(problem, seed=3)
    assert alloc.objective < base.objective  # transfer adds effective data


def test_repeat_discount_is_smooth_and_saturates():
    import jax
    import jax.numpy as jnp

    with jax.enable_x64(True):
        u = 1e9
        f = lambda t: al.repeat_discount(t, u)  # noqa: E731
        assert float(f(0.5e9)) == 0.5e9
        assert float(jax.grad(f)(u * (1 + 1e-9))) == pytest.approx(1.0, rel=1e-6)
        assert float(f(1e15)) == pytest.approx(u * (1 + al.R_STAR), rel=1e-6)
        assert float(f(2e9)) < 2e9


def test_infeasible_constraints_are_clear_errors():
    with pytest.raises(ValueError, match="minimum shares add up"):
        al.allocate(al.AllocationProblem(LANGS, PARAMS, N, D, min_share=0.3))
    with pytest.raises(ValueError, match="one epoch"):
        al.allocate(al.AllocationProblem(LANGS, PARAMS, N, D, available=np.full(4, 1e9), epochs="forbid"))


def test_spread_under_parameter_draws():
    rng = np.random.default_rng(0)
    draws = PARAMS[None] * (1 + 0.02 * rng.standard_normal((50, 4, 5)))
    alloc = al.allocate(al.AllocationProblem(LANGS, PARAMS, N, D, min_share=0.05), param_draws=draws)
    ci = alloc.spread["shares_ci95"]
    assert alloc.spread["n_draws"] == 50
    for i, lang in enumerate(LANGS):
        lo, hi = ci[lang]
        assert 0.05 - 1e-9 <= lo <= hi <= 1.0
        assert lo - 0.05 <= alloc.shares[i] <= hi + 0.05


def _regret(problem, shares):
    """Per-language predicted loss relative to the uniform split (NumPy reference, point laws)."""
    _, per = al.evaluate(problem, shares)
    _, per_u = al.evaluate(problem, al.uniform_shares(problem))
    return per / per_u - 1.0


def test_regret_cap_holds_and_costs_little():
    free = al.allocate(al.AllocationProblem(LANGS, PARAMS, N, D))
    free_regret = _regret(al.AllocationProblem(LANGS, PARAMS, N, D), free.shares)
    assert free_regret.max() > 0.005  # the free optimum makes one language clearly worse
    for cap in (0.0, 0.01):
        problem = al.AllocationProblem(LANGS, PARAMS, N, D, max_regret=cap)
        capped = al.allocate(problem)
        p = capped.shares
        assert abs(p.sum() - 1.0) < 1e-9 and np.all(p >= -1e-12)
        assert _regret(problem, p).max() <= cap + 1e-9
        assert free.objective - 1e-12 <= capped.objective <= capped.uniform_objective + 1e-12
        assert capped.regret["cap"] == cap and capped.regret["laws_checked"] == 1
        # Not beaten by random feasible splits that also respect the cap.
        cand = random_feasible(problem, 20_000, np.random.default_rng(4))
        a, b, an, ad, e = PARAMS.T
        per = a * N ** -an + b * (cand * D + 1.0) ** -ad + e
        ok = cand[np.all(per / capped.uniform_losses - 1.0 <= cap, axis=1)]
        assert len(ok) >= (10 if cap else 0)
        if len(ok):
            assert numpy_mean_loss(ok, problem).min() >= capped.objective - 1e-9
    assert capped.regret["rounds"] >= 1 and capped.regret["pull_back_step"] == 1.0
    assert capped.objective < capped.uniform_objective - 1e-6  # still better than uniform on average


def test_regret_cap_under_draws_protects_uncertain_laws():
    # Draws in which rust's data exponent is much steeper: starving rust would then cost it more.
    draws = np.repeat(PARAMS[None], 3, axis=0)
    draws[1, 3, 3], draws[1, 3, 1] = 0.45, 9000.0
    draws[2, 3, 3], draws[2, 3, 1] = 0.55, 40000.0
    point = al.allocate(al.AllocationProblem(LANGS, PARAMS, N, D, max_regret=0.01))
    robust = al.allocate(al.AllocationProblem(LANGS, PARAMS, N, D, max_regret=0.01, regret_draws=draws))
    assert robust.regret["laws_checked"] == 4
    uni = robust.uniform_shares
    assert abs(robust.shares[3] - uni[3]) <= abs(point.shares[3] - uni[3]) + 1e-9
    for th in draws:
        prob = al.AllocationProblem(LANGS, th, N, D)
        assert _regret(prob, robust.shares).max() <= 0.01 + 1e-9
    assert max(robust.regret["max_predicted_regret"].values()) <= 0.01 + 1e-9
    doc = al.to_json(al.AllocationProblem(LANGS, PARAMS, N, D, max_regret=0.01), robust)
    assert doc["regret_cap"]["cap"] == 0.01


def test_regret_cap_bad_inputs():
    with pytest.raises(ValueError, match="max_regret"):
        al.allocate(al.AllocationProblem(LANGS, PARAMS, N, D, max_regret=-0.1))
    with pytest.raises(ValueError, match="regret_draws"):
        al.allocate(al.AllocationProblem(LANGS, PARAMS, N, D, max_regret=0.01, regret_draws=np.ones((2, 3, 5))))


def test_regret_cap_can_ignore_the_fitted_transfer():
    # Strong transfer into python makes starving python look free; without transfer it is not.
    tau = np.zeros((4, 4))
    tau[0, 1:] = 1.2
    kw = dict(tau=tau, gamma=1.0, max_regret=0.01)
    trusting = al.allocate(al.AllocationProblem(LANGS, PARAMS, N, D, **kw))
    wary = al.allocate(al.AllocationProblem(LANGS, PARAMS, N, D, regret_without_transfer=True, **kw))
    assert wary.regret["transfer_scenarios"] == ["fitted", "none"]
    assert trusting.regret["transfer_scenarios"] == ["fitted"]
    no_transfer = al.AllocationProblem(LANGS, PARAMS, N, D)
    assert _regret(no_transfer, trusting.shares)[0] > 0.01  # trusting the transfer starves python
    assert _regret(no_transfer, wary.shares).max() <= 0.01 + 1e-9
    with_transfer = al.AllocationProblem(LANGS, PARAMS, N, D, tau=tau, gamma=1.0)
    assert _regret(with_transfer, wary.shares).max() <= 0.01 + 1e-9
    assert wary.shares[0] > trusting.shares[0]


def test_negative_transfer_draw_cannot_slip_past_the_cap():
    """A transfer draw below 0 (the bootstrap gives some) can take a language's effective tokens
    below zero at a skewed split. Its loss there must read as huge, not NaN: a NaN once passed
    every cap check, and the uncapped optimum came back with one language predicted 9,800x worse."""
    tau = np.zeros((4, 4))
    tau[1:, 0] = 3.0  # python's tokens count three times for every other language: python gets most
    draw = tau.copy()
    draw[1, 0] = -0.5  # ... but in this draw they hurt java (its effective tokens go negative)
    free = al.allocate(al.AllocationProblem(LANGS, PARAMS, N, D, tau=tau, gamma=1.0))
    assert free.shares[0] > 0.5
    skewed = al.AllocationProblem(LANGS, PARAMS, N, D, tau=draw, gamma=1.0)
    obj, per = al.evaluate(skewed, free.shares)
    assert np.all(np.isfinite(per)) and per[1] >= PARAMS[1, 0] * N ** -PARAMS[1, 2] + PARAMS[1, 1] + PARAMS[1, 4] - 1e-9
    assert numpy_mean_loss(free.shares[None], skewed)[0] == pytest.approx(obj, rel=1e-12)
    capped = al.allocate(al.AllocationProblem(LANGS, PARAMS, N, D, tau=tau, gamma=1.0, max_regret=0.01,
                                              regret_tau_draws=draw[None]))
    assert capped.regret["laws_checked"] == 2
    worst = capped.regret["max_predicted_regret"]
    assert all(np.isfinite(v) and v <= 0.01 + 1e-9 for v in worst.values()), worst
    assert _regret(skewed, capped.shares).max() <= 0.01 + 1e-9
    assert _regret(al.AllocationProblem(LANGS, PARAMS, N, D, tau=tau, gamma=1.0), capped.shares).max() <= 0.01 + 1e-9


def test_regret_cap_leaves_out_draws_that_overflow():
    draws = np.repeat(PARAMS[None], 3, axis=0)
    draws[1, 1, 0], draws[1, 1, 2] = 1e300, -5.0  # A N^-alpha overflows to inf: no usable loss
    alloc = al.allocate(al.AllocationProblem(LANGS, PARAMS, N, D, max_regret=0.01, regret_draws=draws))
    assert alloc.regret["laws_checked"] == 3 and alloc.regret["draws_left_out_non_finite"] == 1
    assert all(np.isfinite(v) and v <= 0.01 + 1e-9 for v in alloc.regret["max_predicted_regret"].values())


def test_regret_cap_holds_under_each_paired_transfer_draw():
    # Point tau: python gets much of the others' tokens, so the trusting optimum starves python. A
    # second draw with less transfer into python, and a third with law and transfer both moved: the
    # cap must hold in each (law draw r, tau draw r) pair, not only for the fitted tau.
    tau = np.zeros((4, 4))
    tau[0, 1:] = 1.2
    tau_draws = np.stack([tau, tau * 0.25, tau * 0.5])
    law_draws = np.repeat(PARAMS[None], 3, axis=0)
    law_draws[2, 0, 1] = 2600.0  # python's data term larger in the third draw
    kw = dict(tau=tau, gamma=1.0, max_regret=0.01, regret_draws=law_draws)
    point_tau = al.allocate(al.AllocationProblem(LANGS, PARAMS, N, D, **kw))
    paired = al.allocate(al.AllocationProblem(LANGS, PARAMS, N, D, regret_tau_draws=tau_draws, **kw))
    assert paired.regret["transfer_draws"] is True and point_tau.regret["transfer_draws"] is False
    assert paired.regret["laws_checked"] == 4
    for th, ta in zip(law_draws, tau_draws):
        assert _regret(al.AllocationProblem(LANGS, th, N, D, tau=ta, gamma=1.0), paired.shares).max() <= 0.01 + 1e-9
    # With the fitted tau everywhere, the weaker-transfer draws are not checked and python loses more.
    weak = al.AllocationProblem(LANGS, PARAMS, N, D, tau=tau * 0.25, gamma=1.0)
    assert _regret(weak, point_tau.shares)[0] > 0.01
    assert paired.shares[0] > point_tau.shares[0]


def test_regret_tau_draws_bad_inputs():
    tau = np.zeros((4, 4))
    with pytest.raises(ValueError, match="regret_tau_draws must be"):
        al.allocate(al.AllocationProblem(LANGS, PARAMS, N, D, tau=tau, gamma=1.0, max_regret=0.01,
                                         regret_tau_draws=np.zeros((2, 3, 3))))
    with pytest.raises(ValueError, match="draw r of each"):
        al.allocate(al.AllocationProblem(LANGS, PARAMS, N, D, tau=tau, gamma=1.0, max_regret=0.01,
                                         regret_draws=np.repeat(PARAMS[None], 3, axis=0),
                                         regret_tau_draws=np.zeros((2, 4, 4))))
    with pytest.raises(ValueError, match="without a transfer matrix"):
        al.allocate(al.AllocationProblem(LANGS, PARAMS, N, D, max_regret=0.01, regret_tau_draws=np.zeros((2, 4, 4))))
    bad = np.zeros((2, 4, 4))
    bad[1, 0, 1] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        al.allocate(al.AllocationProblem(LANGS, PARAMS, N, D, tau=tau, gamma=1.0, max_regret=0.01,
                                         regret_tau_draws=bad))


def _numpy_losses(p, params, n, total, tau, gamma):
    """Per-language losses of splits ``p`` [M, K] (NumPy reference: no repeats, transfer ``gamma * tau``)."""
    d = p * total + 1.0
    off = tau * (1 - np.eye(tau.shape[0]))
    d = np.maximum(d + gamma * d @ off.T, 1.0)
    a, b, an, ad, e = np.asarray(params).T
    return a * n ** -an + b * d ** -ad + e


def test_regret_cap_with_transfer_above_one_reaches_the_capped_optimum():
    """The laws and transfer matrix of a real-micro fit, where most tau_ij exceed 1: a share taken
    from the others then costs a language more than its own share gives back, so raising floors one
    language at a time (the allocator's first step) stopped at a mean loss above the uniform split's
    (2.6066 vs 2.6056 here). The final split must beat uniform and every random split near it that
    meets the cap with and without the transfer."""
    doc = json.loads((Path(__file__).parent / "data" / "real_micro_run6_laws.json").read_text())
    params, tau = np.asarray(doc["params"]), np.asarray(doc["tau"])
    n, total = doc["n_params"], doc["total_tokens"]
    problem = al.AllocationProblem(tuple(doc["languages"]), params, n, total, min_share=doc["min_share"], tau=tau,
                                   gamma=1.0, max_regret=0.01, regret_without_transfer=True)
    alloc = al.allocate(problem)
    assert alloc.regret["polished"]
    assert alloc.objective < alloc.uniform_objective - 0.005  # 2.5979 against 2.6056
    uni = alloc.uniform_shares
    refs = {g: _numpy_losses(uni[None], params, n, total, tau, g)[0] for g in (1.0, 0.0)}

    def meets_cap(p):
        return np.all([np.all(_numpy_losses(p, params, n, total, tau, g) / refs[g] - 1.0 <= 0.01 + 1e-9, axis=1)
                       for g in refs], axis=0)

    assert meets_cap(alloc.shares[None])[0]
    rng = np.random.default_rng(0)
    cand = uni + rng.normal(size=(40_000, len(uni))) * rng.uniform(0.002, 0.04, size=(40_000, 1))
    cand = cand - (cand.sum(axis=1, keepdims=True) - 1.0) / len(uni)
    cand = cand[np.all(cand >= doc["min_share"], axis=1)]
    ok = cand[meets_cap(cand)]
    assert len(ok) >= 1000
    best_random = (_numpy_losses(ok, params, n, total, tau, 1.0).mean(axis=1)).min()
    assert best_random >= alloc.objective - 1e-9
    assert best_random < alloc.uniform_objective  # the random splits do find gains: the check has teeth


def test_mirrored_shares_reverse_the_move_and_respect_the_floor():
    uni = np.full(4, 0.25)
    m = al.mirrored_shares([0.30, 0.20, 0.25, 0.25], uni)
    assert m == pytest.approx([0.20, 0.30, 0.25, 0.25])
    # go's reversal would be 0.25 - 0.30 < 0.05: held at 0.05, the others' excess over 0.05 scaled to fit.
    m = al.mirrored_shares([0.15, 0.15, 0.15, 0.55], uni, min_share=0.05)
    assert m.sum() == pytest.approx(1.0) and m[3] == pytest.approx(0.05)
    assert m[:3] == pytest.approx([0.3166667] * 3, rel=1e-6)
    with pytest.raises(ValueError, match="minimum shares"):
        al.mirrored_shares([0.5, 0.5], [0.5, 0.5], min_share=0.6)
