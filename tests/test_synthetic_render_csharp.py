"""The C# renderer: programs compiled with Mono's mcs and run agree with Python and the
interpreter; the task form passes with the reference solution and fails with a wrong one."""

from __future__ import annotations

import pytest

from codescale_jax.data import synthetic
from codescale_jax.data.synthetic.generate import generate_programs
from codescale_jax.data.synthetic.verify import verify_programs
from test_synthetic_render_java import EDGE_EXPECTED, covering_programs, edge_program, run_tasks

def test_culture_and_ordinal_choices_are_explicit():
    src = synthetic.render(edge_program(), "csharp")
    assert "Sorted(words, StringComparer.Ordinal)" in src
    assert "Sorted(new List<string>(table.Keys), StringComparer.Ordinal)" in src
    assert '"hello".IndexOf("l", StringComparison.Ordinal)' in src
    assert "ToUpperInvariant()" in src and "CultureInfo.InvariantCulture" in src
    assert "=>" not in src.split("static string Format")[0], "no lambdas in program code (C# 7 scoping)"


def test_csharp_source_shape():
    src = synthetic.render(generate_programs(1, seed=2)[0], "csharp")
    assert src.startswith("using System;\n") and "\nclass Program\n{\n" in src
    assert "    static void Main()\n    {\n" in src and "    /// <summary>\n" in src
    assert "public static" in src and " Solve(" in src
    assert src.count("{") == src.count("}")


def test_task_parts_fit_together():
    program = generate_programs(1, seed=9)[0]
    task = synthetic.make_task(program, "csharp")
    assert task.prompt.endswith("    {\n") and "public static" in task.prompt.splitlines()[-2]
    assert task.solution.rstrip().endswith("    }") and task.tests.rstrip().endswith("}")
    assert task.entry_point == "Solve"


@pytest.mark.toolchain
def test_csharp_agrees_with_python_and_the_interpreter(tmp_path):
    programs = covering_programs() + generate_programs(10, seed=21) + [edge_program()]
    report = verify_programs(programs, ("python", "csharp"), out_dir=str(tmp_path))
    assert report.summary()["disagreements"] == [], f"see {tmp_path}"
    assert report.agreement == 1.0
    assert report.oracle_agreement("csharp") == 1.0
    assert report.outcomes[-1].stdout["csharp"] == EDGE_EXPECTED


@pytest.mark.toolchain
def test_csharp_task_passes_with_reference_and_fails_with_wrong_completion():
    records = run_tasks(generate_programs(5, seed=13) + [edge_program()], "csharp")
    for rid, r in records.items():
        want = "passed" if rid.startswith("ok:") else "failed"
        assert r["status"] == want, (rid, r["status"], r["stderr"][-1500:])
    assert all("expected" in r["stderr"] for rid, r in records.items() if rid.startswith("bad:"))
