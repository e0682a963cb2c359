"""The Python renderer: rendered programs print exactly the interpreter's expected output."""

from __future__ import annotations

import subprocess
import sys

from codescale_jax.data import synthetic
from codescale_jax.data.synthetic.generate import GenConfig, generate_programs


def _run(source: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", source], capture_output=True, text=True, timeout=60)


def test_python_programs_match_the_interpreter():
    programs = generate_programs(25, seed=7) + generate_programs(15, seed=7, config=GenConfig(5, 5))
    for p in programs:
        src = synthetic.render(p, "python")
        result = _run(src)
        assert result.returncode == 0, (p.seed, result.stderr[-2000:])
        assert result.stdout == synthetic.expected_output(p), (p.seed, src)


def test_python_source_is_idiomatic():
    src = "\n".join(synthetic.render(p, "python") for p in generate_programs(30, seed=4))
    assert "def solve(" in src and '"""' in src and "-> " in src
    assert "+=" in src and "range(" in src
    compile(src.replace('if __name__ == "__main__":\n    main()', ""), "<synthetic>", "exec")
