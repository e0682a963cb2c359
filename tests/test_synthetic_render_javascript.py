"""The JavaScript renderer, run with node through the sandbox: output equals Python's and the oracle."""

from __future__ import annotations

import pytest

from codescale_jax.data import synthetic
from codescale_jax.data.synthetic.generate import GenConfig, generate_programs
from codescale_jax.data.synthetic.verify import verify_programs

pytestmark = pytest.mark.toolchain


def test_javascript_agrees_with_python_and_the_interpreter(tmp_path):
    programs = generate_programs(12, seed=21) + generate_programs(8, seed=21, config=GenConfig(5, 5))
    report = verify_programs(programs, ("python", "javascript"), out_dir=str(tmp_path))
    assert report.summary()["disagreements"] == [], f"see {tmp_path}"
    assert report.agreement == 1.0
    assert report.oracle_agreement("javascript") == 1.0


def test_javascript_source_shape():
    src = synthetic.render(generate_programs(1, seed=2)[0], "javascript")
    assert src.startswith('"use strict";') and "function solve(" in src and "@returns" in src
    assert src.rstrip().endswith("main();")
