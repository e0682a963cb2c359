"""Property tests of the synthetic program generator over random seeds (no toolchains needed)."""

from __future__ import annotations

import collections

import pytest

from codescale_jax.data import synthetic
from codescale_jax.data.synthetic import ir
from codescale_jax.data.synthetic.check import IRError, check_program
from codescale_jax.data.synthetic.generate import GenConfig, generate_program, generate_programs
from codescale_jax.data.synthetic.interpret import MAX_STEPS, Interpreter, run_cases

CONFIGS = [GenConfig(1, 1), GenConfig(2, 2), GenConfig(3, 3), GenConfig(5, 5)]


@pytest.mark.parametrize("cfg", CONFIGS, ids=lambda c: f"s{c.size}d{c.difficulty}")
def test_programs_are_well_formed_and_terminate(cfg):
    for program in generate_programs(40, seed=11, config=cfg):
        check_program(program)
        interp = Interpreter(program)
        assert len(run_cases(program, interp)) == len(program.cases)
        assert 0 < interp.steps <= MAX_STEPS
        assert program.entry.name == "solve" and program.entry.doc


def test_same_seed_same_program_and_source():
    a = generate_programs(10, seed=5)
    b = generate_programs(10, seed=5)
    assert a == b
    assert [synthetic.render(p, "python") for p in a] == [synthetic.render(p, "python") for p in b]
    assert generate_program("x") != generate_program("y")


def test_different_seeds_give_varied_programs():
    sources = {synthetic.render(p, "python") for p in generate_programs(50, seed=1)}
    assert len(sources) == 50


def test_every_node_type_and_op_is_exercised():
    seen: collections.Counter = collections.Counter()
    programs = generate_programs(150, seed=3, config=GenConfig(5, 5)) + generate_programs(150, seed=3)
    for p in programs:
        for fn in p.functions:
            for s in ir.walk_stmts(fn.body):
                seen[type(s).__name__] += 1
            for e in ir.all_exprs(fn.body):
                seen[type(e).__name__] += 1
                if isinstance(e, (ir.Builtin, ir.Binary, ir.Unary)):
                    seen["op:" + e.op] += 1
            if any(isinstance(e, ir.Call) and e.func == fn.name for e in ir.all_exprs(fn.body)):
                seen["recursion"] += 1
    wanted = [n.__name__ for n in ir.STMT_NODES + ir.EXPR_NODES] + ["recursion"] + [
        "op:" + op for op in list(ir.BUILTINS) + list(ir.BINARY_OPS) + list(ir.UNARY_OPS)]
    assert [w for w in wanted if seen[w] == 0] == []


def test_knobs_scale_program_size():
    def stmts(cfg):
        ps = generate_programs(30, seed=2, config=cfg)
        return sum(len(list(ir.walk_stmts(f.body))) for p in ps for f in p.functions)

    assert stmts(GenConfig(1, 1)) < stmts(GenConfig(3, 3)) < stmts(GenConfig(5, 5))
    with pytest.raises(ValueError, match="size"):
        GenConfig(size=9)


def _fn(body, params=(), ret=ir.INT, name="solve"):
    return ir.Function(name, tuple(params), ret, tuple(body), "doc")


def _prog(*fns, cases=((),)):
    return ir.Program(tuple(fns), cases)


INT1 = ir.Lit(ir.INT, 1)
LIST = ir.list_of(ir.INT)


@pytest.mark.parametrize("body,params,match", [
    ([ir.Return(ir.Lit(ir.STR, "a"))], (), "returns str"),
    ([ir.Let("total", ir.INT, INT1)], (), "end with a return"),
    ([ir.Let("xs_copy", LIST, ir.Var(LIST, "xs")), ir.Return(ir.Builtin(ir.INT, "list_len", (ir.Var(LIST, "xs_copy"),)))],
     (ir.Param("xs", LIST),), "aliases"),
    ([ir.ListAppend("xs", INT1), ir.Return(INT1)], (ir.Param("xs", LIST),), "read-only"),
    ([ir.Let("total", ir.INT, INT1), ir.Return(INT1)], (), "never read"),
    ([ir.Let("class", ir.INT, INT1), ir.Return(ir.Var(ir.INT, "class"))], (), "reserved"),
    ([ir.Return(ir.Var(ir.INT, "ghost"))], (), "out of scope"),
    ([ir.If(ir.Lit(ir.BOOL, True), (ir.Return(INT1),), (ir.Return(INT1),)), ir.Return(INT1)], (), "return only"),
    ([ir.While(ir.Lit(ir.BOOL, False), ()), ir.Return(INT1)], (), "read a variable"),
])
def test_checker_rejects_broken_programs(body, params, match):
    cases = (tuple(ir.ListLit(LIST, ()) for _ in params),)
    with pytest.raises(IRError, match=match):
        check_program(_prog(_fn(body, params), cases=cases))


