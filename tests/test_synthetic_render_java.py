"""The Java renderer: programs compiled with javac and run agree with Python and the interpreter;
the task form passes with the reference solution and fails with a wrong one.

The helpers here (a feature-covering program set, a hand-built program aimed at Java's and C#'s
traps, a wrong completion) are shared with ``test_synthetic_render_csharp.py``.
"""

from __future__ import annotations

import dataclasses

import pytest

from codescale_jax.data import synthetic
from codescale_jax.data.synthetic import ir
from codescale_jax.data.synthetic.check import check_program
from codescale_jax.data.synthetic.gen_expr import b, bi, lit
from codescale_jax.data.synthetic.generate import GenConfig, generate_programs
from codescale_jax.data.synthetic.render_base import format_value
from codescale_jax.data.synthetic.verify import verify_programs

LIST_INT, LIST_STR, LIST_FLOAT = ir.list_of(ir.INT), ir.list_of(ir.STR), ir.list_of(ir.FLOAT)
MAP_STR_INT = ir.map_of(ir.STR, ir.INT)


def features(program: ir.Program) -> set[str]:
    """Statement kinds, expression kinds, and each operator with its operand type."""
    out: set[str] = set()
    for fn in program.functions:
        out.update(type(s).__name__ for s in ir.walk_stmts(fn.body))
        for e in ir.all_exprs(fn.body):
            out.add(type(e).__name__)
            if isinstance(e, (ir.Binary, ir.Unary, ir.Builtin)):
                operand = e.operand if isinstance(e, ir.Unary) else (e.args[0] if isinstance(e, ir.Builtin) else e.left)
                out.add(f"{e.op}:{operand.type}")
    return out


def covering_programs(pool: int = 60, seed: int = 3) -> list[ir.Program]:
    """A small set of generated programs that together use every feature the pool uses (greedy
    set cover), so one batch exercises every node, builtin op and operand type the generator makes."""
    candidates = generate_programs(pool, seed, GenConfig(5, 5))
    feats = [features(p) for p in candidates]
    missing, chosen = set().union(*feats), []
    while missing:
        best = max(range(len(candidates)), key=lambda i: len(feats[i] & missing))
        chosen.append(candidates[best])
        missing -= feats[best]
    return chosen


def edge_program() -> ir.Program:
    """One program aimed at the traps: boxed ``Integer`` equality beyond the small-value cache,
    ordinal string sorting and map-key order with mixed case, ordinal ``IndexOf``, truncation of a
    negative float read from a list, character codes, and ``getOrDefault`` defaults."""
    xs, ys = ir.Var(LIST_INT, "xs"), ir.Var(LIST_INT, "ys")
    words, table, w = ir.Var(LIST_STR, "words"), ir.Var(MAP_STR_INT, "table"), ir.Var(LIST_FLOAT, "w")
    i = ir.Var(ir.INT, "i")
    same_at = ir.Function("same_at", (ir.Param("xs", LIST_INT), ir.Param("ys", LIST_INT), ir.Param("i", ir.INT)),
                          ir.BOOL, (ir.Return(b("eq", bi("list_get", xs, i), bi("list_get", ys, i))),),
                          "Whether `xs` and `ys` hold the same value at `i`.")
    parts = ir.Var(LIST_STR, "parts")
    key = ir.Var(ir.STR, "key")

    def flag(cond: ir.Expr, yes: str, no: str) -> ir.If:
        return ir.If(cond, (ir.ListAppend("parts", lit(yes)),), (ir.ListAppend("parts", lit(no)),))

    body = (
        ir.Let("parts", LIST_STR, ir.ListLit(LIST_STR, ())),
        flag(ir.Call(ir.BOOL, "same_at", (xs, ys, lit(0))), "eq", "ne"),
        flag(b("ne", bi("list_get", xs, lit(1)), bi("list_get", ys, lit(1))), "differ", "same"),
        flag(b("eq", bi("map_get", table, lit("b")), bi("map_get_or", table, lit("B"), lit(0))), "mapeq", "mapne"),
        flag(b("eq", bi("concat", lit("a"), bi("char_at", lit("xbx"), lit(1))), lit("ab")), "streq", "strne"),
        flag(bi("list_contains", xs, lit(1000)), "has", "lacks"),
        ir.ListAppend("parts", bi("str_join", bi("sorted", words), lit(","))),
        ir.ForEach("key", ir.STR, bi("map_keys_sorted", table),
                   (ir.ListAppend("parts", bi("concat", key, bi("int_to_str", bi("map_get", table, key)))),)),
        ir.ListAppend("parts", bi("int_to_str", bi("trunc", bi("list_get", w, lit(0))))),
        ir.ListAppend("parts", bi("from_char_code", b("sub", bi("char_code", lit("az"), lit(1)), lit(25)))),
        ir.ListAppend("parts", bi("int_to_str", bi("str_find", lit("hello"), lit("l")))),
        ir.ListAppend("parts", bi("int_to_str", bi("map_get_or", table, lit("zz"), lit(-1)))),
        ir.ListAppend("parts", bi("concat", bi("upper", lit("mIx")), bi("lower", lit("mIx")))),
        ir.ListAppend("parts", bi("str_reverse", bi("str_repeat", lit("ab"), lit(2)))),
        ir.Return(parts),
    )
    params = (ir.Param("xs", LIST_INT), ir.Param("ys", LIST_INT), ir.Param("words", LIST_STR),
              ir.Param("table", MAP_STR_INT), ir.Param("w", LIST_FLOAT))
    solve = ir.Function("solve", params, LIST_STR, body, "Collect checks of `xs`, `ys`, `words`, `table`, `w`.")

    def list_lit(t, values):
        return ir.ListLit(t, tuple(lit(v) for v in values))

    case = (list_lit(LIST_INT, [1000, -5]), list_lit(LIST_INT, [1000, 7]),
            list_lit(LIST_STR, ["b", "a", "B", "_", "Z9"]),
            ir.MapLit(MAP_STR_INT, ((lit("b"), lit(500)), (lit("B"), lit(500)), (lit("a"), lit(-3)))),
            list_lit(LIST_FLOAT, [-2.75]))
    program = ir.Program((same_at, solve), (case,), seed="edge")
    check_program(program)
    return program


