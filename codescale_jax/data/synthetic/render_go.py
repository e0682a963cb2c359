"""Go renderer (Go 1.18+ ``package main``; the toolchain used here is Go 1.19).

Go is the strictest target about what a file may contain: an unused local or import is a compile
error, map iteration order is random, and slices share storage. The renderer therefore

* emits only the imports and helper functions the rendered code refers to (each builtin method
  records what it needs in ``self._need``; :data:`GO_HELPERS` lists every helper's imports and
  the helpers it calls in turn), and writes ``for range xs`` when a loop variable is unused;
* copies on every collection-valued builtin (``sliceOf``, ``sortedCopy`` ...), so no two variables
  ever share a backing array, and iterates maps only through ``sortedKeys``;
* keeps Go's *constant* expressions out of the two places where they change meaning: a float
  constant converted to ``int`` is a compile error (``int(2.5)``), and constant float division is
  exact rather than IEEE, so both go through ``math.Trunc`` / a run-time value;
* spaces binary operators the way ``gofmt`` does (go/printer's depth and cutoff rule:
  ``a*b + c`` at a statement, ``f(i+1, j)`` inside a call with several arguments), so the output
  is what Go code in the wild looks like and ``gofmt -l`` lists nothing.

Go 1.19 has generics but no ``slices``/``maps`` packages and no built-in ``min``/``max`` (1.21),
so the helpers are small generic functions over an ``ordered`` constraint. Idioms: camelCase,
``:=``, ``+=``, ``append``, ``// doc`` comments above each function, tabs for indentation.
"""

from __future__ import annotations

import json

from codescale_jax.data.synthetic import ir
from codescale_jax.data.synthetic.render_base import (
    P_ADD, P_AND, P_ATOM, P_EQ, P_MUL, P_OR, P_UNARY, BraceRenderer, TaskSource)

