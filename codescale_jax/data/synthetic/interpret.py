"""The reference interpreter: the executable form of the SEMANTICS contract in ``render_base``.

It runs an IR program directly and either returns the driver's expected output or raises
:class:`Rejected` when the program leaves the envelope every language computes identically in
(an int beyond +-(2^31 - 1), a division with a negative operand, an index out of range, a float
that would print ambiguously, too many steps, ...). The generator uses it as a filter, so every
program it emits runs here to completion; the verifier uses its output as the oracle the seven
languages are compared against.
"""

from __future__ import annotations

import contextlib
import math
import sys
from fractions import Fraction

from codescale_jax.data.synthetic import ir
from codescale_jax.data.synthetic.render_base import (
    FLOAT_DECIMALS, INT_LIMIT, PRINT_FLOAT_LIMIT, STRING_ALPHABET, format_value)

MAX_STEPS = 20_000  # statements executed plus calls made, over all cases of one program
MAX_DEPTH = 60  # call depth (recursion); far below every language's default stack
MAX_LEN = 200  # longest string, list or map a program may build
FLOAT_LIMIT = 1e9  # largest float magnitude anywhere in a computation
CHAR_CODES = frozenset(ord(c) for c in STRING_ALPHABET if c.isalnum())


class Rejected(Exception):
    """The program leaves the identically-computed envelope; the message says where."""


class _Return(Exception):
    def __init__(self, value):
        self.value = value


def _int(v: int) -> int:
    if abs(v) > INT_LIMIT:
        raise Rejected(f"int {v} beyond +-{INT_LIMIT}")
    return v


def _float(v: float) -> float:
    if not math.isfinite(v) or abs(v) > FLOAT_LIMIT:
        raise Rejected(f"float {v} not finite or beyond {FLOAT_LIMIT}")
    if v == 0.0 and math.copysign(1.0, v) < 0:
        raise Rejected("negative zero")
    return v


def _sized(v):
    if len(v) > MAX_LEN:
        raise Rejected(f"a string/list/map longer than {MAX_LEN}")
    return v


def _index(i: int, n: int) -> int:
    if not 0 <= i < n:
        raise Rejected(f"index {i} out of range for length {n}")
    return i


def _bounds(a: int, b: int, n: int):
    if not 0 <= a <= b <= n:
        raise Rejected(f"slice [{a}, {b}) out of range for length {n}")


def printable_float(x: float) -> None:
    """Reject a float the languages' fixed-decimal formatters might print differently.

    The formatters disagree only near a rounding tie (Java and JavaScript round half up, the others
    exactly; mono's double-to-text keeps 15 significant digits first), on negative zero, and on a
    negative value that rounds to zero. A printed float must be below PRINT_FLOAT_LIMIT, must not
    round to zero unless it is +0.0, and must be at least 0.005 units of the last printed digit
    away from a tie.
    """
    if abs(x) >= PRINT_FLOAT_LIMIT:
        raise Rejected(f"printed float {x} beyond {PRINT_FLOAT_LIMIT}")
    if x == 0.0:
        return
    scaled = abs(Fraction(x)) * 10 ** FLOAT_DECIMALS
    frac = scaled - math.floor(scaled)
    if abs(frac - Fraction(1, 2)) < Fraction(1, 200):
        raise Rejected(f"printed float {x!r} too close to a rounding tie")
    if round(scaled) == 0:
        raise Rejected(f"printed float {x!r} rounds to zero")


def _check_printable(v, t: ir.Type) -> None:
    if t == ir.FLOAT:
        printable_float(v)
    elif t.kind == "list" and t.elem == ir.FLOAT:
        for x in v:
            printable_float(x)
    elif t.kind == "map" and t.value == ir.FLOAT:
        for x in v.values():
            printable_float(x)


