"""``report.md`` and its figures from a study directory (see :mod:`codescale_jax.study.stages`).

Reads only files: ``results/*.csv``, ``laws.json``, ``alloc.json``. Each section says plainly when
its data is missing (stage not run, failed, or not part of the preset) instead of showing
anything made up; an input that exists but cannot be read (a results file missing a column, a
truncated laws.json) is named at the head of the report and in the log, and the other sections
are still written. The comparison with the study (Yang et al., arXiv:2512.13472, via
:mod:`codescale_jax.laws.presets`) states per finding whether this study's numbers agree, differ or
cannot be compared. Sizes and budgets of a CPU preset are orders of magnitude below the study's,
so agreement in *direction* is the most that can be expected; the report says so.
"""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path

import numpy as np

from codescale_jax import languages
from codescale_jax.io_utils import atomic_write_text
from codescale_jax.laws import presets as paper
from codescale_jax.study import figures
from codescale_jax.study.results import ResultsError, by_language, load_results

LAW_KEYS = ("A", "B", "alpha_N", "alpha_D", "L_inf")
#: A fitted floor below this (nats) sits at the bound of the LSE form: the data did not pin it down.
FLOOR_AT_ZERO = 1e-3
#: A fitted transfer above this (tokens of the target's own per token of another language) is a fit
#: that ran off, not a measurement: the report says so under the transfer matrix.
TAU_PLAUSIBLE_MAX = 10.0
#: Extrapolation target of the study issue: mean relative error on the held-out largest runs.
EXTRAPOLATION_TARGET = 0.02


def _rows(out: Path, stage: str) -> list[dict] | None:
    path = out / "results" / f"{stage}.csv"
    if not path.is_file():
        return None
    try:
        return load_results(path)
    except ResultsError:
        return None


def unreadable_inputs(out: Path) -> list[str]:
    """One line per results file or JSON input that exists but cannot be read. The sections built
    from such a file say "no data"; the report's head and the log say why."""
    problems = []
    for path in sorted((out / "results").glob("*.csv")):
        try:
            load_results(path)
        except ResultsError as exc:  # its message names the file
            problems.append(str(exc))
    if (out / "laws.json").is_file():
        from codescale_jax.laws.lawfile import read_laws_doc

        try:
            read_laws_doc(out / "laws.json")
        except ValueError as exc:  # its message starts with the path
            problems.append(f"laws.json: {str(exc).split(': ', 1)[-1]}")
    for name in ("alloc.json", "transfer.json"):
        path = out / name
        if path.is_file():
            try:
                json.loads(path.read_text(encoding="utf-8"))
            except ValueError as exc:
                problems.append(f"{name}: not valid JSON ({exc})")
    return problems


def _json(path: Path, warn: bool = False) -> dict | None:
    """The JSON object in ``path``; None when the file is absent or unreadable (said by
    unreadable_inputs for the study's own files, here with ``warn`` for a run's files)."""
    try:
        return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else None
    except ValueError as exc:
        if warn:
            print(f"[report] warning: {path} is not valid JSON ({exc}); left out", file=sys.stderr, flush=True)
        return None


def _missing(what: str, outcome: dict, stage: str) -> str:
    why = outcome.get(stage, "stage not run")
    return f"_No data: {what} ({stage}: {why})._\n"


def _fmt_ci(entry: dict, key: str) -> str:
    """``value [low, high]``; a floor below ``FLOOR_AT_ZERO`` is the fit resting on its bound L_inf >= 0,
    so it prints as 0 (its 1e-11-sized value means nothing)."""
    def num(x: float, digits: int) -> str:
        return "0" if key == "L_inf" and x < FLOOR_AT_ZERO else f"{x:.{digits}g}"
    v = entry[key]
    ci = (entry.get("ci95") or {}).get(key)
    return f"{num(v, 4)} [{num(ci[0], 3)}, {num(ci[1], 3)}]" if ci else num(v, 4)


