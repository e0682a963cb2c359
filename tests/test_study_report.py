"""Report generation from synthetic study files: figures written, sections present, gaps said plainly."""

from __future__ import annotations

import json

import numpy as np
import pytest

from codescale_jax.study.report import write_report
from codescale_jax.study.results import write_csv

LANGS = ("python", "java", "go")
THETA = {"python": (400.0, 900.0, 0.35, 0.45, 1.2), "java": (300.0, 700.0, 0.30, 0.40, 0.9),
         "go": (350.0, 800.0, 0.33, 0.42, 1.0)}


def _law(theta, n, d):
    a, b, an, ad, e = theta
    return a * n ** -an + b * d ** -ad + e


def _study(tmp_path):
    out = tmp_path / "study"
    rows = []
    for lang in LANGS:
        for n in (1e5, 2e5, 4e5):
            for d in (1e4, 2e4, 4e4):
                rows.append({"run_id": f"{lang}-{n:g}-{d:g}", "language": lang, "params": n, "tokens": d,
                             "loss": _law(THETA[lang], n, d), "mixture": {lang: 1.0}, "strategy": "monolingual"})
    write_csv(rows, out / "results" / "scaling.csv")
    laws = {}
    for lang in LANGS:
        a, b, an, ad, e = THETA[lang]
        draws = [[a * (1 + s), b, an, ad, e * (1 + s)] for s in np.linspace(-0.02, 0.02, 9)]
        laws[lang] = {"A": a, "B": b, "alpha_N": an, "alpha_D": ad, "L_inf": e, "n_points": 9,
                      "ci95": {"A": [a * 0.9, a * 1.1], "B": [b * 0.9, b * 1.1], "alpha_N": [an - 0.05, an + 0.05],
                               "alpha_D": [ad - 0.05, ad + 0.05], "L_inf": [e - 0.1, e + 0.1]},
                      "bootstrap_draws": draws,
                      "holdout": {"rule": "largest=1", "n_fit": 6, "n_heldout": 3, "heldout_mean_rel_error": 0.013,
                                  "heldout_max_rel_error": 0.02, "insample_mean_rel_error": 0.004}}
    (out / "laws.json").write_text(json.dumps({"laws": laws}))
    syn = []
    for t in LANGS:
        syn.append({"run_id": f"base-{t}", "language": t, "params": 1e5, "tokens": 1e4, "loss": 2.0,
                    "mixture": {t: 1.0}})
        for a in LANGS:
            if a != t:
                syn.append({"run_id": f"{t}-{a}", "language": t, "params": 1e5, "tokens": 1e4,
                            "loss": 2.0 - 0.02 * (LANGS.index(a) + 1), "mixture": {t: 0.5, a: 0.5}})
    write_csv(syn, out / "results" / "synergy.csv")
    pairing = [{"run_id": f"{s}-{n:g}", "language": "python", "params": n, "tokens": 1e4, "strategy": s,
                "loss": (2.0 if s == "shuffled" else 1.9) - 0.1 * k, "mixture": {"python": 0.5}}
               for s in ("paired", "shuffled") for k, n in enumerate((1e5, 2e5))]
    write_csv(pairing, out / "results" / "pairing.csv")
    for r in pairing:
        k = len(LANGS)
        mat = [[None if i == j else 1.0 + 0.1 * i + 0.01 * j for j in range(k)] for i in range(k)]
        doc = {"languages": list(LANGS), "loss_matrix": mat, "mean_loss": 1.1, "mean_loss_unseen": 1.2,
               "mean_loss_seen": 0.9 if r["strategy"] == "paired" else 1.0}
        (out / "runs" / r["run_id"] / "eval").mkdir(parents=True)
        (out / "runs" / r["run_id"] / "eval" / "translation.json").write_text(json.dumps(doc))
    shares = {"python": 0.5, "java": 0.3, "go": 0.2}
    alloc = {"N_non_embedding_params": 2e5, "D_total_tokens": 8e4, "languages": {
        l: {"share": shares[l], "uniform_share": 1 / 3, "predicted_loss": 1.0 + 0.01 * k,
            "uniform_predicted_loss": 1.02 + 0.01 * k} for k, l in enumerate(LANGS)}}
    (out / "alloc.json").write_text(json.dumps(alloc))
    arms = [{"run_id": f"alloc-{tag}", "language": l, "params": 2e5, "tokens": 8e4, "tag": tag,
             "loss": (1.0 if tag == "optimized" else 1.03) + 0.01 * k, "mixture": shares}
            for tag in ("optimized", "uniform") for k, l in enumerate(LANGS)]
    write_csv(arms, out / "results" / "allocation.csv")
    return out


