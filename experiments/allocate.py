"""Split a token budget across languages with fitted laws; print a table, write ``alloc.json``.

    python -m experiments.allocate --laws laws.json --params 1.5e9 --tokens 3.5e11 --out alloc.json
    python -m experiments.allocate --laws laws.json --params 1.5e9 --tokens 3.5e11 --out alloc.json \
        --min-share 0.05 --available python=2e11,rust=3e10 --epochs forbid --weights python=2 --plot
    python -m experiments.allocate --laws laws.json --params 4e5 --tokens 2.56e5 --out alloc.json --max-regret 0.01
    python -m experiments.allocate --preset paper --set python.A=..,python.B=.. ...   # the study's numbers

N (--params) is the non-embedding parameter count, D (--tokens) the total training tokens.
``--max-regret 0.01`` keeps every language's predicted loss within 1% of its loss under the uniform
split, under the fitted law and (``--regret-over draws``, the default when laws.json has bootstrap
draws) under every bootstrap draw of it, each with its own transfer matrix when the ``--transfer``
file has ``tau_draws`` (the study's ``transfer.json``); ``--regret-without-transfer`` also with the
transfer off; the capped split is polished by SLSQP (``codescale_jax.laws.allocate``). ``--mirror``
also predicts the mirrored split, ``uniform - (optimized - uniform)``, the study's control arm.
The study's preset lacks A and B; without --set for every language it stops and names what is
missing. Runs in seconds on a 2-core CPU (10-13 s with the cap checked under 99 law draws).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

from codescale_jax.io_utils import atomic_write_json
from codescale_jax.laws import presets
from codescale_jax.laws.allocate import EPOCH_POLICIES, AllocationProblem, allocate, evaluate, mirrored_shares, to_json
from codescale_jax.laws.forms import PARAM_NAMES
from codescale_jax.laws.lawfile import read_laws
from codescale_jax.laws.transfer import tau_from_synergy
from codescale_jax.study.results import normalise_language


def _per_language(spec: str | None, languages, default: float | None, what: str) -> np.ndarray | None:
    """Parse ``0.1`` (all languages) or ``python=0.2,java=0.1`` (others get ``default``)."""
    if spec is None:
        return None if default is None else np.full(len(languages), default)
    try:
        return np.full(len(languages), float(spec))
    except ValueError:
        pass
    out = np.full(len(languages), np.nan if default is None else default)
    for item in spec.split(","):
        if not item.strip():
            continue
        if "=" not in item:
            raise ValueError(f"--{what}: expected lang=value, got {item!r}")
        lang, value = item.split("=", 1)
        lang = normalise_language(lang)
        if lang not in languages:
            raise ValueError(f"--{what}: {lang!r} is not among the laws ({', '.join(languages)})")
        out[languages.index(lang)] = float(value)
    if np.any(np.isnan(out)):
        missing = [languages[i] for i in np.flatnonzero(np.isnan(out))]
        raise ValueError(f"--{what}: no value for {', '.join(missing)}")
    return out


def _set_constants(spec: str | None) -> dict[str, dict[str, float]]:
    out: dict[str, dict[str, float]] = {}
    for item in (spec or "").split(","):
        if not item.strip():
            continue
        key, value = item.split("=", 1)
        lang, name = key.rsplit(".", 1)
        if name not in PARAM_NAMES:
            raise ValueError(f"--set {key}: the constant must be one of {', '.join(PARAM_NAMES)}")
        out.setdefault(normalise_language(lang), {})[name] = float(value)
    return out


def _load_laws(args):
    draws = None
    if args.preset:
        langs = tuple(normalise_language(x) for x in args.languages.split(",")) if args.languages else None
        laws = presets.per_language_laws(_set_constants(args.set), langs)
    else:
        laws = read_laws(args.laws)
        for lang, consts in _set_constants(args.set).items():
            laws.setdefault(lang, {}).update(consts)
        if args.languages:
            wanted = [normalise_language(x) for x in args.languages.split(",")]
            missing = [w for w in wanted if w not in laws]
            if missing:
                raise ValueError(f"no law for {', '.join(missing)} in {args.laws}")
            laws = {k: laws[k] for k in wanted}
        if all(e.get("bootstrap_draws") for e in laws.values()):
            r = min(len(e["bootstrap_draws"]) for e in laws.values())
            draws = np.stack([np.asarray(e["bootstrap_draws"][:r], dtype=np.float64) for e in laws.values()],
                             axis=1)  # [R, K, 5]; non-finite draws are left out by _usable_draws
    languages = tuple(laws)
    params = np.array([[float(laws[lang][k]) for k in PARAM_NAMES] for lang in languages])
    return languages, params, draws


def _transfer(args, languages):
    if not args.transfer:
        return None
    if args.transfer == "paper-synergy":
        syn = presets.synergy_table()
        full = tau_from_synergy(syn)
        idx = [syn.languages.index(lang) for lang in languages]
        return full[np.ix_(idx, idx)]
    obj, idx = _transfer_file(args.transfer, languages)
    tau = np.asarray(obj["tau"], dtype=np.float64)
    if tau.shape != (len(obj["languages"]),) * 2:
        raise ValueError(f"{args.transfer}: tau is {tau.shape}, not one row and column per language "
                         f"({len(obj['languages'])})")
    return np.nan_to_num(tau[np.ix_(idx, idx)], nan=0.0)


def _transfer_file(path: str, languages) -> tuple[dict, list[int]]:
    """The ``--transfer`` JSON and the index of each allocated language in it."""
    try:
        obj = json.loads(Path(path).read_text(encoding="utf-8"))
        names = [normalise_language(x) for x in obj["languages"]]
        obj["tau"]
    except (json.JSONDecodeError, KeyError, TypeError) as exc:
        raise ValueError(f"{path}: not a transfer file ({exc!r}); it needs 'languages' and 'tau'") from None
    missing = [lang for lang in languages if lang not in names]
    if missing:
        raise ValueError(f"{path}: no transfer for {', '.join(missing)} (it covers {', '.join(names)})")
    return obj, [names.index(lang) for lang in languages]


def _tau_draws(args, languages):
    """``[R, K, K]`` transfer draws from the ``--transfer`` file's ``tau_draws`` (draw ``r`` pairs with
    the laws' bootstrap draw ``r``; a null draw is NaN), or None."""
    if not args.transfer or args.transfer == "paper-synergy" or not args.gamma:
        return None
    obj, idx = _transfer_file(args.transfer, languages)
    if not obj.get("tau_draws"):
        return None
    k = len(obj["languages"])
    out = np.stack([np.full((k, k), np.nan) if t is None else np.asarray(t, np.float64) for t in obj["tau_draws"]])
    return out[:, idx][:, :, idx]