def laws_section(out: Path, fig_dir: Path, outcome: dict) -> tuple[str, dict]:
    from codescale_jax.laws.lawfile import read_laws_doc
    from codescale_jax.laws.pipeline import holdout_mask

    try:
        doc = read_laws_doc(out / "laws.json") if (out / "laws.json").is_file() else None  # null -> NaN
    except ValueError:  # not JSON, or no laws in it: unreadable_inputs names it in the report's head
        doc = None
    rows = _rows(out, "scaling")
    if not doc or not rows:
        return "## Per-language laws\n\n" + _missing("no fitted laws", outcome, "fit"), {}
    laws = doc["laws"]
    groups = by_language(rows)
    lines = ["## Per-language laws", "",
             "L(N, D) = A N^-alpha_N + B D^-alpha_D + L_inf; N = non-embedding parameters, D = training tokens, "
             "L in nats per token. Brackets: 95% bootstrap intervals (resampling runs).", "",
             "| language | points | A | B | alpha_N | alpha_D | L_inf |", "|---|---|---|---|---|---|---|"]
    for lang, e in laws.items():
        lines.append(f"| {lang} | {e.get('n_points', '?')} | " + " | ".join(_fmt_ci(e, k) for k in LAW_KEYS) + " |")
    on_bound = [lang for lang, e in laws.items() if e["L_inf"] < FLOOR_AT_ZERO]
    if on_bound:
        lines += ["", f"L_inf = 0 ({', '.join(on_bound)}): the fit rests on its bound L_inf >= 0, so these runs "
                      "show no floor yet and A, alpha_N, B, alpha_D absorb it; compare such laws by their predictions, "
                      "not by their parameters."]
    lines.append("")
    for lang, e in laws.items():
        if lang not in groups:
            continue
        n = np.array([r["params"] for r in groups[lang]])
        d = np.array([r["tokens"] for r in groups[lang]])
        loss = np.array([r["loss"] for r in groups[lang]])
        held = holdout_mask(n, d, e["holdout"]["rule"]) if e.get("holdout") else None
        png = figures.plot_law(lang, n, d, loss, [e[k] for k in LAW_KEYS], e.get("bootstrap_draws") or [],
                               fig_dir / f"law_{lang}.png", heldout=held)
        lines.append(f"![{lang}]({png.name})")
    lines.append("")
    return "\n".join(lines), laws


def extrapolation_section(laws: dict, outcome: dict) -> tuple[str, float | None]:
    checks = {l: e["holdout"] for l, e in laws.items() if e.get("holdout")}
    if not checks:
        return "## Extrapolation check\n\n" + _missing("no holdout fits in laws.json", outcome, "fit"), None
    seeded = any(max(h.get("runs_per_point", [1])) > 1 for h in checks.values())
    per_run = {l: h.get("heldout_mean_rel_error_per_run", h["heldout_mean_rel_error"]) for l, h in checks.items()}
    lines = ["## Extrapolation check", "",
             "Each law refitted without the held-out runs, then asked to predict them."
             + (" Runs of equal size and budget (seeds) are averaged first: the fit and the error are over "
                "(N, D) points and their seed means; the last column scores each held-out run alone." if seeded else ""),
             "",
             "| language | rule | fit on | held out | mean rel. error | max rel. error | in-sample |"
             + (" per run |" if seeded else ""),
             "|---|---|---|---|---|---|---|" + ("---|" if seeded else "")]
    for lang, h in checks.items():
        lines.append(f"| {lang} | {h['rule']} | {h['n_fit']} | {h['n_heldout']} | {100 * h['heldout_mean_rel_error']:.2f}% "
                     f"| {100 * h['heldout_max_rel_error']:.2f}% | {100 * h['insample_mean_rel_error']:.2f}% |"
                     + (f" {100 * per_run[lang]:.2f}% |" if seeded else ""))
    mean = float(np.mean([h["heldout_mean_rel_error"] for h in checks.values()]))
    verdict = "meets" if mean <= EXTRAPOLATION_TARGET else "misses"
    lines += ["", f"Mean over languages: **{100 * mean:.2f}%**; this {verdict} the <= "
                  f"{100 * EXTRAPOLATION_TARGET:.0f}% target."]
    if seeded:
        lines.append(f"Against single held-out runs instead of their seed means: "
                     f"{100 * float(np.mean(list(per_run.values()))):.2f}%.")
    lines.append("")
    lines += shape_lines(laws)
    return "\n".join(lines), mean


def shape_lines(laws: dict) -> list[str]:
    """The shape check of each law's data (``laws.pipeline.shape_check``) as a table and a verdict."""
    shapes = {l: e["shape"] for l, e in laws.items() if e.get("shape")}
    if not shapes:
        return []
    lines = ["Shape check of the measured points: the law is convex in log D at fixed N and in log N at fixed D, "
             "so along every curve the loss drop per doubling must shrink. Counted below: adjacent pairs of "
             f"steps where the drop grows instead (by more than {100 * next(iter(shapes.values()))['rtol']:.0f}%), "
             "and steps where the loss rises.", "",
             "| language | along D: steepening / pairs | along N: steepening / pairs | rising steps (D, N) |",
             "|---|---|---|---|"]
    bad = total = 0
    for lang, s in shapes.items():
        a, b = s["along_D"], s["along_N"]
        lines.append(f"| {lang} | {a['steepening']} / {a['pairs']} | {b['steepening']} / {b['pairs']} | "
                     f"{a['rising']}, {b['rising']} |")
        bad += a["steepening"] + b["steepening"]
        total += a["pairs"] + b["pairs"]
    if total:
        share = bad / total
        lines += ["", f"{bad} of {total} pairs ({100 * share:.0f}%) steepen. "
                      + ("Such points cannot be matched by any A, B >= 0, alpha >= 0 and L_inf >= 0: the runs are "
                         "still in a regime the law does not describe (too few steps or tokens per parameter), "
                         "and an error on held-out sizes there measures that, not the fitter."
                         if share > 0.2 else "The data mostly has the law's shape."), ""]
    return lines