def test_full_report_has_every_section_and_figure(tmp_path):
    out = _study(tmp_path)
    path = write_report(out, preset_name="synthetic")
    text = path.read_text()
    for heading in ("## Per-language laws", "## Extrapolation check", "## Synergy", "## Parallel pairing",
                    "## Allocation", "## Side by side with the study"):
        assert heading in text
    for png in ["law_python.png", "law_java.png", "law_go.png", "synergy.png", "pairing.png", "allocation.png",
                "translation_matrix.png"]:
        f = out / "report" / png
        assert f.is_file() and f.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", png
        assert f"]({png})" in text
    assert "1.30%" in text and "meets" in text  # the mean held-out error of the three laws
    assert "Target (mean lower, no language worse by more than 1%): **met**" in text
    # go's auxiliary benefit is largest in the synthetic matrix: every off-diagonal cell is positive
    assert "100% of 6 measured pairs" in text
    assert "paired lower at 2/2 sizes" in text
    assert "| paired | 2e+05 | 0.9000 | 1.2000 | 1.1000 |" in text
    assert "ordering of floors" in text and "No data" not in text


def test_missing_data_is_reported_not_invented(tmp_path):
    out = tmp_path / "empty"
    path = write_report(out, outcome={"scaling": "failed: boom"})
    text = path.read_text()
    assert text.count("_No data:") >= 4
    assert "failed: boom" in text
    assert "| per-language laws | Figure 2 | no fitted laws | no data |" in text
    assert not list((out / "report").glob("*.png"))


def test_allocation_uses_transfer_fitted_on_synergy_runs(tmp_path):
    """With synergy results present, the allocation stage writes transfer.json (tau of the
    transfer form fitted to them) and recovers a transfer planted in synthetic rows."""
    import json as _json

    import numpy as np

    from codescale_jax.study import stages
    from codescale_jax.study.results import write_csv

    langs = ["python", "java"]
    theta = {"python": dict(A=400.0, B=300.0, alpha_N=0.3, alpha_D=0.28, L_inf=1.5),
             "java": dict(A=350.0, B=280.0, alpha_N=0.32, alpha_D=0.3, L_inf=1.2)}
    tau_true = {"python": 0.4, "java": 0.1}  # share of the other language's tokens that counts
    rows = []
    for n in (1e5, 2e5, 4e5):
        for total in (4e4, 8e4, 1.6e5):
            for lang in langs:
                other = "java" if lang == "python" else "python"
                p = theta[lang]
                d_eff = 0.5 * total + tau_true[lang] * 0.5 * total
                loss = p["A"] * n ** -p["alpha_N"] + p["B"] * d_eff ** -p["alpha_D"] + p["L_inf"]
                rows.append({"language": lang, "params": n, "tokens": total, "loss": loss,
                             "mixture": _json.dumps({lang: 0.5, other: 0.5}), "run_id": f"{lang}{other}{n}{total}"})
    write_csv(rows, tmp_path / "results" / "synergy.csv")
    path = stages.fit_transfer_file(tmp_path, theta, langs)
    doc = _json.loads(path.read_text())
    tau = np.array(doc["tau"])
    assert abs(tau[0, 1] - 0.4) < 0.02 and abs(tau[1, 0] - 0.1) < 0.02
    assert stages.fit_transfer_file(tmp_path / "none", theta, langs) is None  # no synergy results: off


def test_floors_fitted_at_zero_are_not_ranked():
    from codescale_jax.study.report import comparison_section

    law = {"A": 100.0, "B": 100.0, "alpha_N": 0.3, "alpha_D": 0.3}
    laws = {l: dict(law, L_inf=f) for l, f in (("python", 0.0), ("java", 1e-9), ("go", 1.2), ("rust", 0.8))}
    text = comparison_section(laws, None, None, None)
    assert "not comparable: 2 of 4 floors fitted at 0" in text
    laws["java"]["L_inf"] = 0.9
    assert "not comparable" not in comparison_section(laws, None, None, None)


