"""The Rust renderer: programs built with ``rustc`` print exactly the interpreter's output; the
task form passes with the reference solution and fails with a wrong one.

The batch is the same feature cover the Go tests use (one ``run_many`` call, about 30 rustc
builds), plus one hand-built program aimed at what only Rust rejects: ambiguous numeric literals,
``as`` casts before ``<``, ``xs[xs.len() - 1] = v``, a string appended to itself, and mixing
``&str`` parameters, ``&String`` loop variables and owned ``String`` locals.
"""

from __future__ import annotations

import pytest

from codescale_jax.data import synthetic
from codescale_jax.data.synthetic import ir
from codescale_jax.data.synthetic.check import check_program
from codescale_jax.data.synthetic.gen_expr import b, bi, lit
from codescale_jax.data.synthetic.generate import generate_programs
from codescale_jax.data.synthetic.interpret import expected_output
from codescale_jax.data.synthetic.render_rust import RENDERER as RUST
from codescale_jax.data.synthetic.verify import verify_programs
from tests.test_synthetic_render_go import (
    LIST_INT, LIST_STR, MAP_STR_INT, assert_agreement, program_features, sample_programs, task_samples)

MAP_INT_STR = ir.map_of(ir.INT, ir.STR)


def rust_edge_program() -> ir.Program:
    s, n, words, table = ir.Var(ir.STR, "s"), ir.Var(ir.INT, "n"), ir.Var(LIST_STR, "words"), ir.Var(MAP_STR_INT, "table")
    parts, nums, text, w, key = (ir.Var(LIST_STR, "parts"), ir.Var(LIST_INT, "nums"), ir.Var(ir.STR, "text"),
                                 ir.Var(ir.STR, "w"), ir.Var(ir.STR, "key"))
    i, total, names = ir.Var(ir.INT, "i"), ir.Var(ir.FLOAT, "total"), ir.Var(MAP_INT_STR, "names")
    x = ir.Var(ir.INT, "x")

    def put(e: ir.Expr) -> ir.ListAppend:
        return ir.ListAppend("parts", e)

    word = ir.Var(ir.STR, "word")
    echo = ir.Function("echo", (ir.Param("word", ir.STR),), ir.STR, (ir.Return(word),), "Return `word` unchanged.")
    body = (
        ir.Let("parts", LIST_STR, ir.ListLit(LIST_STR, ())),
        put(bi("int_to_str", b("add", lit(2), lit(3)))),
        put(bi("int_to_str", bi("abs", ir.Unary(ir.INT, "neg", lit(4))))),
        put(bi("int_to_str", bi("min", lit(7), lit(9)))),
        ir.Let("total", ir.FLOAT, lit(0.5)),
        ir.Assign("total", b("add", total, bi("abs", lit(-2.5)))),
        put(bi("int_to_str", bi("trunc", total))),
        ir.ForRange("i", lit(0), lit(3), (put(bi("int_to_str", i)),)),
        ir.If(b("lt", bi("str_len", s), n), (put(lit("short")),)),
        ir.If(b("le", bi("to_float", n), lit(2.5)), (put(lit("small")),), (put(lit("big")),)),
        ir.If(b("eq", s, bi("concat", lit("ki"), lit("wi"))), (put(lit("is-kiwi")),)),
        ir.ForEach("w", ir.STR, words, (
            ir.If(b("eq", w, s), (put(bi("concat", lit("same:"), w)),)),
            ir.If(b("ne", w, bi("list_get", words, lit(0))), (put(bi("upper", w)),)),
        )),
        ir.Let("nums", LIST_INT, ir.ListLit(LIST_INT, (lit(1), lit(2), lit(3)))),
        ir.ListSet("nums", b("sub", bi("list_len", nums), lit(1)),
                   b("add", bi("list_get", nums, lit(0)), bi("list_len", nums))),
        put(bi("int_to_str", bi("list_get", nums, lit(2)))),
        ir.Let("text", ir.STR, s),
        ir.Assign("text", bi("concat", text, text)),
        ir.Assign("text", bi("concat", text, lit("!"))),
        put(text),
        ir.If(bi("list_contains", words, lit("pear")), (put(lit("has-pear")),)),
        ir.ForEach("key", ir.STR, bi("map_keys_sorted", table),
                   (put(bi("concat", key, bi("int_to_str", bi("map_get", table, key)))),)),
        ir.Let("names", MAP_INT_STR, ir.MapLit(MAP_INT_STR, ((lit(1), lit("one")),))),
        put(bi("map_get_or", names, lit(2), lit("none"))),
        put(bi("map_get_or", names, lit(1), s)),
        put(ir.Call(ir.STR, "echo", (s,))),
        put(bi("int_to_str", bi("list_get", ir.ListLit(LIST_INT, (lit(3), lit(4))), lit(1)))),
        ir.ForEach("x", ir.INT, ir.ListLit(LIST_INT, (lit(1), lit(2))), (put(bi("int_to_str", x)),)),
        put(bi("int_to_str", bi("abs", bi("list_get", bi("sorted", ir.ListLit(LIST_INT, (lit(-5), lit(2)))), lit(0))))),
        ir.Return(parts),
    )
    params = (ir.Param("s", ir.STR), ir.Param("n", ir.INT), ir.Param("words", LIST_STR),
              ir.Param("table", MAP_STR_INT))
    solve = ir.Function("solve", params, LIST_STR, body, "Exercise the traps of one target language.")
    case = (lit("kiwi"), lit(9), ir.ListLit(LIST_STR, (lit("pear"), lit("kiwi"), lit("fig"))),
            ir.MapLit(MAP_STR_INT, ((lit("b"), lit(2)), (lit("B"), lit(1)))))
    program = ir.Program((echo, solve), (case,), seed="rust-edge")
    check_program(program)
    return program