def synergy_section(out: Path, fig_dir: Path, outcome: dict):
    from codescale_jax.laws.synergy import synergy_from_rows

    rows = _rows(out, "synergy")
    if not rows:
        return "## Synergy\n\n" + _missing("no synergy runs", outcome, "synergy"), None
    present = {r["language"] for r in rows}
    order = [l for l in languages.ALL_LANGUAGES if l in present] + sorted(present - set(languages.ALL_LANGUAGES))
    try:
        syn = synergy_from_rows(rows, order)
    except ValueError as exc:
        return f"## Synergy\n\n_No usable synergy matrix: {exc}._\n", None
    rel = 100 * syn.relative
    png = figures.plot_heatmap(rel, syn.languages, "Synergy: loss reduction of target vs target repeated (%)",
                               fig_dir / "synergy.png", cbar_label="% (positive: the mix helps)")
    lines = ["## Synergy", "", "Delta(i, j) = L(i + i) - L(i + j, 50:50), relative to L(i + i); "
             "rows: target, columns: auxiliary. Positive means the auxiliary language helps. "
             "The baseline i + i trains the target alone at the same tokens on half as many unique "
             "target tokens, each seen twice (the study's baseline): both runs hold the same amount of "
             "target data.", "",
             "| target \\ aux | " + " | ".join(syn.languages) + " |", "|---" * (len(syn.languages) + 1) + "|"]
    for i, t in enumerate(syn.languages):
        cells = [("-" if i == j else ("" if math.isnan(rel[i, j]) else f"{rel[i, j]:+.2f}%"))
                 for j in range(len(syn.languages))]
        lines.append(f"| {t} | " + " | ".join(cells) + " |")
    lines += ["", f"![synergy]({png.name})", ""]
    return "\n".join(lines), syn


def pairing_section(out: Path, fig_dir: Path, outcome: dict):
    rows = _rows(out, "pairing")
    head = "## Parallel pairing\n\n"
    missing_matrix = ("_The 7x7 translation-loss matrix (seen vs unseen directions) is not produced by this "
                      "study driver yet: run `python -m experiments.evaluate --run RUN --suite translation --plot` "
                      "on a pairing run._\n")
    if not rows:
        return head + _missing("no pairing runs", outcome, "pairing") + "\n" + missing_matrix, None
    series: dict[str, dict[float, list[float]]] = {}
    for r in rows:
        series.setdefault(str(r.get("strategy", "?")), {}).setdefault(r["params"], []).append(r["loss"])
    curves = {s: (np.array(sorted(v)), np.array([np.mean(v[k]) for k in sorted(v)])) for s, v in series.items()}
    png = figures.plot_pairing(curves, fig_dir / "pairing.png", "validation loss on the scored language")
    lines = [head.rstrip(), "", "Validation loss of the scored language (see the preset) after training with the "
             "pair component, per strategy and size.", "", "| N | " + " | ".join(curves) + " |",
             "|---" * (len(curves) + 1) + "|"]
    sizes = sorted({n for c in curves.values() for n in c[0]})
    for n in sizes:
        cells = [f"{c[1][list(c[0]).index(n)]:.4f}" if n in c[0] else "" for c in curves.values()]
        lines.append(f"| {n:.3g} | " + " | ".join(cells) + " |")
    lines += ["", f"![pairing]({png.name})", "", translation_block(out, rows, fig_dir) or missing_matrix]
    return "\n".join(lines), curves


def translation_block(out: Path, rows: list[dict], fig_dir: Path) -> str | None:
    """Mean translation loss on seen and unseen directions per pairing run (from each run's
    ``eval/translation.json``), plus the loss matrix of the largest paired run."""
    found = []
    for r in rows:
        doc = _json(out / "runs" / str(r["run_id"]) / "eval" / "translation.json", warn=True)
        if doc:
            found.append((str(r.get("strategy", "?")), r["params"], doc, out / "runs" / str(r["run_id"]) / "eval"))
    if not found:
        return None
    lines = ["Translation loss (nats per target token) over the 42 directions, seen (trained) vs unseen:", "",
             "| strategy | N | mean seen | mean unseen | all |", "|---|---|---|---|---|"]

    def cell(v):
        return "n/a" if v is None else f"{v:.4f}"

    for strategy, n, doc, _ in sorted(found, key=lambda x: (x[0], x[1])):
        lines.append(f"| {strategy} | {n:.3g} | {cell(doc.get('mean_loss_seen'))} | {cell(doc.get('mean_loss_unseen'))} "
                     f"| {cell(doc.get('mean_loss'))} |")
    paired = [f for f in found if f[0] == "paired"] or found
    strategy, n, doc, eval_dir = max(paired, key=lambda x: x[1])
    langs = doc.get("languages") or []
    matrix = doc.get("loss_matrix")
    if langs and matrix:
        m = np.array([[np.nan if v is None else v for v in row] for row in matrix], dtype=np.float64)
        png = figures.plot_heatmap(m, langs, f"Translation loss, {strategy}, N={n:.3g} (rows: source)",
                                   fig_dir / "translation_matrix.png", fmt="{:.2f}", cbar_label="nats/token",
                                   diverging=False, xlabel="target language", ylabel="source language")
        lines += ["", f"![translation matrix]({png.name})"]
    return "\n".join(lines) + "\n"


