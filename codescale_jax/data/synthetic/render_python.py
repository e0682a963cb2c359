"""Python renderer: the worked example of the renderer interface (see ``render_base``).

Idiomatic Python 3.11: snake_case names, type hints on signatures, docstrings, ``+=`` for
accumulator updates, ``elif`` chains, ``for _ in range(n)`` when the index is unused, slicing.
"""

from __future__ import annotations

from codescale_jax.data.synthetic import ir
from codescale_jax.data.synthetic.render_base import (
    P_ADD, P_AND, P_ATOM, P_EQ, P_MUL, P_NOT, P_OR, P_UNARY, Renderer, TaskSource)

FORMAT_HELPER = '''def format_value(value) -> str:
    """Canonical text of a result: 6-decimal floats, quoted strings, maps in key order."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return f"{value:.6f}"
    if isinstance(value, str):
        return f'"{value}"'
    if isinstance(value, list):
        return "[" + ", ".join(format_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{format_value(k)}: {format_value(value[k])}" for k in sorted(value)) + "}"
    return str(value)
'''


_MEMBERSHIP = ("str_contains", "list_contains", "map_contains")


class PythonRenderer(Renderer):
    language = "python"
    extension = ".py"
    BINARY = {
        "add": ("+", P_ADD), "sub": ("-", P_ADD), "mul": ("*", P_MUL), "div": ("/", P_MUL),
        "mod": ("%", P_MUL), "lt": ("<", P_EQ), "le": ("<=", P_EQ), "gt": (">", P_EQ),
        "ge": (">=", P_EQ), "eq": ("==", P_EQ), "ne": ("!=", P_EQ), "and": ("and", P_AND),
        "or": ("or", P_OR),
    }
    UNARY = {"neg": ("-", P_UNARY), "not": ("not ", P_NOT)}

    def ident(self, name: str) -> str:
        return name

    def type_name(self, t: ir.Type) -> str:
        if t.kind == "list":
            return f"list[{self.type_name(t.elem)}]"
        if t.kind == "map":
            return f"dict[{self.type_name(t.key)}, {self.type_name(t.value)}]"
        return t.kind

    # ------------------------------------------------------------------------ expressions
    def lit(self, e: ir.Lit) -> tuple[str, int]:
        if e.type == ir.BOOL:
            return ("True" if e.value else "False"), P_ATOM
        if e.type == ir.STR:
            return f'"{e.value}"', P_ATOM
        return repr(e.value), (P_UNARY if e.value < 0 else P_ATOM)

    def list_lit(self, e: ir.ListLit) -> tuple[str, int]:
        return f"[{self.args(e.items)}]", P_ATOM

    def map_lit(self, e: ir.MapLit) -> tuple[str, int]:
        return "{" + ", ".join(f"{self.expr(k)}: {self.expr(v)}" for k, v in e.items) + "}", P_ATOM

    def call(self, e: ir.Call) -> tuple[str, int]:
        return f"{e.func}({self.args(e.args)})", P_ATOM

    def unary(self, e: ir.Unary) -> tuple[str, int]:
        """``x not in xs`` rather than ``not x in xs`` (PEP 8)."""
        inner = e.operand
        if e.op == "not" and isinstance(inner, ir.Builtin) and inner.op in _MEMBERSHIP:
            return self.infix(inner.args[1], "not in", inner.args[0], P_EQ, compare=True)
        return super().unary(e)

    def binary_token(self, e: ir.Binary) -> tuple[str, int]:
        if e.op == "div" and e.type == ir.INT:
            return "//", P_MUL
        return self.BINARY[e.op]

    def fn(self, name: str, *args: ir.Expr) -> tuple[str, int]:
        return f"{name}({self.args(args)})", P_ATOM

    def method(self, recv: ir.Expr, name: str, *args: ir.Expr) -> tuple[str, int]:
        return f"{self.expr(recv, P_ATOM)}.{name}({self.args(args)})", P_ATOM

    def infix(self, left: ir.Expr, token: str, right: ir.Expr, prec: int, compare=False) -> tuple[str, int]:
        return f"{self.expr(left, prec + compare)} {token} {self.expr(right, prec + 1)}", prec

    def subscript(self, recv: ir.Expr, inner: str) -> tuple[str, int]:
        return f"{self.expr(recv, P_ATOM)}[{inner}]", P_ATOM

    def builtin_abs(self, e, a): return self.fn("abs", *a)
    def builtin_min(self, e, a): return self.fn("min", *a)
    def builtin_max(self, e, a): return self.fn("max", *a)
    def builtin_to_float(self, e, a): return self.fn("float", *a)
    def builtin_trunc(self, e, a): return self.fn("int", *a)
    def builtin_int_to_str(self, e, a): return self.fn("str", *a)
    def builtin_str_len(self, e, a): return self.fn("len", *a)
    def builtin_list_len(self, e, a): return self.fn("len", *a)
    def builtin_map_len(self, e, a): return self.fn("len", *a)
    def builtin_concat(self, e, a): return self.infix(a[0], "+", a[1], P_ADD)
    def builtin_list_concat(self, e, a): return self.infix(a[0], "+", a[1], P_ADD)
    def builtin_char_at(self, e, a): return self.subscript(a[0], self.expr(a[1]))
    def builtin_list_get(self, e, a): return self.subscript(a[0], self.expr(a[1]))
    def builtin_map_get(self, e, a): return self.subscript(a[0], self.expr(a[1]))
    def builtin_substring(self, e, a): return self.subscript(a[0], f"{self.expr(a[1])}:{self.expr(a[2])}")
    def builtin_list_slice(self, e, a): return self.builtin_substring(e, a)
    def builtin_str_contains(self, e, a): return self.infix(a[1], "in", a[0], P_EQ, compare=True)
    def builtin_list_contains(self, e, a): return self.infix(a[1], "in", a[0], P_EQ, compare=True)
    def builtin_map_contains(self, e, a): return self.infix(a[1], "in", a[0], P_EQ, compare=True)
    def builtin_str_find(self, e, a): return self.method(a[0], "find", a[1])
    def builtin_upper(self, e, a): return self.method(a[0], "upper")
    def builtin_lower(self, e, a): return self.method(a[0], "lower")
    def builtin_str_reverse(self, e, a): return self.subscript(a[0], "::-1")
    def builtin_reversed(self, e, a): return self.subscript(a[0], "::-1")
    def builtin_str_repeat(self, e, a): return self.infix(a[0], "*", a[1], P_MUL)
    def builtin_char_code(self, e, a): return f"ord({self.subscript(a[0], self.expr(a[1]))[0]})", P_ATOM
    def builtin_from_char_code(self, e, a): return self.fn("chr", *a)
    def builtin_str_join(self, e, a): return self.method(a[1], "join", a[0])
    def builtin_sorted(self, e, a): return self.fn("sorted", *a)
    def builtin_map_get_or(self, e, a): return self.method(a[0], "get", a[1], a[2])
    def builtin_map_keys_sorted(self, e, a): return self.fn("sorted", *a)

    # ------------------------------------------------------------------------- statements
    def block(self, stmts: tuple[ir.Stmt, ...]) -> list[str]:
        lines: list[str] = []
        for s in stmts:
            lines.extend(self.stmt(s))
        return self.indent(lines or ["pass"])

    def stmt(self, s: ir.Stmt) -> list[str]:
        if isinstance(s, ir.Let):
            return [f"{s.name} = {self.expr(s.value)}"]
        if isinstance(s, ir.Assign):
            v = s.value
            if isinstance(v, ir.Binary) and v.op in ("add", "sub") and v.left == ir.Var(v.type, s.name):
                return [f"{s.name} {self.BINARY[v.op][0]}= {self.expr(v.right)}"]
            if isinstance(v, ir.Builtin) and v.op == "concat" and v.args[0] == ir.Var(ir.STR, s.name):
                return [f"{s.name} += {self.expr(v.args[1])}"]
            return [f"{s.name} = {self.expr(v)}"]
        if isinstance(s, ir.If):
            lines = [f"if {self.expr(s.cond)}:"] + self.block(s.then)
            orelse = s.orelse
            while len(orelse) == 1 and isinstance(orelse[0], ir.If):
                lines += [f"elif {self.expr(orelse[0].cond)}:"] + self.block(orelse[0].then)
                orelse = orelse[0].orelse
            if orelse:
                lines += ["else:"] + self.block(orelse)
            return lines
        if isinstance(s, ir.While):
            return [f"while {self.expr(s.cond)}:"] + self.block(s.body)
        if isinstance(s, ir.ForRange):
            var = s.var if ir.reads(s.var, s.body) else "_"
            start_zero = isinstance(s.start, ir.Lit) and s.start.value == 0
            rng = self.expr(s.stop) if start_zero else f"{self.expr(s.start)}, {self.expr(s.stop)}"
            return [f"for {var} in range({rng}):"] + self.block(s.body)
        if isinstance(s, ir.ForEach):
            var = s.var if ir.reads(s.var, s.body) else "_"
            return [f"for {var} in {self.expr(s.iterable)}:"] + self.block(s.body)
        if isinstance(s, ir.Return):
            return [f"return {self.expr(s.value)}"]
        if isinstance(s, ir.ListAppend):
            return [f"{s.name}.append({self.expr(s.value)})"]
        if isinstance(s, (ir.ListSet, ir.MapPut)):
            idx = s.index if isinstance(s, ir.ListSet) else s.key
            return [f"{s.name}[{self.expr(idx)}] = {self.expr(s.value)}"]
        raise TypeError(f"not a statement: {type(s).__name__}")

    # -------------------------------------------------------------------------- functions
    def signature(self, fn: ir.Function) -> str:
        params = ", ".join(f"{p.name}: {self.type_name(p.type)}" for p in fn.params)
        return f"def {fn.name}({params}) -> {self.type_name(fn.ret)}:"

    def docstring(self, fn: ir.Function) -> list[str]:
        lines = self.doc_text(fn, 84)
        if not lines:
            return []
        if len(lines) == 1:
            return [f'    """{lines[0]}"""']
        return ['    """' + lines[0]] + [f"    {x}".rstrip() for x in lines[1:]] + ['    """']

    def function_head(self, fn: ir.Function) -> str:
        return "\n".join([self.signature(fn)] + self.docstring(fn)) + "\n"

    def function_body(self, fn: ir.Function) -> str:
        return "\n".join(self.block(fn.body)) + "\n"

    def render_function(self, fn: ir.Function) -> str:
        return self.function_head(fn) + self.function_body(fn)

    def case_call(self, program: ir.Program, case: tuple[ir.Expr, ...]) -> str:
        return f"{program.entry.name}({self.args(case)})"

    def render_program(self, program: ir.Program) -> str:
        parts = [self.render_function(fn) for fn in program.functions] + [FORMAT_HELPER]
        main = ["def main() -> None:"] + [
            f"    print(format_value({self.case_call(program, c)}))" for c in program.cases]
        parts.append("\n".join(main) + '\n\n\nif __name__ == "__main__":\n    main()\n')
        return "\n\n".join(parts)

    def render_task(self, program: ir.Program, expected: list[str]) -> TaskSource:
        helpers = "".join(self.render_function(fn) + "\n\n" for fn in program.functions[:-1])
        entry = program.entry
        checks = [f"    assert format_value(candidate({self.args(c)})) == {e!r}"
                  for c, e in zip(program.cases, expected)]
        tests = ("\n\n" + FORMAT_HELPER + "\n\ndef check(candidate) -> None:\n" + "\n".join(checks)
                 + f'\n\n\nif __name__ == "__main__":\n    check({entry.name})\n')
        return TaskSource(self.language, helpers + self.function_head(entry), self.function_body(entry), tests)


RENDERER = PythonRenderer()
