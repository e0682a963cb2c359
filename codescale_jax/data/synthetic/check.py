"""Well-formedness of IR programs: types, scoping, and the structural rules renderers rely on.

:func:`check_program` raises :class:`IRError` naming the function and the broken rule. The rules
(each one exists because some target language would otherwise reject or change the program):

1. Every expression is well typed; calls match the callee's signature; a function calls only
   functions defined before it, or itself (recursion).
2. Names are ``snake_case`` identifiers, unique within their function (no shadowing, no reuse
   across sibling blocks), distinct from function names and from :data:`RESERVED_WORDS`, and
   declared before use in an enclosing block (block scoping: C-family languages need it).
3. Parameters and loop variables are never assigned or mutated (Rust and Go friendly; lets Java
   pass ``List`` parameters without copies).
4. No aliasing: a collection-typed ``Let``/``Assign`` never takes a bare variable (every
   collection value has exactly one owner), and ``Return`` of a collection variable only returns a
   local, never a parameter. Collection arguments to calls are borrowed read-only.
5. ``ForEach`` over a variable never mutates that variable in its body, and no variable read by
   a ``ForRange`` stop expression is written in that loop's body (C-family ``for`` loops re-test
   the bound every iteration; Python and Rust evaluate it once: with this rule both agree).
6. ``Return`` stands only as the last statement of the function body (which always ends with one)
   or as the last statement of an ``If``'s then-branch (never of an else-branch): Java rejects
   statements after an ``if`` whose two branches both return.
7. A ``While`` condition reads a variable (Java rejects ``while`` on a constant false).
8. Every ``Let`` variable is read somewhere (Go rejects unused locals).
9. The program has at least one case; case arguments are literals of the entry's parameter types.
10. ``eq``/``ne`` never compares a literal with a variable or a length: TypeScript narrows such a
    reference to the literal's type after ``if (n !== 9) return``, then rejects ``n === 14`` as a
    comparison with "no overlap".
"""

from __future__ import annotations

import re

from codescale_jax.data.synthetic import ir

# Keywords and commonly used builtins of the seven languages, plus the helper names renderers
# emit. IR names (snake_case) are checked against this set, and so are their camelCase forms.
RESERVED_WORDS = frozenset("""
abstract and as assert async await base bool boolean break byte case catch chan char checked class
const continue crate decimal def default defer del delegate do double dyn elif else enum event
except explicit extends extern false final finally fixed float fn for foreach from func global go
goto if impl implements import in instanceof int interface internal is lambda len let list lock
long loop map match mod move mut namespace native new nil none nonlocal not null object operator
or out override package params pass print private protected pub public raise range readonly ref
return sbyte sealed select self short sizeof stackalloc static str strictfp string struct super
switch synchronized this throw throws trait transient true try type typeof uint ulong unchecked
unsafe use ushort using var virtual void volatile where while with yield abs min max sum sorted
reversed math string console system main args len append copy delete make panic println printf
fmt strings sort strconv os collections arrays hashmap treemap arraylist integer double object
undefined number any never unknown symbol function let export keyof declare namespace module
require vec box some ok err result option into iter clone format_value check self_ test tests
""".split())

_IDENT = re.compile(r"^[a-z][a-z0-9_]*$")


class IRError(ValueError):
    """A program breaks a typing or structural rule; the message names the function and rule."""


def camel(name: str) -> str:
    """``snake_case`` to ``camelCase`` (what the C-family renderers use)."""
    head, *rest = name.split("_")
    return head + "".join(p[:1].upper() + p[1:] for p in rest)


def check_name(name: str, where: str) -> None:
    if not _IDENT.match(name) or "__" in name or name.endswith("_"):
        raise IRError(f"{where}: {name!r} is not a snake_case identifier")
    if name in RESERVED_WORDS or camel(name).lower() in RESERVED_WORDS:
        raise IRError(f"{where}: {name!r} is a reserved word in some target language")