def _cap_note(alloc: dict) -> str:
    cap = alloc.get("regret_cap")
    if not cap:
        return " No regret cap: a language may be made worse off without bound."
    return (f" Regret cap: no language's predicted loss more than {100 * cap['cap']:.2g}% above its uniform-split "
            f"loss, checked under {cap['laws_checked']} law(s) (the fit and its bootstrap draws"
            + (", each draw with its own transfer matrix from the transfer bootstrap)" if cap.get("transfer_draws")
               else ")")
            + (" with the transfer and without it." if len(cap.get("transfer_scenarios", [])) > 1 else "."))


def paired_seed_changes(rows: list[dict], langs: list[str], arm: str = "optimized",
                        against: str = "uniform") -> dict[str, float]:
    """Relative change of the mean loss over ``langs``, split ``arm`` against split ``against``, for
    every seed that trained both and scored every language: ``{seed: mean_arm / mean_against - 1}``.

    Both splits of one seed start from the same initialisation, so pairing by seed removes that
    part of the run-to-run noise from the comparison."""
    table: dict[tuple[str, str], dict[str, float]] = {}
    for r in rows or []:
        table.setdefault((str(r.get("tag", "")), str(r.get("seed", ""))), {})[r["language"]] = float(r["loss"])
    changes = {}
    for (tag, seed), opt in table.items():
        uni = table.get((against, seed))
        if tag == arm and uni and all(l in opt and l in uni for l in langs):
            changes[seed] = float(np.mean([opt[l] for l in langs]) / np.mean([uni[l] for l in langs]) - 1)
    return dict(sorted(changes.items(), key=lambda kv: (len(kv[0]), kv[0])))  # "2" before "10"


def _per_language_half_widths(rows, langs: list[str], arm: str, level: float = 0.95) -> dict[str, float]:
    """Per language, half the width of the t-interval of the change of ``arm`` against uniform over
    the seeds that trained both (languages with fewer than two such seeds are left out)."""
    out = {}
    for l in langs:
        changes = list(paired_seed_changes(rows, [l], arm).values())
        if len(changes) > 1:
            out[l] = _t_half_width(float(np.std(changes, ddof=1)), len(changes), level)
    return out


def mean_interval(values, level: float = 0.95) -> tuple[float, tuple[float, float] | None]:
    """Mean and its two-sided Student-t interval (None with fewer than two values)."""
    v = np.asarray(list(values), dtype=np.float64)
    if v.size < 2:
        return float(v.mean()) if v.size else float("nan"), None
    half = _t_half_width(float(v.std(ddof=1)), v.size, level)
    return float(v.mean()), (float(v.mean()) - half, float(v.mean()) + half)


def _t_half_width(sd: float, n: int, level: float) -> float:
    """Half the width of the two-sided Student-t interval of a mean of ``n`` values with sample
    standard deviation ``sd``."""
    from scipy import stats

    return float(stats.t.ppf(0.5 + level / 2, n - 1) * sd / math.sqrt(n))


SEED_SEARCH_LIMIT = 100_000


def seeds_to_resolve(sd: float, effect: float, level: float = 0.95,
                     limit: int = SEED_SEARCH_LIMIT) -> int | None:
    """Fewest seeds per split whose paired t-interval, at a per-seed standard deviation ``sd`` of
    the change, is narrower on each side than ``|effect|``: the count at which a mean change equal
    to ``effect`` would be resolved (about even odds for a true change of that size). None when
    ``effect`` is 0 or more than ``limit`` seeds would be needed."""
    if effect == 0:
        return None
    if sd <= 0:
        return 2
    if _t_half_width(sd, limit, level) >= abs(effect):
        return None
    lo, hi = 2, limit  # the half-width falls with n: find the first n where it is below |effect|
    while lo < hi:
        mid = (lo + hi) // 2
        if _t_half_width(sd, mid, level) < abs(effect):
            hi = mid
        else:
            lo = mid + 1
    return lo


