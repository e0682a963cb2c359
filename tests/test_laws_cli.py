"""End to end: results CSV -> fit_laws -> laws.json -> allocate -> alloc.json (+ PNGs), and CLI errors."""

import json

import numpy as np
import pytest

from experiments import allocate as allocate_cli
from experiments import fit_laws

LAWS = {"python": (300.0, 1500.0, 0.30, 0.35, 1.5), "rust": (250.0, 3000.0, 0.33, 0.40, 1.1)}


@pytest.fixture(scope="module")
def laws_json(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("cli")
    rng = np.random.default_rng(0)
    lines = ["run_id,language,params,tokens,loss"]
    for lang, (a, b, an, ad, e) in LAWS.items():
        for n in np.geomspace(1e7, 3e9, 6):
            for d in np.geomspace(1e9, 3e11, 5):
                loss = (a * n ** -an + b * d ** -ad + e) * np.exp(0.003 * rng.standard_normal())
                lines.append(f"{lang}-{n:.0f}-{d:.0f},{lang},{n},{d},{loss}")
    csv = tmp / "results.csv"
    csv.write_text("\n".join(lines) + "\n")
    out = tmp / "laws.json"
    rc = fit_laws.main(["--results", str(csv), "--out", str(out), "--starts", "coarse", "--bootstrap", "20",
                        "--holdout", "largest=1", "--plot"])
    assert rc == 0
    return out


def test_laws_json_contents(laws_json):
    doc = json.loads(laws_json.read_text())
    assert "non-embedding" in doc["units"]["N"] and "tokens" in doc["units"]["D"]
    for lang, truth in LAWS.items():
        e = doc["laws"][lang]
        for k in ("A", "B", "alpha_N", "alpha_D", "L_inf", "ci95", "n_points", "objective", "diagnostics", "holdout"):
            assert k in e, k
        assert e["n_points"] == 30
        assert e["alpha_N"] == pytest.approx(truth[2], abs=0.05)
        assert set(e["ci95"]) >= {"A", "B", "alpha_N", "alpha_D", "L_inf", "N_opt_exponent", "D_opt_exponent"}
        assert e["diagnostics"]["r2"] > 0.99 and e["diagnostics"]["mean_rel_error"] < 0.01
        assert e["holdout"]["n_heldout"] == 5 and e["holdout"]["heldout_mean_rel_error"] < 0.02
        # Law-shaped data (0.3% noise) has no curve that steepens beyond the 5% tolerance.
        assert e["shape"]["along_D"]["pairs"] == 18 and e["shape"]["along_N"]["pairs"] == 20
        assert e["shape"]["along_D"]["steepening"] == 0 and e["shape"]["along_N"]["steepening"] == 0
        # A and B are for raw counts: the file alone reproduces the predicted loss.
        n, d = 1e9, 1e11
        pred = e["A"] * n ** -e["alpha_N"] + e["B"] * d ** -e["alpha_D"] + e["L_inf"]
        true = truth[0] * n ** -truth[2] + truth[1] * d ** -truth[3] + truth[4]
        assert pred == pytest.approx(true, rel=0.01)
    plots = laws_json.parent / "plots"
    assert (plots / "fit_python.png").stat().st_size > 10_000
    assert (plots / "residuals_rust.png").exists()


def test_allocate_cli(laws_json, capsys):
    out = laws_json.parent / "alloc.json"
    rc = allocate_cli.main(["--laws", str(laws_json), "--params", "1e9", "--tokens", "1e11", "--out", str(out),
                            "--min-share", "0.1", "--plot"])
    assert rc == 0
    table = capsys.readouterr().out
    assert "python" in table and "uniform" in table
    doc = json.loads(out.read_text())
    shares = [doc["languages"][k]["share"] for k in LAWS]
    assert sum(shares) == pytest.approx(1.0, abs=1e-9) and min(shares) >= 0.1 - 1e-9
    assert doc["mean_loss"] <= doc["uniform_mean_loss"] + 1e-12
    assert doc["bootstrap_spread"]["n_draws"] == 20
    assert out.with_suffix(".png").stat().st_size > 5_000
    assert "mirrored" not in doc
    # --mirror: the control arm's split, the optimized move reversed, and its predicted losses.
    assert allocate_cli.main(["--laws", str(laws_json), "--params", "1e9", "--tokens", "1e11", "--out", str(out),
                              "--mirror"]) == 0
    assert "mirrored split (control):" in capsys.readouterr().out
    doc = json.loads(out.read_text())
    for k in LAWS:
        v, m = doc["languages"][k], doc["mirrored"]["languages"][k]
        assert m["share"] == pytest.approx(2 * v["uniform_share"] - v["share"], abs=1e-9)  # no share below 0 here
    assert sum(m["share"] for m in doc["mirrored"]["languages"].values()) == pytest.approx(1.0)
    assert doc["mirrored"]["mean_loss"] > doc["uniform_mean_loss"]  # away from the optimum: worse than uniform


def test_allocate_cli_regret_cap(laws_json, capsys):
    out = laws_json.parent / "alloc_cap.json"
    args = ["--laws", str(laws_json), "--params", "1e9", "--tokens", "1e11", "--out", str(out)]
    assert allocate_cli.main(args) == 0
    free = json.loads(out.read_text())
    worst_free = max(v["predicted_loss"] / v["uniform_predicted_loss"] - 1 for v in free["languages"].values())
    assert worst_free > 0.002  # without a cap one language pays
    assert allocate_cli.main(args + ["--max-regret", "0.002"]) == 0
    assert "regret cap 0.2% over 21 law(s)" in capsys.readouterr().out
    doc = json.loads(out.read_text())
    assert doc["regret_cap"]["laws_checked"] == 21  # the fit and its 20 bootstrap draws
    assert max(doc["regret_cap"]["max_predicted_regret"].values()) <= 0.002 + 1e-9
    for v in doc["languages"].values():
        assert v["predicted_loss"] / v["uniform_predicted_loss"] - 1 <= 0.002 + 1e-9
    assert free["mean_loss"] <= doc["mean_loss"] <= doc["uniform_mean_loss"] + 1e-12
    assert allocate_cli.main(args + ["--max-regret", "0.002", "--regret-over", "point"]) == 0
    assert json.loads(out.read_text())["regret_cap"]["laws_checked"] == 1
    assert allocate_cli.main(args + ["--max-regret", "-1"]) == 2
    assert "max_regret" in capsys.readouterr().err
    # A bootstrap refit that overflowed (A = inf) is left out with a note, not an error.
    doc = json.loads(laws_json.read_text())
    doc["laws"]["rust"]["bootstrap_draws"][3][0] = float("inf")
    bad = laws_json.parent / "laws_inf.json"
    bad.write_text(json.dumps(doc))
    assert allocate_cli.main(["--laws", str(bad)] + args[2:] + ["--max-regret", "0.002"]) == 0
    assert "1 of 20 bootstrap draws have non-finite constants" in capsys.readouterr().out
    assert json.loads(out.read_text())["regret_cap"]["laws_checked"] == 20
    # laws.json writes such a draw as null (strict JSON): the same note.
    doc["laws"]["rust"]["bootstrap_draws"][3][0] = None
    bad.write_text(json.dumps(doc))
    assert allocate_cli.main(["--laws", str(bad)] + args[2:] + ["--max-regret", "0.002"]) == 0
    assert "1 of 20 bootstrap draws have non-finite constants" in capsys.readouterr().out


def test_cli_errors(tmp_path, capsys):
    bad = tmp_path / "bad.csv"
    bad.write_text("language,params,tokens\npython,1,2\n")
    assert fit_laws.main(["--results", str(bad), "--out", str(tmp_path / "x.json")]) == 2
    assert "missing column" in capsys.readouterr().err
    few = tmp_path / "few.csv"
    few.write_text("params,tokens,loss\n" + "".join(f"{1e6 * (i + 1)},{1e8},{2.0 - 0.1 * i}\n" for i in range(4)))
    assert fit_laws.main(["--results", str(few), "--out", str(tmp_path / "x.json"), "--starts", "coarse"]) == 2
    assert "at least 6" in capsys.readouterr().err
    rc = allocate_cli.main(["--preset", "paper", "--languages", "python,java", "--params", "1e9", "--tokens", "1e11",
                            "--out", str(tmp_path / "a.json")])
    assert rc == 2
    err = capsys.readouterr().err
    assert "python: A, B" in err and "java: A, B" in err


def test_allocate_cli_names_what_a_transfer_file_lacks(laws_json, capsys):
    out = laws_json.parent / "alloc_tau.json"
    args = ["--laws", str(laws_json), "--params", "1e9", "--tokens", "1e11", "--out", str(out), "--gamma", "1"]
    partial = laws_json.parent / "tau_partial.json"
    partial.write_text(json.dumps({"languages": ["python"], "tau": [[0.0]]}))
    assert allocate_cli.main(args + ["--transfer", str(partial)]) == 2
    err = capsys.readouterr().err
    assert "no transfer for" in err and "it covers python" in err
    other = laws_json.parent / "tau_other.json"
    other.write_text(json.dumps({"matrix": []}))
    assert allocate_cli.main(args + ["--transfer", str(other)]) == 2
    assert "not a transfer file" in capsys.readouterr().err
    k = len(LAWS)
    wrong = laws_json.parent / "tau_wrong.json"
    wrong.write_text(json.dumps({"languages": list(LAWS), "tau": [[0.0] * (k - 1)] * k}))
    assert allocate_cli.main(args + ["--transfer", str(wrong)]) == 2
    assert "not one row and column per language" in capsys.readouterr().err
    assert not out.exists()
