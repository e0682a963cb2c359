"""The seeded random generator of IR programs, with knobs for size and difficulty.

``generate_program(seed)`` is a pure function of its seed and config: the same seed gives the
same program on every machine and Python version (``random.Random`` seeded with a string uses
SHA-512). A draw is kept only when it passes :func:`check.check_program` and the reference
interpreter runs it inside the semantic envelope; otherwise the next attempt (a derived seed) is
drawn. So every returned program is well typed, terminates within the interpreter's step budget,
and computes identically in every language that follows the SEMANTICS contract. Draws whose
entry ignores its parameters, or whose cases all print the same line, are redrawn too: a task
whose tests a constant answer passes measures nothing.

Knobs: ``size`` (1-5) scales the number of helper functions and statements per block;
``difficulty`` (1-5) scales nesting depth and expression depth and unlocks constructs (level 1:
straight-line code and for-range loops over scalars; 2: lists, strings, while loops, helpers;
3+: maps and recursion).
"""

from __future__ import annotations

import dataclasses
import random
from typing import Sequence

from codescale_jax.data.synthetic import ir
from codescale_jax.data.synthetic.check import IRError, check_program
from codescale_jax.data.synthetic.gen_expr import ExprGen, Scope, b, bi, lit
from codescale_jax.data.synthetic.interpret import Rejected, run_cases
from codescale_jax.data.synthetic.prune import describe_function, prune_unused

NAMES = {
    "int": ("total", "count", "acc", "score", "best", "diff", "step", "limit", "width", "offset",
            "level", "carry", "delta", "span", "pos", "steps", "hits"),
    "float": ("ratio", "weight", "mean", "scale", "rate", "factor", "amount", "share"),
    "bool": ("found", "flag", "done", "seen", "is_valid", "has_match", "ready"),
    "str": ("text", "word", "label", "prefix", "suffix", "token", "line", "tag", "head"),
    "list": ("items", "nums", "parts", "picks", "buf", "queue", "marks", "chunk", "acc_list", "pool"),
    "map": ("counts", "table", "lookup", "freq", "totals", "seen_map"),
}
PARAM_NAMES = {
    "int": ("n", "m", "start", "bound", "seed_value"),
    "float": ("x", "y", "rate_in", "factor_in"),
    "bool": ("strict", "reverse_first", "enabled"),
    "str": ("s", "word_in", "source", "pattern"),
    "list[int]": ("xs", "nums", "counts_in", "data"),
    "list[float]": ("ys", "weights_in", "samples"),
    "list[str]": ("words", "names", "tokens"),
    "list[bool]": ("flags", "mask"),
    "map": ("table_in", "weights", "index_of"),
}
HELPER_NAMES = ("scan_values", "fold_items", "mix_score", "count_hits", "merge_words", "build_table",
                "walk_steps", "rank_items", "pick_best", "shift_text", "tally_keys", "blend",
                "measure", "spread", "gather")
RECURSIVE_NAMES = ("descend", "unwind", "climb", "reduce_down", "echo_back")
ENTRY_NAME = "solve"


@dataclasses.dataclass(frozen=True)
class GenConfig:
    """Generator knobs. ``size`` and ``difficulty`` run from 1 (tiny, easy) to 5."""

    size: int = 3
    difficulty: int = 3
    max_attempts: int = 400

    def __post_init__(self):
        for k in ("size", "difficulty"):
            v = getattr(self, k)
            if not 1 <= v <= 5:
                raise ValueError(f"GenConfig.{k} must be in 1..5, got {v}")