def allocation_section(out: Path, fig_dir: Path, outcome: dict):
    alloc, rows = _json(out / "alloc.json"), _rows(out, "allocation")
    if not alloc:
        return "## Allocation\n\n" + _missing("no alloc.json", outcome, "allocation"), None
    langs = list(alloc["languages"])
    per = alloc["languages"]
    predicted = {l: per[l]["predicted_loss"] / per[l]["uniform_predicted_loss"] - 1 for l in langs}
    by_seed: dict[str, dict[str, list[float]]] = {}  # tag -> language -> one loss per seed
    for r in rows or []:
        by_seed.setdefault(str(r.get("tag", "")), {}).setdefault(r["language"], []).append(float(r["loss"]))
    opt = {l: float(np.mean(v)) for l, v in by_seed.get("optimized", {}).items()}
    uni = {l: float(np.mean(v)) for l, v in by_seed.get("uniform", {}).items()}
    mir = {l: float(np.mean(v)) for l, v in by_seed.get("mirrored", {}).items()}
    # Seed-to-seed spread of one split, (max - min) / mean, the larger of the two splits'.
    spread: dict[str, float] = {}
    for per_lang in (by_seed.get("optimized", {}), by_seed.get("uniform", {})):
        for l, v in per_lang.items():
            if len(v) > 1:
                spread[l] = max(spread.get(l, 0.0), (max(v) - min(v)) / float(np.mean(v)))
    n_seeds = max((len(v) for t in by_seed.values() for v in t.values()), default=0)
    measured = {l: opt[l] / uni[l] - 1 for l in langs if l in opt and l in uni}
    control = alloc.get("mirrored")
    measured_mir = {l: mir[l] / uni[l] - 1 for l in langs if l in mir and l in uni}
    half = _per_language_half_widths(rows, langs, "optimized")
    png = figures.plot_allocation_outcome(
        langs, [per[l]["share"] for l in langs], [per[l]["uniform_share"] for l in langs], predicted, measured,
        fig_dir / "allocation.png", measured_ci=half,
        mirrored_shares=[control["languages"][l]["share"] for l in langs] if control else None,
        measured_mirrored=measured_mir or None, mirrored_ci=_per_language_half_widths(rows, langs, "mirrored"))
    transfer = _json(out / "transfer.json")
    how = (f"the fitted laws plus the transfer matrix tau fitted to the {transfer['n_points']} synergy rows "
           "(`transfer.json`: each language also counts tau_ij of language j's tokens)" if transfer
           else "the fitted laws alone (no synergy results: no transfer between languages assumed)")
    lines = ["## Allocation", "", f"N = {alloc['N_non_embedding_params']:.4g}, D = {alloc['D_total_tokens']:.4g} "
             f"tokens; predicted losses from {how}; measured ones from training both splits.{_cap_note(alloc)}", "",
             "| language | share | uniform | predicted opt. | predicted unif. | measured opt. | measured unif. | measured change "
             "(+- paired 95%) | seed spread |", "|---|---|---|---|---|---|---|---|---|"]
    for l in langs:
        m = f"{100 * measured[l]:+.2f}%" if l in measured else "no data"
        m += f" +- {100 * half[l]:.2f}" if l in measured and l in half else ""
        sp = f"{100 * spread[l]:.2f}%" if l in spread else "one seed"
        lines.append(f"| {l} | {per[l]['share']:.3f} | {per[l]['uniform_share']:.3f} | {per[l]['predicted_loss']:.4f} | "
                     f"{per[l]['uniform_predicted_loss']:.4f} | {opt.get(l, float('nan')):.4f} | "
                     f"{uni.get(l, float('nan')):.4f} | {m} | {sp} |")
    result = None
    if measured and len(measured) == len(langs):
        mo, mu = np.mean([opt[l] for l in langs]), np.mean([uni[l] for l in langs])
        worst = max(measured, key=measured.get)
        result = {"mean_change": mo / mu - 1, "worst": worst, "worst_change": measured[worst]}
        ok = mo < mu and measured[worst] <= 0.01
        lines += ["", f"Measured mean loss: optimized {mo:.4f} vs uniform {mu:.4f} ({100 * result['mean_change']:+.2f}%); "
                      f"worst language {worst} {100 * measured[worst]:+.2f}%. Target (mean lower, no language worse by "
                      f"more than 1%): **{'met' if ok else 'not met'}**."]
        if n_seeds > 1:
            result["seeds"], result["max_seed_spread"] = n_seeds, max(spread.values())
            lines[-1] += (f" Losses are means over {n_seeds} seeds per split; one split's losses differ between seeds "
                          f"by up to {100 * result['max_seed_spread']:.2f}% (seed spread); both splits of a seed start "
                          "from the same initialisation, and pairing them by seed (the intervals in the table and "
                          "below) removes the part of that spread they share.")
        seed_changes = paired_seed_changes(rows, langs)
        mean_c, ci = mean_interval(seed_changes.values())
        if ci is not None:
            result["seed_changes"], result["ci95"] = seed_changes, list(ci)
            result["resolved"] = ci[1] < 0 or ci[0] > 0
            verdict = ("excludes 0: the difference is resolved" if result["resolved"]
                       else "includes 0: these runs do not resolve the difference, whichever way the target reads")
            lines[-1] += (f" Paired by seed, the mean loss changed by {', '.join(f'{100 * c:+.2f}%' for c in seed_changes.values())} "
                          f"(seeds {', '.join(seed_changes)}); mean {100 * mean_c:+.2f}%, 95% t-interval "
                          f"[{100 * ci[0]:+.2f}%, {100 * ci[1]:+.2f}%], which {verdict}.")
            predicted_mean = (np.mean([per[l]["predicted_loss"] for l in langs])
                              / np.mean([per[l]["uniform_predicted_loss"] for l in langs]) - 1)
            sd = float(np.std(list(seed_changes.values()), ddof=1))
            need = seeds_to_resolve(sd, predicted_mean)
            result["predicted_mean_change"], result["seeds_needed"] = float(predicted_mean), need
            if not result["resolved"] and predicted_mean != 0:
                count = f"about {need:,}" if need else f"more than {SEED_SEARCH_LIMIT:,}"
                lines[-1] += (f" At this spread (standard deviation {100 * sd:.2f} points per seed) an interval "
                              f"as narrow as the predicted mean change ({100 * predicted_mean:+.2f}%) needs "
                              f"{count} seeds per split.")
        if control and result is not None:
            lines += ["", control_paragraph(control, per, langs, rows, measured_mir, result)]
    else:
        lines += ["", _missing("measured losses of both splits", outcome, "allocation").strip()]
    lines += ["", f"![allocation]({png.name})", ""]
    if transfer:
        lines += transfer_lines(transfer)
    return "\n".join(lines), result