def _usable_draws(draws, tau_draws):
    """Keep the draws (and their paired transfer draws) whose numbers are all finite."""
    if draws is None:
        return None, None
    if tau_draws is not None:
        r = min(len(draws), len(tau_draws))
        draws, tau_draws = draws[:r], tau_draws[:r]
    finite = np.all(np.isfinite(draws), axis=(1, 2))
    if tau_draws is not None:
        finite &= np.all(np.isfinite(tau_draws), axis=(1, 2))
    if not finite.all():  # a refit that overflowed (e.g. A = inf at an extreme exponent) says nothing
        print(f"note: {int((~finite).sum())} of {len(finite)} bootstrap draws have non-finite constants"
              f"{' or transfer' if tau_draws is not None else ''}; left out of the spread and the regret cap")
    if not finite.any():
        return None, None
    return draws[finite], (tau_draws[finite] if tau_draws is not None else None)


def parse_args(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    src = ap.add_mutually_exclusive_group(required=True)
    src.add_argument("--laws", help="laws.json from experiments.fit_laws")
    src.add_argument("--preset", choices=("paper",), help="the study's published per-language laws")
    ap.add_argument("--set", default=None, help="constants to add/override: python.A=..,python.B=..")
    ap.add_argument("--params", type=float, required=True, help="N: non-embedding parameters")
    ap.add_argument("--tokens", type=float, required=True, help="D: total training tokens")
    ap.add_argument("--out", required=True)
    ap.add_argument("--languages", default=None, help="subset of languages (default: all in the laws)")
    ap.add_argument("--min-share", default="0", help="0.05 or python=0.1,go=0.05")
    ap.add_argument("--mirror", action="store_true",
                    help="also predict the mirrored split, uniform - (optimized - uniform), the allocation "
                         "check's control arm (written under 'mirrored' in alloc.json)")
    ap.add_argument("--max-share", default="1", help="0.5 or python=0.4")
    ap.add_argument("--available", default=None, help="unique tokens per language: python=2e11,rust=3e10")
    ap.add_argument("--epochs", default="discount", choices=EPOCH_POLICIES,
                    help="beyond one epoch: discounted repeats (Muennighoff et al. 2023) or forbid")
    ap.add_argument("--weights", default=None, help="loss weights: python=2 (others 1)")
    ap.add_argument("--transfer", default=None, help="tau JSON {languages, tau} or 'paper-synergy'")
    ap.add_argument("--gamma", type=float, default=0.0, help="transfer strength (0: off)")
    ap.add_argument("--max-regret", type=float, default=None,
                    help="cap on any language's predicted loss above its uniform-split loss (0.01 = 1%%)")
    ap.add_argument("--regret-over", default="draws", choices=("draws", "point"),
                    help="the cap must hold under every bootstrap draw (default) or the point estimate only")
    ap.add_argument("--regret-without-transfer", action="store_true",
                    help="the cap must also hold with the transfer switched off (gamma 0)")
    ap.add_argument("--plot", action="store_true", help="write alloc.png next to --out")
    return ap.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    try:
        languages, params, draws = _load_laws(args)
        draws, tau_draws = _usable_draws(draws, _tau_draws(args, languages))
        avail = None
        if args.available:
            avail = _per_language(args.available, languages, np.inf, "available")
        problem = AllocationProblem(
            languages=languages, params=params, n_params=args.params, total_tokens=args.tokens,
            weights=_per_language(args.weights, languages, 1.0, "weights") if args.weights else None,
            min_share=_per_language(args.min_share, languages, 0.0, "min-share"),
            max_share=_per_language(args.max_share, languages, 1.0, "max-share"),
            available=avail, epochs=args.epochs, tau=_transfer(args, languages), gamma=args.gamma,
            max_regret=args.max_regret, regret_without_transfer=args.regret_without_transfer,
            regret_draws=draws if args.max_regret is not None and args.regret_over == "draws" else None,
            regret_tau_draws=tau_draws if args.max_regret is not None and args.regret_over == "draws" else None)
        alloc = allocate(problem, param_draws=draws)
    except (ValueError, FileNotFoundError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    doc = to_json(problem, alloc)
    if args.mirror:
        mirror = mirrored_shares(alloc.shares, alloc.uniform_shares, *problem.bounds())
        m_obj, m_losses = evaluate(problem, mirror)
        doc["mirrored"] = {"of": "uniform - (optimized - uniform), projected onto the share bounds",
                           "mean_loss": m_obj,
                           "languages": {lang: {"share": float(mirror[i]), "predicted_loss": float(m_losses[i])}
                                         for i, lang in enumerate(languages)}}
    print(f"N = {args.params:.4g} non-embedding params, D = {args.tokens:.4g} tokens")
    print(f"{'language':<12}{'share':>8}{'tokens':>12}{'uniform':>12}{'loss opt':>10}{'loss unif':>11}")
    for i, lang in enumerate(languages):
        print(f"{lang:<12}{alloc.shares[i]:>8.4f}{alloc.tokens[i]:>12.4g}"
              f"{alloc.uniform_shares[i] * args.tokens:>12.4g}{alloc.losses[i]:>10.4f}{alloc.uniform_losses[i]:>11.4f}")
    print(f"{'mean':<12}{'':>8}{'':>12}{'':>12}{alloc.objective:>10.4f}{alloc.uniform_objective:>11.4f}")
    if args.mirror:
        print("mirrored split (control): " + ", ".join(f"{l} {v['share']:.4f}" for l, v in doc["mirrored"]["languages"].items())
              + f"; predicted mean loss {doc['mirrored']['mean_loss']:.4f}")
    if alloc.regret:
        worst = max(alloc.regret["max_predicted_regret"].items(), key=lambda kv: kv[1])
        print(f"regret cap {100 * alloc.regret['cap']:.2g}% over {alloc.regret['laws_checked']} law(s): worst "
              f"{worst[0]} {100 * worst[1]:+.3f}% ({alloc.regret['rounds']} round(s) of floors"
              f"{', then SLSQP' if alloc.regret.get('polished') else ''})")
    atomic_write_json(args.out, doc)
    print(f"wrote {args.out}")
    if args.plot:
        from codescale_jax.laws.plots import plot_allocation

        png = Path(args.out).with_suffix(".png")
        spread = alloc.spread.get("shares_ci95") if alloc.spread and not alloc.regret else None
        plot_allocation(languages, alloc.shares, alloc.uniform_shares, args.tokens, png, spread)
        print(f"wrote {png}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
