"""Finishing a generated function: dead-code elimination and its English description.

Both are pure functions of the IR. Pruning keeps only what the returned value depends on, so the
rendered code has no unused locals (Go rejects them) and no loops that compute nothing; the
description is the one English paragraph every language's doc comment carries.
"""

from __future__ import annotations

import dataclasses

from codescale_jax.data.synthetic import ir

TYPE_WORDS = {"int": "an integer", "float": "a float", "bool": "a boolean", "str": "a string"}
PLURAL_WORDS = {"int": "integers", "float": "floats", "bool": "booleans", "str": "strings"}


def describe(t: ir.Type) -> str:
    """English for a type, the same words in every language's comment."""
    if t.is_scalar:
        return TYPE_WORDS[t.kind]
    if t.kind == "list":
        return f"a list of {PLURAL_WORDS[t.elem.kind]}"
    return f"a map from {PLURAL_WORDS[t.key.kind]} to {PLURAL_WORDS[t.value.kind]}"


def describe_function(name: str, params, ret: ir.Type, body: tuple[ir.Stmt, ...]) -> str:
    """One English paragraph (the same in every language) naming inputs, output and constructs."""
    args = ", ".join(f"`{p.name}` ({describe(p.type)})" for p in params)
    stmts = list(ir.walk_stmts(body))
    exprs = list(ir.all_exprs(body))
    feats = []
    for cls, word in ((ir.ForRange, "counted loops"), (ir.ForEach, "loops over lists"),
                      (ir.While, "while loops"), (ir.If, "conditionals")):
        if any(isinstance(s, cls) for s in stmts):
            feats.append(word)
    if any(isinstance(s, ir.If) and any(isinstance(x, ir.Return) for x in s.then) for s in stmts):
        feats.append("early returns")
    if any(isinstance(s, (ir.MapPut,)) for s in stmts) or any(e.type.kind == "map" for e in exprs):
        feats.append("a map")
    callees = sorted({e.func for e in exprs if isinstance(e, ir.Call) and e.func != name})
    if any(isinstance(e, ir.Call) and e.func == name for e in exprs):
        feats.append("recursion")
    if callees:
        feats.append("calls to " + " and ".join(callees))
    how = (" It uses " + ", ".join(feats[:-1]) + (" and " if len(feats) > 1 else "") + feats[-1] + ".") if feats else ""
    return f"Compute {describe(ret)} from {args}.{how}"


def prune_unused(body: tuple[ir.Stmt, ...]) -> tuple[ir.Stmt, ...]:
    """Dead-code elimination: keep only statements the returned value depends on.

    Two passes repeated to a fixed point: dead-store elimination (backward, flow-sensitive, see
    :func:`_dead_stores`), then removal of whatever no kept statement reads (below).

    A variable is live when a return reads it, when a kept statement writes a live variable and
    reads it, or when it appears in the condition, bounds or iterable of a loop or ``if`` that
    holds a kept statement. Everything else is dropped (expressions are pure, so this never
    changes a result), which leaves every local read (Go rejects unused variables) and no loop
    whose counter nobody reads.
    """
    while True:
        body2, _ = _dead_stores(body, frozenset())
        body2 = _drop(body2, _live_vars(body2))
        if body2 == body:
            return body
        body = body2