def builtin_type(op: str, arg_types: tuple[ir.Type, ...]) -> ir.Type:
    """The result type of builtin ``op`` applied to ``arg_types``; raises IRError if ill typed."""
    if op not in ir.BUILTINS:
        raise IRError(f"unknown builtin {op!r}")
    spec = ir.BUILTINS[op]
    if len(arg_types) != len(spec.args):
        raise IRError(f"builtin {op} takes {len(spec.args)} arguments, got {len(arg_types)}")
    num = None
    coll = next((t for t in arg_types if t.is_collection), None)
    for pat, t in zip(spec.args, arg_types):
        ok = {
            "num": t in (ir.INT, ir.FLOAT) and (num is None or t == num),
            "list": t.kind == "list",
            "map": t.kind == "map",
            "elem": coll is not None and coll.kind == "list" and t == coll.elem,
            "key": coll is not None and coll.kind == "map" and t == coll.key,
            "value": coll is not None and coll.kind == "map" and t == coll.value,
        }.get(pat, t.kind == pat)
        if pat == "num" and ok:
            num = t
        if not ok:
            raise IRError(f"builtin {op}: argument of type {t} does not match {pat!r}")
    if op == "str_join" and arg_types[0] != ir.list_of(ir.STR):
        raise IRError("builtin str_join needs a list[str]")
    return spec.result(arg_types)


_REFERENCE_BUILTINS = ("str_len", "list_len", "map_len")


def narrowing_equality(e: ir.Expr) -> bool:
    """An ``eq``/``ne`` of a literal and a variable or length (forbidden by rule 10)."""
    if not isinstance(e, ir.Binary) or e.op not in ("eq", "ne"):
        return False

    def ref(x):
        return isinstance(x, ir.Var) or (isinstance(x, ir.Builtin) and x.op in _REFERENCE_BUILTINS)

    return (isinstance(e.left, ir.Lit) and ref(e.right)) or (isinstance(e.right, ir.Lit) and ref(e.left))


def _binary_type(op: str, a: ir.Type, b: ir.Type) -> ir.Type:
    if a != b:
        raise IRError(f"binary {op} on mismatched types {a} and {b}")
    if op in ir.ARITH_OPS:
        if a not in (ir.INT, ir.FLOAT) or (op == "mod" and a != ir.INT):
            raise IRError(f"binary {op} not defined on {a}")
        return a
    if op in ("eq", "ne"):
        if not a.is_scalar:
            raise IRError(f"{op} only compares scalars, got {a}")
        return ir.BOOL
    if op in ir.COMPARE_OPS:
        if a not in (ir.INT, ir.FLOAT):
            raise IRError(f"ordering {op} only on numbers, got {a}")
        return ir.BOOL
    if op in ir.LOGIC_OPS:
        if a != ir.BOOL:
            raise IRError(f"{op} needs bools, got {a}")
        return ir.BOOL
    raise IRError(f"unknown binary op {op!r}")