def test_floors_on_the_bound_print_as_zero_and_are_named(tmp_path):
    from codescale_jax.study.report import laws_section

    out = _study(tmp_path)
    doc = json.loads((out / "laws.json").read_text())
    doc["laws"]["java"]["L_inf"] = 1.718e-14
    doc["laws"]["java"]["ci95"]["L_inf"] = [5.98e-248, 2.17]
    (out / "laws.json").write_text(json.dumps(doc))
    text, _ = laws_section(out, tmp_path / "figs", {})
    java = next(line for line in text.splitlines() if line.startswith("| java |"))
    assert java.endswith("| 0 [0, 2.17] |") and "e-14" not in java and "e-248" not in java
    assert "L_inf = 0 (java): the fit rests on its bound" in text
    python = next(line for line in text.splitlines() if line.startswith("| python |"))
    assert python.endswith("| 1.2 [1.1, 1.3] |")


def test_transfer_that_ran_off_is_flagged_under_the_matrix():
    from codescale_jax.study.report import transfer_lines

    tau = [[0.0, 4.67e24, 0.5], [0.3, 0.0, 2.4], [0.1, 0.2, 0.0]]
    doc = {"languages": ["python", "java", "go"], "tau": tau, "n_points": 6}
    text = "\n".join(transfer_lines(doc))
    assert "Warning: the transfer fit ran off for 1 pair(s)** (python <- java 4.67e+24)" in text
    doc["tau"][0][1] = 0.7
    assert "Warning" not in "\n".join(transfer_lines(doc))


def test_allocation_with_seeds_averages_and_states_the_spread(tmp_path):
    out = _study(tmp_path)
    shares = {"python": 0.5, "java": 0.3, "go": 0.2}
    # Two seeds per split: optimized 1.00 / 1.04 (mean 1.02) and uniform 1.02 / 1.04 (mean 1.03).
    arms = [{"run_id": f"alloc-{tag}-s{seed}", "language": l, "params": 2e5, "tokens": 8e4, "tag": tag, "seed": seed,
             "loss": {"optimized": (1.00, 1.04), "uniform": (1.02, 1.04)}[tag][seed] + 0.0 * k, "mixture": shares}
            for seed in (0, 1) for tag in ("optimized", "uniform") for k, l in enumerate(LANGS)]
    write_csv(arms, out / "results" / "allocation.csv")
    text = write_report(out, preset_name="synthetic").read_text()
    # paired over the two seeds: -1.96% and 0.00%, half-width 12.706 * sd / sqrt(2) = 12.46 points
    assert "| python | 0.500 | 0.333 | 1.0000 | 1.0200 | 1.0200 | 1.0300 | -0.97% +- 12.46 | 3.92% |" in text
    assert "means over 2 seeds per split" in text and "up to 3.92% (seed spread)" in text
    assert "**met**" in text  # mean lower, nobody worse


def _seeded_arms(per_seed: dict[int, tuple[float, float]]):
    shares = {"python": 0.5, "java": 0.3, "go": 0.2}
    return [{"run_id": f"alloc-{tag}-s{seed}", "language": l, "params": 2e5, "tokens": 8e4, "tag": tag, "seed": seed,
             "loss": losses[0 if tag == "optimized" else 1], "mixture": shares}
            for seed, losses in per_seed.items() for tag in ("optimized", "uniform") for l in LANGS]


def test_allocation_pairs_seeds_and_says_whether_the_change_is_resolved(tmp_path):
    """Per-seed changes -1%, -2%, -3%: mean -2%, t-interval -2% +- 4.303 * 1% / sqrt(3) (includes 0)."""
    from codescale_jax.study.report import allocation_section

    out = _study(tmp_path)
    write_csv(_seeded_arms({0: (0.99, 1.0), 1: (0.98, 1.0), 2: (0.97, 1.0)}), out / "results" / "allocation.csv")
    text, result = allocation_section(out, tmp_path, {})
    half = 4.302652729911275 * 0.01 / 3 ** 0.5
    assert result["seed_changes"] == pytest.approx({"0": -0.01, "1": -0.02, "2": -0.03})
    assert result["ci95"] == pytest.approx([-0.02 - half, -0.02 + half])
    assert result["resolved"] is False
    assert "-1.00%, -2.00%, -3.00% (seeds 0, 1, 2)" in text and "includes 0: these runs do not resolve" in text
    # The seeds' standard deviation is 1 point; the laws predicted a mean change of
    # mean(1.0, ...) / mean(1.02, ...) - 1 (alloc.json of _study), resolved at the first n whose
    # t-interval half-width drops below it.
    from scipy import stats

    n, pm = result["seeds_needed"], result["predicted_mean_change"]
    half_width = lambda n: stats.t.ppf(0.975, n - 1) * 0.01 / n ** 0.5
    assert half_width(n) < abs(pm) <= half_width(n - 1)
    assert "standard deviation 1.00 points per seed" in text and f"needs about {n:,} seeds per split" in text
    report = write_report(out, preset_name="synthetic").read_text()
    assert f"(95% interval over seeds [{100 * (-0.02 - half):+.2f}%, {100 * (-0.02 + half):+.2f}%])" in report
    assert "agree (different metric; not resolved over seeds)" in report

    # Three seeds that agree closely: the interval excludes 0.
    write_csv(_seeded_arms({0: (0.979, 1.0), 1: (0.98, 1.0), 2: (0.981, 1.0)}), out / "results" / "allocation.csv")
    text, result = allocation_section(out, tmp_path, {})
    assert result["resolved"] is True and "excludes 0: the difference is resolved" in text
    assert "agree (different metric) |" in write_report(out, preset_name="synthetic").read_text()


