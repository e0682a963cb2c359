"""Random well-typed expressions for the generator (statements live in ``generate.py``).

Productions are chosen so that programs rarely leave the semantic envelope (small literals,
dividends wrapped in ``abs``, slices clamped with ``min``, letters built as ``97 + k % 26``); the
interpreter rejects the rare program that still does and the generator draws again.
"""

from __future__ import annotations

import random
from typing import Callable

from codescale_jax.data.synthetic import ir
from codescale_jax.data.synthetic.prune import negate

WORDS = ("apple", "kiwi", "stone", "river", "cloud", "tiger", "mango", "pixel", "delta", "orbit",
         "ember", "lunar", "quartz", "zebra", "ab", "abc", "a", "bob", "noon", "level", "data", "xyz")
SEPARATORS = (", ", "-", ":", " ", "", ".", "_")
RECURSION_LIMIT = 12  # recursive helpers get ``k % 12`` as their depth argument


def lit(v) -> ir.Lit:
    t = {bool: ir.BOOL, int: ir.INT, float: ir.FLOAT, str: ir.STR}[type(v)]
    return ir.Lit(t, v)


def b(op: str, left: ir.Expr, right: ir.Expr) -> ir.Binary:
    t = ir.BOOL if op in ir.COMPARE_OPS or op in ir.LOGIC_OPS else left.type
    return ir.Binary(t, op, left, right)


def bi(op: str, *args: ir.Expr) -> ir.Builtin:
    from codescale_jax.data.synthetic.check import builtin_type
    return ir.Builtin(builtin_type(op, tuple(a.type for a in args)), op, tuple(args))


def narrows(left: ir.Expr, right: ir.Expr) -> bool:
    """Whether ``left == right`` is a reference compared with a literal (see check rule 10)."""
    from codescale_jax.data.synthetic.check import narrowing_equality
    return narrowing_equality(ir.Binary(ir.BOOL, "eq", left, right))


def _constant(e: ir.Expr) -> bool:
    """An operator applied to literals only (``2 + 3``, ``"a" + "b"``) reads like noise; the
    generator skips such productions and falls back to a plain literal or a variable."""
    if not isinstance(e, (ir.Binary, ir.Unary, ir.Builtin)):
        return False
    return not any(isinstance(x, (ir.Var, ir.Call)) for x in ir.walk_expr(e))


class Scope:
    """What is visible while generating one function: variables, their roles and facts."""

    def __init__(self):
        self.frames: list[dict[str, ir.Type]] = [{}]
        self.readonly: set[str] = set()  # params, loop vars, iterated lists
        self.no_reassign: set[str] = set()  # collections a live safe index refers to
        self.safe_index: dict[str, set[str]] = {}  # int var -> collections it indexes safely
        self.present_keys: dict[str, set[str]] = {}  # map var -> key vars known to be present
        self.nonneg: set[str] = set()  # int vars known to be >= 0
        self.names: set[str] = set()

    def visible(self) -> dict[str, ir.Type]:
        out: dict[str, ir.Type] = {}
        for f in self.frames:
            out.update(f)
        return out

    def of_type(self, t: ir.Type) -> list[str]:
        return [n for n, vt in self.visible().items() if vt == t]

    def of_kind(self, kind: str) -> list[tuple[str, ir.Type]]:
        return [(n, vt) for n, vt in self.visible().items() if vt.kind == kind]

    def writable(self, pred: Callable[[ir.Type], bool]) -> list[tuple[str, ir.Type]]:
        return [(n, t) for n, t in self.visible().items() if pred(t) and n not in self.readonly]


