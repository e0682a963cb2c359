"""The typed program IR that every synthetic parallel program is written in.

One IR program is rendered into seven languages, so the IR only holds constructs whose meaning is
the same in all of them (the exact rules are the SEMANTICS contract in ``render_base``). The IR is
a tree of frozen dataclasses:

* **Types**: ``int``, ``float``, ``bool``, ``str``, ``list[T]`` and ``map[K, V]`` with ``K`` in
  {``int``, ``str``}. Elements of lists and values of maps are scalars (no collections of
  collections), which keeps value semantics identical in languages with and without aliasing.
* **Expressions** (pure: no expression has a side effect): literals, variables, unary and binary
  operators, calls of the program's own functions, and *builtins* (string, list and map operations,
  conversions) named by an op code from :data:`BUILTINS`.
* **Statements**: ``Let`` (declare and initialise), ``Assign``, ``If``/else, ``While``,
  ``ForRange`` (``for i in [start, stop)``), ``ForEach`` (over a list), ``Return``, and the three
  in-place mutations ``ListAppend``, ``ListSet``, ``MapPut``.
* **Functions** and a **Program**: helper functions first, the entry function last, and the
  argument tuples ("cases") the driver calls the entry function with.

The structural rules a well-formed program obeys (scoping, no aliasing, where ``return`` may
stand) are checked by :mod:`codescale_jax.data.synthetic.check`.
"""

from __future__ import annotations

import dataclasses
from typing import Callable, Iterator, Union

# --------------------------------------------------------------------------------------- types


@dataclasses.dataclass(frozen=True)
class Type:
    """A type: ``kind`` in {int, float, bool, str, list, map}; ``args`` = (elem,) or (key, value)."""

    kind: str
    args: tuple["Type", ...] = ()

    def __post_init__(self):
        if self.kind not in _KINDS:
            raise ValueError(f"unknown type kind {self.kind!r}; expected one of {sorted(_KINDS)}")
        want = _KINDS[self.kind]
        if len(self.args) != want:
            raise ValueError(f"type {self.kind} takes {want} type arguments, got {len(self.args)}")

    @property
    def is_scalar(self) -> bool:
        return self.kind in SCALAR_KINDS

    @property
    def is_collection(self) -> bool:
        return self.kind in ("list", "map")

    @property
    def elem(self) -> "Type":
        """Element type of a list."""
        if self.kind != "list":
            raise TypeError(f"{self} is not a list")
        return self.args[0]

    @property
    def key(self) -> "Type":
        if self.kind != "map":
            raise TypeError(f"{self} is not a map")
        return self.args[0]

    @property
    def value(self) -> "Type":
        if self.kind != "map":
            raise TypeError(f"{self} is not a map")
        return self.args[1]

    def __str__(self) -> str:
        if not self.args:
            return self.kind
        return f"{self.kind}[{', '.join(str(a) for a in self.args)}]"


_KINDS = {"int": 0, "float": 0, "bool": 0, "str": 0, "list": 1, "map": 2}
SCALAR_KINDS = ("int", "float", "bool", "str")
INT = Type("int")
FLOAT = Type("float")
BOOL = Type("bool")
STR = Type("str")
SCALARS = (INT, FLOAT, BOOL, STR)
MAP_KEYS = (INT, STR)


def list_of(elem: Type) -> Type:
    if not elem.is_scalar:
        raise TypeError(f"list elements must be scalars, got {elem}")
    return Type("list", (elem,))


def map_of(key: Type, value: Type) -> Type:
    if key not in MAP_KEYS:
        raise TypeError(f"map keys must be int or str, got {key}")
    if not value.is_scalar:
        raise TypeError(f"map values must be scalars, got {value}")
    return Type("map", (key, value))


def parse_type(text: str) -> Type:
    """Inverse of ``str(Type)``: ``"map[str, list[int]]"`` style text to a :class:`Type`."""
    text = text.strip()
    if "[" not in text:
        return Type(text)
    head, rest = text.split("[", 1)
    if not rest.endswith("]"):
        raise ValueError(f"malformed type {text!r}")
    inner, depth, parts, cur = rest[:-1], 0, [], ""
    for ch in inner:
        if ch == "," and depth == 0:
            parts.append(cur)
            cur = ""
            continue
        depth += ch == "["
        depth -= ch == "]"
        cur += ch
    parts.append(cur)
    return Type(head.strip(), tuple(parse_type(p) for p in parts))


