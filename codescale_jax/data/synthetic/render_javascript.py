"""JavaScript renderer (Node, CommonJS script): a brace language with a type-directed formatter.

JavaScript has one ``number`` type, so ints and floats differ only in how they are printed and
divided: the renderer knows every static type from the IR and emits ``Math.trunc(a / b)`` for int
division and ``formatFloat`` only for floats. Idioms: ``const`` unless reassigned, ``+=``, JSDoc
on every function, ``Map`` for maps, spread copies for fresh lists. :mod:`.render_typescript`
subclasses this with type annotations.
"""

from __future__ import annotations

import json

from codescale_jax.data.synthetic import ir
from codescale_jax.data.synthetic.render_base import (
    P_ADD, P_AND, P_ATOM, P_CMP, P_EQ, P_MUL, P_OR, P_UNARY, BraceRenderer, TaskSource)

P_NULLISH = 0  # ``a ?? b`` must be parenthesised inside any other operator (mixing is a SyntaxError)

FORMAT_HELPERS = {
    "float": ["function formatFloat(x) {", "  return x.toFixed(6);", "}"],
    "str": ["function formatString(s) {", '  return "\\"" + s + "\\"";', "}"],
    "list": ["function formatList(xs, formatItem) {",
             '  return "[" + xs.map((x) => formatItem(x)).join(", ") + "]";', "}"],
    "map": ["function formatMap(m, formatKey, formatValue, order) {",
            "  const keys = [...m.keys()].sort(order);",
            '  return "{" + keys.map((k) => formatKey(k) + ": " + formatValue(m.get(k))).join(", ") + "}";',
            "}"],
}