def control_paragraph(control: dict, per: dict, langs: list[str], rows, measured_mir: dict, result: dict) -> str:
    """The control arm: the mirrored split against uniform and the optimized split against it,
    paired by seed; fills ``result["control"]``."""
    shares = ", ".join(f"{l} {control['languages'][l]['share']:.3f}" for l in langs)
    pred = control["mean_loss"] / np.mean([per[l]["uniform_predicted_loss"] for l in langs]) - 1
    text = (f"**Control.** The mirrored split ({shares}) moves as far from uniform as the optimized one, the "
            f"other way; the laws predict {100 * pred:+.2f}% for its mean loss.")
    if len(measured_mir) < len(langs):
        return text + " Its runs have not scored every language yet."
    out = {"predicted_mean_change": float(pred)}
    for key, arm, against in (("mirrored_vs_uniform", "mirrored", "uniform"),
                              ("optimized_vs_mirrored", "optimized", "mirrored")):
        mean_c, ci = mean_interval(paired_seed_changes(rows, langs, arm, against).values())
        out[key] = {"mean_change": mean_c, "ci95": None if ci is None else list(ci)}
    result["control"] = out
    worst = max(measured_mir, key=measured_mir.get)

    def said(entry):
        ci = entry["ci95"]
        return f"{100 * entry['mean_change']:+.2f}%" + ("" if ci is None else
                                                       f" (paired 95% t-interval [{100 * ci[0]:+.2f}%, {100 * ci[1]:+.2f}%])")

    mvu, ovm = out["mirrored_vs_uniform"], out["optimized_vs_mirrored"]
    text += (f" Measured against uniform: {said(mvu)}, worst language {worst} {100 * measured_mir[worst]:+.2f}%; "
             f"the optimized split against the mirrored one: {said(ovm)}.")
    if mvu["ci95"] is not None and mvu["ci95"][1] < 0:
        text += (" The mirrored split is resolved lower than uniform too: moving off the uniform split helps by "
                 "itself here, so the optimized split's gain cannot be credited to the direction the laws chose.")
    elif ovm["ci95"] is not None and ovm["ci95"][1] < 0:
        text += " The optimized split is resolved lower than its mirror: the direction the laws chose matters."
    else:
        text += " Neither comparison with the mirror is resolved by these runs."
    return text


def _f2(x: float) -> str:
    """Two decimals; magnitudes of 1,000 and more (a bootstrap draw that ran off) in three digits
    with an exponent, so a cell never grows into hundreds of digits."""
    if abs(x) >= 1e3:
        return f"{x:.2e}"
    return f"{x:.2f}".replace("-0.00", "0.00")


def transfer_lines(transfer: dict) -> list[str]:
    """The fitted transfer matrix tau, with its bootstrap intervals when ``transfer.json`` has them."""
    langs = transfer["languages"]
    tau = np.asarray(transfer["tau"], dtype=np.float64)
    ci = transfer.get("tau_ci95")
    boot = transfer.get("bootstrap") or {}
    lines = ["### Transfer matrix", "",
             "tau_ij: the share of language j's tokens that counts as language i's own (rows: target, columns: "
             f"auxiliary), fitted to the {transfer['n_points']} synergy rows with the laws held fixed."]
    if ci:
        lines[-1] += (f" Brackets: 95% bootstrap intervals over {boot.get('usable', '?')} of {boot.get('resamples', '?')} "
                      "refits, each with one bootstrap draw of the laws, the synergy losses perturbed by residuals of "
                      "the scaling fit, and the runs resampled.")
    lines += ["", "| target \\ aux | " + " | ".join(langs) + " |", "|---" * (len(langs) + 1) + "|"]
    resolved = total = 0
    for i, li in enumerate(langs):
        cells = []
        for j in range(len(langs)):
            if i == j:
                cells.append("-")
                continue
            lo = ci["lo"][i][j] if ci else None
            hi = ci["hi"][i][j] if ci else None
            if lo is None or hi is None:
                cells.append(_f2(tau[i, j]))
                continue
            total += 1
            resolved += int(lo > 0 or hi < 0)
            cells.append(f"{_f2(tau[i, j])} [{_f2(lo)}, {_f2(hi)}]")
        lines.append(f"| {li} | " + " | ".join(cells) + " |")
    if total:
        lines += ["", f"{resolved} of {total} intervals exclude 0 (transfer resolved in sign); the others are "
                      "consistent with no transfer at all."]
    off = [(langs[i], langs[j], tau[i, j]) for i in range(len(langs)) for j in range(len(langs))
           if i != j and np.isfinite(tau[i, j]) and tau[i, j] > TAU_PLAUSIBLE_MAX]
    if off:
        pairs = ", ".join(f"{a} <- {b} {_f2(t)}" for a, b, t in off)
        lines += ["", f"**Warning: the transfer fit ran off for {len(off)} pair(s)** ({pairs}): tau above "
                      f"{TAU_PLAUSIBLE_MAX:g} credits a language with more than {TAU_PLAUSIBLE_MAX:g} of its own tokens "
                      "per token of another, which usually means the laws do not describe the synergy runs' size "
                      "and budget (the transfer absorbs their error). Predictions and the allocation that use this "
                      "matrix are not to be trusted; fit the transfer on runs inside the laws' fitted range."]
    return lines + [""]


