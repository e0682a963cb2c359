"""A step-by-step English specification of a function, for the task form's doc comment.

A random program has no natural one-line purpose, so a Pass@1 task whose docstring only said
"compute an integer from n" could be solved by nobody. The task form therefore states the
algorithm itself, one numbered English sentence per statement (nested steps extend their
parent's number), plus one worked example. Identifiers are in backticks (``\\`total\\```; functions as ``\\`scan_values()\\```) so
each language's renderer respells them its own way (:meth:`Renderer.doc_text`). Arithmetic and
comparisons keep their usual symbols; ``div`` and ``mod`` are integer division and remainder.
The text never contains ``*/`` or a backslash, so it is safe inside every comment syntax.
"""

from __future__ import annotations

from codescale_jax.data.synthetic import ir
from codescale_jax.data.synthetic.render_base import format_value

_SYMBOL = {"add": "+", "sub": "-", "mul": "*", "lt": "<", "le": "<=", "gt": ">", "ge": ">=",
           "eq": "==", "ne": "!=", "and": "and", "or": "or", "mod": "mod"}


def name(n: str) -> str:
    return f"`{n}`"


def lit(e: ir.Lit) -> str:
    if e.type == ir.BOOL:
        return "true" if e.value else "false"
    if e.type == ir.STR:
        return f'"{e.value}"'
    return repr(e.value)


_PREC = {"or": 1, "and": 2, "lt": 4, "le": 4, "gt": 4, "ge": 4, "eq": 4, "ne": 4, "add": 5, "sub": 5,
         "mul": 6, "div": 6, "mod": 6}
_NOT, _NEG, _ATOM = 3, 7, 9
# Builtins written in function or index notation are atoms; the others are English phrases.
_NOTATION = ("abs", "min", "max", "list_get")


def _prec(e: ir.Expr) -> int:
    if isinstance(e, ir.Binary):
        return _PREC[e.op]
    if isinstance(e, ir.Unary):
        return _NOT if e.op == "not" else _NEG
    if isinstance(e, ir.Lit) and e.type in (ir.INT, ir.FLOAT) and e.value < 0:
        return _NEG
    if isinstance(e, ir.Builtin) and e.op not in _NOTATION:
        return 0  # a phrase: parenthesised wherever it is an operand
    return _ATOM


def operand(e: ir.Expr, min_prec: int = _ATOM) -> str:
    """A sub-expression, parenthesised when it binds looser than ``min_prec``."""
    text = expr(e)
    return text if _prec(e) >= min_prec else f"({text})"


_BUILTIN = {
    "abs": "abs({0})", "min": "min({0}, {1})", "max": "max({0}, {1})",  # args: plain (see expr)
    "to_float": "{0} as a float", "trunc": "{0} truncated toward zero to an integer",
    "int_to_str": "the decimal text of {0}", "str_len": "the length of {0}", "list_len": "the length of {0}",
    "map_len": "the number of entries in {0}", "concat": "{0} followed by {1}",
    "char_at": "the character of {0} at index {1}",
    "substring": "the characters of {0} from index {1} up to but not including index {2}",
    "str_contains": "{0} contains {1}", "str_find": "the first index of {1} in {0} (-1 if absent)",
    "upper": "{0} in upper case", "lower": "{0} in lower case", "str_reverse": "{0} reversed",
    "str_repeat": "{0} repeated {1} times", "char_code": "the ASCII code of the character of {0} at index {1}",
    "from_char_code": "the character with ASCII code {0}", "str_join": "the items of {0} joined with {1}",
    "list_get": "{0}[{1}]", "list_contains": "{0} contains {1}",
    "list_slice": "the elements of {0} from index {1} up to but not including index {2}",
    "sorted": "{0} sorted in ascending order", "reversed": "{0} in reverse order",
    "list_concat": "{0} followed by {1}", "map_get": "the value of {0} at key {1}",
    "map_get_or": "the value of {0} at key {1}, or {2} if that key is absent",
    "map_contains": "{0} has the key {1}", "map_keys_sorted": "the keys of {0} in ascending order",
}


