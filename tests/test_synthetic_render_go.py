"""The Go renderer: programs built with ``go build`` print exactly the interpreter's output; the
task form passes with the reference solution and fails with a wrong one.

Everything that needs the toolchain goes through one ``run_many`` batch per test (about 30 Go
builds), so the file stays around a minute on a 2-core machine. The helpers here (feature cover,
wrong completion) are reused by ``test_synthetic_render_rust.py``.
"""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest

from codescale_jax.data import synthetic
from codescale_jax.data.synthetic import ir
from codescale_jax.data.synthetic.check import check_program
from codescale_jax.data.synthetic.gen_expr import b, bi, lit
from codescale_jax.data.synthetic.generate import GenConfig, generate_programs
from codescale_jax.data.synthetic.interpret import expected_output, run_cases
from codescale_jax.data.synthetic.render_go import RENDERER as GO
from codescale_jax.data.synthetic.verify import verify_programs

LIST_INT, LIST_STR = ir.list_of(ir.INT), ir.list_of(ir.STR)
LIST_FLOAT, LIST_BOOL = ir.list_of(ir.FLOAT), ir.list_of(ir.BOOL)
MAP_STR_INT = ir.map_of(ir.STR, ir.INT)


# ------------------------------------------------------------------------------ shared helpers
def program_features(program: ir.Program) -> set[str]:
    """Statement and expression node kinds, and every operator paired with its operand type."""
    out: set[str] = set()
    for fn in program.functions:
        out.update(type(s).__name__ for s in ir.walk_stmts(fn.body))
        for e in ir.all_exprs(fn.body):
            out.add(type(e).__name__)
            if isinstance(e, ir.Unary):
                out.add(f"{e.op}/{e.operand.type}")
            elif isinstance(e, ir.Binary):
                out.add(f"{e.op}/{e.left.type}")
            elif isinstance(e, ir.Builtin):
                out.add(f"{e.op}/{','.join(str(a.type) for a in e.args)}")
        if any(isinstance(e, ir.Call) and e.func == fn.name for e in ir.all_exprs(fn.body)):
            out.add("recursion")
    out.add(f"returns/{program.entry.ret}")
    return out


def feature_cover(pool: list[ir.Program]) -> list[ir.Program]:
    """A greedy set cover of ``pool``: few programs that together show every feature it shows."""
    feats = [program_features(p) for p in pool]
    missing: set[str] = set().union(*feats)
    chosen: list[ir.Program] = []
    while missing:
        best = max(range(len(pool)), key=lambda i: len(feats[i] & missing))
        chosen.append(pool[best])
        missing -= feats[best]
    return chosen


def sample_programs() -> list[ir.Program]:
    """The cover of 150 programs at the largest knobs and 100 at the defaults (every builtin op
    with every operand type the generator uses), plus a few plain default programs."""
    pool = generate_programs(150, seed=3, config=GenConfig(5, 5)) + generate_programs(100, seed=8)
    return feature_cover(pool) + generate_programs(10, seed=21)


def wrong_value(t: ir.Type, value) -> ir.Expr:
    """A literal of type ``t`` whose canonical text differs from ``value``'s."""
    if t == ir.INT:
        return lit(value + 1)
    if t == ir.FLOAT:
        return lit(value + 1.0)
    if t == ir.BOOL:
        return lit(not value)
    if t == ir.STR:
        return lit(value + "x")
    if t.kind == "list":
        filler = {"int": 0, "float": 0.5, "bool": True, "str": "a"}[t.elem.kind]
        return ir.ListLit(t, tuple(lit(filler) for _ in range(len(value) + 1)))
    keys = [lit(k) for k in range(len(value) + 1)] if t.key == ir.INT else [lit("k" * (i + 1)) for i in range(len(value) + 1)]
    filler = {"int": 0, "float": 0.5, "bool": True, "str": "a"}[t.value.kind]
    return ir.MapLit(t, tuple((k, lit(filler)) for k in keys))


def wrong_completion(renderer, program: ir.Program) -> str:
    """The body of an entry function that returns a wrong result for the first case."""
    entry = program.entry
    first = run_cases(program)[0]
    fake = ir.Function(entry.name, entry.params, entry.ret, (ir.Return(wrong_value(entry.ret, first)),))
    return renderer.function_body(fake)


def task_samples(language: str, programs: list[ir.Program]) -> list[dict]:
    """For each program: the task with the reference solution and with a wrong completion."""
    renderer = synthetic.get_renderer(language)
    out = []
    for i, p in enumerate(programs):
        task = synthetic.make_task(p, language)
        assert task.prompt + task.solution + task.tests == task.program()
        out.append({"id": f"{i}:good", "language": language, "program": task.program()})
        out.append({"id": f"{i}:bad", "language": language, "program": task.program(wrong_completion(renderer, p))})
    return out


def assert_agreement(report, language: str, where) -> None:
    summary = report.summary()
    assert report.agreement == 1.0, f"{summary} (sources and outputs saved under {where})"
    assert report.oracle_agreement(language) == 1.0, summary