# --------------------------------------------------------------------------------- expressions


@dataclasses.dataclass(frozen=True)
class Lit:
    """A scalar literal. Floats are stored as Python floats; the generator only uses literals that
    are exact in binary (k/4), so every language parses them to the same double."""

    type: Type
    value: Union[int, float, bool, str]


@dataclasses.dataclass(frozen=True)
class ListLit:
    type: Type  # list[T]
    items: tuple["Expr", ...]


@dataclasses.dataclass(frozen=True)
class MapLit:
    type: Type  # map[K, V]
    items: tuple[tuple["Expr", "Expr"], ...]  # keys are distinct literals


@dataclasses.dataclass(frozen=True)
class Var:
    type: Type
    name: str


@dataclasses.dataclass(frozen=True)
class Unary:
    """``op`` in {neg, not}."""

    type: Type
    op: str
    operand: "Expr"


@dataclasses.dataclass(frozen=True)
class Binary:
    """``op`` in :data:`ARITH_OPS`, :data:`COMPARE_OPS` or :data:`LOGIC_OPS`."""

    type: Type
    op: str
    left: "Expr"
    right: "Expr"


@dataclasses.dataclass(frozen=True)
class Call:
    """A call of one of the program's own functions (helpers, or the function itself: recursion)."""

    type: Type
    func: str
    args: tuple["Expr", ...]


@dataclasses.dataclass(frozen=True)
class Builtin:
    """A library operation; ``op`` is a key of :data:`BUILTINS`."""

    type: Type
    op: str
    args: tuple["Expr", ...]


Expr = Union[Lit, ListLit, MapLit, Var, Unary, Binary, Call, Builtin]
EXPR_NODES = (Lit, ListLit, MapLit, Var, Unary, Binary, Call, Builtin)

ARITH_OPS = ("add", "sub", "mul", "div", "mod")
COMPARE_OPS = ("lt", "le", "gt", "ge", "eq", "ne")
LOGIC_OPS = ("and", "or")
BINARY_OPS = ARITH_OPS + COMPARE_OPS + LOGIC_OPS
UNARY_OPS = ("neg", "not")

# ---------------------------------------------------------------------------------- statements


@dataclasses.dataclass(frozen=True)
class Let:
    """Declare a new local variable (name unique in its function) and initialise it."""

    name: str
    type: Type
    value: Expr


@dataclasses.dataclass(frozen=True)
class Assign:
    name: str
    value: Expr


@dataclasses.dataclass(frozen=True)
class If:
    cond: Expr
    then: tuple["Stmt", ...]
    orelse: tuple["Stmt", ...] = ()


@dataclasses.dataclass(frozen=True)
class While:
    cond: Expr
    body: tuple["Stmt", ...]


@dataclasses.dataclass(frozen=True)
class ForRange:
    """``for var in [start, stop)`` step 1; ``var`` is an int, new, and never assigned in ``body``."""

    var: str
    start: Expr
    stop: Expr
    body: tuple["Stmt", ...]


@dataclasses.dataclass(frozen=True)
class ForEach:
    """``for var in iterable`` over a list. The iterable is evaluated once before the loop; when it
    is a variable, that variable is not mutated or reassigned in ``body``."""

    var: str
    elem_type: Type
    iterable: Expr
    body: tuple["Stmt", ...]


@dataclasses.dataclass(frozen=True)
class Return:
    value: Expr


@dataclasses.dataclass(frozen=True)
class ListAppend:
    name: str
    value: Expr


@dataclasses.dataclass(frozen=True)
class ListSet:
    name: str
    index: Expr
    value: Expr


@dataclasses.dataclass(frozen=True)
class MapPut:
    name: str
    key: Expr
    value: Expr


Stmt = Union[Let, Assign, If, While, ForRange, ForEach, Return, ListAppend, ListSet, MapPut]
STMT_NODES = (Let, Assign, If, While, ForRange, ForEach, Return, ListAppend, ListSet, MapPut)

# ------------------------------------------------------------------------ functions, programs


@dataclasses.dataclass(frozen=True)
class Param:
    name: str
    type: Type


@dataclasses.dataclass(frozen=True)
class Function:
    """A function. Parameters are read-only. ``doc`` is one English sentence used in comments and
    in the task form (the same text in every language)."""

    name: str
    params: tuple[Param, ...]
    ret: Type
    body: tuple[Stmt, ...]
    doc: str = ""