# name -> (source lines, imports it uses, helpers it calls)
GO_HELPERS: dict[str, tuple[str, tuple[str, ...], tuple[str, ...]]] = {
    "ordered": ("type ordered interface {\n\t~int | ~float64 | ~string\n}", (), ()),
    "number": ("type number interface {\n\t~int | ~float64\n}", (), ()),
    "abs": ("func abs[T number](x T) T {\n\tif x < 0 {\n\t\treturn -x\n\t}\n\treturn x\n}", (), ("number",)),
    "min": ("func min[T number](a, b T) T {\n\tif b < a {\n\t\treturn b\n\t}\n\treturn a\n}", (), ("number",)),
    "max": ("func max[T number](a, b T) T {\n\tif b > a {\n\t\treturn b\n\t}\n\treturn a\n}", (), ("number",)),
    "divide": ("// divide returns a / b computed at run time: Go folds a constant quotient exactly,\n"
               "// the other languages round it like any IEEE division.\n"
               "func divide(a, b float64) float64 {\n\treturn a / b\n}", (), ()),
    "reverseString": ("func reverseString(s string) string {\n\tb := []byte(s)\n"
                      "\tfor i, j := 0, len(b)-1; i < j; i, j = i+1, j-1 {\n\t\tb[i], b[j] = b[j], b[i]\n\t}\n"
                      "\treturn string(b)\n}", (), ()),
    "sliceOf": ("// sliceOf returns a new slice holding xs[start:stop] (never shares storage with xs).\n"
                "func sliceOf[T any](xs []T, start, stop int) []T {\n\tout := make([]T, stop-start)\n"
                "\tcopy(out, xs[start:stop])\n\treturn out\n}", (), ()),
    "sortedCopy": ("func sortedCopy[T ordered](xs []T) []T {\n\tout := make([]T, len(xs))\n\tcopy(out, xs)\n"
                   "\tsort.Slice(out, func(i, j int) bool { return out[i] < out[j] })\n\treturn out\n}",
                   ("sort",), ("ordered",)),
    "sortedBools": ("func sortedBools(xs []bool) []bool {\n\tout := make([]bool, len(xs))\n\tcopy(out, xs)\n"
                    "\tsort.Slice(out, func(i, j int) bool { return !out[i] && out[j] })\n\treturn out\n}",
                    ("sort",), ()),
    "reversedCopy": ("func reversedCopy[T any](xs []T) []T {\n\tout := make([]T, len(xs))\n"
                     "\tfor i, x := range xs {\n\t\tout[len(xs)-1-i] = x\n\t}\n\treturn out\n}", (), ()),
    "concatLists": ("func concatLists[T any](a, b []T) []T {\n\tout := make([]T, 0, len(a)+len(b))\n"
                    "\tout = append(out, a...)\n\treturn append(out, b...)\n}", (), ()),
    "listContains": ("func listContains[T comparable](xs []T, x T) bool {\n\tfor _, v := range xs {\n"
                     "\t\tif v == x {\n\t\t\treturn true\n\t\t}\n\t}\n\treturn false\n}", (), ()),
    "mapGetOr": ("func mapGetOr[K comparable, V any](m map[K]V, key K, fallback V) V {\n"
                 "\tif v, ok := m[key]; ok {\n\t\treturn v\n\t}\n\treturn fallback\n}", (), ()),
    "mapHasKey": ("func mapHasKey[K comparable, V any](m map[K]V, key K) bool {\n\t_, ok := m[key]\n"
                  "\treturn ok\n}", (), ()),
    "sortedKeys": ("func sortedKeys[K ordered, V any](m map[K]V) []K {\n\tkeys := make([]K, 0, len(m))\n"
                   "\tfor k := range m {\n\t\tkeys = append(keys, k)\n\t}\n"
                   "\tsort.Slice(keys, func(i, j int) bool { return keys[i] < keys[j] })\n\treturn keys\n}",
                   ("sort",), ("ordered",)),
    "formatFloat": ("func formatFloat(x float64) string {\n\treturn strconv.FormatFloat(x, 'f', 6, 64)\n}",
                    ("strconv",), ()),
    "formatString": ('func formatString(s string) string {\n\treturn "\\"" + s + "\\""\n}', (), ()),
    "formatList": ("func formatList[T any](xs []T, formatItem func(T) string) string {\n"
                   "\tparts := make([]string, len(xs))\n\tfor i, x := range xs {\n\t\tparts[i] = formatItem(x)\n"
                   '\t}\n\treturn "[" + strings.Join(parts, ", ") + "]"\n}', ("strings",), ()),
    "formatMap": ("func formatMap[K ordered, V any](m map[K]V, formatKey func(K) string, "
                  "formatValue func(V) string) string {\n\tparts := make([]string, 0, len(m))\n"
                  "\tfor _, k := range sortedKeys(m) {\n"
                  '\t\tparts = append(parts, formatKey(k)+": "+formatValue(m[k]))\n\t}\n'
                  '\treturn "{" + strings.Join(parts, ", ") + "}"\n}', ("strings",), ("sortedKeys", "ordered")),
}
HELPER_ORDER = tuple(GO_HELPERS)
TASK_IMPORTS = ("fmt", "math", "os", "sort", "strconv", "strings")
"""A task's prompt imports this fixed set and its tests reference each package once, so any
completion compiles whichever of these packages it does or does not use."""
_PACKAGE_USE = {"fmt": "fmt.Sprint", "math": "math.Abs", "os": "os.Exit", "sort": "sort.Ints",
                "strconv": "strconv.Itoa", "strings": "strings.Join"}


def go_constant(e: ir.Expr) -> bool:
    """Whether Go evaluates ``e`` as a constant expression (exact arithmetic, compile-time
    checks): literals, operators on constants, ``len`` of a constant string, conversions."""
    if isinstance(e, ir.Lit):
        return True
    if isinstance(e, ir.Unary):
        return go_constant(e.operand)
    if isinstance(e, ir.Binary):
        return go_constant(e.left) and go_constant(e.right)
    if isinstance(e, ir.Builtin) and e.op in ("str_len", "to_float", "concat"):
        return all(go_constant(a) for a in e.args)
    return False


def is_divide(e: ir.Expr) -> bool:
    """A float division of two constants, rendered as a call of the ``divide`` helper."""
    return isinstance(e, ir.Binary) and e.op == "div" and e.type == ir.FLOAT and go_constant(e)


_GO_LEVEL = {P_OR: 1, P_AND: 2, P_EQ: 3, P_ADD: 4, P_MUL: 5}  # Go's five binary precedences


