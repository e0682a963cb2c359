"""Static types for HumanEval signatures: parse Python hints, infer from test values, name per language.

Only a fifth of HumanEval's prompts carry full type hints (``def f(l: list)`` or ``def f(s)`` are
common), so a parameter's type is the hint *refined by* the values the tests pass: ``list`` plus
arguments ``[1, 2]`` and ``[]`` is ``List[int]``. Refinement is :func:`unify`:

* equal types unify to themselves; ``unknown`` (an empty list's element, a bare ``list`` hint)
  yields to anything;
* ``int`` and ``float`` unify to ``float`` (Python's ``3 == 3.0``; a float function may return ``3``);
* ``None`` and ``T`` unify to ``Optional[T]``;
* lists, dicts and equal-length tuples unify element-wise; tuples of different lengths (a
  function returning ``()`` or a pair) unify to a list of their elements' type;
* anything else (``int`` with ``str``, ``bool`` with ``int``, tuples of different lengths) is ``any``.

``any`` (and ``Any``/``Union`` hints) are fine in JavaScript and TypeScript (``any``); the statically
typed languages raise :class:`Untranslatable`, which drops the problem for that language. So does a
type still ``unknown`` at the end (a list that is empty in every test) or a lone ``None``.
"""

from __future__ import annotations

import ast
import dataclasses

from codescale_jax.eval.humaneval import Untranslatable

SCALARS = ("int", "float", "bool", "str")


@dataclasses.dataclass(frozen=True)
class Type:
    """``kind`` is a scalar, ``none``, ``list``, ``dict``, ``tuple``, ``optional``, ``any`` or ``unknown``."""

    kind: str
    args: tuple["Type", ...] = ()

    def __str__(self) -> str:
        names = {"list": "List", "dict": "Dict", "tuple": "Tuple", "optional": "Optional"}
        if self.kind in names:
            return f"{names[self.kind]}[{', '.join(map(str, self.args))}]"
        return self.kind


INT, FLOAT, BOOL, STR = Type("int"), Type("float"), Type("bool"), Type("str")
NONE, ANY, UNKNOWN = Type("none"), Type("any"), Type("unknown")


def List(t: Type) -> Type:  # noqa: N802 - mirrors typing's spelling
    return Type("list", (t,))


def Dict(k: Type, v: Type) -> Type:  # noqa: N802
    return Type("dict", (k, v))


def Tuple(*ts: Type) -> Type:  # noqa: N802
    return Type("tuple", tuple(ts))


def Optional(t: Type) -> Type:  # noqa: N802
    if t.kind in ("optional", "none", "any"):
        return t
    return Type("optional", (t,))


_HINT_NAMES = {"int": INT, "float": FLOAT, "bool": BOOL, "str": STR, "list": List(UNKNOWN),
               "dict": Dict(UNKNOWN, UNKNOWN), "tuple": ANY, "Any": ANY, "None": NONE}


def parse_hint(node: ast.expr | None) -> Type:
    """A Python annotation -> :class:`Type`; no annotation is ``unknown`` (to be inferred)."""
    if node is None:
        return UNKNOWN
    if isinstance(node, ast.Constant) and node.value is None:
        return NONE
    if isinstance(node, ast.Name) and node.id in _HINT_NAMES:
        return _HINT_NAMES[node.id]
    if isinstance(node, ast.Subscript) and isinstance(node.value, ast.Name):
        head = node.value.id
        inner = node.slice.elts if isinstance(node.slice, ast.Tuple) else [node.slice]
        args = [parse_hint(a) for a in inner]
        if head in ("List", "list") and len(args) == 1:
            return List(args[0])
        if head in ("Dict", "dict") and len(args) == 2:
            return Dict(*args)
        if head in ("Tuple", "tuple") and args and not any(a == Type("...") for a in args):
            return Tuple(*args)
        if head == "Optional" and len(args) == 1:
            return Optional(args[0])
        if head == "Union":
            return ANY
    raise Untranslatable(f"type hint `{ast.unparse(node)}` is not understood")


def type_of(value: object) -> Type:
    """The static type of a Python literal value (as produced by ``humaneval_values.literal``)."""
    if value is None:
        return NONE
    if isinstance(value, bool):
        return BOOL
    if isinstance(value, int):
        return INT
    if isinstance(value, float):
        return FLOAT
    if isinstance(value, str):
        return STR
    if isinstance(value, list):
        elem = UNKNOWN
        for v in value:
            elem = unify(elem, type_of(v))
        return List(elem)
    if isinstance(value, tuple):
        return Tuple(*(type_of(v) for v in value))
    if isinstance(value, dict):
        k, v = UNKNOWN, UNKNOWN
        for key, val in value.items():
            k, v = unify(k, type_of(key)), unify(v, type_of(val))
        return Dict(k, v)
    raise Untranslatable(f"value of Python type {type(value).__name__} has no static type here")