@dataclasses.dataclass(frozen=True)
class Program:
    """Helpers first, ``functions[-1]`` is the entry; ``cases`` are literal argument tuples."""

    functions: tuple[Function, ...]
    cases: tuple[tuple[Expr, ...], ...]
    seed: str = ""

    @property
    def entry(self) -> Function:
        return self.functions[-1]

    def function(self, name: str) -> Function:
        for fn in self.functions:
            if fn.name == name:
                return fn
        raise KeyError(f"program has no function {name!r}")


# ------------------------------------------------------------------------------------ builtins


@dataclasses.dataclass(frozen=True)
class BuiltinSpec:
    """An op code, its argument kinds, how its result type follows, and what it means.

    ``args`` are patterns: a scalar kind (``"int"``), ``"num"`` (int or float, all ``num`` args the
    same type), ``"list"``, ``"map"``, ``"elem"`` (the element type of the list argument), ``"key"``
    / ``"value"`` (of the map argument).
    """

    op: str
    args: tuple[str, ...]
    result: Callable[[tuple[Type, ...]], Type]
    meaning: str


def _same(i: int) -> Callable[[tuple[Type, ...]], Type]:
    return lambda ts: ts[i]


def _const(t: Type) -> Callable[[tuple[Type, ...]], Type]:
    return lambda ts: t


BUILTINS: dict[str, BuiltinSpec] = {s.op: s for s in (
    # numbers
    BuiltinSpec("abs", ("num",), _same(0), "absolute value"),
    BuiltinSpec("min", ("num", "num"), _same(0), "smaller of two numbers"),
    BuiltinSpec("max", ("num", "num"), _same(0), "larger of two numbers"),
    BuiltinSpec("to_float", ("int",), _const(FLOAT), "int to float (exact)"),
    BuiltinSpec("trunc", ("float",), _const(INT), "float to int, rounding toward zero"),
    # strings (ASCII only)
    BuiltinSpec("int_to_str", ("int",), _const(STR), "decimal text of an int, '-' for negatives"),
    BuiltinSpec("str_len", ("str",), _const(INT), "number of characters"),
    BuiltinSpec("concat", ("str", "str"), _const(STR), "string concatenation"),
    BuiltinSpec("char_at", ("str", "int"), _const(STR), "the one-character string at an index"),
    BuiltinSpec("substring", ("str", "int", "int"), _const(STR), "characters [start, stop)"),
    BuiltinSpec("str_contains", ("str", "str"), _const(BOOL), "whether arg 2 occurs in arg 1"),
    BuiltinSpec("str_find", ("str", "str"), _const(INT), "first index of arg 2 in arg 1, or -1"),
    BuiltinSpec("upper", ("str",), _const(STR), "ASCII upper case"),
    BuiltinSpec("lower", ("str",), _const(STR), "ASCII lower case"),
    BuiltinSpec("str_reverse", ("str",), _const(STR), "characters in reverse order"),
    BuiltinSpec("str_repeat", ("str", "int"), _const(STR), "string repeated n >= 0 times"),
    BuiltinSpec("char_code", ("str", "int"), _const(INT), "ASCII code of the character at an index"),
    BuiltinSpec("from_char_code", ("int",), _const(STR), "one-character string of an ASCII code"),
    BuiltinSpec("str_join", ("list", "str"), _const(STR), "join a list[str] with a separator"),
    # lists
    BuiltinSpec("list_len", ("list",), _const(INT), "number of elements"),
    BuiltinSpec("list_get", ("list", "int"), lambda ts: ts[0].elem, "element at an index"),
    BuiltinSpec("list_contains", ("list", "elem"), _const(BOOL), "whether the value is an element"),
    BuiltinSpec("list_slice", ("list", "int", "int"), _same(0), "new list of elements [start, stop)"),
    BuiltinSpec("sorted", ("list",), _same(0), "new list sorted ascending"),
    BuiltinSpec("reversed", ("list",), _same(0), "new list in reverse order"),
    BuiltinSpec("list_concat", ("list", "list"), _same(0), "new list: arg 1 then arg 2"),
    # maps
    BuiltinSpec("map_len", ("map",), _const(INT), "number of entries"),
    BuiltinSpec("map_get", ("map", "key"), lambda ts: ts[0].value, "value of a present key"),
    BuiltinSpec("map_get_or", ("map", "key", "value"), lambda ts: ts[0].value,
                "value of a key, or the default when absent"),
    BuiltinSpec("map_contains", ("map", "key"), _const(BOOL), "whether the key is present"),
    BuiltinSpec("map_keys_sorted", ("map",), lambda ts: list_of(ts[0].key), "new list of keys, ascending"),
)}


