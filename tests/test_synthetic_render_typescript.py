"""The TypeScript renderer, compiled by tsc and run with node through the sandbox."""

from __future__ import annotations

import pytest

from codescale_jax.data import synthetic
from codescale_jax.data.synthetic.generate import GenConfig, generate_programs
from codescale_jax.data.synthetic.verify import verify_programs

pytestmark = pytest.mark.toolchain


def test_typescript_agrees_with_python_and_the_interpreter(tmp_path):
    programs = generate_programs(10, seed=22) + generate_programs(6, seed=22, config=GenConfig(5, 5))
    report = verify_programs(programs, ("python", "typescript"), out_dir=str(tmp_path))
    assert report.summary()["disagreements"] == [], f"see {tmp_path}"
    assert report.oracle_agreement("typescript") == 1.0


def test_typescript_annotates_signatures_and_locals():
    src = "\n".join(synthetic.render(p, "typescript") for p in generate_programs(20, seed=3))
    assert "function solve(" in src and "): " in src
    assert "const " in src and ": number" in src
    assert '"use strict"' not in src