class Interpreter:
    def __init__(self, program: ir.Program):
        self.program = program
        self.fns = {f.name: f for f in program.functions}
        self.steps = 0
        self.depth = 0

    def tick(self):
        self.steps += 1
        if self.steps > MAX_STEPS:
            raise Rejected(f"more than {MAX_STEPS} steps")

    # ------------------------------------------------------------------------- expressions
    def ev(self, e, env: dict):
        if isinstance(e, ir.Lit):
            return e.value
        if isinstance(e, ir.Var):
            return env[e.name]
        if isinstance(e, ir.ListLit):
            return [self.ev(x, env) for x in e.items]
        if isinstance(e, ir.MapLit):
            return {self.ev(k, env): self.ev(v, env) for k, v in e.items}
        if isinstance(e, ir.Unary):
            x = self.ev(e.operand, env)
            if e.op == "not":
                return not x
            return _int(-x) if e.type == ir.INT else _float(-x)
        if isinstance(e, ir.Binary):
            return self.binary(e, env)
        if isinstance(e, ir.Call):
            return self.call(e.func, [self.ev(a, env) for a in e.args])
        if isinstance(e, ir.Builtin):
            return self.builtin(e.op, [self.ev(a, env) for a in e.args], e)
        raise TypeError(f"not an expression: {type(e).__name__}")

    def binary(self, e: ir.Binary, env: dict):
        op = e.op
        if op == "and":
            return self.ev(e.left, env) and self.ev(e.right, env)
        if op == "or":
            return self.ev(e.left, env) or self.ev(e.right, env)
        a, b = self.ev(e.left, env), self.ev(e.right, env)
        if op in ir.COMPARE_OPS:
            return {"lt": a < b, "le": a <= b, "gt": a > b, "ge": a >= b, "eq": a == b, "ne": a != b}[op]
        if e.type == ir.INT:
            if op in ("div", "mod"):
                if a < 0 or b <= 0:
                    raise Rejected(f"int {op} with dividend {a}, divisor {b}")
                return a // b if op == "div" else a % b
            return _int({"add": a + b, "sub": a - b, "mul": a * b}[op])
        if op == "div" and b == 0.0:
            raise Rejected("float division by zero")
        return _float({"add": a + b, "sub": a - b, "mul": a * b, "div": a / b if b else 0.0}[op])

    def builtin(self, op: str, a: list, e: ir.Builtin):
        if op == "abs":
            return abs(a[0])
        if op in ("min", "max"):
            return min(a[0], a[1]) if op == "min" else max(a[0], a[1])
        if op == "to_float":
            return _float(float(a[0]))
        if op == "trunc":
            return _int(math.trunc(a[0]))
        if op == "int_to_str":
            return str(a[0])
        if op in ("str_len", "list_len", "map_len"):
            return len(a[0])
        if op == "concat":
            return _sized(a[0] + a[1])
        if op == "char_at":
            return a[0][_index(a[1], len(a[0]))]
        if op == "char_code":
            return ord(a[0][_index(a[1], len(a[0]))])
        if op in ("substring", "list_slice"):
            _bounds(a[1], a[2], len(a[0]))
            return a[0][a[1]:a[2]]
        if op == "str_contains":
            return a[1] in a[0]
        if op == "str_find":
            return a[0].find(a[1])
        if op == "upper":
            return a[0].upper()
        if op == "lower":
            return a[0].lower()
        if op in ("str_reverse", "reversed"):
            return a[0][::-1]
        if op == "str_repeat":
            if a[1] < 0:
                raise Rejected("negative repeat count")
            return _sized(a[0] * a[1])
        if op == "from_char_code":
            if a[0] not in CHAR_CODES:
                raise Rejected(f"char code {a[0]} outside letters and digits")
            return chr(a[0])
        if op == "str_join":
            return _sized(a[1].join(a[0]))
        if op == "list_get":
            return a[0][_index(a[1], len(a[0]))]
        if op == "list_contains":
            return a[1] in a[0]
        if op == "sorted":
            return sorted(a[0])
        if op == "list_concat":
            return _sized(a[0] + a[1])
        if op == "map_get":
            if a[1] not in a[0]:
                raise Rejected(f"map_get of absent key {a[1]!r}")
            return a[0][a[1]]
        if op == "map_get_or":
            return a[0].get(a[1], a[2])
        if op == "map_contains":
            return a[1] in a[0]
        if op == "map_keys_sorted":
            return sorted(a[0])
        raise TypeError(f"unknown builtin {op!r}")

    # -------------------------------------------------------------------------- statements
    def call(self, name: str, args: list):
        self.tick()
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise Rejected(f"call depth beyond {MAX_DEPTH}")
        fn = self.fns[name]
        env = {p.name: v for p, v in zip(fn.params, args)}
        try:
            self.block(fn.body, env)
        except _Return as r:
            return r.value
        finally:
            self.depth -= 1
        raise AssertionError(f"function {name} fell off its end")

    def block(self, stmts, env: dict):
        for s in stmts:
            self.tick()
            self.stmt(s, env)

    def stmt(self, s, env: dict):
        if isinstance(s, ir.Let):
            env[s.name] = self.ev(s.value, env)
        elif isinstance(s, ir.Assign):
            env[s.name] = self.ev(s.value, env)
        elif isinstance(s, ir.Return):
            raise _Return(self.ev(s.value, env))
        elif isinstance(s, ir.If):
            self.block(s.then if self.ev(s.cond, env) else s.orelse, env)
        elif isinstance(s, ir.While):
            while self.ev(s.cond, env):
                self.tick()
                self.block(s.body, env)
        elif isinstance(s, ir.ForRange):
            for i in range(self.ev(s.start, env), self.ev(s.stop, env)):
                self.tick()
                env[s.var] = i
                self.block(s.body, env)
        elif isinstance(s, ir.ForEach):
            for x in list(self.ev(s.iterable, env)):
                self.tick()
                env[s.var] = x
                self.block(s.body, env)
        elif isinstance(s, ir.ListAppend):
            env[s.name].append(self.ev(s.value, env))
            _sized(env[s.name])
        elif isinstance(s, ir.ListSet):
            xs = env[s.name]
            i = self.ev(s.index, env)
            xs[_index(i, len(xs))] = self.ev(s.value, env)
        elif isinstance(s, ir.MapPut):
            m = env[s.name]
            m[self.ev(s.key, env)] = self.ev(s.value, env)
            _sized(m)
        else:
            raise TypeError(f"not a statement: {type(s).__name__}")


@contextlib.contextmanager
def _python_stack(limit: int = 20_000):
    """Each IR call level costs this tree-walker a few dozen Python frames; raise the limit so
    the verdict never depends on how deep the caller's own stack already is."""
    old = sys.getrecursionlimit()
    sys.setrecursionlimit(max(old, limit))
    try:
        yield
    finally:
        sys.setrecursionlimit(old)


def run_cases(program: ir.Program, interp: Interpreter | None = None) -> list:
    """The entry function's result for each case; raises :class:`Rejected` outside the envelope.
    Pass ``interp`` to inspect its counters (``steps``) afterwards."""
    interp = interp or Interpreter(program)
    entry = program.entry
    out = []
    with _python_stack():
        for case in program.cases:
            args = [interp.ev(a, {}) for a in case]
            value = interp.call(entry.name, args)
            _check_printable(value, entry.ret)
            out.append(value)
    return out


def expected_output(program: ir.Program) -> str:
    """What the driver of every language must print: one canonical line per case."""
    ret = program.entry.ret
    return "".join(format_value(v, ret) + "\n" for v in run_cases(program))
