"""Python literal values from HumanEval's assertions, written in each language's literal syntax.

:func:`literal` reads an assertion's argument or expected value from its :mod:`ast` node (never
``eval``): constants, negative numbers, lists, tuples and dicts of those, and the constant
arithmetic some tests write out (``3 * 19``, ``2.0 / 3.0``). :func:`render` writes the
value in a target language *given its static type* (from :mod:`humaneval_types`), because the
literal depends on it: the Python ``3`` passed where a float is expected is ``3.0`` in Rust and Go,
an empty list is ``new ArrayList<Long>()`` in Java, ``None`` is ``Optional.empty()`` in Java and
``undefined`` in JavaScript (MultiPL-E's choice, kept so that results compare).

Integers outside 64 bits, infinities and NaN have no literal in every language and raise
:class:`Untranslatable`.
"""

from __future__ import annotations

import ast
import json
import math

from codescale_jax.eval.humaneval import Untranslatable
from codescale_jax.eval.humaneval_types import Type, type_name

INT64 = 1 << 63


def literal(node: ast.expr) -> object:
    """The Python value of a literal expression node (see module docstring)."""
    if isinstance(node, ast.Constant) and (node.value is None or isinstance(node.value, (bool, int, float, str))):
        return node.value
    if (isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd))
            and isinstance(node.operand, ast.Constant) and isinstance(node.operand.value, (int, float))
            and not isinstance(node.operand.value, bool)):
        return -node.operand.value if isinstance(node.op, ast.USub) else node.operand.value
    if isinstance(node, ast.BinOp) and type(node.op) in _FOLD:
        return _fold(node)
    if isinstance(node, ast.List):
        return [literal(e) for e in node.elts]
    if isinstance(node, ast.Tuple):
        return tuple(literal(e) for e in node.elts)
    if isinstance(node, ast.Dict) and None not in node.keys:
        return {literal(k): literal(v) for k, v in zip(node.keys, node.values)}
    raise Untranslatable(f"`{ast.unparse(node)[:60]}` is not a literal value")


_FOLD = {ast.Add: lambda a, b: a + b, ast.Sub: lambda a, b: a - b, ast.Mult: lambda a, b: a * b,
         ast.Div: lambda a, b: a / b, ast.FloorDiv: lambda a, b: a // b, ast.Mod: lambda a, b: a % b,
         ast.Pow: lambda a, b: a ** b}


def _fold(node: ast.BinOp) -> object:
    """Constant arithmetic the tests write out (``3 * 19``, ``2.0 / 3.0``, ``'ab' + 'cd'``, ``0 ** 0``)."""
    left, right = literal(node.left), literal(node.right)
    numbers = all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in (left, right))
    same_seq = type(left) is type(right) and isinstance(left, (str, list, tuple))
    if not (numbers or (same_seq and isinstance(node.op, ast.Add))):
        raise Untranslatable(f"`{ast.unparse(node)[:60]}` is not constant arithmetic")
    if isinstance(node.op, ast.Pow) and (not isinstance(right, int) or abs(right) > 256):
        raise Untranslatable(f"`{ast.unparse(node)[:60]}`: exponent too large to fold")
    try:
        return _FOLD[type(node.op)](left, right)
    except (ZeroDivisionError, OverflowError) as e:
        raise Untranslatable(f"`{ast.unparse(node)[:60]}`: {e}") from e


def _float(v: float | int) -> str:
    f = float(v)
    if math.isinf(f) or math.isnan(f):
        raise Untranslatable(f"{f} has no portable literal")
    s = repr(f)
    return s if any(c in s for c in ".e") else s + ".0"


def _int(v: int) -> str:
    if not -INT64 <= v < INT64:
        raise Untranslatable(f"integer {v} does not fit in 64 bits")
    return str(v)


def _escape(s: str, unicode_escape) -> str:
    """A double-quoted literal: quotes, backslashes and control characters escaped, non-ASCII via hook."""
    out = []
    for ch in s:
        if ch in '"\\':
            out.append("\\" + ch)
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\t":
            out.append("\\t")
        elif ch == "\r":
            out.append("\\r")
        elif " " <= ch <= "~":
            out.append(ch)
        else:
            out.append(unicode_escape(ch))
    return '"' + "".join(out) + '"'


def _utf16_escape(ch: str) -> str:  # Java and C#: \uXXXX code units (surrogate pairs above the BMP)
    data = ch.encode("utf-16-be")
    return "".join(f"\\u{int.from_bytes(data[i:i + 2], 'big'):04x}" for i in range(0, len(data), 2))


def string_literal(lang: str, s: str) -> str:
    """A string literal in ``lang`` (Rust: a ``String``, not a ``&str``)."""
    if lang in ("javascript", "typescript"):
        return json.dumps(s)
    if lang in ("java", "csharp"):
        return _escape(s, _utf16_escape)
    if lang == "go":
        return _escape(s, lambda ch: f"\\U{ord(ch):08x}")
    if lang == "rust":
        return "String::from(" + _escape(s, lambda ch: f"\\u{{{ord(ch):x}}}") + ")"
    raise ValueError(f"unknown language {lang!r}")


def _check(value: object, ok: bool, t: Type) -> None:
    if not ok:
        raise Untranslatable(f"value {value!r} does not have type {t}")