def test_paired_seed_changes_skips_seeds_without_both_splits_on_every_language():
    from codescale_jax.study.report import mean_interval, paired_seed_changes

    rows = _seeded_arms({0: (0.99, 1.0), 1: (0.98, 1.0), 2: (0.97, 1.0)})
    rows = [r for r in rows if not (r["seed"] == 1 and r["tag"] == "uniform" and r["language"] == "go")]
    rows = [r for r in rows if not (r["seed"] == 2 and r["tag"] == "optimized")]
    assert paired_seed_changes(rows, list(LANGS)) == pytest.approx({"0": -0.01})
    many = paired_seed_changes(_seeded_arms({s: (0.99, 1.0) for s in (10, 2, 0)}), list(LANGS))
    assert list(many) == ["0", "2", "10"]  # numeric order, not string order
    assert mean_interval([0.5]) == (0.5, None)
    m, (_, hi) = mean_interval([1.0, 2.0, 3.0, 4.0])
    assert m == 2.5 and hi - m == pytest.approx(3.182446305284263 * (5 / 3) ** 0.5 / 2)


def test_seeds_to_resolve_is_the_first_count_whose_interval_is_narrower_than_the_effect():
    from scipy import stats

    from codescale_jax.study.report import seeds_to_resolve

    n = seeds_to_resolve(0.021, -0.0017)  # run 8's spread against a predicted -0.17%
    half = lambda n: stats.t.ppf(0.975, n - 1) * 0.021 / n ** 0.5
    assert half(n) < 0.0017 <= half(n - 1) and 550 < n < 650
    assert seeds_to_resolve(0.01, 0.0) is None and seeds_to_resolve(0.0, 0.01) == 2
    assert seeds_to_resolve(1.0, 1e-6) is None  # beyond the search limit


