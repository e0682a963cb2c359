"""Rust renderer (edition 2021, std only).

Types: ``i64``, ``f64``, ``bool``, ``String``, ``Vec<T>`` and ``BTreeMap<K, V>`` (its iteration
order is the canonical key order, so printing a map needs no sort). Parameters borrow: ``&str``,
``&[T]``, ``&BTreeMap<K, V>``; scalars are passed by value.

Ownership is the one thing Rust adds over the other targets, and the renderer decides it from
the IR alone: every expression has a *kind* (:func:`RustRenderer.kind`) saying whether its code is
a copyable scalar, a string literal, a borrowed parameter or loop variable, a place that owns its
value (a local, ``xs[i]``, ``m[&k]``), or a fresh owned value (a call, a builtin, a literal
collection). Each use site then asks for what it needs: an owned value (``let``, assignment,
``push``, ``insert``, return: a place is cloned, a borrow is copied out with ``to_string``/
``to_vec``), a borrow (call arguments), or a ``&str`` (patterns, comparisons). The IR's
no-aliasing rule means a clone is never observable, only a copy.

Integer literals with no typed operand beside them (``abs(3)``) would be ambiguous numeric types to
``rustc``; method receivers get an ``_i64``/``_f64`` suffix and ``abs``/``min``/``max`` use the
path form ``i64::abs(3)`` there. A cast left of ``<`` is parenthesised (``(n as i64) < m``), since
``as i64 <`` reads as generic arguments. Idioms: snake_case, ``///`` docs, ``let mut`` only when
the variable changes, ``+=``, ``push``/``insert``, ``for &x in xs.iter()``, a tail expression for
the final return, and a ``Canonical`` trait for printing results.
"""

from __future__ import annotations

import json
import re

from codescale_jax.data.synthetic import ir
from codescale_jax.data.synthetic.render_base import (
    P_ADD, P_AND, P_ATOM, P_EQ, P_MUL, P_OR, P_UNARY, BraceRenderer, TaskSource)

P_AS = P_MUL + 0.5  # ``x as T`` binds tighter than ``*`` and looser than unary ``-``

RUST_HELPERS: dict[str, str] = {
    "sorted_copy": ("fn sorted_copy<T: Clone + PartialOrd>(xs: &[T]) -> Vec<T> {\n"
                    "    let mut out = xs.to_vec();\n    out.sort_by(|a, b| a.partial_cmp(b).unwrap());\n"
                    "    out\n}"),
    "concat_lists": ("fn concat_lists<T: Clone>(a: &[T], b: &[T]) -> Vec<T> {\n"
                     "    let mut out = a.to_vec();\n    out.extend_from_slice(b);\n    out\n}"),
    "contains_str": ("fn contains_str(xs: &[String], x: &str) -> bool {\n"
                     "    xs.iter().any(|item| item == x)\n}"),
}

CANONICAL_TRAIT = """/// The canonical text of a result: 6-decimal floats, quoted strings, maps in key order.
trait Canonical {
    fn canonical(&self) -> String;
}
"""
CANONICAL_IMPLS = {
    "int": "impl Canonical for i64 {\n    fn canonical(&self) -> String {\n        self.to_string()\n    }\n}\n",
    "float": ("impl Canonical for f64 {\n    fn canonical(&self) -> String {\n"
              "        format!(\"{:.6}\", self)\n    }\n}\n"),
    "bool": "impl Canonical for bool {\n    fn canonical(&self) -> String {\n        self.to_string()\n    }\n}\n",
    "str": ("impl Canonical for String {\n    fn canonical(&self) -> String {\n"
            "        format!(\"\\\"{}\\\"\", self)\n    }\n}\n"),
    "list": ("impl<T: Canonical> Canonical for Vec<T> {\n    fn canonical(&self) -> String {\n"
             "        let parts: Vec<String> = self.iter().map(|x| x.canonical()).collect();\n"
             "        format!(\"[{}]\", parts.join(\", \"))\n    }\n}\n"),
    "map": ("impl<K: Canonical, V: Canonical> Canonical for BTreeMap<K, V> {\n"
            "    fn canonical(&self) -> String {\n        let parts: Vec<String> = self\n"
            "            .iter()\n            .map(|(k, v)| format!(\"{}: {}\", k.canonical(), v.canonical()))\n"
            "            .collect();\n        format!(\"{{{}}}\", parts.join(\", \"))\n    }\n}\n"),
}
_ENDS_WITH_CAST = re.compile(r" as (i64|f64|usize|u8)$")