def fits(value: object, t: Type) -> bool:
    """Whether ``value`` is a value of type ``t`` (``any``/``unknown`` hold everything)."""
    k, a = t.kind, t.args
    if k in ("any", "unknown"):
        return True
    if k == "optional":
        return value is None or fits(value, a[0])
    if isinstance(value, bool):
        return k == "bool"
    if k in ("int", "float"):
        return isinstance(value, int) or (k == "float" and isinstance(value, float))
    if k == "str":
        return isinstance(value, str)
    if k == "list":
        return isinstance(value, (list, tuple)) and all(fits(v, a[0]) for v in value)
    if k == "tuple":
        return isinstance(value, tuple) and len(value) == len(a) and all(map(fits, value, a))
    if k == "dict":
        return isinstance(value, dict) and all(fits(x, a[0]) and fits(y, a[1]) for x, y in value.items())
    return False


def render(lang: str, value: object, t: Type) -> str:
    """``value`` as a ``lang`` expression of static type ``t``."""
    if not fits(value, t):
        raise Untranslatable(f"value {value!r} does not have type {t}")
    k, a = t.kind, t.args
    if k == "optional":
        if value is None and lang == "go":  # typed: an untyped nil in an interface{} is no *T
            return f"({type_name(lang, t)})(nil)"
        if value is None:
            return {"java": "Optional.empty()", "csharp": "null", "go": "nil", "rust": "None",
                    "javascript": "undefined", "typescript": "undefined"}[lang]
        inner = render(lang, value, a[0])
        if lang == "java":
            return f"Optional.of({inner})"
        if lang == "csharp" and a[0].kind in ("int", "float", "bool"):
            return f"new {type_name(lang, a[0])}?({inner})"
        if lang == "go":
            return f"ptrTo({inner})"
        if lang == "rust":
            return f"Some({inner})"
        return inner
    if lang in ("javascript", "typescript"):
        return _render_js(value, t)
    if k == "int":
        _check(value, isinstance(value, int) and not isinstance(value, bool), t)
        return _int(value) + ("L" if lang in ("java", "csharp") else "")
    if k == "float":
        _check(value, isinstance(value, (int, float)) and not isinstance(value, bool), t)
        return _float(value)
    if k == "bool":
        _check(value, isinstance(value, bool), t)
        return "true" if value else "false"
    if k == "str":
        _check(value, isinstance(value, str), t)
        return string_literal(lang, value)
    if k == "list":
        _check(value, isinstance(value, (list, tuple)), t)  # a tuple of varying length is a list
        items = [render(lang, v, a[0]) for v in value]
        return _list(lang, items, t)
    if k == "tuple":
        _check(value, isinstance(value, tuple) and len(value) == len(a), t)
        items = [render(lang, v, x) for v, x in zip(value, a)]
        return _tuple(lang, items, t)
    if k == "dict":
        _check(value, isinstance(value, dict), t)
        pairs = [(render(lang, kk, a[0]), render(lang, vv, a[1])) for kk, vv in value.items()]
        return _dict(lang, pairs, t)
    raise Untranslatable(f"no {lang} literal for {value!r} of type {t}")


def _list(lang: str, items: list[str], t: Type) -> str:
    name = type_name(lang, t)
    if lang == "java":
        return f"new {name}(Arrays.asList({', '.join(items)}))" if items else f"new {name}()"
    if lang == "csharp":
        return f"new {name} {{{', '.join(items)}}}" if items else f"new {name}()"
    if lang == "go":
        return f"{name}{{{', '.join(items)}}}"
    return f"vec![{', '.join(items)}]"


def _tuple(lang: str, items: list[str], t: Type) -> str:
    if lang == "java":
        type_name(lang, t)  # raises unless a pair
        return f"Map.entry({items[0]}, {items[1]})"
    if lang == "csharp":
        return f"new {type_name(lang, t)}({', '.join(items)})"
    if lang == "go":
        return f"{type_name(lang, t)}{{{', '.join(items)}}}"
    return "(" + ", ".join(items) + ("," if len(items) == 1 else "") + ")"


def _dict(lang: str, pairs: list[tuple[str, str]], t: Type) -> str:
    name = type_name(lang, t)
    if lang == "java":
        if not pairs:
            return f"new {name}()"
        return f"new {name}(Map.ofEntries({', '.join(f'Map.entry({k}, {v})' for k, v in pairs)}))"
    if lang == "csharp":
        return f"new {name} {{{', '.join(f'{{{k}, {v}}}' for k, v in pairs)}}}" if pairs else f"new {name}()"
    if lang == "go":
        return f"{name}{{{', '.join(f'{k}: {v}' for k, v in pairs)}}}"
    if not pairs:
        return "HashMap::new()"
    return f"HashMap::from([{', '.join(f'({k}, {v})' for k, v in pairs)}])"


def _render_js(value: object, t: Type) -> str:
    """JavaScript/TypeScript: numbers, arrays for lists and tuples, objects with string keys."""
    if value is None:
        return "undefined"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return _float(value) if t.kind == "float" else _int(value)
    if isinstance(value, float):
        return _float(value)
    if isinstance(value, str):
        return json.dumps(value)
    sub = list(t.args) if t.kind in ("list", "tuple", "dict") else []
    if isinstance(value, (list, tuple)):
        elem = (lambda i: sub[0]) if t.kind == "list" else (lambda i: sub[i] if i < len(sub) else Type("any"))
        return "[" + ", ".join(_render_js(v, elem(i)) for i, v in enumerate(value)) + "]"
    if isinstance(value, dict):
        if not all(isinstance(k, str) for k in value):
            raise Untranslatable("JavaScript object keys are strings; this dict has other keys")
        vt = sub[1] if len(sub) == 2 else Type("any")
        return "{" + ", ".join(f"{json.dumps(k)}: {_render_js(v, vt)}" for k, v in value.items()) + "}"
    raise Untranslatable(f"no JavaScript literal for {value!r}")