def test_transfer_bootstrap_reaches_transfer_json_the_allocator_and_the_report(tmp_path):
    """transfer.json carries tau's intervals and one draw per law draw; experiments.allocate checks
    its regret cap under those pairs; the report prints the matrix with its intervals."""
    import json as _json

    import numpy as np

    from codescale_jax.study import stages
    from codescale_jax.study.report import _cap_note, transfer_lines
    from codescale_jax.study.results import write_csv
    from experiments import allocate as allocate_cli

    langs = ["python", "java"]
    theta = {"python": dict(A=400.0, B=300.0, alpha_N=0.3, alpha_D=0.28, L_inf=1.5),
             "java": dict(A=350.0, B=280.0, alpha_N=0.32, alpha_D=0.3, L_inf=1.2)}
    names = ("A", "B", "alpha_N", "alpha_D", "L_inf")
    rng = np.random.default_rng(0)
    for lang in langs:  # law bootstrap draws: the point law with its floor moved both ways; one draw unusable
        base = np.array([theta[lang][k] for k in names])
        d = np.repeat(base[None], 40, axis=0)
        d[:, 4] += rng.permutation(np.linspace(-0.03, 0.03, 40))
        d[5, 0] = np.nan
        theta[lang]["bootstrap_draws"] = d.tolist()
    law = lambda p, n, d: p["A"] * n ** -p["alpha_N"] + p["B"] * d ** -p["alpha_D"] + p["L_inf"]  # noqa: E731
    scaling, synergy = [], []
    for n in (1e5, 2e5, 4e5):
        for total in (4e4, 8e4, 1.6e5):
            for lang in langs:
                other = "java" if lang == "python" else "python"
                p = theta[lang]
                scaling.append({"language": lang, "params": n, "tokens": total, "run_id": f"s{lang}{n}{total}",
                                "loss": law(p, n, total) * np.exp(rng.normal(0.0, 0.005))})
                synergy.append({"language": lang, "params": n, "tokens": total,
                                "loss": law(p, n, 0.5 * total * (1.4 if lang == "python" else 1.1)),
                                "mixture": _json.dumps({lang: 0.5, other: 0.5}), "run_id": f"{lang}{other}{n}{total}"})
    write_csv(scaling, tmp_path / "results" / "scaling.csv")
    write_csv(synergy, tmp_path / "results" / "synergy.csv")
    path = stages.fit_transfer_file(tmp_path, theta, langs, bootstrap=100)  # capped at the 40 law draws
    doc = _json.loads(path.read_text())
    assert doc["bootstrap"]["resamples"] == 40 and doc["bootstrap"]["usable"] == 39
    assert doc["bootstrap"]["law_draws"] and doc["bootstrap"]["residuals"]
    assert len(doc["tau_draws"]) == 40 and doc["tau_draws"][5] is None
    lo, hi = doc["tau_ci95"]["lo"], doc["tau_ci95"]["hi"]
    assert lo[0][1] < doc["tau"][0][1] < hi[0][1] and lo[0][1] < 0.4 < hi[0][1]
    assert lo[0][0] == hi[0][0] == 0.0

    laws_path = tmp_path / "laws.json"
    laws_path.write_text(_json.dumps({"format": "codescale_jax.laws/1", "laws": theta}))
    out = tmp_path / "alloc.json"
    assert allocate_cli.main(["--laws", str(laws_path), "--params", "2e5", "--tokens", "1e5", "--out", str(out),
                              "--max-regret", "0.01", "--transfer", str(path), "--gamma", "1"]) == 0
    alloc = _json.loads(out.read_text())
    regret = alloc["regret_cap"]
    assert regret["transfer_draws"] is True and regret["laws_checked"] == 40  # the fit + 39 usable pairs
    assert "each draw with its own transfer matrix" in _cap_note(alloc)

    text = "\n".join(transfer_lines(doc))
    assert "over 39 of 40 refits" in text
    assert f"| python | - | {doc['tau'][0][1]:.2f} [{lo[0][1]:.2f}, {hi[0][1]:.2f}] |" in text
    assert "intervals exclude 0" in text
    # A bound that ran off (bootstrap refits give some) prints with an exponent, not 300 digits.
    wild = _json.loads(_json.dumps(doc))
    wild["tau_ci95"]["hi"][0][1] = 4.8e230
    assert f"| python | - | {doc['tau'][0][1]:.2f} [{lo[0][1]:.2f}, 4.80e+230] |" in "\n".join(transfer_lines(wild))


def test_unreadable_inputs_are_named_at_the_head_and_the_rest_is_still_written(tmp_path, capsys):
    out = _study(tmp_path)
    (out / "laws.json").write_text('{"laws": ', encoding="utf-8")  # cut off mid-write by hand
    csv_path = out / "results" / "scaling.csv"
    header, *body = csv_path.read_text(encoding="utf-8").splitlines()
    cols = header.split(",")
    keep = [i for i, c in enumerate(cols) if c != "loss"]
    csv_path.write_text("\n".join(",".join(line.split(",")[i] for i in keep) for line in [header, *body]) + "\n",
                        encoding="utf-8")
    (out / "runs" / "paired-100000" / "eval" / "translation.json").write_text("{", encoding="utf-8")
    text = write_report(out, "test").read_text(encoding="utf-8")
    head = text.split("## ", 1)[0]
    assert "**Unreadable inputs**" in head
    assert "scaling.csv: missing column(s) loss" in head and "laws.json: not a JSON laws file" in head
    assert "## Synergy" in text and "## Allocation" in text  # the other sections are still there
    assert "| paired | 2e+05 |" in text and "| paired | 1e+05 |" not in text  # the damaged run is left out
    err = capsys.readouterr().err
    assert err.count("[report] warning:") == 3
    assert "paired-100000/eval/translation.json is not valid JSON" in err