def _rank_agreement(ours: dict[str, float], theirs: dict[str, float]) -> float | None:
    common = [l for l in ours if l in theirs]
    if len(common) < 3:
        return None
    from scipy.stats import kendalltau

    return float(kendalltau([ours[l] for l in common], [theirs[l] for l in common]).statistic)


def comparison_section(laws: dict, syn, pairing, alloc_result) -> str:
    """Side by side with the study's findings; each line says agree / differ / cannot compare."""
    lines = ["## Side by side with the study", "",
             f"Reference: {paper.CITATION}. The study's sizes are 0.1-3.1B parameters and 2-64B tokens; a CPU preset's "
             "are about 1e5-1e6 parameters and 1e4-1e5 tokens, and the study does not state its units of N and D, "
             "so only directions and orderings are compared. The study's synergy numbers are over its seven "
             "languages; this run's over the pairs it measured.", "", "| finding | study | this run | verdict |", "|---|---|---|---|"]
    ref = paper.PER_LANGUAGE
    if laws:
        common = [l for l in laws if l in ref]
        ours_floor = {l: laws[l]["L_inf"] for l in common}
        tau = _rank_agreement(ours_floor, {l: ref[l][2] for l in common})
        order_o = " < ".join(sorted(common, key=ours_floor.get))
        order_p = " < ".join(sorted(common, key=lambda l: ref[l][2]))
        verdict = "too few languages to rank (need 3)" if tau is None else ("agree" if tau > 0.5 else ("partly" if tau > 0 else "differ"))
        at_zero = [l for l in common if ours_floor[l] < FLOOR_AT_ZERO]
        if len(at_zero) >= 2:  # ties at the bound: any ordering among them is arbitrary
            verdict, tau = f"not comparable: {len(at_zero)} of {len(common)} floors fitted at 0 (budgets too small)", None
        lines.append(f"| ordering of floors L_inf | {order_p} | {order_o} | {verdict} (Kendall tau "
                     f"{'n/a' if tau is None else f'{tau:.2f}'}) |")
        for key, idx in (("alpha_N", 0), ("alpha_D", 1)):
            tau = _rank_agreement({l: laws[l][key] for l in common}, {l: ref[l][idx] for l in common})
            ours = ", ".join(f"{l} {laws[l][key]:.3f}" for l in common)
            theirs = ", ".join(f"{l} {ref[l][idx]:.3f}" for l in common)
            verdict = "too few languages to rank (need 3)" if tau is None else ("agree" if tau > 0.5 else ("partly" if tau > 0 else "differ"))
            lines.append(f"| {key} per language (rank) | {theirs} | {ours} | {verdict} (Kendall tau "
                         f"{'n/a' if tau is None else f'{tau:.2f}'}) |")
        data_wins = []
        for l in common:
            e = laws[l]
            n, d = e.get("_n_max"), e.get("_d_max")
            if n is None or d is None:
                continue
            base = figures.law_curve([e[k] for k in LAW_KEYS], n, d)
            gain_d = base - figures.law_curve([e[k] for k in LAW_KEYS], n, 2 * d)
            gain_n = base - figures.law_curve([e[k] for k in LAW_KEYS], 2 * n, d)
            data_wins.append((l, bool(gain_d > gain_n)))
        if data_wins:
            yes = [l for l, w in data_wins if w]
            verdict = "agree" if len(yes) == len(data_wins) else ("partly" if yes else "differ")
            lines.append(f"| doubling data beats doubling parameters, every language | yes (alpha_D > alpha_N in every "
                         f"language) | at the largest grid point: {len(yes)}/{len(data_wins)} languages "
                         f"({', '.join(yes) or 'none'}) | {verdict} |")
    else:
        lines.append("| per-language laws | Figure 2 | no fitted laws | no data |")
    if syn is not None:
        rel = syn.relative
        off = ~np.eye(len(syn.languages), dtype=bool) & np.isfinite(rel)
        ref_rel = paper.synergy_table().relative
        ref_off = ~np.eye(len(paper.SYNERGY_LANGUAGES), dtype=bool)
        ours_pos, ref_pos = float((rel[off] > 0).mean()) if off.any() else float("nan"), float((ref_rel[ref_off] > 0).mean())
        lines.append(f"| sign of synergy (share of pairs that help) | {100 * ref_pos:.0f}% (Python is the exception) "
                     f"| {100 * ours_pos:.0f}% of {int(off.sum())} measured pairs | "
                     f"{'agree' if abs(ours_pos - ref_pos) < 0.25 else 'differ'} |")
        lines.append(f"| size of synergy (mean relative gain) | {100 * ref_rel[ref_off].mean():+.2f}% | "
                     f"{100 * rel[off].mean():+.2f}% | {'agree' if np.sign(rel[off].mean()) == np.sign(ref_rel[ref_off].mean()) else 'differ'} in sign |")
    else:
        lines.append("| synergy | Table 1 | no synergy runs | no data |")
    if pairing and "paired" in pairing and "shuffled" in pairing:
        p, s = pairing["paired"], pairing["shuffled"]
        common = [n for n in p[0] if n in s[0]]
        wins = sum(p[1][list(p[0]).index(n)] < s[1][list(s[0]).index(n)] for n in common)
        lines.append(f"| parallel pairing lowers loss | yes, at every size (Fig. 3, Table 3) | paired lower at {wins}/"
                     f"{len(common)} sizes (loss of the scored language, not translation loss) | "
                     f"{'agree' if wins == len(common) and common else ('partly' if wins else 'differ')} |")
    else:
        lines.append("| parallel pairing | Fig. 3, Table 3 | no paired/shuffled runs | no data |")
    if alloc_result:
        ctl, against_mirror = alloc_result.get("control", {}).get("optimized_vs_mirrored"), ""
        if ctl and ctl.get("ci95"):
            lo, hi = ctl["ci95"]
            against_mirror = (f"; against the mirrored split {100 * ctl['mean_change']:+.2f}% [{100 * lo:+.2f}%, "
                              f"{100 * hi:+.2f}%]{', resolved' if hi < 0 or lo > 0 else ''}")
        lines.append(f"| optimized allocation beats uniform | yes (BLEU 13.3 -> 13.9, Pass@1 19.8 -> 21.3; inferred) | "
                     f"mean validation loss {100 * alloc_result['mean_change']:+.2f}%{against_mirror} | "
                     f"{'agree' if alloc_result['mean_change'] < 0 else 'differ'} (different metric"
                     f"{'' if alloc_result.get('resolved', True) else '; not resolved over seeds'}) |")
    else:
        lines.append("| optimized allocation | Fig. 5 | no measured allocation runs | no data |")
    return "\n".join(lines) + "\n"


