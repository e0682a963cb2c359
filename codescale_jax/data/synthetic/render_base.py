"""Renderer framework and the SEMANTICS contract every language renderer follows.

SEMANTICS (what an IR program means, and how each language gets exactly that)
==============================================================================

The generator only emits programs that :mod:`.interpret` (the executable form of this contract)
runs to completion inside the envelope below, so a renderer may rely on every guarantee listed
here and needs no runtime checks of its own.

Integers
    Every int value, including every intermediate result of every operation, lies in
    [-(2^31 - 1), 2^31 - 1]. Any signed type of at least 32 bits is exact: Python ``int``, Java
    ``int``, JavaScript/TypeScript ``number``, C# ``int``, Go ``int``, Rust ``i64`` (recommended;
    ``as usize`` for indexing). List/string lengths are ints in the same range.

Division and modulo (``div``, ``mod`` on ints)
    The generator guarantees dividend >= 0 and divisor > 0 at run time, so truncating and flooring
    division coincide: Python ``a // b`` and ``a % b``; Java/C#/Go/Rust ``a / b`` and ``a % b``;
    JavaScript/TypeScript ``Math.trunc(a / b)`` and ``a % b`` (exact: both operands are below
    2^31). ``mod`` exists only on ints. Float ``div`` is IEEE division; the divisor is never 0.

Floats
    IEEE-754 doubles; ``add sub mul div``, ``neg``, ``abs min max``, comparisons, ``to_float`` (exact)
    and ``trunc`` (toward zero: Python ``int(x)``, Java ``(int) x``, JS ``Math.trunc(x)``, C#
    ``(int) x``, Go ``int(x)``, Rust ``x as i64``). No other float functions are used, so results
    are bit-identical everywhere provided no multiply-add is fused. (The Go spec allows fusing
    ``x*y + z``; gc does it on arm64, ppc64le and s390x but not on amd64 by default. An explicit
    conversion ``float64(x*y)`` forbids it.) Constant folding must not change a result: Go folds
    constant float expressions exactly, so keep literal-only float arithmetic out of Go code (the
    generator rarely emits it). Float values are finite, below 1e9 in magnitude, and never negative
    zero. Float literals are multiples of 1/4.

Float output
    A float prints with exactly 6 digits after the point, no exponent, '-' for negatives:
    Python ``f"{x:.6f}"``, Java ``String.format(Locale.ROOT, "%.6f", x)``, JS ``x.toFixed(6)``, C#
    ``x.ToString("F6", CultureInfo.InvariantCulture)``, Go ``strconv.FormatFloat(x, 'f', 6, 64)``,
    Rust ``format!("{:.6}", x)``. These disagree only near a rounding tie (half-up vs exact), for
    huge values, for negative zero and for negatives that round to zero; printed floats are below
    1e6, at least 0.005 units of the 6th decimal from a tie, and never round to zero unless +0.0.

Booleans
    ``and``/``or`` short-circuit (as in every target). Printed as ``true`` / ``false``.

Strings
    ASCII only, from :data:`STRING_ALPHABET` (letters, digits, space, ``_-.,:;!?``; never a quote or
    backslash), so byte, UTF-16 unit and character indexing agree. ``char_at`` gives a
    one-character string; ``char_code`` its ASCII code; ``from_char_code`` takes a letter or digit
    code; ``substring(s, a, b)`` is ``[a, b)`` with ``0 <= a <= b <= len``; ``str_find`` is the
    first index or -1; ``upper``/``lower`` are ASCII-only (C#: ``ToUpperInvariant``); ``str_repeat``
    takes n >= 0; ``str_join(xs, sep)`` joins with a separator. Equality is by value (Java
    ``equals``, C# ``==`` with ``string.Equals`` ordinal semantics). Sorting strings is ordinal:
    C# must pass ``StringComparer.Ordinal``; JS default sort is fine.

Lists and maps (value semantics)
    No two variables ever share a collection (see ``check`` rule 4): every ``ListLit``,
    ``MapLit`` and collection-valued builtin (``list_slice``, ``sorted``, ``reversed``,
    ``list_concat``, ``map_keys_sorted``) yields a fresh value that shares no storage with its
    arguments (Go: copy, never re-slice). Functions never mutate parameters, so collections may be
    passed by reference (Rust: ``&[T]`` / ``&HashMap``/``&BTreeMap``). Indexes are in range;
    ``map_get`` keys are present. Lists only grow. Java ``Integer``/``Double`` elements must be
    compared with ``equals`` (or unboxed), never ``==``. Iterating a map happens only through
    ``map_keys_sorted`` (Go's map order is random): ints ascending, strings ordinal ascending.
    Sorting floats: no NaN and no -0.0 occur, so any comparison sort agrees.

Evaluation and control flow
    Expressions are pure (no side effects; helper calls are pure too), so evaluation order inside
    an expression cannot change a result. A ``ForEach`` iterable is evaluated once before the loop.
    ``ForRange(i, start, stop)`` counts ``i = start, start + 1, ..., stop - 1``; nothing ``stop``
    reads is written in the body, so ``for (i = a; i < stop; i++)`` (stop re-tested) and Rust's
    ``a..stop`` (evaluated once) agree. ``Return`` is the last statement of the body or of an
    ``if``'s then-branch only, so no language sees unreachable code. Every local is read somewhere;
    loop variables may be unused (Go: ``for range xs`` / ``_``). Recursion depth stays below 60 and
    a program runs at most 20,000 interpreter steps, so every run is short in every language.

Names
    IR names are ``snake_case`` and avoid :data:`check.RESERVED_WORDS` (keywords and common
    builtins of all seven languages) in both snake and camel form. :meth:`Renderer.ident` respells
    them (camelCase by default); C# PascalCase method names must not collide with ``System`` types
    (the generator's function names do not: ``solve``, ``scan_values``, ...).

Doc comments
    ``fn.doc`` is English with IR names in backticks (``\`total\```, functions as
    ``\`scan_values()\```); :meth:`Renderer.doc_text` respells them and wraps each line on its own.
    In the task form the entry's doc has several lines (summary, numbered steps, an example;
    :mod:`.english`); lines are unindented so that Go's formatter leaves them alone. The text never
    contains ``*/`` or a backslash; it may contain ``<``, ``>`` and ``&`` (escape them in C# XML
    docs).

Canonical value format (driver output and test comparisons)
    int ``-12``; float ``3.250000``; bool ``true``; string ``"abc"`` (double quotes, no escaping:
    the alphabet has no quote or backslash); list ``[1, 2, 3]`` (", " between items, ``[]`` when
    empty); map ``{"a": 1, "b": 2}`` with keys in ascending order (ints numerically, strings
    ordinally), ``{}`` when empty. :func:`format_value` is the reference implementation.

Driver output
    The driver calls the entry function (``program.functions[-1]``) once per case, in order, and
    prints one line per call: the canonical format of the result, then ``\\n``. Nothing else goes to
    stdout; exit code 0.

Renderer-author guide
=====================

A renderer is one module ``render_<language>.py`` in this package that defines a subclass of
:class:`Renderer` and exposes an instance as ``RENDERER``. It must implement:

* ``render_program(program) -> str``: one runnable source file: imports, any helpers it needs
  (formatting, ``abs`` for Go ...), every function of the program in order (each with its
  ``fn.doc`` as a comment/docstring), and the driver described above. Java puts everything in
  ``public class Main``, C# in ``class Program``; Go uses ``package main``.
* ``render_task(program, expected) -> TaskSource``: the Pass@1 form: ``prompt`` (everything up to
  and including the entry function's signature and docstring), ``solution`` (the entry's body and
  closing lines, so ``prompt + solution`` is the reference function) and ``tests`` (the rest of
  the file: a check that compares the canonical format of each case's result with ``expected``
  and exits non-zero on a mismatch). ``prompt + solution + tests`` must run and exit 0.
* The class attributes ``language`` (an id from :mod:`codescale_jax.languages`) and ``extension``.

:mod:`.check` lists the structural rules every program obeys (and why: most exist because one
target would otherwise reject the code), :mod:`.interpret` is the executable semantics; when a
language and the interpreter disagree, the interpreter is right unless this contract is wrong.

:class:`Renderer` already provides expression rendering with operator precedence (fill in the
``BINARY``/``UNARY`` tables and one method per node kind and builtin op), IR-name conversion
(:meth:`Renderer.ident`), indentation and doc-comment wrapping (:meth:`Renderer.doc_text`).
:mod:`.render_python` is the worked example; :mod:`.render_javascript` shows a brace language
with a type-directed formatter.

Test a new renderer with a ``tests/test_synthetic_render_<language>.py`` that marks itself
``toolchain`` and calls ``codescale_jax.data.synthetic.verify.verify_programs(programs,
("python", "<language>"))`` on programs from ``generate_programs(n, seed)``: it renders,
runs both languages and compares each output with the interpreter's expected output; assert the
report's agreement is 1.0 and read the saved disagreements when it is not. Also render one program
per builtin op (``tests/test_synthetic_generate.py`` shows how every op is reached over seeds).
"""