def test_extrapolation_with_seeds_states_both_errors():
    from codescale_jax.study.report import extrapolation_section

    base = {"rule": "largest=1", "n_fit": 12, "n_heldout": 4, "heldout_max_rel_error": 0.03,
            "insample_mean_rel_error": 0.01}
    laws = {"go": {"holdout": dict(base, heldout_mean_rel_error=0.018, heldout_mean_rel_error_per_run=0.041,
                                   runs_per_point=[2])},
            "rust": {"holdout": dict(base, heldout_mean_rel_error=0.014, heldout_mean_rel_error_per_run=0.027,
                                     runs_per_point=[2])}}
    text, mean = extrapolation_section(laws, {})
    assert mean == pytest.approx(0.016)
    assert "seed means" in text and "| go | largest=1 | 12 | 4 | 1.80% | 3.00% | 1.00% | 4.10% |" in text
    assert "meets the <= 2% target" in text and "single held-out runs instead of their seed means: 3.40%" in text
    # One run per point: no per-run column, no second mean.
    single = {"go": {"holdout": dict(base, heldout_mean_rel_error=0.025)}}
    text, mean = extrapolation_section(single, {})
    assert "per run" not in text and "single held-out" not in text and "misses" in text


def _with_mirror(out, per_seed: dict[int, tuple[float, float, float]]):
    """alloc.json gains a mirrored split; rows for optimized / uniform / mirrored losses per seed."""
    doc = json.loads((out / "alloc.json").read_text())
    mirror = {"python": 1 / 6, "java": 0.3667, "go": 0.4667}
    doc["mirrored"] = {"mean_loss": 1.04, "languages": {l: {"share": mirror[l], "predicted_loss": 1.04} for l in LANGS}}
    (out / "alloc.json").write_text(json.dumps(doc))
    rows = [{"run_id": f"alloc-{tag}-s{seed}", "language": l, "params": 2e5, "tokens": 8e4, "tag": tag, "seed": seed,
             "loss": losses[k], "mixture": {}}
            for seed, losses in per_seed.items() for k, tag in enumerate(("optimized", "uniform", "mirrored"))
            for l in LANGS]
    write_csv(rows, out / "results" / "allocation.csv")


def test_allocation_control_arm_says_whether_moving_off_uniform_explains_the_gain(tmp_path):
    """The mirrored split against uniform and the optimized split against the mirror, paired by seed."""
    from codescale_jax.study.report import allocation_section

    out = _study(tmp_path)
    # The mirror is as good as the optimized split: both ~2% under uniform at every seed.
    _with_mirror(out, {0: (0.979, 1.0, 0.98), 1: (0.98, 1.0, 0.979), 2: (0.981, 1.0, 0.981)})
    text, result = allocation_section(out, tmp_path, {})
    assert result["resolved"] is True
    c = result["control"]
    assert c["mirrored_vs_uniform"]["mean_change"] == pytest.approx(-0.02, abs=1e-9)
    assert c["mirrored_vs_uniform"]["ci95"][1] < 0
    assert c["predicted_mean_change"] == pytest.approx(1.04 / 1.03 - 1)
    assert "python 0.167, java 0.367, go 0.467" in text
    assert "cannot be credited to the direction the laws chose" in text
    assert "seed spread" in text and "up to 0.20%" in text  # the spread is of the two compared splits only

    # The mirror is worse than uniform and the optimized split beats it at every seed.
    _with_mirror(out, {0: (0.979, 1.0, 1.02), 1: (0.98, 1.0, 1.021), 2: (0.981, 1.0, 1.019)})
    text, result = allocation_section(out, tmp_path, {})
    ovm = result["control"]["optimized_vs_mirrored"]
    assert ovm["ci95"][1] < 0 and "the direction the laws chose matters" in text
    side_by_side = write_report(out, preset_name="synthetic").read_text().split("## Side by side")[1]
    assert f"against the mirrored split {100 * ovm['mean_change']:+.2f}%" in side_by_side and ", resolved |" in side_by_side
    assert (tmp_path / "allocation.png").stat().st_size > 0
    # The figure's whiskers: per language, the paired 95% half-width of that arm against uniform.
    from scipy import stats

    from codescale_jax.study.report import _per_language_half_widths
    from codescale_jax.study.results import load_results

    rows = load_results(out / "results" / "allocation.csv")
    half = stats.t.ppf(0.975, 2) * np.std([0.02, 0.021, 0.019], ddof=1) / 3 ** 0.5
    assert _per_language_half_widths(rows, list(LANGS), "mirrored") == pytest.approx({l: half for l in LANGS})
    assert _per_language_half_widths(rows[:3], list(LANGS), "optimized") == {}  # one seed: no interval

    # Noisy: neither comparison resolved.
    _with_mirror(out, {0: (0.97, 1.0, 1.03), 1: (0.99, 1.0, 0.97), 2: (1.01, 1.0, 1.0)})
    text, _ = allocation_section(out, tmp_path, {})
    assert "Neither comparison with the mirror is resolved" in text