def test_every_builtin_op_has_a_rust_rendering():
    assert [op for op in ir.BUILTINS if not hasattr(RUST, f"builtin_{op}")] == []
    ops = {f.split("/")[0] for p in sample_programs() for f in program_features(p)}
    assert set(ir.BUILTINS) <= ops


def test_rust_edge_program_renders_the_workarounds():
    program = rust_edge_program()
    assert expected_output(program) == (
        '["5", "4", "7", "3", "0", "1", "2", "short", "big", "is-kiwi", "same:kiwi", "KIWI", "FIG", "4", '
        '"kiwikiwi!", "has-pear", "B1", "b2", "none", "one", "kiwi", "4", "1", "2", "5"]\n')
    src = synthetic.render(program, "rust")
    assert "(2_i64 + 3_i64).to_string()" in src and "i64::abs(-4_i64).to_string()" in src  # no ambiguous receivers
    assert "(s.len() as i64) < n" in src  # a cast before `<` would parse as generic arguments
    assert "let slot = " in src and "text = format!(" in src and "text.push_str(\"!\")" in src


def test_rust_values_are_borrowed_or_moved_not_cloned_needlessly():
    src = synthetic.render(rust_edge_program(), "rust")
    assert "fn solve(s: &str, n: i64, words: &[String], table: &BTreeMap<String, i64>) -> Vec<String> {" in src
    assert "echo(s)" in src and "for w in words.iter()" in src
    assert src.split("fn solve", 1)[1].split("\n}\n", 1)[0].rstrip().endswith("parts")  # tail expression moves


@pytest.mark.toolchain
def test_rust_programs_match_the_interpreter(tmp_path):
    programs = sample_programs() + [rust_edge_program()]
    report = verify_programs(programs, ("python", "rust"), out_dir=str(tmp_path))
    assert_agreement(report, "rust", tmp_path)


@pytest.mark.toolchain
def test_rust_task_passes_with_solution_and_fails_with_a_wrong_one():
    from codescale_jax.eval.runners import run_many

    programs = generate_programs(4, seed=13) + [rust_edge_program()]
    records = {r["id"]: r for r in run_many(task_samples("rust", programs), workers=2)}
    for i in range(len(programs)):
        good, bad = records[f"{i}:good"], records[f"{i}:bad"]
        assert good["status"] == "passed" and good["exit_code"] == 0, good
        assert bad["phase"] == "run" and bad["exit_code"] not in (0, None), bad