class _FnChecker:
    def __init__(self, fn: ir.Function, sigs: dict[str, ir.Function]):
        self.fn, self.sigs = fn, sigs
        self.where = f"function {fn.name}"
        self.declared: set[str] = set()
        self.readonly: set[str] = {p.name for p in fn.params}
        self.params = set(self.readonly)
        self.lets: set[str] = set()

    def fail(self, msg: str):
        raise IRError(f"{self.where}: {msg}")

    def declare(self, name: str, scope: dict[str, ir.Type], t: ir.Type):
        check_name(name, self.where)
        if name in self.declared or name in self.sigs:
            self.fail(f"name {name!r} declared twice or clashes with a function")
        self.declared.add(name)
        scope[name] = t

    def expr(self, e, scope: dict[str, ir.Type]) -> ir.Type:
        if isinstance(e, ir.Lit):
            want = {bool: ir.BOOL, int: ir.INT, float: ir.FLOAT, str: ir.STR}[type(e.value)]
            if want != e.type:
                self.fail(f"literal {e.value!r} labelled {e.type}")
        elif isinstance(e, ir.ListLit):
            for x in e.items:
                if self.expr(x, scope) != e.type.elem:
                    self.fail(f"list literal item not of type {e.type.elem}")
        elif isinstance(e, ir.MapLit):
            keys = [k.value for k, _ in e.items if isinstance(k, ir.Lit)]
            if len(keys) != len(e.items) or len(set(keys)) != len(keys):
                self.fail("map literal keys must be distinct literals")
            for k, v in e.items:
                if self.expr(k, scope) != e.type.key or self.expr(v, scope) != e.type.value:
                    self.fail(f"map literal entry does not match {e.type}")
        elif isinstance(e, ir.Var):
            if e.name not in scope:
                self.fail(f"variable {e.name!r} used out of scope or before declaration")
            if scope[e.name] != e.type:
                self.fail(f"variable {e.name!r} is {scope[e.name]}, used as {e.type}")
        elif isinstance(e, ir.Unary):
            t = self.expr(e.operand, scope)
            ok = (e.op == "neg" and t in (ir.INT, ir.FLOAT)) or (e.op == "not" and t == ir.BOOL)
            if not ok or t != e.type:
                self.fail(f"unary {e.op} on {t}")
        elif isinstance(e, ir.Binary):
            if narrowing_equality(e):
                self.fail(f"{e.op} of a literal and a variable or length (rule 10)")
            t = _binary_type(e.op, self.expr(e.left, scope), self.expr(e.right, scope))
            if t != e.type:
                self.fail(f"binary {e.op} labelled {e.type}, is {t}")
        elif isinstance(e, ir.Call):
            if e.func not in self.sigs:
                self.fail(f"call of {e.func!r}, which is not defined before it (or itself)")
            callee = self.sigs[e.func]
            got = tuple(self.expr(a, scope) for a in e.args)
            if got != tuple(p.type for p in callee.params) or callee.ret != e.type:
                self.fail(f"call of {e.func} does not match its signature")
        elif isinstance(e, ir.Builtin):
            t = builtin_type(e.op, tuple(self.expr(a, scope) for a in e.args))
            if t != e.type:
                self.fail(f"builtin {e.op} labelled {e.type}, is {t}")
        else:
            self.fail(f"not an expression: {type(e).__name__}")
        return e.type

    def block(self, stmts, scope: dict[str, ir.Type], role: str):
        scope = dict(scope)
        for i, s in enumerate(stmts):
            last = i == len(stmts) - 1
            if isinstance(s, ir.Return):
                if not last or role not in ("body", "then"):
                    self.fail("return only as the last statement of the body or of a then-branch")
                t = self.expr(s.value, scope)
                if t != self.fn.ret:
                    self.fail(f"returns {t}, declared {self.fn.ret}")
                if isinstance(s.value, ir.Var) and t.is_collection and s.value.name in self.params:
                    self.fail("returning a collection parameter would alias it")
            elif isinstance(s, ir.Let):
                if self.expr(s.value, scope) != s.type:
                    self.fail(f"let {s.name}: value is not {s.type}")
                if s.type.is_collection and isinstance(s.value, ir.Var):
                    self.fail(f"let {s.name} aliases collection {s.value.name}")
                self.declare(s.name, scope, s.type)
                self.lets.add(s.name)
            elif isinstance(s, (ir.Assign, ir.ListAppend, ir.ListSet, ir.MapPut)):
                if s.name not in scope:
                    self.fail(f"write to undeclared {s.name!r}")
                if s.name in self.readonly:
                    self.fail(f"write to read-only {s.name!r} (parameter, loop variable, iterated list or loop bound)")
                t = scope[s.name]
                if isinstance(s, ir.Assign):
                    if self.expr(s.value, scope) != t:
                        self.fail(f"assign to {s.name}: value is not {t}")
                    if t.is_collection and isinstance(s.value, ir.Var):
                        self.fail(f"assign to {s.name} aliases collection {s.value.name}")
                elif isinstance(s, ir.ListAppend):
                    if t.kind != "list" or self.expr(s.value, scope) != t.elem:
                        self.fail(f"append to {s.name} ({t}) of a wrong value")
                elif isinstance(s, ir.ListSet):
                    if t.kind != "list" or self.expr(s.index, scope) != ir.INT or self.expr(s.value, scope) != t.elem:
                        self.fail(f"list set on {s.name} ({t}) ill typed")
                else:
                    if t.kind != "map" or self.expr(s.key, scope) != t.key or self.expr(s.value, scope) != t.value:
                        self.fail(f"map put on {s.name} ({t}) ill typed")
            elif isinstance(s, ir.If):
                if self.expr(s.cond, scope) != ir.BOOL:
                    self.fail("if condition is not bool")
                self.block(s.then, scope, "then")
                self.block(s.orelse, scope, "else")
            elif isinstance(s, ir.While):
                if self.expr(s.cond, scope) != ir.BOOL:
                    self.fail("while condition is not bool")
                if not any(isinstance(x, ir.Var) for x in ir.walk_expr(s.cond)):
                    self.fail("while condition must read a variable")
                self.block(s.body, scope, "loop")
            elif isinstance(s, ir.ForRange):
                if self.expr(s.start, scope) != ir.INT or self.expr(s.stop, scope) != ir.INT:
                    self.fail("for-range bounds must be ints")
                inner = dict(scope)
                self.declare(s.var, inner, ir.INT)
                self.readonly.add(s.var)
                frozen = {x.name for x in ir.walk_expr(s.stop) if isinstance(x, ir.Var)} - self.readonly
                self.readonly |= frozen
                self.block(s.body, inner, "loop")
                self.readonly -= frozen
            elif isinstance(s, ir.ForEach):
                t = self.expr(s.iterable, scope)
                if t.kind != "list" or t.elem != s.elem_type:
                    self.fail(f"for-each over {t} with element type {s.elem_type}")
                inner = dict(scope)
                self.declare(s.var, inner, s.elem_type)
                self.readonly.add(s.var)
                frozen = s.iterable.name if isinstance(s.iterable, ir.Var) else None
                added = frozen is not None and frozen not in self.readonly
                if added:
                    self.readonly.add(frozen)
                self.block(s.body, inner, "loop")
                if added:
                    self.readonly.discard(frozen)
            else:
                self.fail(f"not a statement: {type(s).__name__}")

    def run(self):
        scope: dict[str, ir.Type] = {}
        check_name(self.fn.name, self.where)
        for p in self.fn.params:
            self.declare(p.name, scope, p.type)
        if not self.fn.body or not isinstance(self.fn.body[-1], ir.Return):
            self.fail("the body must end with a return")
        self.block(self.fn.body, scope, "body")
        for name in sorted(self.lets):
            if not ir.reads(name, self.fn.body):
                self.fail(f"local {name!r} is never read (Go rejects unused variables)")


def check_program(program: ir.Program) -> None:
    """Raise :class:`IRError` unless ``program`` obeys every rule in this module's docstring."""
    if not program.functions:
        raise IRError("program has no functions")
    sigs: dict[str, ir.Function] = {}
    for fn in program.functions:
        if fn.name in sigs:
            raise IRError(f"function {fn.name} defined twice")
        sigs[fn.name] = fn
        _FnChecker(fn, dict(sigs)).run()
    entry = program.entry
    if not program.cases:
        raise IRError("program has no cases for its driver")
    for i, case in enumerate(program.cases):
        if len(case) != len(entry.params):
            raise IRError(f"case {i}: {len(case)} arguments for {len(entry.params)} parameters")
        for a, p in zip(case, entry.params):
            if any(isinstance(x, (ir.Var, ir.Call, ir.Builtin, ir.Unary, ir.Binary)) for x in ir.walk_expr(a)):
                raise IRError(f"case {i}: argument {p.name} is not a literal")
            if a.type != p.type:
                raise IRError(f"case {i}: argument {p.name} is {a.type}, expected {p.type}")
