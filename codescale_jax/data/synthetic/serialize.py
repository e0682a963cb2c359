"""JSON round trip of IR programs (benchmark files, saved disagreements, caches).

Each node becomes ``{"node": "<ClassName>", <field>: <value>, ...}``; types are their text form
(``"map[str, int]"``); tuples become lists. :func:`program_from_json` rebuilds equal dataclasses
and raises ``ValueError`` naming the path of anything it does not recognise.
"""

from __future__ import annotations

import dataclasses
import json
from typing import Any

from codescale_jax.data.synthetic import ir

_NODES = {cls.__name__: cls for cls in ir.EXPR_NODES + ir.STMT_NODES + (ir.Param, ir.Function, ir.Program)}
FORMAT_VERSION = 1


def to_json(value: Any) -> Any:
    """A JSON-ready form of any IR value (node, type, tuple, scalar)."""
    if isinstance(value, ir.Type):
        return str(value)
    if dataclasses.is_dataclass(value) and type(value).__name__ in _NODES:
        out = {"node": type(value).__name__}
        for f in dataclasses.fields(value):
            out[f.name] = to_json(getattr(value, f.name))
        return out
    if isinstance(value, (tuple, list)):
        return [to_json(v) for v in value]
    if isinstance(value, (bool, int, float, str)):
        return value
    raise TypeError(f"cannot serialise {type(value).__name__}")


def _from(value: Any, hint: Any, path: str) -> Any:
    if hint is ir.Type or hint == "Type":
        if not isinstance(value, str):
            raise ValueError(f"{path}: expected a type string, got {value!r}")
        return ir.parse_type(value)
    if isinstance(value, dict):
        name = value.get("node")
        cls = _NODES.get(name)
        if cls is None:
            raise ValueError(f"{path}: unknown node {name!r}")
        kwargs = {}
        for f in dataclasses.fields(cls):
            if f.name not in value:
                if f.default is not dataclasses.MISSING:
                    continue
                raise ValueError(f"{path}.{f.name}: missing in {name}")
            kwargs[f.name] = _from(value[f.name], "Type" if f.name in ("type", "ret", "elem_type") else None,
                                   f"{path}.{f.name}")
        return cls(**kwargs)
    if isinstance(value, list):
        return tuple(_from(v, None, f"{path}[{i}]") for i, v in enumerate(value))
    return value


def program_to_json(program: ir.Program) -> str:
    return json.dumps({"format": FORMAT_VERSION, "program": to_json(program)}, separators=(",", ":"))


def program_from_json(text: str) -> ir.Program:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as err:
        raise ValueError(f"not JSON: {err}") from err
    if not isinstance(data, dict) or data.get("format") != FORMAT_VERSION:
        raise ValueError(f"not an IR program file (format {FORMAT_VERSION} expected)")
    program = _from(data["program"], None, "program")
    if not isinstance(program, ir.Program):
        raise ValueError("program: top-level node is not a Program")
    return program