EDGE_EXPECTED = '["eq", "differ", "mapeq", "streq", "has", "B,Z9,_,a,b", "B500", "a-3", "b500", "-2", "a", ' \
                '"2", "-1", "MIXmix", "baba"]\n'


def wrong_completion(program: ir.Program, language: str) -> str:
    """A body for the entry that compiles but returns a value other than the first case's."""
    entry = program.entry
    t = entry.ret
    scalars = {ir.INT: (7, 8), ir.FLOAT: (0.25, 0.5), ir.BOOL: (True, False), ir.STR: ("x", "y")}
    if t.is_scalar:
        options = [lit(v) for v in scalars[t]]
    elif t.kind == "list":
        options = [ir.ListLit(t, ()), ir.ListLit(t, (lit(scalars[t.elem][0]),))]
    else:
        options = [ir.MapLit(t, ()), ir.MapLit(t, ((lit(scalars[t.key][0]), lit(scalars[t.value][0])),))]
    first = synthetic.expected_output(program).splitlines()[0]

    def value(e):
        if isinstance(e, ir.Lit):
            return e.value
        if isinstance(e, ir.ListLit):
            return [x.value for x in e.items]
        return {k.value: v.value for k, v in e.items}

    wrong = next(e for e in options if format_value(value(e), t) != first)
    fn = dataclasses.replace(entry, body=(ir.Return(wrong),))
    other = dataclasses.replace(program, functions=program.functions[:-1] + (fn,))
    return synthetic.get_renderer(language).render_task(other, []).solution


def run_tasks(programs: list[ir.Program], language: str) -> dict[str, dict]:
    """Run each program's task with the reference solution and with a wrong completion."""
    from codescale_jax.eval.runners import run_many

    samples = []
    for i, p in enumerate(programs):
        task = synthetic.make_task(p, language)
        samples.append({"id": f"ok:{i}", "language": language, "program": task.program()})
        samples.append({"id": f"bad:{i}", "language": language,
                        "program": task.program(wrong_completion(p, language))})
    return {r["id"]: r for r in run_many(samples, workers=2)}


def test_edge_program_expectation_is_the_interpreters():
    assert synthetic.expected_output(edge_program()) == EDGE_EXPECTED


def test_boxed_and_string_equality_use_equals():
    src = synthetic.render(edge_program(), "java")
    assert "xs.get(i).equals(ys.get(i))" in src
    assert "!xs.get(1).equals(ys.get(1))" in src
    assert '("a" + String.valueOf("xbx".charAt(1))).equals("ab")' in src
    assert "==" not in src.replace("i < expected.length", "")


def test_java_source_shape():
    src = synthetic.render(generate_programs(1, seed=2)[0], "java")
    assert src.startswith("import java.util.") and "\npublic class Main {\n" in src
    assert "    public static void main(String[] args) {\n" in src and "    /**\n" in src
    assert src.rstrip().endswith("}") and src.count("{") == src.count("}")


def test_task_parts_fit_together():
    program = generate_programs(1, seed=9)[0]
    task = synthetic.make_task(program, "java")
    assert task.prompt.rstrip().endswith("{") and "public static" in task.prompt.splitlines()[-1]
    assert task.solution.rstrip().endswith("    }") and task.tests.rstrip().endswith("}")
    assert task.entry_point == "solve" and "/**" in task.prompt


@pytest.mark.toolchain
def test_java_agrees_with_python_and_the_interpreter(tmp_path):
    programs = covering_programs() + generate_programs(10, seed=21) + [edge_program()]
    report = verify_programs(programs, ("python", "java"), out_dir=str(tmp_path))
    assert report.summary()["disagreements"] == [], f"see {tmp_path}"
    assert report.agreement == 1.0
    assert report.oracle_agreement("java") == 1.0
    assert report.outcomes[-1].stdout["java"] == EDGE_EXPECTED


@pytest.mark.toolchain
def test_java_task_passes_with_reference_and_fails_with_wrong_completion():
    records = run_tasks(generate_programs(5, seed=13) + [edge_program()], "java")
    for rid, r in records.items():
        want = "passed" if rid.startswith("ok:") else "failed"
        assert r["status"] == want, (rid, r["status"], r["stderr"][-1500:])
    assert all("AssertionError" in r["stderr"] for rid, r in records.items() if rid.startswith("bad:"))