class FunctionGen(ExprGen):
    """Generates one function's body given the earlier functions it may call."""

    def __init__(self, rng: random.Random, cfg: GenConfig, callables: list[ir.Function],
                 recursive: set[str]):
        self.rng, self.cfg = rng, cfg
        self.callables, self.recursive = callables, recursive
        self.scope = Scope()
        self.max_expr_depth = 1 + cfg.difficulty // 2

    # ----------------------------------------------------------------------------- types
    def random_type(self, collections: bool = True) -> ir.Type:
        d = self.cfg.difficulty
        scalars = [ir.INT, ir.INT, ir.INT, ir.FLOAT, ir.BOOL] + ([ir.STR, ir.STR] if d >= 2 else [])
        r = self.rng.random()
        if collections and d >= 2 and r < 0.3:
            return ir.list_of(self.rng.choice([ir.INT, ir.INT, ir.STR, ir.FLOAT, ir.BOOL]))
        if collections and d >= 3 and r < 0.4:
            return ir.map_of(self.rng.choice(ir.MAP_KEYS), self.rng.choice([ir.INT, ir.INT, ir.STR, ir.FLOAT]))
        return self.rng.choice(scalars)

    def fresh_name(self, pool: tuple[str, ...]) -> str:
        for name in self.rng.sample(pool, len(pool)):
            if name not in self.scope.names:
                self.scope.names.add(name)
                return name
        base, k = self.rng.choice(pool), 2
        while f"{base}_{k}" in self.scope.names:
            k += 1
        self.scope.names.add(f"{base}_{k}")
        return f"{base}_{k}"

    def declare(self, name: str, t: ir.Type):
        self.scope.frames[-1][name] = t

    def depth(self) -> int:
        return self.rng.randint(1, self.max_expr_depth)

    # ------------------------------------------------------------------------ statements
    def block(self, n: int, nest: int, allow_return: bool = False) -> list[ir.Stmt]:
        self.scope.frames.append({})
        out: list[ir.Stmt] = []
        for _ in range(n):
            s = self.stmt(nest)
            out.extend(s)
        if allow_return and self.rng.random() < 0.25:
            out.append(ir.Return(self.expr(self.ret, self.depth())))
        self.scope.frames.pop()
        return out

    def stmt(self, nest: int) -> list[ir.Stmt]:
        d = self.cfg.difficulty
        loops_ok = nest < min(2, d)
        opts = [
            (3.0, self.let_stmt),
            (3.0, self.assign_stmt),
            (1.5 if d >= 2 else 0, self.append_stmt),
            (0.7 if d >= 2 else 0, self.list_set_stmt),
            (1.2 if d >= 3 else 0, self.map_put_stmt),
            (2.0 if nest < 3 else 0, lambda: self.if_stmt(nest)),
            (2.0 if loops_ok else 0, lambda: self.for_range_stmt(nest)),
            (1.5 if loops_ok and d >= 2 else 0, lambda: self.for_each_stmt(nest)),
            (0.8 if loops_ok and d >= 2 else 0, lambda: self.while_stmt(nest)),
        ]
        out = self.pick(opts)
        return out if out is not None else self.let_stmt()

    def let_stmt(self) -> list[ir.Stmt]:
        t = self.random_type()
        value = self.expr(t, self.depth())
        name = self.fresh_name(NAMES[t.kind])
        self.declare(name, t)
        return [ir.Let(name, t, value)]

    def assign_stmt(self) -> list[ir.Stmt] | None:
        targets = [(n, t) for n, t in self.scope.writable(lambda t: True) if n not in self.scope.no_reassign]
        if not targets:
            return None
        name, t = self.rng.choice(targets)
        self.scope.nonneg.discard(name)
        if t == ir.INT and self.rng.random() < 0.6:  # accumulator update: x = x op e
            op = self.rng.choice(("add", "add", "sub", "max", "min"))
            other = self.expr(ir.INT, self.depth())
            value = bi(op, ir.Var(t, name), other) if op in ("max", "min") else b(op, ir.Var(t, name), other)
        elif t == ir.STR and self.rng.random() < 0.5:
            value = bi("concat", ir.Var(t, name), self.expr(ir.STR, self.depth()))
        else:
            value = self.expr(t, self.depth())
        if value == ir.Var(t, name):
            return None
        return [ir.Assign(name, value)]

    def append_stmt(self) -> list[ir.Stmt] | None:
        targets = self.scope.writable(lambda t: t.kind == "list")
        if not targets:
            return None
        name, t = self.rng.choice(targets)
        return [ir.ListAppend(name, self.expr(t.elem, self.depth()))]

    def list_set_stmt(self) -> list[ir.Stmt] | None:
        targets = self.scope.writable(lambda t: t.kind == "list")
        if not targets:
            return None
        name, t = self.rng.choice(targets)
        return [ir.ListSet(name, self.index_for(name, t, 1), self.expr(t.elem, self.depth()))]

    def map_put_stmt(self) -> list[ir.Stmt] | None:
        targets = self.scope.writable(lambda t: t.kind == "map")
        if not targets:
            return None
        name, t = self.rng.choice(targets)
        key = self.expr(t.key, self.depth())
        if t.value == ir.INT and self.rng.random() < 0.5:  # counting pattern
            value = b("add", bi("map_get_or", ir.Var(t, name), key, lit(0)), lit(1))
        else:
            value = self.expr(t.value, self.depth())
        return [ir.MapPut(name, key, value)]

    def cond(self) -> ir.Expr:
        """A condition that reads something (``if False:`` is noise)."""
        for _ in range(4):
            c = self.expr(ir.BOOL, self.depth())
            if not isinstance(c, ir.Lit):
                return c
        return c

    def if_stmt(self, nest: int) -> list[ir.Stmt]:
        cond = self.cond()
        n = max(1, self.cfg.size - nest)
        then = self.block(self.rng.randint(1, n), nest + 1, allow_return=True)
        orelse = self.block(self.rng.randint(1, n), nest + 1) if self.rng.random() < 0.4 else []
        return [ir.If(cond, tuple(then), tuple(orelse))]

    def loop_body(self, nest: int) -> list[ir.Stmt]:
        return self.block(self.rng.randint(1, max(1, self.cfg.size)), nest + 1)

    def for_range_stmt(self, nest: int) -> list[ir.Stmt]:
        var = self.fresh_name(("i", "j", "k", "idx", "t"))
        colls = [(n, t) for n, t in self.scope.visible().items() if t.kind == "list" or t == ir.STR]
        start = lit(self.rng.choice((0, 0, 0, 1)))
        indexes = None
        r = self.rng.random()
        if colls and r < 0.5:
            cname, ct = self.rng.choice(colls)
            stop = bi("str_len" if ct == ir.STR else "list_len", ir.Var(ct, cname))
            indexes = cname
        elif r < 0.75 and self.scope.of_type(ir.INT):
            stop = bi("min", ir.Var(ir.INT, self.rng.choice(self.scope.of_type(ir.INT))), lit(self.rng.randint(3, 12)))
        else:
            stop = lit(self.rng.randint(1, 8))
        # C-family loops re-test ``i < stop`` every iteration, so nothing ``stop`` reads may change
        # inside the body (check rule 5); that also keeps ``var`` a valid index of ``indexes``.
        frozen = {x.name for x in ir.walk_expr(stop) if isinstance(x, ir.Var)} - self.scope.readonly
        self.scope.readonly |= frozen
        self.scope.frames.append({var: ir.INT})
        self.scope.readonly.add(var)
        self.scope.nonneg.add(var)
        if indexes is not None:
            self.scope.safe_index[var] = {indexes}
        body = self.loop_body(nest)
        self.scope.safe_index.pop(var, None)
        self.scope.readonly -= frozen
        self.scope.frames.pop()
        return [ir.ForRange(var, start, stop, tuple(body))]

    def for_each_stmt(self, nest: int) -> list[ir.Stmt] | None:
        lists = self.scope.of_kind("list")
        maps = self.scope.of_kind("map")
        if not lists and not maps:
            return None
        key_of = None
        if maps and (not lists or self.rng.random() < 0.4):
            mname, mt = self.rng.choice(maps)
            iterable: ir.Expr = bi("map_keys_sorted", ir.Var(mt, mname))
            elem = mt.key
            key_of = mname if mname not in self.scope.no_reassign else None
        else:
            lname, lt = self.rng.choice(lists)
            iterable = ir.Var(lt, lname) if self.rng.random() < 0.75 else \
                (bi("sorted", ir.Var(lt, lname)) if lt.elem != ir.BOOL else bi("reversed", ir.Var(lt, lname)))
            elem = lt.elem
        var = self.fresh_name(("x", "y", "w", "item", "elem", "key", "part"))
        frozen = iterable.name if isinstance(iterable, ir.Var) and iterable.name not in self.scope.readonly else None
        if frozen:
            self.scope.readonly.add(frozen)
        if key_of:
            self.scope.present_keys.setdefault(key_of, set()).add(var)
            added_nr = key_of not in self.scope.no_reassign
            self.scope.no_reassign.add(key_of)
        self.scope.frames.append({var: elem})
        self.scope.readonly.add(var)
        body = self.loop_body(nest)
        self.scope.frames.pop()
        if frozen:
            self.scope.readonly.discard(frozen)
        if key_of:
            self.scope.present_keys[key_of].discard(var)
            if added_nr:
                self.scope.no_reassign.discard(key_of)
        return [ir.ForEach(var, elem, iterable, tuple(body))]

    def while_stmt(self, nest: int) -> list[ir.Stmt]:
        counter = self.fresh_name(("k", "c", "steps_left", "cursor", "round_no"))
        init = self.rng.randint(0, 2)
        self.declare(counter, ir.INT)
        bound = self.rng.choice([lit(self.rng.randint(2, 9))] + (
            [bi("min", ir.Var(ir.INT, n), lit(10)) for n in self.scope.of_type(ir.INT) if n != counter][:2]))
        cond: ir.Expr = b("lt", ir.Var(ir.INT, counter), bound)
        if self.rng.random() < 0.3:
            cond = b("and", cond, self.cond())
        self.scope.readonly.add(counter)  # only the final increment writes it
        self.scope.nonneg.add(counter)
        body = self.loop_body(nest)
        self.scope.readonly.discard(counter)
        if body and isinstance(body[-1], ir.Return):
            body = body[:-1]
        step = ir.Assign(counter, b("add", ir.Var(ir.INT, counter), lit(self.rng.choice((1, 1, 2)))))
        return [ir.Let(counter, ir.INT, lit(init)), ir.While(cond, tuple(body) + (step,))]

    # ------------------------------------------------------------------------- functions
    def params(self, n: int, entry: bool) -> list[ir.Param]:
        out = []
        for _ in range(n):
            t = self.random_type()
            name = self.fresh_name(PARAM_NAMES.get(str(t), PARAM_NAMES.get(t.kind, ())))
            self.declare(name, t)
            self.scope.readonly.add(name)
            out.append(ir.Param(name, t))
        return out

    def function(self, name: str, entry: bool) -> ir.Function:
        self.scope.names.add(name)
        params = self.params(self.rng.randint(1, 3), entry)
        self.ret = self.random_type()
        n = self.rng.randint(self.cfg.size + 1, 2 * self.cfg.size + 3)
        body = self.block_at_top(n)
        return self.finish(name, params, body)

    def recursive_function(self, name: str) -> ir.Function:
        """``f(n, ...)``: a base case for ``n <= 0``, then one call of ``f(n - 1, ...)``."""
        self.scope.names.add(name)
        depth = self.fresh_name(("n", "depth", "remaining"))
        self.declare(depth, ir.INT)
        self.scope.readonly.add(depth)
        self.scope.nonneg.add(depth)
        rest = self.params(self.rng.randint(0, 2), False)
        params = [ir.Param(depth, ir.INT)] + rest
        self.ret = self.random_type(collections=False)
        base_case = ir.If(b("le", ir.Var(ir.INT, depth), lit(0)), (ir.Return(self.expr(self.ret, 1)),))
        args = [b("sub", ir.Var(ir.INT, depth), lit(1))] + [
            ir.Var(p.type, p.name) if p.type.is_collection else self.expr(p.type, 1) for p in rest]
        rec = self.fresh_name(("sub_result", "prev", "inner"))
        call = ir.Let(rec, self.ret, ir.Call(self.ret, name, tuple(args)))
        self.declare(rec, self.ret)
        body = [base_case, call] + self.block_at_top(self.rng.randint(0, self.cfg.size))
        combine = {"int": lambda a, e: b("add", a, e), "float": lambda a, e: b("add", a, e),
                   "bool": lambda a, e: b(self.rng.choice(ir.LOGIC_OPS), a, e),
                   "str": lambda a, e: bi("concat", a, e)}[self.ret.kind]
        body[-1] = ir.Return(combine(ir.Var(self.ret, rec), self.expr(self.ret, 1)))
        return self.finish(name, params, body)

    def block_at_top(self, n: int) -> list[ir.Stmt]:
        out = []
        for _ in range(n):
            out.extend(self.stmt(0))
        locals_ = [(n, t) for n, t in self.scope.frames[0].items() if t == self.ret and n not in self.scope.readonly]
        if locals_ and self.rng.random() < 0.6:
            value = ir.Var(self.ret, self.rng.choice(locals_)[0])
        else:
            value = self.expr(self.ret, self.depth())
        out.append(ir.Return(value))
        return out

    def finish(self, name: str, params: list[ir.Param], body: list[ir.Stmt]) -> ir.Function:
        body_t = prune_unused(tuple(body))
        return ir.Function(name, tuple(params), self.ret, body_t, describe_function(name, params, self.ret, body_t))