# ------------------------------------------------------------------------- Go's own traps
def go_edge_program() -> ir.Program:
    """Go's traps in one program: a constant float quotient (folded exactly it would differ from
    IEEE: ``1/49*49`` is 0.999..., truncated 0), ``trunc`` of a constant, a slice copy appended to
    while the source is read afterwards, unused loop variables, sorted bools, map key order."""
    xs, words, table = ir.Var(LIST_INT, "xs"), ir.Var(LIST_STR, "words"), ir.Var(MAP_STR_INT, "table")
    parts, head, key = ir.Var(LIST_STR, "parts"), ir.Var(LIST_INT, "head"), ir.Var(ir.STR, "key")
    count = ir.Var(ir.INT, "count")

    def put(e: ir.Expr) -> ir.ListAppend:
        return ir.ListAppend("parts", e)

    body = (
        ir.Let("parts", LIST_STR, ir.ListLit(LIST_STR, ())),
        put(bi("int_to_str", bi("trunc", b("mul", b("div", lit(1.0), lit(49.0)), lit(49.0))))),
        put(bi("int_to_str", bi("trunc", lit(2.75)))),
        ir.Let("head", LIST_INT, bi("list_slice", xs, lit(0), lit(2))),
        ir.ListAppend("head", lit(99)),
        put(bi("int_to_str", bi("list_get", xs, lit(2)))),
        put(bi("int_to_str", bi("list_len", bi("list_concat", head, xs)))),
        ir.Let("count", ir.INT, lit(0)),
        ir.ForEach("w", ir.STR, words, (ir.Assign("count", b("add", count, lit(1))),)),
        ir.ForRange("i", lit(0), lit(3), (ir.Assign("count", b("add", count, lit(2))),)),
        put(bi("int_to_str", count)),
        ir.ForEach("key", ir.STR, bi("map_keys_sorted", table),
                   (put(bi("concat", key, bi("int_to_str", bi("map_get", table, key)))),)),
        ir.If(bi("list_get", bi("sorted", ir.ListLit(LIST_BOOL, (lit(True), lit(False)))), lit(0)),
              (put(lit("true-first")),), (put(lit("false-first")),)),
        put(bi("str_join", bi("sorted", words), lit(","))),
        ir.Return(parts),
    )
    params = (ir.Param("xs", LIST_INT), ir.Param("words", LIST_STR), ir.Param("table", MAP_STR_INT))
    fn = ir.Function("solve", params, LIST_STR, body, "Exercise the traps of one target language.")
    case = (ir.ListLit(LIST_INT, (lit(5), lit(6), lit(7), lit(8))),
            ir.ListLit(LIST_STR, (lit("pear"), lit("Zed"), lit("apple"))),
            ir.MapLit(MAP_STR_INT, ((lit("b"), lit(2)), (lit("B"), lit(1)), (lit("a"), lit(3)))))
    program = ir.Program((fn,), (case,), seed="go-edge")
    check_program(program)
    return program


# -------------------------------------------------------------------------------------- tests
def test_every_builtin_op_has_a_go_rendering():
    missing = [op for op in ir.BUILTINS if not hasattr(GO, f"builtin_{op}")]
    assert missing == []
    ops = {f.split("/")[0] for p in sample_programs() for f in program_features(p)}
    assert set(ir.BUILTINS) <= ops, "the sample programs must reach every builtin op"


def test_go_imports_and_helpers_are_exactly_those_used():
    for p in generate_programs(30, seed=5):
        src = synthetic.render(p, "go")
        imports = src.split("import (\n", 1)[1].split(")", 1)[0].split() if "import (" in src else []
        for pkg in imports:
            assert f"{pkg.strip(chr(34))}." in src.split(")", 1)[1], (pkg, src)
        for name in ("sortedKeys", "sliceOf", "concatLists", "mapGetOr", "reverseString"):
            assert (f"func {name}" in src) == (f"{name}(" in src.replace(f"func {name}", "")), (name, src)


def test_go_edge_program_output():
    program = go_edge_program()
    assert expected_output(program) == '["0", "2", "7", "7", "9", "B1", "a3", "b2", "false-first", "Zed,apple,pear"]\n'
    src = synthetic.render(program, "go")
    assert "divide(" in src and "math.Trunc(" in src and "for range words" in src


def _gofmt() -> str:
    """``gofmt`` ships beside ``go`` (scripts/install_toolchains.sh installs both)."""
    go = shutil.which("go")
    assert go is not None, "go is not installed; run scripts/install_toolchains.sh"
    return os.path.join(os.path.dirname(os.path.realpath(go)), "gofmt")


@pytest.mark.toolchain
def test_go_source_is_gofmt_clean(tmp_path):
    """Spacing follows go/printer (``a*b + c``, ``f(i+1, j)``, ``s[a : b+1]``), so ``gofmt -l``
    lists no file: programs, task files and the edge program."""
    programs = generate_programs(40, seed=5) + generate_programs(20, seed=6, config=GenConfig(5, 5))
    for i, p in enumerate(programs + [go_edge_program()]):
        (tmp_path / f"program_{i}.go").write_text(synthetic.render(p, "go"))
        (tmp_path / f"task_{i}.go").write_text(synthetic.make_task(p, "go").program())
    result = subprocess.run([_gofmt(), "-l", str(tmp_path)], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout == "", f"not gofmt-formatted: {result.stdout}"


@pytest.mark.toolchain
def test_go_programs_match_the_interpreter(tmp_path):
    programs = sample_programs() + [go_edge_program()]
    report = verify_programs(programs, ("python", "go"), out_dir=str(tmp_path))
    assert_agreement(report, "go", tmp_path)


@pytest.mark.toolchain
def test_go_task_passes_with_solution_and_fails_with_a_wrong_one():
    from codescale_jax.eval.runners import run_many

    programs = generate_programs(4, seed=13) + [go_edge_program()]
    records = {r["id"]: r for r in run_many(task_samples("go", programs), workers=2)}
    for i in range(len(programs)):
        good, bad = records[f"{i}:good"], records[f"{i}:bad"]
        assert good["status"] == "passed" and good["exit_code"] == 0, good
        assert bad["phase"] == "run" and bad["exit_code"] not in (0, None), bad
