"""The alternative law forms: each recovers data drawn from itself, and the CLI compares them."""

import json

import numpy as np
import pytest

from codescale_jax.laws import alt_forms
from experiments import compare_forms

N = np.repeat([1e5, 2e5, 4e5, 8e5], 4)
D = np.tile([1.6e4, 3.2e4, 6.4e4, 1.28e5], 4)
HELD = N == N.max()

TRUTH = {
    "additive": lambda n, d: 0.5 + 40 * n ** -0.3 + 300 * d ** -0.35,
    "multiplicative": lambda n, d: 0.4 + 900 * n ** -0.25 * d ** -0.3,
    "kaplan": lambda n, d: ((2e4 / n) ** (0.3 / 0.4) + 5e3 / d) ** 0.4 + 0.3,
    "loglinear": lambda n, d: 9.0 - 0.3 * np.log(n) - 0.4 * np.log(d) + 0.01 * np.log(n) * np.log(d),
}


@pytest.mark.parametrize("form", alt_forms.FORMS)
def test_each_form_extrapolates_data_drawn_from_itself(form):
    loss = TRUTH[form](N, D) * (1 + 0.002 * np.random.default_rng(0).standard_normal(N.size))
    errs = alt_forms.holdout_errors(N, D, loss, HELD, forms=[form], starts=24)[form]
    assert errs["insample"] < 0.005 and errs["heldout"] < 0.01, errs


def test_the_forms_disagree_where_the_data_is_not_additive():
    # On multiplicative data (N matters less when D is small) the additive form extrapolates the
    # largest size worse than the multiplicative one: the comparison can tell forms apart.
    loss = TRUTH["multiplicative"](N, D)
    errs = alt_forms.holdout_errors(N, D, loss, HELD, forms=["additive", "multiplicative"], starts=24)
    assert errs["multiplicative"]["heldout"] < 0.002
    assert errs["additive"]["heldout"] > 3 * errs["multiplicative"]["heldout"]


def test_bad_input_is_named():
    with pytest.raises(ValueError, match="unknown form 'cubic'"):
        alt_forms.fit_form("cubic", N, D, TRUTH["additive"](N, D))
    with pytest.raises(ValueError, match="cannot fit it"):
        alt_forms.fit_form("additive", N[:5], D[:5], TRUTH["additive"](N, D)[:5])
    with pytest.raises(ValueError, match="'loglinear' has 4 parameters; 4 points"):
        alt_forms.fit_form("loglinear", N[:4], D[:4], TRUTH["loglinear"](N, D)[:4])
    with pytest.raises(ValueError, match="holdout must keep some points"):
        alt_forms.holdout_errors(N, D, TRUTH["additive"](N, D), np.ones(N.size, bool))


def _csv(path, loss):
    lines = ["language,params,tokens,loss"] + [f"go,{n},{d},{x}" for n, d, x in zip(N, D, loss)]
    path.write_text("\n".join(lines) + "\n")
    return path


def test_cli_prints_the_table_and_writes_json(tmp_path, capsys):
    csv = _csv(tmp_path / "r.csv", TRUTH["loglinear"](N, D))
    out = tmp_path / "forms.json"
    assert compare_forms.main(["--results", str(csv), "--forms", "loglinear,additive", "--starts", "8",
                               "--out", str(out)]) == 0
    text = capsys.readouterr().out
    assert "holdout largest=1" in text and "go" in text and "mean" in text
    saved = json.loads(out.read_text())
    assert saved["mean_heldout"]["loglinear"] < 1e-9
    assert set(saved["languages"]["go"]) == {"loglinear", "additive"}


def test_cli_names_bad_forms_and_missing_files(tmp_path, capsys):
    csv = _csv(tmp_path / "r.csv", TRUTH["additive"](N, D))
    assert compare_forms.main(["--results", str(csv), "--forms", "cubic"]) == 2
    assert "unknown form(s) cubic" in capsys.readouterr().err
    assert compare_forms.main(["--results", str(tmp_path / "absent.csv")]) == 2
    assert "no such file" in capsys.readouterr().err
    assert compare_forms.main(["--results", str(csv), "--holdout", "largest=4"]) == 2
    assert "need 1 <= K < 4" in capsys.readouterr().err