def write_report(out: str | Path, preset_name: str = "", outcome: dict | None = None) -> Path:
    """Write ``OUT/report/report.md`` and its PNGs; returns the path of report.md."""
    out = Path(out)
    outcome = outcome or {}
    fig_dir = out / "report"
    fig_dir.mkdir(parents=True, exist_ok=True)
    problems = unreadable_inputs(out)
    for problem in problems:
        print(f"[report] warning: {problem}", file=sys.stderr, flush=True)
    laws_md, laws = laws_section(out, fig_dir, outcome)
    scaling = _rows(out, "scaling") or []
    for lang, rs in by_language(scaling).items():
        if lang in laws:
            laws[lang]["_n_max"] = max(r["params"] for r in rs)
            laws[lang]["_d_max"] = max(r["tokens"] for r in rs)
    extra_md, mean_err = extrapolation_section(laws, outcome)
    syn_md, syn = synergy_section(out, fig_dir, outcome)
    pair_md, pairing = pairing_section(out, fig_dir, outcome)
    alloc_md, alloc_result = allocation_section(out, fig_dir, outcome)
    head = [f"# Multilingual code scaling study: report{f' (preset {preset_name})' if preset_name else ''}", ""]
    if outcome:
        head += ["Stages of the call that wrote this report: " + "; ".join(f"{k}: {v}" for k, v in outcome.items()), ""]
    if problems:
        head += ["**Unreadable inputs** (the sections that need them say \"no data\"): "
                 + "; ".join(problems) + ".", ""]
    head += ["Headline: " + "; ".join(filter(None, [
        f"{len(laws)} laws fitted from {len(scaling)} runs" if laws else "no laws fitted",
        f"extrapolation error {100 * mean_err:.2f}% (target <= 2%)" if mean_err is not None else None,
        (f"optimized vs uniform measured mean loss {100 * alloc_result['mean_change']:+.2f}%"
         + (f" (95% interval over seeds [{100 * alloc_result['ci95'][0]:+.2f}%, {100 * alloc_result['ci95'][1]:+.2f}%])"
            if "ci95" in alloc_result else "")) if alloc_result else None,
    ])) + ".", ""]
    text = "\n".join(head + [laws_md, extra_md, syn_md, pair_md, alloc_md, comparison_section(laws, syn, pairing,
                                                                                               alloc_result)])
    path = fig_dir / "report.md"
    atomic_write_text(path, text)
    return path