def _dead_stores(block: tuple[ir.Stmt, ...], live_after: frozenset) -> tuple[tuple[ir.Stmt, ...], frozenset]:
    """Backward liveness over the structured body: drop writes no later read can observe
    (``x = 5`` right before ``return y``, a value overwritten before use). Returns the block
    and the variables live on entry. Loops iterate to a fixed point."""
    out: list[ir.Stmt] = []
    live = set(live_after)
    for s in reversed(block):
        if isinstance(s, ir.Return):
            live = _names(ir.stmt_exprs(s))
        elif isinstance(s, ir.Let):
            live = (live - {s.name}) | _names(ir.stmt_exprs(s))
        elif isinstance(s, ir.Assign):
            if s.name not in live:
                continue
            live = (live - {s.name}) | _names(ir.stmt_exprs(s))
        elif isinstance(s, (ir.ListAppend, ir.ListSet, ir.MapPut)):
            if s.name not in live:
                continue
            live = live | _names(ir.stmt_exprs(s))
        elif isinstance(s, ir.If):
            then, live_then = _dead_stores(s.then, frozenset(live))
            orelse, live_else = _dead_stores(s.orelse, frozenset(live))
            s = ir.If(s.cond, then, orelse)
            live = set(live_then) | set(live_else) | _names(ir.stmt_exprs(s))
        else:  # While, ForRange, ForEach: the body's exit flows to its next iteration too
            var = getattr(s, "var", None)
            header = _names(ir.stmt_exprs(s))
            entry = frozenset(live | header)
            while True:
                _, body_live = _dead_stores(s.body, entry)
                grown = frozenset(entry | (set(body_live) - {var}))
                if grown == entry:
                    break
                entry = grown
            body, _ = _dead_stores(s.body, entry)
            s = dataclasses.replace(s, body=body)
            live = set(entry)
        out.append(s)
    return tuple(reversed(out)), frozenset(live)


def _names(exprs) -> set[str]:
    return {x.name for e in exprs for x in ir.walk_expr(e) if isinstance(x, ir.Var)}


def _live_vars(body: tuple[ir.Stmt, ...]) -> set[str]:
    live: set[str] = set()

    def visit(block, ctx: tuple) -> bool:
        """Mark reads of relevant statements; return whether the block holds one."""
        any_kept = False
        for s in block:
            blocks = ir.child_blocks(s)
            if blocks:
                inner = ctx + ir.stmt_exprs(s)
                kept = any([visit(b, inner) for b in blocks])
            else:
                kept = isinstance(s, ir.Return) or ir.target_of(s) in live or (
                    isinstance(s, ir.Let) and s.name in live)
                if kept:
                    new = _names(ir.stmt_exprs(s) + ctx) - live
                    if new:
                        live.update(new)
            any_kept = any_kept or kept
        return any_kept

    while True:
        before = len(live)
        visit(body, ())
        if len(live) == before:
            return live


_OPPOSITE = {"lt": "ge", "ge": "lt", "le": "gt", "gt": "le", "eq": "ne", "ne": "eq"}


def negate(cond: ir.Expr) -> ir.Expr:
    """``not cond`` as a reader would write it: ``a < b`` becomes ``a >= b`` (exact: no NaN ever
    occurs), ``not not x`` becomes ``x``; anything else gets a ``not``."""
    if isinstance(cond, ir.Unary) and cond.op == "not":
        return cond.operand
    if isinstance(cond, ir.Binary) and cond.op in _OPPOSITE:
        return ir.Binary(ir.BOOL, _OPPOSITE[cond.op], cond.left, cond.right)
    return ir.Unary(ir.BOOL, "not", cond)


def _drop(block: tuple[ir.Stmt, ...], live: set[str]) -> tuple[ir.Stmt, ...]:
    """Keep returns, writes of live variables and the control statements around them. An ``if``
    with only an else-branch left becomes ``if not``."""
    out = []
    for s in block:
        if isinstance(s, ir.If):
            then, orelse = _drop(s.then, live), _drop(s.orelse, live)
            if not then and not orelse:
                continue
            s = ir.If(s.cond, then, orelse) if then else ir.If(negate(s.cond), orelse, ())
        elif isinstance(s, (ir.While, ir.ForRange, ir.ForEach)):
            body = _drop(s.body, live)
            if not body:
                continue
            s = dataclasses.replace(s, body=body)
        elif not (isinstance(s, ir.Return) or ir.target_of(s) in live or (isinstance(s, ir.Let) and s.name in live)):
            continue
        out.append(s)
    return tuple(out)