def operator(e: ir.Expr):
    """``(Go precedence, token, left, right, least precedence of a bare left operand)`` when
    ``e`` renders as a Go binary expression, else None."""
    if isinstance(e, ir.Binary) and not is_divide(e):
        token, prec = GoRenderer.BINARY[e.op]
        return _GO_LEVEL[prec], token, e.left, e.right, prec + (e.op in ir.COMPARE_OPS)
    if isinstance(e, ir.Builtin) and e.op == "concat":
        return 4, "+", e.args[0], e.args[1], P_ADD
    return None


def precedence(e: ir.Expr) -> int:
    """The ``render_base`` precedence level of ``e``'s Go rendering (decides parentheses)."""
    op = operator(e)
    if op is not None:
        return {v: k for k, v in _GO_LEVEL.items()}[op[0]]
    negative = isinstance(e, ir.Lit) and e.type in (ir.INT, ir.FLOAT) and e.value < 0
    return P_UNARY if negative or isinstance(e, ir.Unary) else P_ATOM


def _walk(e: ir.Expr) -> tuple[bool, bool, int]:
    """gofmt's survey of a binary expression: whether precedences 4 and 5 occur among its bare
    (unparenthesised) binary operands, and the worst operator pair (``a - -b`` must keep blanks)."""
    go_prec, token, left, right, left_min = operator(e)
    has4, has5, problem = go_prec == 4, go_prec == 5, 0
    for child, least in ((left, left_min), (right, precedence(e) + 1)):
        if operator(child) is not None and precedence(child) >= least:
            h4, h5, p = _walk(child)
            has4, has5, problem = has4 or h4, has5 or h5, max(problem, p)
    if precedence(right) == P_UNARY:
        pair = token + ("!" if isinstance(right, ir.Unary) and right.op == "not" else "-")
        if pair in ("&&", "&^", "/*"):
            problem = 5
        elif pair in ("++", "--"):
            problem = max(problem, 4)
    return has4, has5, problem


def gofmt_cutoff(e: ir.Expr, depth: int) -> int:
    """Operators of Go precedence below this get blanks around them (go/printer's rule)."""
    has4, has5, problem = _walk(e)
    if problem > 0:
        return problem + 1
    if has4 and has5:
        return 5 if depth == 1 else 4
    return 6 if depth == 1 else 4