from __future__ import annotations

import abc
import dataclasses
import re
import textwrap
from typing import ClassVar

from codescale_jax.data.synthetic import ir
from codescale_jax.data.synthetic.check import camel

INT_LIMIT = 2**31 - 1
FLOAT_DECIMALS = 6
PRINT_FLOAT_LIMIT = 1e6
_BACKTICKED = re.compile(r"`([a-z][a-z0-9_]*)(\(\))?`")
STRING_ALPHABET = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 _-.,:;!?"


def format_value(value, t: ir.Type) -> str:
    """The canonical text of a value of IR type ``t`` (reference for every language's driver)."""
    if t == ir.BOOL:
        return "true" if value else "false"
    if t == ir.INT:
        return str(int(value))
    if t == ir.FLOAT:
        return f"{value:.{FLOAT_DECIMALS}f}"
    if t == ir.STR:
        return f'"{value}"'
    if t.kind == "list":
        return "[" + ", ".join(format_value(v, t.elem) for v in value) + "]"
    if t.kind == "map":
        return "{" + ", ".join(f"{format_value(k, t.key)}: {format_value(value[k], t.value)}"
                               for k in sorted(value)) + "}"
    raise TypeError(f"cannot format type {t}")


@dataclasses.dataclass(frozen=True)
class TaskSource:
    """One language's Pass@1 task: ``prompt + solution + tests`` is a runnable checking program."""

    language: str
    prompt: str
    solution: str
    tests: str

    @property
    def full(self) -> str:
        return self.prompt + self.solution + self.tests

    def with_completion(self, completion: str) -> str:
        """The program a harness runs for a model's completion of ``prompt``."""
        return self.prompt + completion + self.tests