def _cases(rng: random.Random, entry: ir.Function, n: int) -> tuple[tuple[ir.Expr, ...], ...]:
    gen = ExprGen()
    gen.rng = rng

    def value(t: ir.Type) -> ir.Expr:
        if t == ir.INT:
            return lit(rng.randint(-5, 20) if rng.random() < 0.2 else rng.randint(0, 15))
        if t == ir.STR:
            return lit(rng.choice(("",) + tuple(gen_words(rng))))
        if t.kind == "list":
            k = rng.randint(1, 6) if rng.random() < 0.85 else 0
            return ir.ListLit(t, tuple(value(t.elem) for _ in range(k)))
        if t.kind == "map":
            keys = gen.distinct_keys(t.key, rng.randint(0, 4))
            return ir.MapLit(t, tuple((k, value(t.value)) for k in keys))
        return gen.lit_of(t)

    cases: list[tuple[ir.Expr, ...]] = []
    for _ in range(4 * n):  # distinct argument tuples; a tiny domain (one bool) may allow fewer
        case = tuple(value(p.type) for p in entry.params)
        if case not in cases:
            cases.append(case)
        if len(cases) == n:
            break
    return tuple(cases)


def gen_words(rng: random.Random) -> list[str]:
    from codescale_jax.data.synthetic.gen_expr import WORDS
    extra = "".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(rng.randint(1, 7)))
    return list(WORDS) + [extra, extra.upper()]