def unify(a: Type, b: Type) -> Type:
    """The least type holding both (see module docstring); ``any`` when there is none."""
    if a == b:
        return a
    if a.kind == "unknown":
        return b
    if b.kind == "unknown":
        return a
    if "any" in (a.kind, b.kind):
        return ANY
    if {a.kind, b.kind} == {"int", "float"}:
        return FLOAT
    if a.kind == "none":
        return Optional(b)
    if b.kind == "none":
        return Optional(a)
    if a.kind == "optional" or b.kind == "optional":
        inner_a = a.args[0] if a.kind == "optional" else a
        inner_b = b.args[0] if b.kind == "optional" else b
        return Optional(unify(inner_a, inner_b))
    if a.kind == b.kind and a.kind in ("list", "dict") or (a.kind == b.kind == "tuple"
                                                            and len(a.args) == len(b.args)):
        args = tuple(unify(x, y) for x, y in zip(a.args, b.args))
        return ANY if a.kind == "tuple" and ANY in args else Type(a.kind, args)
    if a.kind == b.kind == "tuple" or {a.kind, b.kind} == {"tuple", "list"}:
        # Tuples of several lengths (``()`` and ``("a", "b")``) are used as sequences: a list.
        elem = UNKNOWN
        for x in a.args + b.args if a.kind == b.kind else (a.args if a.kind == "tuple" else b.args):
            elem = unify(elem, x)
        if a.kind != b.kind:
            elem = unify(elem, (a if a.kind == "list" else b).args[0])
        return ANY if elem == ANY else List(elem)
    return ANY


def contains(t: Type, kind: str) -> bool:
    return t.kind == kind or any(contains(a, kind) for a in t.args)


def require_static(t: Type, what: str) -> None:
    """Raise :class:`Untranslatable` unless ``t`` can be written in a statically typed language."""
    if contains(t, "any"):
        raise Untranslatable(f"{what} has type {t}: mixed types (a Union) have no static type")
    if contains(t, "unknown"):
        raise Untranslatable(f"{what} has type {t}: an element type is never shown by the tests")
    if contains(t, "none") and t.kind != "optional":
        raise Untranslatable(f"{what} has type {t}: only None is ever seen")


def type_name(lang: str, t: Type, boxed: bool = False) -> str:
    """``t`` written in ``lang``; ``boxed`` asks Java for its reference type (``Long``, not ``long``)."""
    if lang == "typescript":
        return _ts_name(t)
    require_static(t, "a value")
    k, a = t.kind, t.args
    if lang == "java":
        if k in SCALARS:
            return {"int": ("long", "Long"), "float": ("double", "Double"), "bool": ("boolean", "Boolean"),
                    "str": ("String", "String")}[k][int(boxed)]
        if k == "list":
            return f"ArrayList<{type_name(lang, a[0], True)}>"
        if k == "dict":
            return f"HashMap<{type_name(lang, a[0], True)}, {type_name(lang, a[1], True)}>"
        if k == "optional":
            return f"Optional<{type_name(lang, a[0], True)}>"
        if k == "tuple" and len(a) == 2:
            return f"Map.Entry<{type_name(lang, a[0], True)}, {type_name(lang, a[1], True)}>"
        raise Untranslatable(f"Java has no standard type for {t} (pairs are Map.Entry)")
    if lang == "csharp":
        if k in SCALARS:
            return {"int": "long", "float": "double", "bool": "bool", "str": "string"}[k]
        if k == "list":
            return f"List<{type_name(lang, a[0])}>"
        if k == "dict":
            return f"Dictionary<{type_name(lang, a[0])}, {type_name(lang, a[1])}>"
        if k == "tuple" and 1 <= len(a) <= 7:
            return f"Tuple<{', '.join(type_name(lang, x) for x in a)}>"
        if k == "optional":
            inner = type_name(lang, a[0])
            return inner + "?" if a[0].kind in ("int", "float", "bool") else inner
        raise Untranslatable(f"C# has no type here for {t}")
    if lang == "go":
        if k in SCALARS:
            return {"int": "int", "float": "float64", "bool": "bool", "str": "string"}[k]
        if k == "list":
            return f"[]{type_name(lang, a[0])}"
        if k == "dict":
            return f"map[{type_name(lang, a[0])}]{type_name(lang, a[1])}"
        if k == "optional":
            return f"*{type_name(lang, a[0])}"
        if k == "tuple" and len(set(a)) == 1:
            return f"[{len(a)}]{type_name(lang, a[0])}"
        raise Untranslatable(f"Go has no tuples; {t} mixes element types (a [N]T array needs one)")
    if lang == "rust":
        if k in SCALARS:
            return {"int": "i64", "float": "f64", "bool": "bool", "str": "String"}[k]
        if k == "list":
            return f"Vec<{type_name(lang, a[0])}>"
        if k == "dict":
            if contains(a[0], "float"):
                raise Untranslatable("Rust HashMap keys cannot be f64")
            return f"HashMap<{type_name(lang, a[0])}, {type_name(lang, a[1])}>"
        if k == "optional":
            return f"Option<{type_name(lang, a[0])}>"
        if k == "tuple":
            return "(" + ", ".join(type_name(lang, x) for x in a) + ("," if len(a) == 1 else "") + ")"
    raise Untranslatable(f"no type name for {t} in {lang}")


def _ts_name(t: Type) -> str:
    k, a = t.kind, t.args
    if k in SCALARS:
        return {"int": "number", "float": "number", "bool": "boolean", "str": "string"}[k]
    if k == "list":
        inner = _ts_name(a[0])
        return f"({inner})[]" if " " in inner else f"{inner}[]"
    if k == "dict":
        if a[0].kind not in ("str", "unknown"):
            raise Untranslatable(f"TypeScript object keys are strings; {t} has other keys")
        return f"{{[key: string]: {_ts_name(a[1])}}}"
    if k == "tuple":
        return "[" + ", ".join(_ts_name(x) for x in a) + "]"
    if k == "optional":
        return f"{_ts_name(a[0])} | undefined"
    if k == "none":
        return "undefined"
    return "any"