def test_checker_rejects_scope_leak_from_block():
    inner = ir.If(ir.Lit(ir.BOOL, True), (ir.Let("total", ir.INT, INT1),))
    body = [inner, ir.Return(ir.Var(ir.INT, "total"))]
    with pytest.raises(IRError, match="out of scope"):
        check_program(_prog(_fn(body)))


@pytest.mark.parametrize("value,match", [
    (ir.Binary(ir.INT, "mul", ir.Lit(ir.INT, 70000), ir.Lit(ir.INT, 70000)), "beyond"),
    (ir.Binary(ir.INT, "div", ir.Lit(ir.INT, -7), ir.Lit(ir.INT, 2)), "dividend"),
    (ir.Builtin(ir.INT, "list_get", (ir.ListLit(LIST, ()), INT1)), "out of range"),
])
def test_interpreter_rejects_values_outside_the_envelope(value, match):
    from codescale_jax.data.synthetic.interpret import Rejected
    with pytest.raises(Rejected, match=match):
        run_cases(_prog(_fn([ir.Return(value)])))


def test_interpreter_rejects_ambiguous_printed_floats():
    from codescale_jax.data.synthetic.interpret import Rejected, printable_float
    printable_float(0.25)
    printable_float(0.0)
    for bad in (0.0078125, -0.0000001, 2e6):  # exact tie at 6 decimals, rounds to -0, too big
        with pytest.raises(Rejected):
            printable_float(bad)


def test_canonical_format():
    from codescale_jax.data.synthetic.render_base import format_value
    assert format_value(-3, ir.INT) == "-3"
    assert format_value(2.5, ir.FLOAT) == "2.500000"
    assert format_value(True, ir.BOOL) == "true"
    assert format_value("ab", ir.STR) == '"ab"'
    assert format_value([1, 2], LIST) == "[1, 2]"
    assert format_value({"b": 1, "a": 2}, ir.map_of(ir.STR, ir.INT)) == '{"a": 2, "b": 1}'
    assert format_value({10: True, 9: False}, ir.map_of(ir.INT, ir.BOOL)) == "{9: false, 10: true}"
    assert format_value({}, ir.map_of(ir.INT, ir.INT)) == "{}"


def test_type_text_round_trip():
    for t in (ir.INT, LIST, ir.map_of(ir.STR, ir.FLOAT)):
        assert ir.parse_type(str(t)) == t
    with pytest.raises(TypeError):
        ir.list_of(LIST)


def test_dead_code_elimination_preserves_results(monkeypatch):
    """Draw programs without pruning, prune each function afterwards: same results."""
    import dataclasses
    import random

    from codescale_jax.data.synthetic import generate
    from codescale_jax.data.synthetic.interpret import Rejected
    from codescale_jax.data.synthetic.prune import prune_unused

    monkeypatch.setattr(generate, "prune_unused", lambda body: body)
    compared = removed = 0
    for i in range(60):
        raw = generate._draw(random.Random(f"prune:{i}"), GenConfig(4, 4), "")
        pruned = dataclasses.replace(raw, functions=tuple(
            dataclasses.replace(f, body=prune_unused(f.body)) for f in raw.functions))
        try:
            want = run_cases(raw)
        except Rejected:
            continue
        assert run_cases(pruned) == want
        compared += 1
        removed += sum(len(list(ir.walk_stmts(a.body))) - len(list(ir.walk_stmts(b.body)))
                       for a, b in zip(raw.functions, pruned.functions))
    assert compared >= 30 and removed > 0


def test_mixed_configs_cycle():
    from codescale_jax.data.synthetic.generate import MIXED
    programs = generate_programs(len(MIXED) * 2, seed=8, config=MIXED)
    sizes = [p.seed.rsplit("/", 3)[1:3] for p in programs]
    assert sizes[: len(MIXED)] == [[str(c.size), str(c.difficulty)] for c in MIXED]
    assert sizes[len(MIXED):] == sizes[: len(MIXED)]