def _draw(rng: random.Random, cfg: GenConfig, seed_text: str) -> ir.Program:
    functions: list[ir.Function] = []
    recursive: set[str] = set()
    n_helpers = rng.randint(0, cfg.size - 1 + (cfg.difficulty >= 2))
    names = rng.sample(HELPER_NAMES, n_helpers)
    for name in names:
        if cfg.difficulty >= 3 and rng.random() < 0.3 and not recursive:
            rname = rng.choice(RECURSIVE_NAMES)
            fn = FunctionGen(rng, cfg, list(functions), recursive).recursive_function(rname)
            recursive.add(rname)
        else:
            fn = FunctionGen(rng, cfg, list(functions), recursive).function(name, entry=False)
        functions.append(fn)
    entry = FunctionGen(rng, cfg, list(functions), recursive).function(ENTRY_NAME, entry=True)
    functions.append(entry)
    used = ir.calls(entry.body)
    for fn in reversed(functions[:-1]):  # drop helpers nobody calls
        if fn.name in used:
            used |= ir.calls(fn.body)
    functions = [f for f in functions[:-1] if f.name in used] + [entry]
    cases = _cases(rng, entry, rng.randint(3, 5))
    return ir.Program(tuple(functions), cases, seed_text)


def _trivial(program: ir.Program) -> bool:
    """An entry that only returns a parameter, or whose result reads no parameter at all (after
    dead-code elimination), teaches nothing; draw again."""
    entry = program.entry
    body = entry.body
    if len(body) == 1 and isinstance(body[0].value, (ir.Var, ir.Lit, ir.ListLit, ir.MapLit)):
        return True
    return not any(ir.reads(p.name, body) for p in entry.params)


