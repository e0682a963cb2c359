"""Java renderer (Java 17, one ``public class Main``): the typed brace-language base C# extends.

Idioms: static methods with Javadoc, explicit local types, ``List``/``Map`` interfaces backed by
``ArrayList``/``HashMap``, ``List.of``/``Map.of`` for literals nobody mutates, enhanced ``for``
loops, ``+=``, ``String.format(Locale.ROOT, ...)`` for floats, method references in the formatter.

Two Java rules shape the output:

* Lists and maps hold *boxed* scalars. ``xs.get(i) == ys.get(j)`` compares references, so an
  equality whose two sides are both boxed (``list_get``, ``map_get``, ``map_get_or`` of a scalar)
  uses ``equals``; one primitive side makes ``==`` unbox the other. Strings always use ``equals``.
* Generic methods cannot infer an element type from an empty literal, so an empty ``List.of()`` or
  ``Map.of()`` gets explicit type arguments unless it is a plain argument of a program function.
  A literal stored in a variable or returned is a mutable copy (``new ArrayList<>(List.of(...))``)
  because it may be appended to later; literals used only as operands stay immutable.

Statement rendering (blocks, ``if``/``else if`` chains, loops, compound assignment) is written
against small hooks (``local_type``, ``foreach_head``, ``append``, ...) so :mod:`.render_csharp`
reuses it with C# spellings and Allman braces.
"""

from __future__ import annotations

import json
import re
from typing import ClassVar

from codescale_jax.data.synthetic import ir
from codescale_jax.data.synthetic.render_base import (
    P_ADD, P_AND, P_ATOM, P_CMP, P_EQ, P_MUL, P_OR, P_UNARY, BraceRenderer, TaskSource)

# Library helpers a program's functions may call, emitted only when a builtin needs them.
BUILTIN_HELPERS = {
    "sortedCopy": [
        "static <T extends Comparable<? super T>> List<T> sortedCopy(List<T> xs) {",
        "    List<T> out = new ArrayList<>(xs);",
        "    Collections.sort(out);",
        "    return out;",
        "}"],
    "reversedCopy": [
        "static <T> List<T> reversedCopy(List<T> xs) {",
        "    List<T> out = new ArrayList<>(xs);",
        "    Collections.reverse(out);",
        "    return out;",
        "}"],
    "concatLists": [
        "static <T> List<T> concatLists(List<T> first, List<T> second) {",
        "    List<T> out = new ArrayList<>(first);",
        "    out.addAll(second);",
        "    return out;",
        "}"],
    "sortedKeys": [
        "static <K extends Comparable<? super K>, V> List<K> sortedKeys(Map<K, V> m) {",
        "    List<K> keys = new ArrayList<>(m.keySet());",
        "    Collections.sort(keys);",
        "    return keys;",
        "}"],
}
HELPER_OF_OP = {"sorted": "sortedCopy", "reversed": "reversedCopy", "list_concat": "concatLists",
                "map_keys_sorted": "sortedKeys"}

FORMAT_HELPERS = {
    "float": ["static String formatFloat(double x) {",
              '    return String.format(Locale.ROOT, "%.6f", x);', "}"],
    "str": ["static String formatString(String s) {", '    return "\\"" + s + "\\"";', "}"],
    "list": ["static <T> String formatList(List<T> xs, Function<T, String> formatItem) {",
             '    return xs.stream().map(formatItem).collect(Collectors.joining(", ", "[", "]"));', "}"],
    "map": ["static <K extends Comparable<? super K>, V> String formatMap(",
            "        Map<K, V> m, Function<K, String> formatKey, Function<V, String> formatValue) {",
            "    List<K> keys = new ArrayList<>(m.keySet());",
            "    Collections.sort(keys);",
            "    return keys.stream()",
            '            .map(k -> formatKey.apply(k) + ": " + formatValue.apply(m.get(k)))',
            '            .collect(Collectors.joining(", ", "{", "}"));', "}"],
}

# Imports, added when the class body mentions the simple name.
IMPORTS = (("ArrayList", "java.util.ArrayList"), ("Collections", "java.util.Collections"),
           ("HashMap", "java.util.HashMap"), ("List", "java.util.List"), ("Locale", "java.util.Locale"),
           ("Map", "java.util.Map"), ("Function", "java.util.function.Function"),
           ("Collectors", "java.util.stream.Collectors"))