class GoRenderer(BraceRenderer):
    language = "go"
    extension = ".go"
    indent_unit = "\t"
    BINARY = {
        "add": ("+", P_ADD), "sub": ("-", P_ADD), "mul": ("*", P_MUL), "div": ("/", P_MUL),
        "mod": ("%", P_MUL), "lt": ("<", P_EQ), "le": ("<=", P_EQ), "gt": (">", P_EQ),
        "ge": (">=", P_EQ), "eq": ("==", P_EQ), "ne": ("!=", P_EQ), "and": ("&&", P_AND),
        "or": ("||", P_OR),
    }
    UNARY = {"neg": ("-", P_UNARY), "not": ("!", P_UNARY)}

    def __init__(self):
        self._need: set[str] = set()  # helpers and packages referenced by what was rendered
        self._depth = 1  # gofmt's expression depth of what is being rendered

    def type_name(self, t: ir.Type) -> str:
        if t.kind == "list":
            return f"[]{self.type_name(t.elem)}"
        if t.kind == "map":
            return f"map[{self.type_name(t.key)}]{self.type_name(t.value)}"
        return {"int": "int", "float": "float64", "bool": "bool", "str": "string"}[t.kind]

    def use(self, *names: str) -> None:
        """Record helpers (keys of GO_HELPERS) or packages the code being rendered calls."""
        self._need.update(names)

    # ------------------------------------------------------------------------ expressions
    def lit(self, e: ir.Lit) -> tuple[str, int]:
        if e.type == ir.BOOL:
            return ("true" if e.value else "false"), P_ATOM
        if e.type == ir.STR:
            return json.dumps(e.value), P_ATOM
        return repr(e.value), (P_UNARY if e.value < 0 else P_ATOM)

    def list_lit(self, e: ir.ListLit) -> tuple[str, int]:
        items = ", ".join(self.at(1, x) for x in e.items)  # gofmt: literal elements restart at depth 1
        return f"{self.type_name(e.type)}{{{items}}}", P_ATOM

    def map_lit(self, e: ir.MapLit) -> tuple[str, int]:
        items = ", ".join(f"{self.at(1, k)}: {self.at(1, v)}" for k, v in e.items)
        return f"{self.type_name(e.type)}{{{items}}}", P_ATOM

    def call(self, e: ir.Call) -> tuple[str, int]:
        return f"{self.func_name(e.func)}({self.args(e.args)})", P_ATOM

    def binary(self, e: ir.Binary) -> tuple[str, int]:
        if is_divide(e):  # a constant quotient is computed exactly and rounded once; IEEE rounds each step
            return self.helper("divide", e.left, e.right)
        return self.infix(e)

    # ------------------------------------------------------------- gofmt's operator spacing
    def expr(self, e: ir.Expr, min_prec: int = 0) -> str:
        """As the base class, tracking gofmt's expression depth (parentheses reduce it by one)."""
        if precedence(e) < min_prec:
            return f"({self.at(max(self._depth - 1, 1), e)})"
        return self.expr_prec(e)[0]

    def at(self, depth: int, e: ir.Expr, min_prec: int = 0) -> str:
        """Render ``e`` at gofmt depth ``depth`` (1 at a statement, deeper inside calls)."""
        outer, self._depth = self._depth, depth
        try:
            return self.expr(e, min_prec)
        finally:
            self._depth = outer

    def args(self, exprs) -> str:
        depth = self._depth + (len(exprs) > 1)  # gofmt: a call with several arguments nests deeper
        return ", ".join(self.at(depth, a) for a in exprs)

    def infix(self, e: ir.Expr) -> tuple[str, int]:
        """A binary operator spaced the way gofmt spaces it: ``a*b + c``, ``f(i+1, j)``."""
        go_prec, token, left, right, left_min = operator(e)
        prec = precedence(e)
        same = operator(left) is not None and precedence(left) >= left_min and operator(left)[0] == go_prec
        lhs = self.at(self._depth + (not same), left, left_min)
        rhs = self.at(self._depth + 1, right, prec + 1)
        pad = " " if go_prec < gofmt_cutoff(e, self._depth) else ""
        return f"{lhs}{pad}{token}{pad}{rhs}", prec

    def fn(self, name: str, *args: ir.Expr) -> tuple[str, int]:
        return f"{name}({self.args(args)})", P_ATOM

    def helper(self, name: str, *args: ir.Expr) -> tuple[str, int]:
        self.use(name)
        return self.fn(name, *args)

    def pkg(self, package: str, name: str, *args: ir.Expr) -> tuple[str, int]:
        self.use(package)
        return self.fn(f"{package}.{name}", *args)

    def index(self, recv: ir.Expr, i: ir.Expr) -> tuple[str, int]:
        return f"{self.at(1, recv, P_ATOM)}[{self.at(self._depth + 1, i)}]", P_ATOM

    def slice(self, recv: ir.Expr, start: ir.Expr, stop: ir.Expr) -> tuple[str, int]:
        sep = " : " if self._depth <= 1 and (operator(start) or operator(stop)) else ":"
        inner = f"{self.at(self._depth + 1, start)}{sep}{self.at(self._depth + 1, stop)}"
        return f"{self.at(1, recv, P_ATOM)}[{inner}]", P_ATOM

    def builtin_abs(self, e, a): return self.helper("abs", *a)
    def builtin_min(self, e, a): return self.helper("min", *a)
    def builtin_max(self, e, a): return self.helper("max", *a)
    def builtin_to_float(self, e, a): return self.fn("float64", *a)
    def builtin_int_to_str(self, e, a): return self.pkg("strconv", "Itoa", *a)
    def builtin_str_len(self, e, a): return self.fn("len", *a)
    def builtin_list_len(self, e, a): return self.fn("len", *a)
    def builtin_map_len(self, e, a): return self.fn("len", *a)
    def builtin_concat(self, e, a): return self.infix(e)
    def builtin_char_at(self, e, a): return f"string({self.index(a[0], a[1])[0]})", P_ATOM
    def builtin_char_code(self, e, a): return f"int({self.index(a[0], a[1])[0]})", P_ATOM
    def builtin_from_char_code(self, e, a): return f"string(rune({self.expr(a[0])}))", P_ATOM
    def builtin_substring(self, e, a): return self.slice(*a)
    def builtin_str_contains(self, e, a): return self.pkg("strings", "Contains", *a)
    def builtin_str_find(self, e, a): return self.pkg("strings", "Index", *a)
    def builtin_upper(self, e, a): return self.pkg("strings", "ToUpper", *a)
    def builtin_lower(self, e, a): return self.pkg("strings", "ToLower", *a)
    def builtin_str_reverse(self, e, a): return self.helper("reverseString", *a)
    def builtin_str_repeat(self, e, a): return self.pkg("strings", "Repeat", *a)
    def builtin_str_join(self, e, a): return self.pkg("strings", "Join", *a)
    def builtin_list_get(self, e, a): return self.index(*a)
    def builtin_list_contains(self, e, a): return self.helper("listContains", *a)
    def builtin_list_slice(self, e, a): return self.helper("sliceOf", *a)
    def builtin_reversed(self, e, a): return self.helper("reversedCopy", *a)
    def builtin_list_concat(self, e, a): return self.helper("concatLists", *a)
    def builtin_map_get(self, e, a): return self.index(*a)
    def builtin_map_get_or(self, e, a): return self.helper("mapGetOr", *a)
    def builtin_map_contains(self, e, a): return self.helper("mapHasKey", *a)
    def builtin_map_keys_sorted(self, e, a): return self.helper("sortedKeys", *a)

    def builtin_sorted(self, e, a):
        return self.helper("sortedBools" if e.type.elem == ir.BOOL else "sortedCopy", *a)

    def builtin_trunc(self, e, a):
        if go_constant(a[0]):  # int(2.5) of a constant does not compile
            self.use("math")
            return f"int(math.Trunc({self.expr(a[0])}))", P_ATOM
        return self.fn("int", *a)

    # ------------------------------------------------------------------------- statements
    def stmt(self, s: ir.Stmt) -> list[str]:
        if isinstance(s, ir.Let):
            return [f"{self.ident(s.name)} := {self.expr(s.value)}"]
        if isinstance(s, ir.Assign):
            name, v = self.ident(s.name), s.value
            if (isinstance(v, ir.Binary) and v.op in ("add", "sub") and v.left == ir.Var(v.type, s.name)
                    and v.type == ir.INT and v.right == ir.Lit(ir.INT, 1)):
                return [name + self.BINARY[v.op][0] * 2]  # x++ / x--
            return [self.compound_assign(s) or f"{name} = {self.expr(v)}"]
        if isinstance(s, ir.If):
            return self.if_else(s, lambda cond: f"if {cond}")
        if isinstance(s, ir.While):
            return self.braced(f"for {self.expr(s.cond)}", s.body)
        if isinstance(s, ir.ForRange):
            i = self.ident(s.var)
            cond = self.expr(ir.Binary(ir.BOOL, "lt", ir.Var(ir.INT, s.var), s.stop))
            return self.braced(f"for {i} := {self.expr(s.start)}; {cond}; {i}++", s.body)
        if isinstance(s, ir.ForEach):
            if ir.reads(s.var, s.body):
                return self.braced(f"for _, {self.ident(s.var)} := range {self.expr(s.iterable)}", s.body)
            return self.braced(f"for range {self.expr(s.iterable)}", s.body)
        if isinstance(s, ir.Return):
            return [f"return {self.expr(s.value)}"]
        if isinstance(s, ir.ListAppend):
            name = self.ident(s.name)
            return [f"{name} = append({name}, {self.at(2, s.value)})"]
        if isinstance(s, ir.ListSet):
            return [f"{self.ident(s.name)}[{self.at(2, s.index)}] = {self.expr(s.value)}"]
        if isinstance(s, ir.MapPut):
            return [f"{self.ident(s.name)}[{self.at(2, s.key)}] = {self.expr(s.value)}"]
        raise TypeError(f"not a statement: {type(s).__name__}")

    # -------------------------------------------------------------------------- functions
    def signature(self, fn: ir.Function) -> str:
        params = ", ".join(f"{self.ident(p.name)} {self.type_name(p.type)}" for p in fn.params)
        return f"func {self.func_name(fn.name)}({params}) {self.type_name(fn.ret)} {{"

    def function_head(self, fn: ir.Function) -> str:
        return "\n".join(self.line_comment(self.doc_text(fn, 96)) + [self.signature(fn)]) + "\n"

    def function_body(self, fn: ir.Function) -> str:
        return "\n".join(self.indent(self.stmts(fn.body)) + ["}"]) + "\n"

    def render_function(self, fn: ir.Function) -> str:
        return self.function_head(fn) + self.function_body(fn)

    # ------------------------------------------------------------------------ formatting
    def formatter(self, t: ir.Type) -> str:
        """A function value mapping a Go value of IR type ``t`` to its canonical text."""
        if t == ir.INT:
            self.use("strconv")
            return "strconv.Itoa"
        if t == ir.BOOL:
            self.use("strconv")
            return "strconv.FormatBool"
        if t == ir.FLOAT:
            self.use("formatFloat")
            return "formatFloat"
        if t == ir.STR:
            self.use("formatString")
            return "formatString"
        raise TypeError(f"no element formatter for {t}")

    def format_call(self, t: ir.Type, code: str) -> str:
        if t.kind == "list":
            self.use("formatList")
            return f"formatList({code}, {self.formatter(t.elem)})"
        if t.kind == "map":
            self.use("formatMap")
            return f"formatMap({code}, {self.formatter(t.key)}, {self.formatter(t.value)})"
        return f"{self.formatter(t)}({code})"

    def support(self, imports: tuple[str, ...] | None = None) -> tuple[str, str]:
        """The import block and the helper definitions for everything recorded in ``_need``
        (helpers pull in their own imports and helpers); ``imports`` overrides the import set."""
        helpers: set[str] = set()
        packages: set[str] = {n for n in self._need if n not in GO_HELPERS}
        todo = [n for n in self._need if n in GO_HELPERS]
        while todo:
            name = todo.pop()
            if name in helpers:
                continue
            helpers.add(name)
            _, pkgs, deps = GO_HELPERS[name]
            packages.update(pkgs)
            todo.extend(deps)
        packages = set(imports) if imports is not None else packages
        head = "package main\n"
        if packages:
            head += "\nimport (\n" + "".join(f'\t"{p}"\n' for p in sorted(packages)) + ")\n"
        body = "".join(GO_HELPERS[n][0] + "\n\n" for n in HELPER_ORDER if n in helpers)
        return head, body

    def case_call(self, program: ir.Program, case, callee: str | None = None) -> str:
        return f"{callee or self.func_name(program.entry.name)}({self.args(case)})"

    def render_program(self, program: ir.Program) -> str:
        self._need = {"fmt"}
        functions = "\n".join(self.render_function(fn) for fn in program.functions)
        ret = program.entry.ret
        main = ["func main() {"] + [f"\tfmt.Println({self.format_call(ret, self.case_call(program, c))})"
                                    for c in program.cases] + ["}"]
        head, helpers = self.support()
        return head + "\n" + helpers + functions + "\n" + "\n".join(main) + "\n"

    def render_task(self, program: ir.Program, expected: list[str]) -> TaskSource:
        self._need = set()
        functions = "".join(self.render_function(fn) + "\n" for fn in program.functions[:-1])
        entry, ret = program.entry, program.entry.ret
        head_entry = self.function_head(entry)
        body = self.function_body(entry)
        results = [f"\t\t{self.format_call(ret, self.case_call(program, c, 'candidate'))}," for c in program.cases]
        head, helpers = self.support(TASK_IMPORTS)
        uses = "".join(f"\t_ = {_PACKAGE_USE[p]}\n" for p in TASK_IMPORTS)
        tests = (f"\nfunc check(candidate func({', '.join(self.type_name(p.type) for p in entry.params)}) "
                 f"{self.type_name(ret)}) {{\n\tresults := []string{{\n" + "\n".join(results) + "\n\t}\n"
                 f"\texpected := []string{{{', '.join(json.dumps(x) for x in expected)}}}\n"
                 "\tfor i := range expected {\n\t\tif results[i] != expected[i] {\n"
                 '\t\t\tfmt.Printf("case %d: expected %s, got %s\\n", i, expected[i], results[i])\n'
                 "\t\t\tos.Exit(1)\n\t\t}\n\t}\n}\n\n"
                 "// The prompt imports a fixed set of packages; keep each one used whatever the solution.\n"
                 f"var (\n{uses})\n\n"
                 f"func main() {{\n\tcheck({self.func_name(entry.name)})\n}}\n")
        prompt = head + "\n" + helpers + functions + head_entry
        return TaskSource(self.language, prompt, body, tests)


RENDERER = GoRenderer()