def _constant_output(outputs: list) -> bool:
    """Every case printing the same line would let a constant answer pass the task's tests."""
    return len(outputs) > 1 and all(o == outputs[0] for o in outputs[1:])


def generate_program(seed: int | str, config: GenConfig | None = None) -> ir.Program:
    """One program, a pure function of ``seed`` and ``config`` (see the module docstring)."""
    cfg = config or GenConfig()
    for attempt in range(cfg.max_attempts):
        seed_text = f"{seed}/{cfg.size}/{cfg.difficulty}/{attempt}"
        rng = random.Random(seed_text)
        program = _draw(rng, cfg, seed_text)
        try:
            check_program(program)
        except IRError as err:  # a generator bug: surface it instead of silently redrawing
            raise RuntimeError(f"generator produced an ill-formed program (seed {seed_text}): {err}") from err
        if _trivial(program):
            continue
        try:
            outputs = run_cases(program)
        except (Rejected, RecursionError):
            continue
        if _constant_output(outputs):
            continue
        return program
    raise RuntimeError(f"no program inside the semantic envelope after {cfg.max_attempts} attempts "
                       f"(seed {seed}, {cfg}); lower difficulty or raise max_attempts")


#: A spread of knobs for corpora: small easy programs to long hard ones.
MIXED = (GenConfig(1, 1), GenConfig(2, 2), GenConfig(3, 3), GenConfig(3, 4), GenConfig(4, 4), GenConfig(5, 5))


def generate_programs(n: int, seed: int = 0,
                      config: GenConfig | Sequence[GenConfig] | None = None) -> list[ir.Program]:
    """``n`` programs; program ``i`` is ``generate_program(f"{seed}:{i}", cfg_i)`` where ``cfg_i``
    is ``config``, or ``config[i % len(config)]`` for a sequence (e.g. :data:`MIXED`)."""
    if n < 0:
        raise ValueError(f"n must be >= 0, got {n}")
    configs = [config] if config is None or isinstance(config, GenConfig) else list(config)
    if not configs:
        raise ValueError("config sequence is empty")
    return [generate_program(f"{seed}:{i}", configs[i % len(configs)]) for i in range(n)]