BOXED_OPS = ("list_get", "map_get", "map_get_or")  # builtins whose scalar result is boxed in Java
MAP_OF_LIMIT = 10  # Map.of takes at most 10 key/value pairs; beyond that, Map.ofEntries


def string_literal(text: str) -> str:
    """A double-quoted literal (Java and C# share JSON's escapes for ASCII text)."""
    return json.dumps(text)


class JavaRenderer(BraceRenderer):
    language = "java"
    extension = ".java"
    BINARY = {
        "add": ("+", P_ADD), "sub": ("-", P_ADD), "mul": ("*", P_MUL), "div": ("/", P_MUL),
        "mod": ("%", P_MUL), "lt": ("<", P_CMP), "le": ("<=", P_CMP), "gt": (">", P_CMP),
        "ge": (">=", P_CMP), "eq": ("==", P_EQ), "ne": ("!=", P_EQ), "and": ("&&", P_AND),
        "or": ("||", P_OR),
    }
    UNARY = {"neg": ("-", P_UNARY), "not": ("!", P_UNARY)}
    allman = False  # brace placement: Java puts ``{`` at the end of the head line
    helper_sources: ClassVar[dict[str, list[str]]] = BUILTIN_HELPERS
    format_sources: ClassVar[dict[str, list[str]]] = FORMAT_HELPERS  # by kind, in emission order
    # the task checker's spellings: string array type, its length, "results differ", exception
    check_words: ClassVar[tuple[str, str, str, str]] = (
        "String[]", "length", "!actual[i].equals(expected[i])", "AssertionError")

    def __init__(self):
        self._helpers: set[str] = set()  # library helpers the program being rendered calls

    # ---------------------------------------------------------------------------- types
    def type_name(self, t: ir.Type, boxed: bool = False) -> str:
        if t.kind == "list":
            return f"List<{self.type_name(t.elem, True)}>"
        if t.kind == "map":
            return f"Map<{self.type_name(t.key, True)}, {self.type_name(t.value, True)}>"
        if boxed:
            return {"int": "Integer", "float": "Double", "bool": "Boolean", "str": "String"}[t.kind]
        return {"int": "int", "float": "double", "bool": "boolean", "str": "String"}[t.kind]

    def type_args(self, t: ir.Type) -> str:
        return ", ".join(self.type_name(a, True) for a in t.args)

    # ---------------------------------------------------------------------- literals
    def lit(self, e: ir.Lit) -> tuple[str, int]:
        if e.type == ir.BOOL:
            return ("true" if e.value else "false"), P_ATOM
        if e.type == ir.STR:
            return string_literal(e.value), P_ATOM
        return repr(e.value), (P_UNARY if e.value < 0 else P_ATOM)

    def list_lit(self, e: ir.ListLit) -> tuple[str, int]:
        """An immutable list used as an operand (explicit type arguments when empty)."""
        if not e.items:
            return f"List.<{self.type_args(e.type)}>of()", P_ATOM
        return f"List.of({self.args(e.items)})", P_ATOM

    def map_lit(self, e: ir.MapLit) -> tuple[str, int]:
        if not e.items:
            return f"Map.<{self.type_args(e.type)}>of()", P_ATOM
        return self.map_of(e), P_ATOM

    def map_of(self, e: ir.MapLit) -> str:
        if len(e.items) > MAP_OF_LIMIT:
            return "Map.ofEntries(" + ", ".join(
                f"Map.entry({self.expr(k)}, {self.expr(v)})" for k, v in e.items) + ")"
        return "Map.of(" + ", ".join(f"{self.expr(k)}, {self.expr(v)}" for k, v in e.items) + ")"

    def fresh_value(self, e: ir.Expr) -> str:
        """``e`` where it is stored (``Let``/``Assign``/``Return``): a literal becomes mutable."""
        if isinstance(e, ir.ListLit):
            return f"new ArrayList<>({self.list_lit(e)[0]})" if e.items else "new ArrayList<>()"
        if isinstance(e, ir.MapLit):
            return f"new HashMap<>({self.map_of(e)})" if e.items else "new HashMap<>()"
        return self.expr(e)

    def argument(self, e: ir.Expr) -> str:
        """An argument of a program function: the parameter type lets ``List.of()`` infer."""
        if isinstance(e, ir.ListLit) and not e.items:
            return "List.of()"
        if isinstance(e, ir.MapLit) and not e.items:
            return "Map.of()"
        return self.expr(e)

    def call(self, e: ir.Call) -> tuple[str, int]:
        return f"{self.func_name(e.func)}({', '.join(self.argument(a) for a in e.args)})", P_ATOM

    # -------------------------------------------------------------------- operators
    def boxed(self, e: ir.Expr) -> bool:
        return isinstance(e, ir.Builtin) and e.op in BOXED_OPS

    def binary(self, e: ir.Binary) -> tuple[str, int]:
        if e.op in ("eq", "ne") and (e.left.type == ir.STR or (self.boxed(e.left) and self.boxed(e.right))):
            code = f"{self.expr(e.left, P_ATOM)}.equals({self.expr(e.right)})"
            return (code, P_ATOM) if e.op == "eq" else (f"!{code}", P_UNARY)
        return super().binary(e)

    def cast(self, type_name: str, operand: ir.Expr) -> tuple[str, int]:
        return f"({type_name}) {self.expr(operand, P_UNARY + 1)}", P_UNARY

    def method(self, recv: ir.Expr, name: str, *args: ir.Expr) -> tuple[str, int]:
        return f"{self.expr(recv, P_ATOM)}.{name}({self.args(args)})", P_ATOM

    def fn(self, name: str, *args: ir.Expr) -> tuple[str, int]:
        return f"{name}({self.args(args)})", P_ATOM

    def helper(self, op: str, *args: ir.Expr) -> tuple[str, int]:
        self._helpers.add(HELPER_OF_OP[op])
        return self.fn(HELPER_OF_OP[op], *args)

    # --------------------------------------------------------------------- builtins
    def builtin_abs(self, e, a): return self.fn("Math.abs", *a)
    def builtin_min(self, e, a): return self.fn("Math.min", *a)
    def builtin_max(self, e, a): return self.fn("Math.max", *a)
    def builtin_to_float(self, e, a): return self.cast("double", a[0])

    def builtin_trunc(self, e, a):
        # ``(int)`` cannot unbox a Double; ``intValue`` truncates toward zero just the same
        return self.method(a[0], "intValue") if self.boxed(a[0]) else self.cast("int", a[0])

    def builtin_int_to_str(self, e, a): return self.fn("String.valueOf", *a)
    def builtin_str_len(self, e, a): return self.method(a[0], "length")
    def builtin_concat(self, e, a): return f"{self.expr(a[0], P_ADD)} + {self.expr(a[1], P_ADD + 1)}", P_ADD
    def builtin_char_at(self, e, a): return f"String.valueOf({self.method(a[0], 'charAt', a[1])[0]})", P_ATOM
    def builtin_substring(self, e, a): return self.method(a[0], "substring", a[1], a[2])
    def builtin_str_contains(self, e, a): return self.method(a[0], "contains", a[1])
    def builtin_str_find(self, e, a): return self.method(a[0], "indexOf", a[1])
    def builtin_upper(self, e, a): return f"{self.expr(a[0], P_ATOM)}.toUpperCase(Locale.ROOT)", P_ATOM
    def builtin_lower(self, e, a): return f"{self.expr(a[0], P_ATOM)}.toLowerCase(Locale.ROOT)", P_ATOM
    def builtin_str_reverse(self, e, a):
        return f"new StringBuilder({self.expr(a[0])}).reverse().toString()", P_ATOM
    def builtin_str_repeat(self, e, a): return self.method(a[0], "repeat", a[1])
    def builtin_char_code(self, e, a): return f"(int) {self.method(a[0], 'charAt', a[1])[0]}", P_UNARY
    def builtin_from_char_code(self, e, a): return self.fn("Character.toString", *a)
    def builtin_str_join(self, e, a): return self.fn("String.join", a[1], a[0])
    def builtin_list_len(self, e, a): return self.method(a[0], "size")
    def builtin_list_get(self, e, a): return self.method(a[0], "get", a[1])
    def builtin_list_contains(self, e, a): return self.method(a[0], "contains", a[1])
    def builtin_list_slice(self, e, a):
        return f"new ArrayList<>({self.method(a[0], 'subList', a[1], a[2])[0]})", P_ATOM
    def builtin_sorted(self, e, a): return self.helper("sorted", *a)
    def builtin_reversed(self, e, a): return self.helper("reversed", *a)
    def builtin_list_concat(self, e, a): return self.helper("list_concat", *a)
    def builtin_map_len(self, e, a): return self.method(a[0], "size")
    def builtin_map_get(self, e, a): return self.method(a[0], "get", a[1])
    def builtin_map_get_or(self, e, a): return self.method(a[0], "getOrDefault", a[1], a[2])
    def builtin_map_contains(self, e, a): return self.method(a[0], "containsKey", a[1])
    def builtin_map_keys_sorted(self, e, a): return self.helper("map_keys_sorted", *a)

    # ------------------------------------------------------------------- statements
    def opening(self, head: str) -> list[str]:
        """``head {`` (Java) or ``head`` then ``{`` on its own line (C#, Allman style)."""
        return [head, "{"] if self.allman else [head + " {"]

    def chain(self, lines: list[str], head: str, body: tuple[ir.Stmt, ...]) -> list[str]:
        """Allman style puts ``else`` on its own line after the closing brace."""
        return lines + self.braced(head, body) if self.allman else super().chain(lines, head, body)

    def local_type(self, t: ir.Type) -> str:
        return self.type_name(t)

    def foreach_head(self, elem: ir.Type, var: str, iterable: str) -> str:
        return f"for ({self.local_type(elem)} {var} : {iterable})"

    def append(self, name: str, value: str) -> str:
        return f"{name}.add({value});"

    def list_set(self, name: str, index: str, value: str) -> str:
        return f"{name}.set({index}, {value});"

    def map_put(self, name: str, key: str, value: str) -> str:
        return f"{name}.put({key}, {value});"

    def stmt(self, s: ir.Stmt) -> list[str]:
        if isinstance(s, ir.Let):
            return [f"{self.local_type(s.type)} {self.ident(s.name)} = {self.fresh_value(s.value)};"]
        if isinstance(s, ir.Assign):
            update = self.compound_assign(s)
            return [f"{update};" if update else f"{self.ident(s.name)} = {self.fresh_value(s.value)};"]
        if isinstance(s, ir.If):
            return self.if_else(s, lambda cond: f"if ({cond})")
        if isinstance(s, ir.While):
            return self.braced(f"while ({self.expr(s.cond)})", s.body)
        if isinstance(s, ir.ForRange):
            i = self.ident(s.var)
            return self.braced(
                f"for (int {i} = {self.expr(s.start)}; {i} < {self.expr(s.stop, P_CMP + 1)}; {i}++)", s.body)
        if isinstance(s, ir.ForEach):
            return self.braced(self.foreach_head(s.elem_type, self.ident(s.var), self.expr(s.iterable)), s.body)
        if isinstance(s, ir.Return):
            return [f"return {self.fresh_value(s.value)};"]
        if isinstance(s, ir.ListAppend):
            return [self.append(self.ident(s.name), self.expr(s.value))]
        if isinstance(s, ir.ListSet):
            return [self.list_set(self.ident(s.name), self.expr(s.index), self.expr(s.value))]
        if isinstance(s, ir.MapPut):
            return [self.map_put(self.ident(s.name), self.expr(s.key), self.expr(s.value))]
        raise TypeError(f"not a statement: {type(s).__name__}")

    # -------------------------------------------------------------------- functions
    def doc_comment(self, fn: ir.Function) -> list[str]:
        text = self.doc_text(fn, 88)
        return ["/**"] + [f" * {x}" for x in text] + [" */"] if text else []

    def modifiers(self, fn: ir.Function, entry: bool) -> str:
        return "public static" if entry else "static"

    def signature(self, fn: ir.Function, entry: bool) -> str:
        params = ", ".join(f"{self.type_name(p.type)} {self.ident(p.name)}" for p in fn.params)
        return f"{self.modifiers(fn, entry)} {self.type_name(fn.ret)} {self.func_name(fn.name)}({params})"

    def function_head(self, fn: ir.Function, entry: bool) -> list[str]:
        return self.doc_comment(fn) + self.opening(self.signature(fn, entry))

    def function_body(self, fn: ir.Function) -> list[str]:
        return self.indent(self.stmts(fn.body)) + ["}"]

    # ------------------------------------------------------------------- formatting
    def formatter(self, t: ir.Type) -> str:
        """A method reference (Java) / method group (C#) mapping a scalar to its canonical text."""
        return {"int": "String::valueOf", "bool": "String::valueOf", "float": "Main::formatFloat",
                "str": "Main::formatString"}[t.kind]

    def format_call(self, t: ir.Type, code: str) -> str:
        if t.kind == "list":
            return f"formatList({code}, {self.formatter(t.elem)})"
        if t.kind == "map":
            return f"formatMap({code}, {self.formatter(t.key)}, {self.formatter(t.value)})"
        return {"int": "String.valueOf", "bool": "String.valueOf", "float": "formatFloat",
                "str": "formatString"}[t.kind] + f"({code})"

    def format_helpers(self, t: ir.Type) -> list[str]:
        kinds = {t.kind} | {a.kind for a in t.args}
        out: list[str] = []
        for kind, lines in self.format_sources.items():
            if kind in kinds:
                out += lines + [""]
        return out

    # ---------------------------------------------------------------------- files
    def case_call(self, program: ir.Program, case: tuple[ir.Expr, ...]) -> str:
        return f"{self.func_name(program.entry.name)}({', '.join(self.argument(a) for a in case)})"

    def print_line(self, code: str) -> str:
        return f"System.out.println({code});"

    def main_head(self) -> str:
        return "public static void main(String[] args)"

    def class_head(self) -> list[str]:
        return ["public class Main {"]

    def members(self, program: ir.Program) -> tuple[list[str], list[str], list[str]]:
        """(library helpers + helper functions, entry head, entry body), unindented."""
        self._helpers = set()
        fns: list[str] = []
        for fn in program.functions[:-1]:
            fns += self.function_head(fn, False) + self.function_body(fn) + [""]
        entry = program.entry
        body = self.function_body(entry)
        head = self.function_head(entry, True)
        lib: list[str] = []
        for name in sorted(self._helpers):
            lib += self.helper_sources[name] + [""]
        return lib + fns, head, body

    def driver(self, program: ir.Program) -> list[str]:
        ret = program.entry.ret
        calls = [self.print_line(self.format_call(ret, self.case_call(program, c))) for c in program.cases]
        return self.format_helpers(ret) + self.block_lines(self.main_head(), calls)

    def check_lines(self, program: ir.Program, expected: list[str]) -> list[str]:
        """The task's checker: compare each case's canonical text, throw on the first mismatch."""
        ret = program.entry.ret
        array, length, differs, error = self.check_words
        exp = [f"{string_literal(x)}," for x in expected]
        got = [f"{self.format_call(ret, self.case_call(program, c))}," for c in program.cases]
        loop = self.block_lines(f"for (int i = 0; i < expected.{length}; i++)", self.block_lines(
            f"if ({differs})",
            [f'throw new {error}("case " + i + ": expected " + expected[i] + ", got " + actual[i]);']))
        inner = (self.opening(f"{array} expected =") + self.indent(exp) + ["};"]
                 + self.opening(f"{array} actual =") + self.indent(got) + ["};"] + loop)
        return self.format_helpers(ret) + self.block_lines(self.main_head(), inner)

    def file_head(self, class_text: str) -> str:
        """Imports for the simple names ``class_text`` uses."""
        names = [full for simple, full in IMPORTS if re.search(rf"\b{simple}\b", class_text)]
        return "".join(f"import {n};\n" for n in names) + ("\n" if names else "")

    def assemble(self, parts: list[list[str]]) -> list[str]:
        lines: list[str] = []
        for p in parts:
            lines += p
        return self.class_head() + self.indent(lines)

    def render_program(self, program: ir.Program) -> str:
        fns, head, body = self.members(program)
        text = "\n".join(self.assemble([fns, head, body, [""], self.driver(program)]) + ["}"]) + "\n"
        return self.file_head(text) + text

    def render_task(self, program: ir.Program, expected: list[str]) -> TaskSource:
        fns, head, body = self.members(program)
        prompt = "\n".join(self.assemble([fns, head])) + "\n"
        solution = "\n".join(self.indent(body)) + "\n"
        tests = "\n" + "\n".join(self.indent(self.check_lines(program, expected)) + ["}"]) + "\n"
        prefix = self.file_head(prompt + solution + tests)
        return TaskSource(self.language, prefix + prompt, solution, tests)


RENDERER = JavaRenderer()