# Precedence levels shared by the tables of every renderer (higher binds tighter).
P_OR, P_AND, P_NOT, P_EQ, P_CMP, P_ADD, P_MUL, P_UNARY, P_ATOM = 1, 2, 3, 4, 5, 6, 7, 8, 10


class Renderer(abc.ABC):
    """Base of every language renderer: expression dispatch with precedence, naming, comments.

    Subclasses fill ``BINARY`` (op -> (token, precedence)) and ``UNARY``, and implement the
    abstract methods. ``builtin_<op>(node, args)`` methods return ``(code, precedence)`` for each
    builtin op; ``args`` are the IR argument expressions, rendered with :meth:`expr`.
    """

    language: ClassVar[str]
    extension: ClassVar[str]
    indent_unit: ClassVar[str] = "    "
    BINARY: ClassVar[dict[str, tuple[str, int]]] = {}
    UNARY: ClassVar[dict[str, tuple[str, int]]] = {}

    # ------------------------------------------------------------------ what subclasses write
    @abc.abstractmethod
    def render_program(self, program: ir.Program) -> str:
        """A complete runnable file whose stdout is the canonical line of each case."""

    @abc.abstractmethod
    def render_task(self, program: ir.Program, expected: list[str]) -> TaskSource:
        """The Pass@1 form; ``expected`` holds the canonical line of each case."""

    @abc.abstractmethod
    def lit(self, e: ir.Lit) -> tuple[str, int]:
        """A scalar literal."""

    @abc.abstractmethod
    def list_lit(self, e: ir.ListLit) -> tuple[str, int]:
        """A fresh list."""

    @abc.abstractmethod
    def map_lit(self, e: ir.MapLit) -> tuple[str, int]:
        """A fresh map."""

    @abc.abstractmethod
    def call(self, e: ir.Call) -> tuple[str, int]:
        """A call of a program function."""

    # ------------------------------------------------------------------------ provided
    def ident(self, name: str) -> str:
        """How an IR (snake_case) name is spelled; camelCase by default, Python/Rust override."""
        return camel(name)

    def func_name(self, name: str) -> str:
        return self.ident(name)

    def expr(self, e: ir.Expr, min_prec: int = 0) -> str:
        """Render ``e``, parenthesised when it binds looser than ``min_prec``."""
        code, prec = self.expr_prec(e)
        return f"({code})" if prec < min_prec else code

    def expr_prec(self, e: ir.Expr) -> tuple[str, int]:
        if isinstance(e, ir.Lit):
            return self.lit(e)
        if isinstance(e, ir.ListLit):
            return self.list_lit(e)
        if isinstance(e, ir.MapLit):
            return self.map_lit(e)
        if isinstance(e, ir.Var):
            return self.ident(e.name), P_ATOM
        if isinstance(e, ir.Unary):
            return self.unary(e)
        if isinstance(e, ir.Binary):
            return self.binary(e)
        if isinstance(e, ir.Call):
            return self.call(e)
        if isinstance(e, ir.Builtin):
            method = getattr(self, f"builtin_{e.op}", None)
            if method is None:
                raise NotImplementedError(f"{type(self).__name__} does not render builtin {e.op!r}")
            return method(e, e.args)
        raise TypeError(f"not an IR expression: {type(e).__name__}")

    def unary(self, e: ir.Unary) -> tuple[str, int]:
        token, prec = self.UNARY[e.op]  # operand binds tighter: ``-(-3)``, never ``--3``
        return f"{token}{self.expr(e.operand, prec + 1)}", prec

    def binary(self, e: ir.Binary) -> tuple[str, int]:
        """Left-associative infix with comparisons non-associative (Python chains them, Rust
        rejects chains), so a comparison operand that is itself a comparison gets parentheses."""
        token, prec = self.binary_token(e)
        compare = e.op in ir.COMPARE_OPS
        left = self.expr(e.left, prec + 1 if compare else prec)
        right = self.expr(e.right, prec + 1)
        return f"{left} {token} {right}", prec

    def binary_token(self, e: ir.Binary) -> tuple[str, int]:
        return self.BINARY[e.op]

    def args(self, exprs) -> str:
        return ", ".join(self.expr(a) for a in exprs)

    def indent(self, lines: list[str], depth: int = 1) -> list[str]:
        pad = self.indent_unit * depth
        return [pad + line if line else line for line in lines]

    def doc_text(self, fn: ir.Function, width: int = 88) -> list[str]:
        """The function's English doc as comment lines: the same words in every language.

        Backticked IR names are respelled the way this language spells them (`` `total_sum` ``
        becomes `` `totalSum` `` where :meth:`ident` says so; `` `scan_values()` `` goes through
        :meth:`func_name`). Each line of the doc is wrapped on its own, keeping its indentation
        (the task form's step list is indented like code); empty lines stay empty.
        """
        if not fn.doc:
            return []

        def respell(m: re.Match) -> str:
            return f"`{self.func_name(m.group(1))}()`" if m.group(2) else f"`{self.ident(m.group(1))}`"

        text = _BACKTICKED.sub(respell, fn.doc)
        out: list[str] = []
        for line in text.split("\n"):
            body = line.lstrip(" ")
            if not body:
                out.append("")
                continue
            pad = line[: len(line) - len(body)]
            out += textwrap.wrap(body, max(width - len(pad), 20), initial_indent=pad,
                                 subsequent_indent=pad + ("  " if pad else ""), break_on_hyphens=False,
                                 break_long_words=False)
        return out

    def line_comment(self, lines: list[str], token: str = "//") -> list[str]:
        return [f"{token} {line}" if line else token for line in lines]


