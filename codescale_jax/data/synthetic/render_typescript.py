"""TypeScript renderer: the JavaScript renderer plus type annotations that pass ``tsc --strict``.

Parameters, return types and locals are annotated (see ``needs_annotation`` for why); maps are ``new Map<K, V>()``; ``map_get`` of a key
the program knows is present uses the non-null assertion ``!``.
"""

from __future__ import annotations

from codescale_jax.data.synthetic import ir
from codescale_jax.data.synthetic.render_base import P_ATOM
from codescale_jax.data.synthetic.render_javascript import JavaScriptRenderer

TYPED_HELPERS = {
    "float": ["function formatFloat(x: number): string {", "  return x.toFixed(6);", "}"],
    "str": ["function formatString(s: string): string {", '  return "\\"" + s + "\\"";', "}"],
    "list": ["function formatList<T>(xs: T[], formatItem: (x: T) => string): string {",
             '  return "[" + xs.map((x) => formatItem(x)).join(", ") + "]";', "}"],
    "map": ["function formatMap<K, V>(",
            "  m: Map<K, V>,",
            "  formatKey: (k: K) => string,",
            "  formatValue: (v: V) => string,",
            "  order?: (a: K, b: K) => number,",
            "): string {",
            "  const keys = [...m.keys()].sort(order);",
            '  return "{" + keys.map((k) => formatKey(k) + ": " + formatValue(m.get(k)!)).join(", ") + "}";',
            "}"],
}


class TypeScriptRenderer(JavaScriptRenderer):
    language = "typescript"
    extension = ".ts"

    def annotate(self, t: ir.Type) -> str:
        return f": {self.type_name(t)}"

    def needs_annotation(self, s: ir.Let) -> bool:
        """Every local is annotated: inference picks types narrower than the IR's (an empty
        ``[]`` is ``never[]``; ``const k = 3`` is of type ``3``, making ``k === j`` an error; a
        ``let`` initialised from a narrowed variable gets the narrowed type) and, inside loops,
        can become circular (TS7022)."""
        return True

    def new_map(self, t: ir.Type, entries: str) -> str:
        return f"new Map<{self.type_name(t.key)}, {self.type_name(t.value)}>({entries})"

    def empty_list(self, t: ir.Type) -> str:
        return f"[] as {self.type_name(t)}"

    def list_lit(self, e: ir.ListLit) -> tuple[str, int]:
        code, prec = super().list_lit(e)
        return (code, prec) if e.items else (f"({code})", P_ATOM)

    def order(self, elem: ir.Type) -> str:
        return "(a: number, b: number) => a - b" if elem.kind in ("int", "float") else ""

    def builtin_map_get(self, e, a):
        code, _ = self.method(a[0], "get", a[1])
        return f"{code}!", P_ATOM

    def stmt(self, s: ir.Stmt) -> list[str]:
        if isinstance(s, ir.Let) and isinstance(s.value, ir.ListLit) and not s.value.items:
            kw = "let" if s.name in self._reassigned else "const"
            return [f"{kw} {self.ident(s.name)}{self.annotate(s.type)} = [];"]
        return super().stmt(s)

    def doc_comment(self, fn: ir.Function) -> list[str]:
        return ["/**"] + [f" * {x}".rstrip() for x in self.doc_text(fn, 90)] + [" */"]

    def signature(self, fn: ir.Function) -> str:
        params = ", ".join(f"{self.ident(p.name)}: {self.type_name(p.type)}" for p in fn.params)
        return f"function {self.func_name(fn.name)}({params}): {self.type_name(fn.ret)} {{"

    def typed_helper(self, kind: str) -> list[str]:
        return TYPED_HELPERS[kind]

    def formatter(self, t: ir.Type) -> str:
        if t.kind == "list":
            return f"(xs: {self.type_name(t)}) => formatList(xs, {self.formatter(t.elem)})"
        if t.kind == "map":
            return f"(m: {self.type_name(t)}) => " + self.format_call(t, "m")
        return super().formatter(t)

    def preamble(self) -> str:
        return ""

    def void(self) -> str:
        return ": void"

    def candidate_type(self, fn: ir.Function) -> str:
        params = ", ".join(f"{self.ident(p.name)}: {self.type_name(p.type)}" for p in fn.params)
        return f": ({params}) => {self.type_name(fn.ret)}"


RENDERER = TypeScriptRenderer()