_FROM_ARGS = ("abs", "min", "max", "sorted", "reversed", "list_slice", "list_concat", "map_keys_sorted")


def anchored(e: ir.Expr) -> bool:
    """Whether the numbers in ``e``'s value have a concrete type of their own (a variable, call,
    cast or length inside it): ``3 + 4``, ``vec![1, 2][0]`` and ``sorted_copy(&[3, 1])`` are
    ambiguous to ``rustc`` when a method is called on them or a loop variable takes their type."""
    if isinstance(e, (ir.Lit, ir.ListLit, ir.MapLit)):
        return False
    if isinstance(e, ir.Unary):
        return anchored(e.operand)
    if isinstance(e, ir.Binary):
        return anchored(e.left) or anchored(e.right)
    if isinstance(e, ir.Builtin) and e.op in _FROM_ARGS:
        return any(anchored(a) for a in e.args if a.type.is_collection or a.type == e.type)
    if isinstance(e, ir.Builtin) and e.op in ("list_get", "map_get", "map_get_or"):
        return anchored(e.args[0]) or (e.op == "map_get_or" and anchored(e.args[2]))
    return True


class RustRenderer(BraceRenderer):
    language = "rust"
    extension = ".rs"
    BINARY = {
        "add": ("+", P_ADD), "sub": ("-", P_ADD), "mul": ("*", P_MUL), "div": ("/", P_MUL),
        "mod": ("%", P_MUL), "lt": ("<", P_EQ), "le": ("<=", P_EQ), "gt": (">", P_EQ),
        "ge": (">=", P_EQ), "eq": ("==", P_EQ), "ne": ("!=", P_EQ), "and": ("&&", P_AND),
        "or": ("||", P_OR),
    }
    UNARY = {"neg": ("-", P_UNARY), "not": ("!", P_UNARY)}

    def __init__(self):
        self._need: set[str] = set()  # helpers referenced (keys of RUST_HELPERS), "BTreeMap"
        self._params: dict[str, ir.Type] = {}
        self._borrowed_loop_vars: set[str] = set()  # ``for w in words.iter()``: w is &String
        self._names: set[str] = set()  # every name of the function being rendered
        self._suffix = False  # render numeric literals with a type suffix (ambiguous receivers)

    def ident(self, name: str) -> str:
        return name

    def type_name(self, t: ir.Type) -> str:
        if t.kind == "list":
            return f"Vec<{self.type_name(t.elem)}>"
        if t.kind == "map":
            self._need.add("BTreeMap")
            return f"BTreeMap<{self.type_name(t.key)}, {self.type_name(t.value)}>"
        return {"int": "i64", "float": "f64", "bool": "bool", "str": "String"}[t.kind]

    def param_type(self, t: ir.Type) -> str:
        if t == ir.STR:
            return "&str"
        if t.kind == "list":
            return f"&[{self.type_name(t.elem)}]"
        if t.kind == "map":
            return f"&{self.type_name(t)}"
        return self.type_name(t)

    # ------------------------------------------------------------------- ownership kinds
    def kind(self, e: ir.Expr) -> str:
        """``copy`` (scalar value), ``lit`` (a ``&'static str``), ``str_ref`` (``&str``),
        ``string_ref`` (``&String``), ``coll_ref`` (``&[T]`` / ``&BTreeMap``), ``place`` (an
        owned value held by a variable or element) or ``owned`` (a fresh temporary)."""
        if e.type.kind in ("int", "float", "bool"):
            return "copy"
        if isinstance(e, ir.Lit):
            return "lit"
        if isinstance(e, ir.Var):
            if e.name in self._params:
                return "str_ref" if e.type == ir.STR else "coll_ref"
            if e.name in self._borrowed_loop_vars:
                return "string_ref"
            return "place"
        if isinstance(e, ir.Builtin) and e.op in ("list_get", "map_get"):
            return "place"
        return "owned"

    def owned(self, e: ir.Expr) -> str:
        """Code of an owned value of ``e`` (``String``, ``Vec``, ``BTreeMap`` or a scalar)."""
        k = self.kind(e)
        if k in ("copy", "owned"):
            return self.expr(e)
        code = self.expr(e, P_ATOM)
        if k in ("lit", "str_ref"):
            return f"{code}.to_string()"
        if k == "coll_ref" and e.type.kind == "list":
            return f"{code}.to_vec()"
        return f"{code}.clone()"

    def borrow(self, e: ir.Expr) -> str:
        """Code that coerces to a parameter type (``&str``, ``&[T]``, ``&BTreeMap``) or a scalar."""
        if isinstance(e, ir.ListLit):  # ``&[1, 2]`` rather than ``&vec![1, 2]``
            return f"&[{', '.join(self.owned(x) for x in e.items)}]"
        if self.kind(e) in ("place", "owned"):
            return f"&{self.expr(e, P_UNARY)}"
        return self.expr(e)

    def as_str(self, e: ir.Expr) -> str:
        """Code of type ``&str`` (patterns, separators, string comparisons)."""
        if self.kind(e) in ("lit", "str_ref"):
            return self.expr(e, P_ATOM)
        return f"{self.expr(e, P_ATOM)}.as_str()"

    def key(self, e: ir.Expr) -> str:
        """A map lookup key: ``&k`` for ints, ``&str`` for strings (``String: Borrow<str>``)."""
        return self.as_str(e) if e.type == ir.STR else f"&{self.expr(e, P_UNARY)}"

    def recv(self, e: ir.Expr) -> str:
        """A method receiver; ambiguous numeric literals get a type suffix."""
        if e.type in (ir.INT, ir.FLOAT) and not anchored(e):
            return self.typed(e, P_ATOM)
        return self.expr(e, P_ATOM)

    def typed(self, e: ir.Expr, min_prec: int = 0) -> str:
        """``e`` with its numeric literals suffixed (``6_i64``), so its type is not ambiguous."""
        old, self._suffix = self._suffix, True
        try:
            return self.expr(e, min_prec)
        finally:
            self._suffix = old

    def usize(self, e: ir.Expr) -> str:
        if isinstance(e, ir.Lit) and e.value >= 0:
            return str(e.value)
        return f"{self.expr(e, P_UNARY)} as usize"

    # ------------------------------------------------------------------------ expressions
    def lit(self, e: ir.Lit) -> tuple[str, int]:
        if e.type == ir.BOOL:
            return ("true" if e.value else "false"), P_ATOM
        if e.type == ir.STR:
            return json.dumps(e.value), P_ATOM
        code = repr(e.value) + (("_i64" if e.type == ir.INT else "_f64") if self._suffix else "")
        return code, (P_UNARY if e.value < 0 else P_ATOM)

    def list_lit(self, e: ir.ListLit) -> tuple[str, int]:
        return f"vec![{', '.join(self.owned(x) for x in e.items)}]", P_ATOM

    def map_lit(self, e: ir.MapLit) -> tuple[str, int]:
        self._need.add("BTreeMap")
        if not e.items:
            return "BTreeMap::new()", P_ATOM
        pairs = ", ".join(f"({self.owned(k)}, {self.owned(v)})" for k, v in e.items)
        return f"BTreeMap::from([{pairs}])", P_ATOM

    def call(self, e: ir.Call) -> tuple[str, int]:
        return f"{self.func_name(e.func)}({', '.join(self.borrow(a) for a in e.args)})", P_ATOM

    def binary(self, e: ir.Binary) -> tuple[str, int]:
        if e.op in ("eq", "ne", "lt", "le", "gt", "ge") and e.left.type == ir.STR:
            token, prec = self.BINARY[e.op]
            return f"{self.as_str(e.left)} {token} {self.as_str(e.right)}", prec
        code, prec = super().binary(e)
        if e.op in ("lt", "le"):
            left = self.expr(e.left, prec + 1)
            if _ENDS_WITH_CAST.search(left):  # ``n as i64 < m`` parses as generic arguments
                code = f"({left}){code[len(left):]}"
        return code, prec

    def method(self, recv: ir.Expr, name: str, *args: str) -> tuple[str, int]:
        return f"{self.recv(recv)}.{name}({', '.join(args)})", P_ATOM

    def cast(self, e: ir.Expr, to: str) -> tuple[str, int]:
        return f"{self.expr(e, P_UNARY)} as {to}", P_AS

    def helper(self, name: str, *args: str) -> tuple[str, int]:
        self._need.add(name)
        return f"{name}({', '.join(args)})", P_ATOM

    def numeric(self, e: ir.Builtin, name: str, a) -> tuple[str, int]:
        """``x.abs()`` / ``x.min(y)``, or ``i64::abs(3)`` when no operand has a concrete type."""
        if anchored(a[0]):
            return self.method(a[0], name, *(self.expr(x) for x in a[1:]))
        return f"{self.type_name(e.type)}::{name}({self.args(a)})", P_ATOM

    def builtin_abs(self, e, a): return self.numeric(e, "abs", a)
    def builtin_min(self, e, a): return self.numeric(e, "min", a)
    def builtin_max(self, e, a): return self.numeric(e, "max", a)
    def builtin_to_float(self, e, a): return self.cast(a[0], "f64")
    def builtin_trunc(self, e, a): return self.cast(a[0], "i64")
    def builtin_int_to_str(self, e, a): return self.method(a[0], "to_string")
    def builtin_str_len(self, e, a): return f"{self.recv(a[0])}.len() as i64", P_AS
    def builtin_list_len(self, e, a): return f"{self.recv(a[0])}.len() as i64", P_AS
    def builtin_map_len(self, e, a): return f"{self.recv(a[0])}.len() as i64", P_AS
    def builtin_concat(self, e, a):
        # ``format!`` displays an i64 exactly as ``to_string`` does, so ``int_to_str`` is implied
        shown = [x.args[0] if isinstance(x, ir.Builtin) and x.op == "int_to_str" else x for x in a]
        return f'format!("{{}}{{}}", {self.args(shown)})', P_ATOM
    def builtin_char_code(self, e, a): return f"{self.recv(a[0])}.as_bytes()[{self.usize(a[1])}] as i64", P_AS
    def builtin_from_char_code(self, e, a): return f"char::from({self.expr(a[0], P_UNARY)} as u8).to_string()", P_ATOM
    def builtin_str_contains(self, e, a): return self.method(a[0], "contains", self.as_str(a[1]))
    def builtin_upper(self, e, a): return self.method(a[0], "to_ascii_uppercase")
    def builtin_lower(self, e, a): return self.method(a[0], "to_ascii_lowercase")
    def builtin_str_reverse(self, e, a): return f"{self.recv(a[0])}.chars().rev().collect::<String>()", P_ATOM
    def builtin_str_repeat(self, e, a): return self.method(a[0], "repeat", self.usize(a[1]))
    def builtin_str_join(self, e, a): return self.method(a[0], "join", self.as_str(a[1]))
    def builtin_list_get(self, e, a): return f"{self.recv(a[0])}[{self.usize(a[1])}]", P_ATOM
    def builtin_sorted(self, e, a): return self.helper("sorted_copy", self.borrow(a[0]))
    def builtin_reversed(self, e, a): return f"{self.recv(a[0])}.iter().rev().cloned().collect::<Vec<_>>()", P_ATOM
    def builtin_list_concat(self, e, a): return self.helper("concat_lists", self.borrow(a[0]), self.borrow(a[1]))
    def builtin_map_get(self, e, a): return f"{self.recv(a[0])}[{self.key(a[1])}]", P_ATOM
    def builtin_map_contains(self, e, a): return self.method(a[0], "contains_key", self.key(a[1]))
    def builtin_map_keys_sorted(self, e, a): return f"{self.recv(a[0])}.keys().cloned().collect::<Vec<_>>()", P_ATOM

    def builtin_char_at(self, e, a):
        return f"char::from({self.recv(a[0])}.as_bytes()[{self.usize(a[1])}]).to_string()", P_ATOM

    def builtin_substring(self, e, a):
        return f"{self.recv(a[0])}[{self.usize(a[1])}..{self.usize(a[2])}].to_string()", P_ATOM

    def builtin_list_slice(self, e, a):
        return f"{self.recv(a[0])}[{self.usize(a[1])}..{self.usize(a[2])}].to_vec()", P_ATOM

    def builtin_str_find(self, e, a):
        return f"{self.method(a[0], 'find', self.as_str(a[1]))[0]}.map_or(-1, |i| i as i64)", P_ATOM

    def builtin_list_contains(self, e, a):
        if e.args[1].type == ir.STR:
            return self.helper("contains_str", self.borrow(a[0]), self.as_str(a[1]))
        return self.method(a[0], "contains", f"&{self.expr(a[1], P_UNARY)}")

    def builtin_map_get_or(self, e, a):
        found = f"{self.recv(a[0])}.get({self.key(a[1])})"
        if e.type == ir.STR:
            return f"{found}.cloned().unwrap_or({self.owned(a[2])})", P_ATOM
        return f"{found}.copied().unwrap_or({self.expr(a[2])})", P_ATOM

    # ------------------------------------------------------------------------- statements
    def stmt(self, s: ir.Stmt) -> list[str]:
        if isinstance(s, ir.Let):
            mut = "mut " if ir.writes(s.name, self._body) else ""
            return [f"let {mut}{s.name}: {self.type_name(s.type)} = {self.owned(s.value)};"]
        if isinstance(s, ir.Assign):
            return [self.assign(s)]
        if isinstance(s, ir.If):
            return self.if_else(s, lambda cond: f"if {cond}")
        if isinstance(s, ir.While):
            return self.braced(f"while {self.expr(s.cond)}", s.body)
        if isinstance(s, ir.ForRange):
            var = s.var if ir.reads(s.var, s.body) else "_"
            stop = self.expr(s.stop)
            if var != "_" and not (anchored(s.start) or anchored(s.stop)):
                stop = self.typed(s.stop)  # ``0..6`` alone leaves the loop variable's type open
            return self.braced(f"for {var} in {self.expr(s.start)}..{stop}", s.body)
        if isinstance(s, ir.ForEach):
            return self.for_each(s)
        if isinstance(s, ir.Return):
            return [f"return {self.owned(s.value)};"]
        if isinstance(s, ir.ListAppend):
            return [f"{s.name}.push({self.owned(s.value)});"]
        if isinstance(s, ir.ListSet):
            if any(isinstance(x, ir.Var) and x.name == s.name for x in ir.walk_expr(s.index)):
                # ``xs[xs.len() - 1] = v`` is rejected: IndexMut borrows ``xs`` before the index
                # is computed. Compute the index first, in a name the function does not use.
                slot = next(n for n in ("slot", "at", "target", "where_at") if n not in self._names)
                return [f"let {slot} = {self.usize(s.index)};", f"{s.name}[{slot}] = {self.owned(s.value)};"]
            return [f"{s.name}[{self.usize(s.index)}] = {self.owned(s.value)};"]
        if isinstance(s, ir.MapPut):
            return [f"{s.name}.insert({self.owned(s.key)}, {self.owned(s.value)});"]
        raise TypeError(f"not a statement: {type(s).__name__}")

    def assign(self, s: ir.Assign) -> str:
        v = s.value
        if isinstance(v, ir.Binary) and v.op in ("add", "sub") and v.left == ir.Var(v.type, s.name):
            return f"{s.name} {self.BINARY[v.op][0]}= {self.expr(v.right)};"
        if (isinstance(v, ir.Builtin) and v.op == "concat" and v.args[0] == ir.Var(ir.STR, s.name)
                and not any(isinstance(x, ir.Var) and x.name == s.name for x in ir.walk_expr(v.args[1]))):
            return f"{s.name}.push_str({self.as_str(v.args[1])});"
        return f"{s.name} = {self.owned(v)};"

    def for_each(self, s: ir.ForEach) -> list[str]:
        used = ir.reads(s.var, s.body)
        if not isinstance(s.iterable, ir.Var):  # a fresh list: iterate it by value
            typed = used and s.elem_type in (ir.INT, ir.FLOAT) and not anchored(s.iterable)
            items = self.typed(s.iterable) if typed else self.expr(s.iterable)
            return self.braced(f"for {s.var if used else '_'} in {items}", s.body)
        items = f"{s.iterable.name}.iter()"
        if not used:
            return self.braced(f"for _ in {items}", s.body)
        if s.elem_type == ir.STR:
            self._borrowed_loop_vars.add(s.var)
            return self.braced(f"for {s.var} in {items}", s.body)
        return self.braced(f"for &{s.var} in {items}", s.body)

    # -------------------------------------------------------------------------- functions
    def signature(self, fn: ir.Function) -> str:
        params = ", ".join(f"{p.name}: {self.param_type(p.type)}" for p in fn.params)
        return f"fn {fn.name}({params}) -> {self.type_name(fn.ret)} {{"

    def function_head(self, fn: ir.Function) -> str:
        return "\n".join(self.line_comment(self.doc_text(fn, 96), "///") + [self.signature(fn)]) + "\n"

    def function_body(self, fn: ir.Function) -> str:
        self._params = {p.name: p.type for p in fn.params}
        self._borrowed_loop_vars = set()
        self._body = fn.body
        self._names = set(self._params) | {
            getattr(x, "name", None) or getattr(x, "var", None) for x in ir.walk_stmts(fn.body)}
        lines = self.stmts(fn.body[:-1])
        last = fn.body[-1]
        if isinstance(last, ir.Return):  # tail expression; a local collection or string moves out
            moves = isinstance(last.value, ir.Var) and self.kind(last.value) == "place"
            lines.append(last.value.name if moves else self.owned(last.value))
        else:
            lines += self.stmt(last)
        return "\n".join(self.indent(lines) + ["}"]) + "\n"

    def render_function(self, fn: ir.Function) -> str:
        return self.function_head(fn) + self.function_body(fn)

    # --------------------------------------------------------------------------- driver
    def canonical_impls(self, t: ir.Type) -> str:
        kinds = [t.kind] + [a.kind for a in t.args]
        order = ("int", "float", "bool", "str", "list", "map")
        return CANONICAL_TRAIT + "".join("\n" + CANONICAL_IMPLS[k] for k in order if k in kinds)

    def case_call(self, program: ir.Program, case) -> str:
        return f"{program.entry.name}({', '.join(self.borrow(a) for a in case)})"

    def support(self) -> str:
        """The ``use`` line and helper functions for everything recorded in ``_need``."""
        head = "use std::collections::BTreeMap;\n\n" if "BTreeMap" in self._need else ""
        return head + "".join(RUST_HELPERS[n] + "\n\n" for n in RUST_HELPERS if n in self._need)

    def render_program(self, program: ir.Program) -> str:
        self._need = set()
        functions = "\n".join(self.render_function(fn) for fn in program.functions)
        self._params, self._borrowed_loop_vars = {}, set()
        main = ["fn main() {"] + [f'    println!("{{}}", {self.case_call(program, c)}.canonical());'
                                  for c in program.cases] + ["}"]
        return (self.support() + functions + "\n" + self.canonical_impls(program.entry.ret) + "\n"
                + "\n".join(main) + "\n")

    def render_task(self, program: ir.Program, expected: list[str]) -> TaskSource:
        self._need = set()
        functions = "".join(self.render_function(fn) + "\n" for fn in program.functions[:-1])
        entry = program.entry
        head_entry = self.function_head(entry)
        body = self.function_body(entry)
        self._params, self._borrowed_loop_vars = {}, set()
        results = [f"        {self.case_call(program, c)}.canonical()," for c in program.cases]
        tests = ("\n" + self.canonical_impls(entry.ret) + "\nfn main() {\n    let results: Vec<String> = vec![\n"
                 + "\n".join(results) + "\n    ];\n"
                 f"    let expected = [{', '.join(json.dumps(x) for x in expected)}];\n"
                 "    assert_eq!(results.len(), expected.len());\n"
                 "    for (i, (got, want)) in results.iter().zip(expected.iter()).enumerate() {\n"
                 "        if got.as_str() != *want {\n"
                 '            eprintln!("case {}: expected {}, got {}", i, want, got);\n'
                 "            std::process::exit(1);\n        }\n    }\n}\n")
        return TaskSource(self.language, self.support() + functions + head_entry, body, tests)


RENDERER = RustRenderer()
