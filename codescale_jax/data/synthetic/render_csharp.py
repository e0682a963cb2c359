"""C# renderer (the C# 7 subset Mono's ``mcs`` compiles): statements shared with the Java renderer.

Idioms: ``class Program`` with static methods, PascalCase method names and camelCase locals,
Allman braces, ``/// <summary>`` doc comments, ``List<T>``/``Dictionary<K, V>`` with collection
initialisers, ``foreach``, LINQ where it reads naturally (``Concat``, ``Reverse``).

Culture and ordering are pinned by the SEMANTICS contract: numbers print through
``CultureInfo.InvariantCulture``, ``IndexOf`` is ``StringComparison.Ordinal`` (the one-argument
overload is culture-sensitive), and string sorting passes ``StringComparer.Ordinal`` (the default
comparer is culture-aware and orders "B" after "a"). ``==`` on strings is already ordinal. No
lambdas appear in program code: C# 7 rejects a lambda parameter named like an enclosing local, so
sorting and defaults go through two small generic helpers instead.
"""

from __future__ import annotations

import re
from xml.sax.saxutils import escape

from codescale_jax.data.synthetic import ir
from codescale_jax.data.synthetic.check import camel
from codescale_jax.data.synthetic.render_base import P_ADD, P_ATOM, P_UNARY
from codescale_jax.data.synthetic.render_java import JavaRenderer

BUILTIN_HELPERS = {
    "Sorted": [
        "static List<T> Sorted<T>(List<T> items, IComparer<T> order = null)",
        "{",
        "    List<T> copy = new List<T>(items);",
        "    copy.Sort(order);",
        "    return copy;",
        "}"],
    "GetOrDefault": [
        "static TValue GetOrDefault<TKey, TValue>(Dictionary<TKey, TValue> map, TKey key, TValue fallback)",
        "{",
        "    TValue value;",
        "    return map.TryGetValue(key, out value) ? value : fallback;",
        "}"],
}

FORMAT_HELPERS = {
    "int": ["static string FormatInt(int x)", "{", "    return x.ToString(CultureInfo.InvariantCulture);", "}"],
    "bool": ["static string FormatBool(bool b)", "{", '    return b ? "true" : "false";', "}"],
    "float": ["static string FormatFloat(double x)", "{",
              '    return x.ToString("F6", CultureInfo.InvariantCulture);', "}"],
    "str": ["static string FormatString(string s)", "{", '    return "\\"" + s + "\\"";', "}"],
    "list": ["static string FormatList<T>(List<T> items, Func<T, string> formatItem)", "{",
             '    return "[" + string.Join(", ", items.Select(formatItem)) + "]";', "}"],
    "map": ["static string FormatMap<TKey, TValue>(",
            "    Dictionary<TKey, TValue> map,",
            "    Func<TKey, string> formatKey,",
            "    Func<TValue, string> formatValue,",
            "    IComparer<TKey> order = null)",
            "{",
            "    List<TKey> keys = new List<TKey>(map.Keys);",
            "    keys.Sort(order);",
            '    return "{" + string.Join(", ", keys.Select(k => formatKey(k) + ": " + formatValue(map[k]))) + "}";',
            "}"],
}

USINGS = (("System", r"\b(Console|Math|Func|Exception|StringComparer|StringComparison)\b"),
          ("System.Collections.Generic", r"\b(List|Dictionary|IComparer)\b"),
          ("System.Globalization", r"\bCultureInfo\b"),
          ("System.Linq", r"\.(Select|ToList|ToArray|Concat|Reverse)\(|\bEnumerable\."))

ORDINAL = "StringComparer.Ordinal"