# ------------------------------------------------------------------------------------- walking


def child_exprs(e: Expr) -> tuple[Expr, ...]:
    if isinstance(e, (Lit, Var)):
        return ()
    if isinstance(e, ListLit):
        return e.items
    if isinstance(e, MapLit):
        return tuple(x for kv in e.items for x in kv)
    if isinstance(e, Unary):
        return (e.operand,)
    if isinstance(e, Binary):
        return (e.left, e.right)
    if isinstance(e, (Call, Builtin)):
        return e.args
    raise TypeError(f"not an IR expression: {type(e).__name__}")


def walk_expr(e: Expr) -> Iterator[Expr]:
    """Pre-order over an expression and all its subexpressions."""
    yield e
    for c in child_exprs(e):
        yield from walk_expr(c)


def stmt_exprs(s: Stmt) -> tuple[Expr, ...]:
    """The expressions directly held by a statement (not those of nested statements)."""
    if isinstance(s, (Let, Assign, ListAppend, Return)):
        return (s.value,)
    if isinstance(s, (If, While)):
        return (s.cond,)
    if isinstance(s, ForRange):
        return (s.start, s.stop)
    if isinstance(s, ForEach):
        return (s.iterable,)
    if isinstance(s, ListSet):
        return (s.index, s.value)
    if isinstance(s, MapPut):
        return (s.key, s.value)
    raise TypeError(f"not an IR statement: {type(s).__name__}")


def child_blocks(s: Stmt) -> tuple[tuple[Stmt, ...], ...]:
    if isinstance(s, If):
        return (s.then, s.orelse)
    if isinstance(s, (While, ForRange, ForEach)):
        return (s.body,)
    return ()


def walk_stmts(block: tuple[Stmt, ...]) -> Iterator[Stmt]:
    """Pre-order over every statement of a block, nested ones included."""
    for s in block:
        yield s
        for b in child_blocks(s):
            yield from walk_stmts(b)


def all_exprs(block: tuple[Stmt, ...]) -> Iterator[Expr]:
    for s in walk_stmts(block):
        for e in stmt_exprs(s):
            yield from walk_expr(e)


def target_of(s: Stmt) -> str | None:
    """The variable a statement writes (assigns or mutates), if any."""
    if isinstance(s, (Assign, ListAppend, ListSet, MapPut)):
        return s.name
    return None


def reads(name: str, block: tuple[Stmt, ...]) -> bool:
    """Whether ``name`` is read by any expression in the block (renderers use it to pick ``_``
    for unused loop variables, which Go requires)."""
    return any(isinstance(e, Var) and e.name == name for e in all_exprs(block))


def writes(name: str, block: tuple[Stmt, ...]) -> bool:
    """Whether ``name`` is assigned or mutated anywhere in the block."""
    return any(target_of(s) == name for s in walk_stmts(block))


def reassigns(name: str, block: tuple[Stmt, ...]) -> bool:
    """Whether ``name`` is the target of an ``Assign`` in the block (Rust's ``let mut``, Java's
    ``final`` and similar choices depend on it)."""
    return any(isinstance(s, Assign) and s.name == name for s in walk_stmts(block))


def mutated(name: str, block: tuple[Stmt, ...]) -> bool:
    """Whether ``name`` is assigned or mutated in place in the block."""
    return writes(name, block)


def calls(block: tuple[Stmt, ...]) -> set[str]:
    return {e.func for e in all_exprs(block) if isinstance(e, Call)}


def builtins_used(program: Program) -> set[str]:
    """Every builtin op code the program uses (renderers emit only the helpers they need)."""
    return {e.op for fn in program.functions for e in all_exprs(fn.body) if isinstance(e, Builtin)} | {
        e.op for case in program.cases for a in case for e in walk_expr(a) if isinstance(e, Builtin)}


def types_used(program: Program) -> set[Type]:
    """Every type that occurs in the program (for imports and formatting helpers)."""
    out: set[Type] = set()
    for fn in program.functions:
        out.update(p.type for p in fn.params)
        out.add(fn.ret)
        for e in all_exprs(fn.body):
            out.add(e.type)
        for s in walk_stmts(fn.body):
            if isinstance(s, Let):
                out.add(s.type)
            if isinstance(s, ForEach):
                out.add(s.elem_type)
    return out