def expr(e: ir.Expr) -> str:
    if isinstance(e, ir.Lit):
        return lit(e)
    if isinstance(e, ir.Var):
        return name(e.name)
    if isinstance(e, ir.ListLit):
        return "[" + ", ".join(expr(x) for x in e.items) + "]"
    if isinstance(e, ir.MapLit):
        return "{" + ", ".join(f"{expr(k)}: {expr(v)}" for k, v in e.items) + "}"
    if isinstance(e, ir.Unary):
        if e.op == "neg":
            return f"-{operand(e.operand)}"
        return f"not {operand(e.operand, _NOT + 1)}"
    if isinstance(e, ir.Binary):
        symbol = ("div" if e.type == ir.INT else "/") if e.op == "div" else _SYMBOL[e.op]
        p = _PREC[e.op]
        compare = p == _PREC["lt"]
        return f"{operand(e.left, p + 1 if compare else p)} {symbol} {operand(e.right, p + 1)}"
    if isinstance(e, ir.Call):
        args = ", ".join(expr(a) for a in e.args)
        return f"`{e.func}()` of ({args})"
    if isinstance(e, ir.Builtin):
        if e.op in ("abs", "min", "max"):
            return _BUILTIN[e.op].format(*(expr(a) for a in e.args))
        if e.op == "list_get":
            return f"{operand(e.args[0])}[{expr(e.args[1])}]"
        return _BUILTIN[e.op].format(*(operand(a) for a in e.args))
    raise TypeError(f"not an IR expression: {type(e).__name__}")


def stmts(block: tuple[ir.Stmt, ...], prefix: str = "") -> list[str]:
    """One numbered line per statement; nested steps extend their parent's number (``2.1.``).
    Lines carry no indentation: Go's formatter would turn indented comment lines into code
    blocks, and numbers show the nesting just as well."""
    out: list[str] = []
    k = 0

    def step(text: str) -> str:
        nonlocal k
        k += 1
        return f"{prefix}{k}. {text}"

    for s in block:
        if isinstance(s, ir.Let):
            out.append(step(f"Let {name(s.name)} be {expr(s.value)}."))
        elif isinstance(s, ir.Assign):
            v = s.value
            if isinstance(v, ir.Binary) and v.op == "add" and v.left == ir.Var(v.type, s.name):
                out.append(step(f"Add {expr(v.right)} to {name(s.name)}."))
            elif isinstance(v, ir.Binary) and v.op == "sub" and v.left == ir.Var(v.type, s.name):
                out.append(step(f"Subtract {expr(v.right)} from {name(s.name)}."))
            else:
                out.append(step(f"Set {name(s.name)} to {expr(v)}."))
        elif isinstance(s, ir.If):
            out.append(step(f"If {expr(s.cond)}:"))
            out += stmts(s.then, f"{prefix}{k}.")
            if s.orelse:
                out.append(step(f"Otherwise (the condition of step {prefix}{k} is false):"))
                out += stmts(s.orelse, f"{prefix}{k}.")
        elif isinstance(s, ir.While):
            out.append(step(f"While {expr(s.cond)}:"))
            out += stmts(s.body, f"{prefix}{k}.")
        elif isinstance(s, ir.ForRange):
            out.append(step(f"For each {name(s.var)} from {expr(s.start)} up to but not including "
                            f"{expr(s.stop)}:"))
            out += stmts(s.body, f"{prefix}{k}.")
        elif isinstance(s, ir.ForEach):
            out.append(step(f"For each {name(s.var)} in {expr(s.iterable)}:"))
            out += stmts(s.body, f"{prefix}{k}.")
        elif isinstance(s, ir.Return):
            out.append(step(f"Return {expr(s.value)}."))
        elif isinstance(s, ir.ListAppend):
            out.append(step(f"Append {expr(s.value)} to {name(s.name)}."))
        elif isinstance(s, ir.ListSet):
            out.append(step(f"Set {name(s.name)}[{expr(s.index)}] to {expr(s.value)}."))
        elif isinstance(s, ir.MapPut):
            out.append(step(f"Set the value of {name(s.name)} at key {expr(s.key)} to {expr(s.value)}."))
        else:
            raise TypeError(f"not a statement: {type(s).__name__}")
    return out


def specification(fn: ir.Function, example: tuple[tuple[ir.Expr, ...], str] | None = None) -> str:
    """``fn.doc``, then the numbered steps, then an optional worked example."""
    lines = [fn.doc, "", "Steps (indexes start at 0; div and mod are integer division and remainder):"]
    lines += stmts(fn.body)
    if example is not None:
        args, result = example
        shown = ", ".join(f"{name(p.name)} = {format_value(_value(a), p.type)}" for p, a in zip(fn.params, args))
        lines += ["", f"Example: with {shown}, the result is {result}."]
    return "\n".join(lines)


def _value(e: ir.Expr):
    """The Python value of a literal case argument."""
    if isinstance(e, ir.Lit):
        return e.value
    if isinstance(e, ir.ListLit):
        return [_value(x) for x in e.items]
    if isinstance(e, ir.MapLit):
        return {_value(k): _value(v) for k, v in e.items}
    raise TypeError(f"case arguments are literals, got {type(e).__name__}")
