"""Execution agreement across all seven languages: the issue's acceptance check, run in CI.

Equivalent to ``python -m experiments.verify_synthetic --programs 200 --seed 0``; several minutes
on a 2-core machine (every program is compiled and run once per language), hence ``slow``.
"""

from __future__ import annotations

import pytest

from codescale_jax import languages
from codescale_jax.data import synthetic
from codescale_jax.data.synthetic.verify import verify_programs


def test_every_language_has_a_renderer():
    assert synthetic.available_languages() == languages.CODE_LANGUAGES


@pytest.mark.slow
@pytest.mark.toolchain
def test_seven_language_agreement_on_200_programs(tmp_path):
    programs = synthetic.generate_programs(200, seed=0)
    report = verify_programs(programs, languages.CODE_LANGUAGES, out_dir=str(tmp_path), progress=True)
    summary = report.summary()
    assert report.agreement >= 0.99, f"{summary} (programs and outputs saved under {tmp_path})"
    for lang in languages.CODE_LANGUAGES:
        assert report.oracle_agreement(lang) >= 0.99, (lang, summary)