class ExprGen:
    """Mixin: ``self.rng``, ``self.scope``, ``self.callables`` and ``self.recursive`` are set by
    the function generator."""

    rng: random.Random
    scope: Scope
    callables: list[ir.Function]
    recursive: set[str]
    max_expr_depth: int

    # ------------------------------------------------------------------------------ atoms
    def small_int(self) -> int:
        r = self.rng.random()
        return self.rng.randint(0, 9) if r < 0.8 else self.rng.randint(10, 30) if r < 0.95 else -self.rng.randint(1, 5)

    def lit_of(self, t: ir.Type) -> ir.Expr:
        if t == ir.INT:
            return lit(self.small_int())
        if t == ir.FLOAT:
            return lit(self.rng.randint(-12, 40) / 4)
        if t == ir.BOOL:
            return lit(self.rng.random() < 0.5)
        if t == ir.STR:
            return lit(self.rng.choice(WORDS))
        if t.kind == "list":
            return ir.ListLit(t, tuple(self.lit_of(t.elem) for _ in range(self.rng.randint(0, 4))))
        keys = self.distinct_keys(t.key, self.rng.randint(0, 3))
        return ir.MapLit(t, tuple((k, self.lit_of(t.value)) for k in keys))

    def distinct_keys(self, kt: ir.Type, n: int) -> list[ir.Lit]:
        pool = list(WORDS) if kt == ir.STR else list(range(0, 12))
        return [lit(v) for v in self.rng.sample(pool, n)]

    def var_of(self, t: ir.Type) -> ir.Var | None:
        names = self.scope.of_type(t)
        return ir.Var(t, self.rng.choice(names)) if names else None

    def pick(self, options: list[tuple[float, Callable[[], ir.Expr | None]]]) -> ir.Expr | None:
        options = [(w, f) for w, f in options if w > 0]
        while options:
            total = sum(w for w, _ in options)
            r = self.rng.random() * total
            for i, (w, f) in enumerate(options):
                r -= w
                if r <= 0:
                    break
            out = options[i][1]()
            if out is not None and not _constant(out):
                return out
            options.pop(i)
        return None

    # ------------------------------------------------------------------------ entry point
    def expr(self, t: ir.Type, depth: int) -> ir.Expr:
        """A random expression of type ``t``; scalars only at depth 0 come from atoms."""
        if t.is_collection:
            return self.fresh_collection(t, depth)
        if depth <= 0:
            return self.pick([(3, lambda: self.var_of(t)), (1, lambda: self.lit_of(t))]) or self.lit_of(t)
        d = depth - 1
        table = {ir.INT: self.int_expr, ir.FLOAT: self.float_expr, ir.BOOL: self.bool_expr,
                 ir.STR: self.str_expr}
        return table[t](d) or self.lit_of(t)

    def common(self, t: ir.Type, d: int) -> list:
        return [
            (3.0, lambda: self.var_of(t)),
            (1.0, lambda: self.lit_of(t)),
            (1.2, lambda: self.call_returning(t, d)),
            (1.0, lambda: self.list_elem(t, d)),
            (0.8, lambda: self.map_value(t, d)),
        ]

    def int_expr(self, d: int) -> ir.Expr | None:
        e = lambda: self.expr(ir.INT, d)  # noqa: E731
        return self.pick(self.common(ir.INT, d) + [
            (2.5, lambda: b(self.rng.choice(("add", "sub")), e(), e())),
            (0.8, lambda: b("mul", e(), lit(self.rng.randint(2, 4)))),
            (1.0, lambda: b(self.rng.choice(("div", "mod")), self.nonneg(d), lit(self.rng.randint(2, 9)))),
            (0.3, lambda: ir.Unary(ir.INT, "neg", self.expr(ir.INT, 0))),
            (0.6, lambda: bi(self.rng.choice(("min", "max")), e(), e())),
            (0.3, lambda: bi("abs", e())),
            (0.5, lambda: bi("trunc", self.expr(ir.FLOAT, d))),
            (0.7, lambda: self.length(d)),
            (0.4, lambda: self.char_code(d)),
            (0.3, lambda: bi("str_find", self.expr(ir.STR, d), self.expr(ir.STR, 0))),
        ])

    def float_expr(self, d: int) -> ir.Expr | None:
        e = lambda: self.expr(ir.FLOAT, d)  # noqa: E731
        return self.pick(self.common(ir.FLOAT, d) + [
            (2.0, lambda: b(self.rng.choice(("add", "sub", "mul")), e(), e())),
            (0.8, lambda: b("div", e(), self.positive_float(d))),
            (1.2, lambda: bi("to_float", self.expr(ir.INT, d))),
            (0.5, lambda: bi(self.rng.choice(("min", "max")), e(), e())),
            (0.3, lambda: bi("abs", e())),
            (0.2, lambda: ir.Unary(ir.FLOAT, "neg", self.expr(ir.FLOAT, 0))),
        ])

    def bool_expr(self, d: int) -> ir.Expr | None:
        num = lambda: self.rng.choice((ir.INT, ir.INT, ir.INT, ir.FLOAT))  # noqa: E731

        def compare():
            t = num()
            left, right = self.expr(t, d), self.expr(t, d)
            if right == left:  # ``x < x`` reads as a bug; compare with a literal instead
                right = self.lit_of(t)
            if isinstance(left, ir.Lit) and isinstance(right, ir.Lit):  # constant: read a variable
                left = self.var_of(t) or self.nonneg(d) if t == ir.INT else self.var_of(t) or left
            op = self.rng.choice(ir.COMPARE_OPS)
            if op in ("eq", "ne") and narrows(left, right):
                op = self.rng.choice(("lt", "le", "gt", "ge"))
            return b(op, left, right)

        def logic():
            left, right = self.expr(ir.BOOL, d), self.expr(ir.BOOL, d)
            if isinstance(left, ir.Lit) or isinstance(right, ir.Lit) or left == right:
                return None  # ``x and False`` / ``x or x`` read as mistakes
            return b(self.rng.choice(ir.LOGIC_OPS), left, right)

        return self.pick([(w, f) for w, f in self.common(ir.BOOL, d) if w != 1.0] + [
            (4.0, compare),
            (1.0, logic),
            (0.6, lambda: negate(self.expr(ir.BOOL, d))),
            (0.5, lambda: self.str_compare(d)),
            (0.6, lambda: bi("str_contains", self.expr(ir.STR, d), self.expr(ir.STR, 0))),
            (0.8, lambda: self.contains(d)),
            (0.2, lambda: lit(self.rng.random() < 0.5)),
        ])

    def str_compare(self, d: int) -> ir.Expr:
        left, right = self.expr(ir.STR, d), self.expr(ir.STR, 0)
        if left == right:
            right = self.lit_of(ir.STR)
        if narrows(left, right):
            return bi("str_contains", left, right) if isinstance(right, ir.Lit) else bi("str_contains", right, left)
        return b(self.rng.choice(("eq", "ne")), left, right)

    def str_expr(self, d: int) -> ir.Expr | None:
        s = lambda: self.expr(ir.STR, d)  # noqa: E731
        return self.pick(self.common(ir.STR, d) + [
            (1.5, lambda: bi("concat", s(), s())),
            (0.7, lambda: self.char_at(d)),
            (0.7, lambda: self.substring(d)),
            (0.5, lambda: bi(self.rng.choice(("upper", "lower", "str_reverse")), s())),
            (0.3, lambda: bi("str_repeat", s(), lit(self.rng.randint(0, 3)))),
            (0.8, lambda: bi("int_to_str", self.expr(ir.INT, d))),
            (0.5, lambda: self.letter(d)),
            (0.4, lambda: self.join(d)),
        ])

    # ------------------------------------------------------------------ safe productions
    def nonneg(self, d: int) -> ir.Expr:
        """An int expression that is >= 0 at run time (a dividend)."""
        names = [n for n in self.scope.of_type(ir.INT) if n in self.scope.nonneg]
        choice = self.rng.random()
        if names and choice < 0.4:
            return ir.Var(ir.INT, self.rng.choice(names))
        if choice < 0.6:
            length = self.length(d)
            if length is not None:
                return length
        return bi("abs", self.expr(ir.INT, d))

    def positive_float(self, d: int) -> ir.Expr:
        if self.rng.random() < 0.5:
            return lit(self.rng.choice((2.0, 4.0, 0.5, 1.5, 2.5, 8.0)))
        return b("add", bi("abs", self.expr(ir.FLOAT, d)), lit(1.0))

    def length(self, d: int) -> ir.Expr | None:
        options = [(n, t) for n, t in self.scope.visible().items() if t.is_collection or t == ir.STR]
        if not options:
            return None
        n, t = self.rng.choice(options)
        op = {"str": "str_len", "list": "list_len", "map": "map_len"}[t.kind]
        return bi(op, ir.Var(t, n))

    def index_for(self, name: str, t: ir.Type, d: int) -> ir.Expr:
        """An index valid for collection/string variable ``name`` (if it is non-empty)."""
        safe = [i for i, colls in self.scope.safe_index.items() if name in colls]
        if safe and self.rng.random() < 0.8:
            return ir.Var(ir.INT, self.rng.choice(safe))
        op = "str_len" if t == ir.STR else "list_len"
        length = bi(op, ir.Var(t, name))
        for _ in range(3):  # ``len(xs) % len(xs)`` is always 0: draw another dividend
            dividend = self.nonneg(max(d - 1, 0))
            if dividend != length:
                break
        return b("mod", dividend, length)

    def list_elem(self, t: ir.Type, d: int) -> ir.Expr | None:
        lists = self.scope.of_type(ir.list_of(t))
        if not lists:
            return None
        name = self.rng.choice(lists)
        lt = ir.list_of(t)
        return bi("list_get", ir.Var(lt, name), self.index_for(name, lt, d))

    def map_value(self, t: ir.Type, d: int) -> ir.Expr | None:
        maps = [(n, mt) for n, mt in self.scope.of_kind("map") if mt.value == t]
        if not maps:
            return None
        n, mt = self.rng.choice(maps)
        key_vars = sorted(self.scope.present_keys.get(n, ()))
        if key_vars and self.rng.random() < 0.7:
            return bi("map_get", ir.Var(mt, n), ir.Var(mt.key, self.rng.choice(key_vars)))
        return bi("map_get_or", ir.Var(mt, n), self.expr(mt.key, d), self.lit_of(t))

    def contains(self, d: int) -> ir.Expr | None:
        colls = self.scope.of_kind("list") + self.scope.of_kind("map")
        if not colls:
            return None
        n, t = self.rng.choice(colls)
        if t.kind == "list":
            return bi("list_contains", ir.Var(t, n), self.expr(t.elem, d))
        return bi("map_contains", ir.Var(t, n), self.expr(t.key, d))

    def char_at(self, d: int) -> ir.Expr | None:
        names = self.scope.of_type(ir.STR)
        if not names:
            return None
        n = self.rng.choice(names)
        return bi("char_at", ir.Var(ir.STR, n), self.index_for(n, ir.STR, d))

    def char_code(self, d: int) -> ir.Expr | None:
        names = self.scope.of_type(ir.STR)
        if not names:
            return None
        n = self.rng.choice(names)
        return bi("char_code", ir.Var(ir.STR, n), self.index_for(n, ir.STR, d))

    def clamp_pair(self, length: ir.Expr) -> tuple[ir.Expr, ir.Expr]:
        lo = self.rng.randint(0, 3)
        hi = lo + self.rng.randint(1, 4)
        return bi("min", lit(lo), length), bi("min", lit(hi), length)

    def substring(self, d: int) -> ir.Expr | None:
        names = self.scope.of_type(ir.STR)
        if not names:
            return None
        v = ir.Var(ir.STR, self.rng.choice(names))
        lo, hi = self.clamp_pair(bi("str_len", v))
        return bi("substring", v, lo, hi)

    def letter(self, d: int) -> ir.Expr:
        base, span = self.rng.choice(((97, 26), (65, 26), (48, 10)))
        return bi("from_char_code", b("add", lit(base), b("mod", self.nonneg(d), lit(span))))

    def join(self, d: int) -> ir.Expr | None:
        lt = ir.list_of(ir.STR)
        src = self.var_of(lt)
        if src is None:
            return None
        return bi("str_join", src, lit(self.rng.choice(SEPARATORS)))

    # -------------------------------------------------------------------- collections
    def borrow(self, t: ir.Type, d: int) -> ir.Expr:
        """A collection operand that is only read: a variable when one exists."""
        v = self.var_of(t)
        if v is not None and self.rng.random() < 0.85:
            return v
        return self.fresh_collection(t, d)

    def fresh_collection(self, t: ir.Type, d: int) -> ir.Expr:
        """A collection expression that shares nothing with any variable (Let/Assign/Return)."""
        if t.kind == "map":
            call = self.call_returning(t, d) if self.rng.random() < 0.2 else None
            return call or self.lit_of(t)
        options = [(1.0, lambda: self.lit_of(t)), (1.0, lambda: self.call_returning(t, d))]
        src = self.var_of(t)
        if src is not None:
            options += [
                (1.2, lambda: bi("list_slice", src, *self.clamp_pair(bi("list_len", src)))),
                (1.0 if t.elem != ir.BOOL else 0.0, lambda: bi("sorted", src)),
                (0.8, lambda: bi("reversed", src)),
                (0.8, lambda: bi("list_concat", src, self.borrow(t, d - 1) if d > 0 else self.lit_of(t))),
            ]
        maps = [(n, mt) for n, mt in self.scope.of_kind("map") if mt.key == t.elem]
        if maps:
            n, mt = self.rng.choice(maps)
            options.append((1.2, lambda: bi("map_keys_sorted", ir.Var(mt, n))))
        return self.pick(options) or self.lit_of(t)

    # -------------------------------------------------------------------------- calls
    def has_callable(self, t: ir.Type) -> bool:
        return any(f.ret == t for f in self.callables)

    def call_returning(self, t: ir.Type, d: int) -> ir.Expr | None:
        fns = [f for f in self.callables if f.ret == t]
        if not fns or d <= 0:  # arguments are one level shallower; depth 0 has no calls
            return None
        fn = self.rng.choice(fns)
        args = []
        for i, p in enumerate(fn.params):
            if i == 0 and fn.name in self.recursive:
                args.append(b("mod", self.nonneg(max(d - 1, 0)), lit(RECURSION_LIMIT)))
            elif p.type.is_collection:
                args.append(self.borrow(p.type, max(d - 1, 0)))
            else:
                args.append(self.expr(p.type, max(d - 1, 0)))
        return ir.Call(t, fn.name, tuple(args))