class BraceRenderer(Renderer):
    """Statements of the brace languages (Java, C#, JavaScript, TypeScript, Go, Rust).

    A block is ``head {`` (or, where :meth:`opening` says so, the head then ``{`` on its own
    line), the indented statements, then ``}``; ``else`` branches join the closing brace of the
    branch before them, and an ``else`` holding one ``if`` becomes ``else if``.
    """

    def stmt(self, s: ir.Stmt) -> list[str]:
        raise NotImplementedError

    def stmts(self, block: tuple[ir.Stmt, ...]) -> list[str]:
        out: list[str] = []
        for s in block:
            out.extend(self.stmt(s))
        return out

    def opening(self, head: str) -> list[str]:
        return [head + " {"]

    def block_lines(self, head: str, inner: list[str]) -> list[str]:
        return self.opening(head) + self.indent(inner) + ["}"]

    def braced(self, head: str, body: tuple[ir.Stmt, ...]) -> list[str]:
        return self.block_lines(head, self.stmts(body))

    def chain(self, lines: list[str], head: str, body: tuple[ir.Stmt, ...]) -> list[str]:
        """Append an ``else``/``else if`` branch to the lines of an ``if``."""
        return lines[:-1] + self.braced("} " + head, body)

    def compound_assign(self, s: ir.Assign) -> str | None:
        """``x += v``, ``x -= v`` or ``s += t`` (no ``;``) for an assignment that updates its own
        variable; None for any other."""
        name, v = self.ident(s.name), s.value
        if isinstance(v, ir.Binary) and v.op in ("add", "sub") and v.left == ir.Var(v.type, s.name):
            return f"{name} {self.BINARY[v.op][0]}= {self.expr(v.right)}"
        if isinstance(v, ir.Builtin) and v.op == "concat" and v.args[0] == ir.Var(ir.STR, s.name):
            return f"{name} += {self.expr(v.args[1])}"
        return None

    def if_else(self, s: ir.If, head) -> list[str]:
        """An ``if``/``else if``/``else`` chain; ``head(cond)`` spells ``if (cond)`` or ``if cond``."""
        lines = self.braced(head(self.expr(s.cond)), s.then)
        orelse = s.orelse
        while len(orelse) == 1 and isinstance(orelse[0], ir.If):
            lines = self.chain(lines, "else " + head(self.expr(orelse[0].cond)), orelse[0].then)
            orelse = orelse[0].orelse
        return self.chain(lines, "else", orelse) if orelse else lines
