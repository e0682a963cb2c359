"""Synergy matrix, transfer fit, the study's presets and the paper's mixture form."""

import json

import numpy as np
import pytest

from codescale_jax.laws import forms, presets, synergy, transfer

LANGS = ("python", "java", "go")
PARAMS = np.array([[400.0, 2000.0, 0.34, 0.37, 0.6], [500.0, 1500.0, 0.30, 0.33, 0.4], [350.0, 4000.0, 0.36, 0.42, 0.45]])


def test_preset_synergy_reproduces_printed_percentages():
    rel = presets.synergy_table().relative
    ix = presets.SYNERGY_LANGUAGES.index
    # Values printed in Table 1 of arXiv:2512.13472 (target row, auxiliary column).
    assert rel[ix("python"), ix("java")] == pytest.approx(0.0136, abs=6e-5)
    assert rel[ix("java"), ix("csharp")] == pytest.approx(0.2058, abs=6e-5)
    assert rel[ix("python"), ix("rust")] == pytest.approx(-0.0272, abs=6e-5)
    assert rel[ix("go"), ix("typescript")] == pytest.approx(0.0441, abs=6e-5)
    assert np.all(np.diag(rel) == 0)


def test_synergy_from_rows_matches_table():
    table = presets.synergy_table()
    rows = []
    for i, t in enumerate(table.languages):
        for j, a in enumerate(table.languages):
            mix = {t: 1.0} if i == j else {t: 0.5, a: 0.5}
            for seed in (0, 1):  # repeated cells are averaged
                rows.append({"run_id": f"{t}-{a}-{seed}", "language": t, "mixture": json.dumps(mix),
                             "loss": table.loss[i, j] + (1e-4 if seed else -1e-4), "params": 1e9, "tokens": 1e11})
    syn = synergy.synergy_from_rows(rows, table.languages)
    np.testing.assert_allclose(syn.loss, table.loss, atol=1e-12)
    np.testing.assert_allclose(syn.absolute, table.absolute, atol=1e-12)
    with pytest.raises(ValueError, match="no baseline"):
        synergy.synergy_from_rows([r for r in rows if r["run_id"] not in ("python-python-0", "python-python-1")])


def _bilingual_rows(tau, gamma):
    rows = []
    for i, t in enumerate(LANGS):
        for j, a in enumerate(LANGS):
            if i == j:
                continue
            for n, dtot in ((1e8, 4e9), (4e8, 1.6e10)):
                d_vec = np.zeros(3)
                d_vec[i] = d_vec[j] = dtot / 2
                loss = float(forms.transfer_loss(PARAMS, n, d_vec, tau, gamma)[i])
                rows.append({"run_id": f"{t}{a}{n}", "language": t, "mixture": {t: 0.5, a: 0.5}, "params": n,
                             "tokens": dtot, "loss": loss})
    return rows


def test_transfer_fit_recovers_tau_and_gamma():
    tau = np.array([[0.0, 0.3, -0.2], [0.5, 0.0, 0.1], [0.05, 0.8, 0.0]])
    rows = _bilingual_rows(tau, 1.0)
    fit = transfer.fit_transfer(rows, LANGS, PARAMS)
    np.testing.assert_allclose(fit.tau, tau, atol=1e-3)
    fit_g = transfer.fit_transfer(_bilingual_rows(tau, 0.6), LANGS, PARAMS, tau=tau)
    assert fit_g.gamma == pytest.approx(0.6, rel=1e-3)


def test_tau_from_synergy_is_relative_synergy():
    tau = transfer.tau_from_synergy(presets.synergy_table())
    assert tau[1, 4] == pytest.approx(0.2058, abs=6e-5)
    assert np.all(np.diag(tau) == 0)


def test_incomplete_preset_names_missing_constants():
    with pytest.raises(presets.IncompletePresetError, match=r"python: A, B"):
        presets.per_language_laws(languages=("python", "java"))
    with pytest.raises(presets.IncompletePresetError, match=r"java: B"):
        presets.per_language_laws({"python": {"A": 1.0, "B": 2.0}, "java": {"A": 1.0}}, ("python", "java"))
    laws = presets.per_language_laws({"python": {"A": 1.0, "B": 2.0}}, ("python",))
    assert laws["python"] == {"A": 1.0, "B": 2.0, "alpha_N": 0.221, "alpha_D": 1.217, "L_inf": 0.566}
    d = presets.describe()
    assert "A" in d["per_language_not_reported"] and d["optimized_law"]["alpha_D"] == 0.6859


def test_paper_mixture_form_reduces_to_single_law():
    # With one language at p = 1 and no transfer the published form is the per-language law.
    p = np.array([1.0, 0.0])
    got = forms.paper_mixture_loss(p, 1e9, 1e11, np.array([0.3, 0.5]), np.array([0.4, 0.2]), np.array([1.0, 2.0]),
                                   400.0, 2000.0, np.zeros((2, 2)), 0.0)
    want = forms.law_loss(400.0, 2000.0, 0.3, 0.4, 1.0, 1e9, 1e11)
    assert float(got) == pytest.approx(float(want), rel=1e-6)
    # Transfer inflates D_x by gamma * sum_{i != j} p_i p_j tau_ij.
    tau = np.array([[0.0, 0.2], [0.4, 0.0]])
    half = np.array([0.5, 0.5])
    d_x = 1e11 * (1 + 0.5 * (0.25 * 0.2 + 0.25 * 0.4))
    got = forms.paper_mixture_loss(half, 1e9, 1e11, np.array([0.3, 0.5]), np.array([0.4, 0.2]),
                                   np.array([1.0, 2.0]), 400.0, 2000.0, tau, 0.5)
    want = 400.0 * 1e9 ** -0.4 + 2000.0 * d_x ** -0.3 + 1.5
    assert float(got) == pytest.approx(want, rel=1e-6)