class JavaScriptRenderer(BraceRenderer):
    language = "javascript"
    extension = ".js"
    indent_unit = "  "
    BINARY = {
        "add": ("+", P_ADD), "sub": ("-", P_ADD), "mul": ("*", P_MUL), "div": ("/", P_MUL),
        "mod": ("%", P_MUL), "lt": ("<", P_CMP), "le": ("<=", P_CMP), "gt": (">", P_CMP),
        "ge": (">=", P_CMP), "eq": ("===", P_EQ), "ne": ("!==", P_EQ), "and": ("&&", P_AND),
        "or": ("||", P_OR),
    }
    UNARY = {"neg": ("-", P_UNARY), "not": ("!", P_UNARY)}

    # -------------------------------------------------------------- type-dependent hooks
    def type_name(self, t: ir.Type) -> str:
        """JSDoc type; TypeScript uses the same spelling in annotations."""
        if t.kind in ("int", "float"):
            return "number"
        if t.kind == "bool":
            return "boolean"
        if t.kind == "str":
            return "string"
        if t.kind == "list":
            return f"{self.type_name(t.elem)}[]"
        return f"Map<{self.type_name(t.key)}, {self.type_name(t.value)}>"

    def annotate(self, t: ir.Type) -> str:
        """``: T`` after a name in TypeScript; nothing in JavaScript."""
        return ""

    def new_map(self, t: ir.Type, entries: str) -> str:
        return f"new Map({entries})"

    def empty_list(self, t: ir.Type) -> str:
        return "[]"

    # ------------------------------------------------------------------------ expressions
    def lit(self, e: ir.Lit) -> tuple[str, int]:
        if e.type == ir.BOOL:
            return ("true" if e.value else "false"), P_ATOM
        if e.type == ir.STR:
            return json.dumps(e.value), P_ATOM
        return repr(e.value), (P_UNARY if e.value < 0 else P_ATOM)

    def list_lit(self, e: ir.ListLit) -> tuple[str, int]:
        if not e.items:
            return self.empty_list(e.type), P_ATOM
        return f"[{self.args(e.items)}]", P_ATOM

    def map_lit(self, e: ir.MapLit) -> tuple[str, int]:
        entries = ", ".join(f"[{self.expr(k)}, {self.expr(v)}]" for k, v in e.items)
        return self.new_map(e.type, f"[{entries}]" if entries else ""), P_ATOM

    def call(self, e: ir.Call) -> tuple[str, int]:
        return f"{self.func_name(e.func)}({self.args(e.args)})", P_ATOM

    def binary(self, e: ir.Binary) -> tuple[str, int]:
        if e.op == "div" and e.type == ir.INT:  # operands are < 2^31, so the quotient is exact
            return f"Math.trunc({self.expr(e.left, P_MUL)} / {self.expr(e.right, P_MUL + 1)})", P_ATOM
        return super().binary(e)

    def method(self, recv: ir.Expr, name: str, *args: ir.Expr) -> tuple[str, int]:
        return f"{self.expr(recv, P_ATOM)}.{name}({self.args(args)})", P_ATOM

    def prop(self, recv: ir.Expr, name: str) -> tuple[str, int]:
        return f"{self.expr(recv, P_ATOM)}.{name}", P_ATOM

    def fn(self, name: str, *args: ir.Expr) -> tuple[str, int]:
        return f"{name}({self.args(args)})", P_ATOM

    def index(self, recv: ir.Expr, i: ir.Expr) -> tuple[str, int]:
        return f"{self.expr(recv, P_ATOM)}[{self.expr(i)}]", P_ATOM

    def order(self, elem: ir.Type) -> str:
        """Comparator for sorting: numbers need one (the default sort compares text)."""
        return "(a, b) => a - b" if elem.kind in ("int", "float") else ""

    def builtin_abs(self, e, a): return self.fn("Math.abs", *a)
    def builtin_min(self, e, a): return self.fn("Math.min", *a)
    def builtin_max(self, e, a): return self.fn("Math.max", *a)
    def builtin_to_float(self, e, a): return self.expr_prec(a[0])
    def builtin_trunc(self, e, a): return self.fn("Math.trunc", *a)
    def builtin_int_to_str(self, e, a): return self.fn("String", *a)
    def builtin_str_len(self, e, a): return self.prop(a[0], "length")
    def builtin_list_len(self, e, a): return self.prop(a[0], "length")
    def builtin_map_len(self, e, a): return self.prop(a[0], "size")
    def builtin_concat(self, e, a): return f"{self.expr(a[0], P_ADD)} + {self.expr(a[1], P_ADD + 1)}", P_ADD
    def builtin_char_at(self, e, a): return self.index(a[0], a[1])
    def builtin_list_get(self, e, a): return self.index(a[0], a[1])
    def builtin_substring(self, e, a): return self.method(a[0], "substring", a[1], a[2])
    def builtin_list_slice(self, e, a): return self.method(a[0], "slice", a[1], a[2])
    def builtin_str_contains(self, e, a): return self.method(a[0], "includes", a[1])
    def builtin_list_contains(self, e, a): return self.method(a[0], "includes", a[1])
    def builtin_str_find(self, e, a): return self.method(a[0], "indexOf", a[1])
    def builtin_upper(self, e, a): return self.method(a[0], "toUpperCase")
    def builtin_lower(self, e, a): return self.method(a[0], "toLowerCase")
    def builtin_str_repeat(self, e, a): return self.method(a[0], "repeat", a[1])
    def builtin_char_code(self, e, a): return self.method(a[0], "charCodeAt", a[1])
    def builtin_from_char_code(self, e, a): return self.fn("String.fromCharCode", *a)
    def builtin_str_join(self, e, a): return self.method(a[0], "join", a[1])
    def builtin_map_contains(self, e, a): return self.method(a[0], "has", a[1])

    def builtin_str_reverse(self, e, a):
        return f"[...{self.expr(a[0], P_ATOM)}].reverse().join(\"\")", P_ATOM

    def builtin_sorted(self, e, a):
        return f"[...{self.expr(a[0], P_ATOM)}].sort({self.order(e.type.elem)})", P_ATOM

    def builtin_reversed(self, e, a):
        return f"[...{self.expr(a[0], P_ATOM)}].reverse()", P_ATOM

    def builtin_list_concat(self, e, a):
        return f"[...{self.expr(a[0], P_ATOM)}, ...{self.expr(a[1], P_ATOM)}]", P_ATOM

    def builtin_map_get(self, e, a):
        return self.method(a[0], "get", a[1])

    def builtin_map_get_or(self, e, a):
        return f"{self.method(a[0], 'get', a[1])[0]} ?? {self.expr(a[2], P_EQ)}", P_NULLISH

    def builtin_map_keys_sorted(self, e, a):
        return f"[...{self.expr(a[0], P_ATOM)}.keys()].sort({self.order(e.type.elem)})", P_ATOM

    # ------------------------------------------------------------------------- statements
    def stmt(self, s: ir.Stmt) -> list[str]:
        if isinstance(s, ir.Let):
            kw = "let" if s.name in self._reassigned else "const"
            annot = self.annotate(s.type) if self.needs_annotation(s) else ""
            return [f"{kw} {self.ident(s.name)}{annot} = {self.expr(s.value)};"]
        if isinstance(s, ir.Assign):
            update = self.compound_assign(s)
            return [f"{update};" if update else f"{self.ident(s.name)} = {self.expr(s.value)};"]
        if isinstance(s, ir.If):
            return self.if_else(s, lambda cond: f"if ({cond})")
        if isinstance(s, ir.While):
            return self.braced(f"while ({self.expr(s.cond)})", s.body)
        if isinstance(s, ir.ForRange):
            i = self.ident(s.var)
            return self.braced(f"for (let {i} = {self.expr(s.start)}; {i} < {self.expr(s.stop, P_CMP + 1)}; {i}++)",
                               s.body)
        if isinstance(s, ir.ForEach):
            return self.braced(f"for (const {self.ident(s.var)} of {self.expr(s.iterable)})", s.body)
        if isinstance(s, ir.Return):
            return [f"return {self.expr(s.value)};"]
        if isinstance(s, ir.ListAppend):
            return [f"{self.ident(s.name)}.push({self.expr(s.value)});"]
        if isinstance(s, ir.ListSet):
            return [f"{self.ident(s.name)}[{self.expr(s.index)}] = {self.expr(s.value)};"]
        if isinstance(s, ir.MapPut):
            return [f"{self.ident(s.name)}.set({self.expr(s.key)}, {self.expr(s.value)});"]
        raise TypeError(f"not a statement: {type(s).__name__}")

    def needs_annotation(self, s: ir.Let) -> bool:
        return False

    # -------------------------------------------------------------------------- functions
    def doc_comment(self, fn: ir.Function) -> list[str]:
        lines = ["/**"] + [f" * {x}".rstrip() for x in self.doc_text(fn, 90)]
        lines += [f" * @param {{{self.type_name(p.type)}}} {self.ident(p.name)}" for p in fn.params]
        lines += [f" * @returns {{{self.type_name(fn.ret)}}}", " */"]
        return lines

    def signature(self, fn: ir.Function) -> str:
        params = ", ".join(self.ident(p.name) for p in fn.params)
        return f"function {self.func_name(fn.name)}({params}) {{"

    def function_head(self, fn: ir.Function) -> str:
        return "\n".join(self.doc_comment(fn) + [self.signature(fn)]) + "\n"

    def function_body(self, fn: ir.Function) -> str:
        self._reassigned = {s.name for s in ir.walk_stmts(fn.body) if isinstance(s, ir.Assign)}
        return "\n".join(self.indent(self.stmts(fn.body)) + ["}"]) + "\n"

    def render_function(self, fn: ir.Function) -> str:
        return self.function_head(fn) + self.function_body(fn)

    # ------------------------------------------------------------------------ formatting
    def formatter(self, t: ir.Type) -> str:
        """A function expression mapping a value of ``t`` to its canonical text."""
        if t.kind in ("int", "bool"):
            return "String"
        if t.kind == "float":
            return "formatFloat"
        if t.kind == "str":
            return "formatString"
        if t.kind == "list":
            return f"(xs) => formatList(xs, {self.formatter(t.elem)})"
        order = f", {self.order(t.key)}" if self.order(t.key) else ""
        return f"(m) => formatMap(m, {self.formatter(t.key)}, {self.formatter(t.value)}{order})"

    def format_call(self, t: ir.Type, code: str) -> str:
        if t.kind == "list":
            return f"formatList({code}, {self.formatter(t.elem)})"
        if t.kind == "map":
            order = f", {self.order(t.key)}" if self.order(t.key) else ""
            return f"formatMap({code}, {self.formatter(t.key)}, {self.formatter(t.value)}{order})"
        return f"{self.formatter(t)}({code})"

    def format_helpers(self, t: ir.Type) -> list[str]:
        kinds = {t.kind} | {a.kind for a in t.args}
        out: list[str] = []
        for kind in ("float", "str", "list", "map"):
            if kind in kinds:
                out += self.typed_helper(kind) + [""]
        return out

    def typed_helper(self, kind: str) -> list[str]:
        return FORMAT_HELPERS[kind]

    def case_call(self, program: ir.Program, case) -> str:
        return f"{self.func_name(program.entry.name)}({self.args(case)})"

    def render_program(self, program: ir.Program) -> str:
        ret = program.entry.ret
        parts = [self.render_function(fn) for fn in program.functions]
        main = ["function main()" + self.void() + " {"] + [
            f"  console.log({self.format_call(ret, self.case_call(program, c))});" for c in program.cases]
        parts.append("\n".join(self.format_helpers(ret) + main + ["}", "", "main();"]) + "\n")
        return self.preamble() + "\n".join(parts)

    def preamble(self) -> str:
        return '"use strict";\n\n'

    def void(self) -> str:
        return ""

    def render_task(self, program: ir.Program, expected: list[str]) -> TaskSource:
        helpers = "".join(self.render_function(fn) + "\n" for fn in program.functions[:-1])
        entry, ret = program.entry, program.entry.ret
        calls = [self.format_call(ret, f"candidate({self.args(c)})") for c in program.cases]
        check = ([f"function check(candidate{self.candidate_type(entry)}){self.void()} {{",
                  "  const results = ["] + [f"    {c}," for c in calls] + ["  ];",
                 f"  const expected = {json.dumps(expected)};",
                 "  for (let i = 0; i < expected.length; i++) {",
                 "    if (results[i] !== expected[i]) {",
                 "      throw new Error(`case ${i}: expected ${expected[i]}, got ${results[i]}`);",
                 "    }", "  }", "}", "", f"check({self.func_name(entry.name)});"])
        tests = "\n" + "\n".join(self.format_helpers(ret) + check) + "\n"
        return TaskSource(self.language, self.preamble() + helpers + self.function_head(entry),
                          self.function_body(entry), tests)

    def candidate_type(self, fn: ir.Function) -> str:
        return ""


RENDERER = JavaScriptRenderer()