class CSharpRenderer(JavaRenderer):
    language = "csharp"
    extension = ".cs"
    allman = True
    helper_sources = BUILTIN_HELPERS
    format_sources = FORMAT_HELPERS
    check_words = ("string[]", "Length", "actual[i] != expected[i]", "Exception")

    def func_name(self, name: str) -> str:
        c = camel(name)
        return c[:1].upper() + c[1:]

    def type_name(self, t: ir.Type, boxed: bool = False) -> str:
        if t.kind == "list":
            return f"List<{self.type_name(t.elem)}>"
        if t.kind == "map":
            return f"Dictionary<{self.type_name(t.key)}, {self.type_name(t.value)}>"
        return {"int": "int", "float": "double", "bool": "bool", "str": "string"}[t.kind]

    # ---------------------------------------------------------------------- literals
    def list_lit(self, e: ir.ListLit) -> tuple[str, int]:
        new = f"new {self.type_name(e.type)}"
        return (f"{new} {{ {self.args(e.items)} }}" if e.items else f"{new}()"), P_UNARY

    def map_lit(self, e: ir.MapLit) -> tuple[str, int]:
        new = f"new {self.type_name(e.type)}"
        if not e.items:
            return f"{new}()", P_UNARY
        entries = ", ".join(f"{{ {self.expr(k)}, {self.expr(v)} }}" for k, v in e.items)
        return f"{new} {{ {entries} }}", P_UNARY

    def fresh_value(self, e: ir.Expr) -> str:
        return self.expr(e)  # every C# literal is already a fresh mutable collection

    def argument(self, e: ir.Expr) -> str:
        return self.expr(e)

    def binary(self, e: ir.Binary) -> tuple[str, int]:
        return super(JavaRenderer, self).binary(e)  # no boxing; string == is ordinal

    # --------------------------------------------------------------------- builtins
    def prop(self, recv: ir.Expr, name: str) -> tuple[str, int]:
        return f"{self.expr(recv, P_ATOM)}.{name}", P_ATOM

    def index(self, recv: ir.Expr, i: ir.Expr) -> tuple[str, int]:
        return f"{self.expr(recv, P_ATOM)}[{self.expr(i)}]", P_ATOM

    def length_of(self, a: ir.Expr, b: ir.Expr) -> str:
        """``b - a`` (the count ``Substring``/``GetRange`` take), just ``b`` when ``a`` is 0."""
        if isinstance(a, ir.Lit) and a.value == 0:
            return self.expr(b)
        return f"{self.expr(b, P_ADD)} - {self.expr(a, P_ADD + 1)}"

    def sorted_call(self, code: str, elem: ir.Type) -> tuple[str, int]:
        self._helpers.add("Sorted")
        order = f", {ORDINAL}" if elem == ir.STR else ""
        return f"Sorted({code}{order})", P_ATOM

    def builtin_abs(self, e, a): return self.fn("Math.Abs", *a)
    def builtin_min(self, e, a): return self.fn("Math.Min", *a)
    def builtin_max(self, e, a): return self.fn("Math.Max", *a)
    def builtin_trunc(self, e, a): return self.cast("int", a[0])

    def builtin_int_to_str(self, e, a):
        return f"{self.expr(a[0], P_ATOM)}.ToString(CultureInfo.InvariantCulture)", P_ATOM

    def builtin_str_len(self, e, a): return self.prop(a[0], "Length")
    def builtin_char_at(self, e, a): return f"{self.index(a[0], a[1])[0]}.ToString()", P_ATOM

    def builtin_substring(self, e, a):
        return f"{self.expr(a[0], P_ATOM)}.Substring({self.expr(a[1])}, {self.length_of(a[1], a[2])})", P_ATOM

    def builtin_str_contains(self, e, a): return self.method(a[0], "Contains", a[1])

    def builtin_str_find(self, e, a):
        return f"{self.expr(a[0], P_ATOM)}.IndexOf({self.expr(a[1])}, StringComparison.Ordinal)", P_ATOM

    def builtin_upper(self, e, a): return self.method(a[0], "ToUpperInvariant")
    def builtin_lower(self, e, a): return self.method(a[0], "ToLowerInvariant")

    def builtin_str_reverse(self, e, a):
        return f"new string({self.expr(a[0], P_ATOM)}.Reverse().ToArray())", P_ATOM

    def builtin_str_repeat(self, e, a):
        return f"string.Concat(Enumerable.Repeat({self.args(a)}))", P_ATOM

    def builtin_char_code(self, e, a): return f"(int) {self.index(a[0], a[1])[0]}", P_UNARY
    def builtin_from_char_code(self, e, a): return f"({self.cast('char', a[0])[0]}).ToString()", P_ATOM
    def builtin_str_join(self, e, a): return self.fn("string.Join", a[1], a[0])
    def builtin_list_len(self, e, a): return self.prop(a[0], "Count")
    def builtin_list_get(self, e, a): return self.index(a[0], a[1])
    def builtin_list_contains(self, e, a): return self.method(a[0], "Contains", a[1])

    def builtin_list_slice(self, e, a):
        return f"{self.expr(a[0], P_ATOM)}.GetRange({self.expr(a[1])}, {self.length_of(a[1], a[2])})", P_ATOM

    def builtin_sorted(self, e, a): return self.sorted_call(self.expr(a[0]), e.type.elem)
    def builtin_reversed(self, e, a): return f"Enumerable.Reverse({self.expr(a[0])}).ToList()", P_ATOM

    def builtin_list_concat(self, e, a):
        return f"{self.expr(a[0], P_ATOM)}.Concat({self.expr(a[1])}).ToList()", P_ATOM

    def builtin_map_len(self, e, a): return self.prop(a[0], "Count")
    def builtin_map_get(self, e, a): return self.index(a[0], a[1])

    def builtin_map_get_or(self, e, a):
        self._helpers.add("GetOrDefault")
        return self.fn("GetOrDefault", *a)

    def builtin_map_contains(self, e, a): return self.method(a[0], "ContainsKey", a[1])

    def builtin_map_keys_sorted(self, e, a):
        key = e.type.elem
        return self.sorted_call(f"new List<{self.type_name(key)}>({self.expr(a[0], P_ATOM)}.Keys)", key)

    # ------------------------------------------------------------------- statements
    def foreach_head(self, elem: ir.Type, var: str, iterable: str) -> str:
        return f"foreach ({self.local_type(elem)} {var} in {iterable})"

    def append(self, name: str, value: str) -> str:
        return f"{name}.Add({value});"

    def list_set(self, name: str, index: str, value: str) -> str:
        return f"{name}[{index}] = {value};"

    def map_put(self, name: str, key: str, value: str) -> str:
        return f"{name}[{key}] = {value};"

    def doc_comment(self, fn: ir.Function) -> list[str]:
        text = self.doc_text(fn, 88)
        if not text:
            return []
        return ["/// <summary>"] + [f"/// {escape(x)}" for x in text] + ["/// </summary>"]

    # ------------------------------------------------------------------- formatting
    def formatter(self, t: ir.Type) -> str:
        return {"int": "FormatInt", "bool": "FormatBool", "float": "FormatFloat", "str": "FormatString"}[t.kind]

    def format_call(self, t: ir.Type, code: str) -> str:
        if t.kind == "list":
            return f"FormatList({code}, {self.formatter(t.elem)})"
        if t.kind == "map":
            order = f", {ORDINAL}" if t.key == ir.STR else ""
            return f"FormatMap({code}, {self.formatter(t.key)}, {self.formatter(t.value)}{order})"
        return f"{self.formatter(t)}({code})"

    # ---------------------------------------------------------------------- files
    def print_line(self, code: str) -> str:
        return f"Console.WriteLine({code});"

    def main_head(self) -> str:
        return "static void Main()"

    def class_head(self) -> list[str]:
        return ["class Program", "{"]

    def file_head(self, class_text: str) -> str:
        names = [ns for ns, pattern in USINGS if ns == "System" or re.search(pattern, class_text)]
        return "".join(f"using {n};\n" for n in names) + "\n"


RENDERER = CSharpRenderer()
