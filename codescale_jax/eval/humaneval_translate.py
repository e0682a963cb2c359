"""Translate a HumanEval problem into a task in another language (MultiPL-E style), and back to programs.

A task is ``{task_id, language, prompt, tests, stop, entry_point}``. The model continues ``prompt``
(imports, the docstring as comments, the signature and its opening brace); its output is cut at
the first ``stop`` sequence, and the program the sandbox runs is ``prompt + completion + tests``.
For the brace languages the stop sequence is the function's closing brace at its indentation, and
``tests`` starts by writing that brace back, so a completion is exactly the function body.

Steps, each of which may raise :class:`Untranslatable` (the problem is then dropped for that
language with the reason kept):

1. the prompt defines only the entry point (:func:`humaneval.entry_function`);
2. the tests are plain value checks (:func:`humaneval.extract_cases`);
3. the signature's types: each hint refined by the values the tests use (:func:`signature`);
4. the language's emitter writes types, values, prompt and tests (``humaneval_<group>.py``).
"""

from __future__ import annotations

import ast
import dataclasses
import re
from typing import Protocol

from codescale_jax.eval import humaneval_types as ht
from codescale_jax.eval.humaneval import (Case, Problem, Untranslatable, entry_function, extract_cases,
                                          python_task)
from codescale_jax.eval.humaneval_values import literal, render

TRANSLATED = ("java", "javascript", "typescript", "csharp", "go", "rust")
#: Problems whose tests tell an int from an equal float: no language here with one number type per
#: parameter (float for these) can pass them, so keeping them would only lower every pass rate.
INT_FLOAT_SENSITIVE = {
    "HumanEval/92": "tests expect any_int(3.0, 4, 7) to be False: telling 3.0 from 3 needs Python's int/float split",
}


@dataclasses.dataclass(frozen=True)
class Signature:
    """The entry point with resolved types; names are still Python's (emitters rename)."""

    name: str
    params: tuple[tuple[str, ht.Type], ...]
    returns: ht.Type
    doc: str


class Emitter(Protocol):
    language: str
    stop: tuple[str, ...]

    def function_name(self, py_name: str) -> str: ...
    def prompt(self, sig: Signature) -> str: ...
    def tests(self, sig: Signature, cases: list[Case]) -> str: ...
    def default_completion(self, sig: Signature) -> str: ...


def camel(name: str) -> str:
    """``has_close_elements`` -> ``hasCloseElements``; ``Strongest_Extension`` -> ``strongestExtension``."""
    parts = [p for p in name.split("_") if p]
    head = parts[0][:1].lower() + parts[0][1:]
    return head + "".join(p[:1].upper() + p[1:] for p in parts[1:])


def pascal(name: str) -> str:
    c = camel(name)
    return c[:1].upper() + c[1:]


def snake(name: str) -> str:
    """``digitSum`` -> ``digit_sum``; ``Strongest_Extension`` -> ``strongest_extension``."""
    s = re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", name).lower()
    return re.sub(r"_+", "_", s)


def signature(problem: Problem, fn: ast.FunctionDef, cases: list[Case]) -> Signature:
    """Resolve parameter and return types: hints refined by every test's values (see humaneval_types)."""
    if fn.args.vararg or fn.args.kwarg or fn.args.kwonlyargs or fn.args.posonlyargs or fn.args.defaults:
        raise Untranslatable("signature uses defaults, *args, **kwargs or keyword-only parameters")
    names = [a.arg for a in fn.args.args]
    types = [ht.parse_hint(a.annotation) for a in fn.args.args]
    returns = ht.parse_hint(fn.returns)
    for i, case in enumerate(cases):
        if len(case.args) != len(names):
            raise Untranslatable(f"test {i + 1} passes {len(case.args)} arguments to {len(names)} parameters")
        types = [ht.unify(t, ht.type_of(literal(a))) for t, a in zip(types, case.args)]
        expected = ht.type_of(literal(case.expected))
        returns = ht.unify(returns, ht.FLOAT if case.tolerance is not None else expected)
    doc = ast.get_docstring(fn) or ""
    return Signature(problem.entry_point, tuple(zip(names, types)), returns, doc)


def _doctests(lines: list[str], sig: Signature, lang: str, name: str) -> list[str]:
    """Rewrite ``>>> f(args)`` and its expected-value line in ``lang``'s syntax where both are literals.

    MultiPL-E shows the model examples in the target language; an example that does not parse as
    a literal call (or whose output is not a literal) is left as Python.
    """
    def call_text(src: str) -> str:
        call = ast.parse(src.strip(), mode="eval").body
        if not (isinstance(call, ast.Call) and isinstance(call.func, ast.Name)
                and call.func.id == sig.name and len(call.args) == len(sig.params) and not call.keywords):
            raise Untranslatable("not a call of the entry point")
        return f"{name}({', '.join(render(lang, literal(a), t) for a, (_, t) in zip(call.args, sig.params))})"

    out, i = [], 0
    while i < len(lines):
        inline = re.match(r"^(\s*)(\w+\(.*?\))\s*(==>|==|➞|=>|->|→)\s*(.+?)\s*$", lines[i])
        if inline and inline.group(2).startswith(sig.name + "("):  # f(x) == y, f(x) ➞ y, ...
            try:
                value = render(lang, literal(ast.parse(inline.group(4), mode="eval").body), sig.returns)
                out.append(f"{inline.group(1)}{call_text(inline.group(2))} {inline.group(3)} {value}")
                i += 1
                continue
            except (SyntaxError, Untranslatable):
                pass
        m = re.match(r"^(\s*)>>> (.*)$", lines[i])
        if m:
            try:
                new = [f"{m.group(1)}>>> {call_text(m.group(2))}"]
                nxt = lines[i + 1] if i + 1 < len(lines) else ""
                if nxt.strip() and not nxt.strip().startswith(">>>"):
                    value = literal(ast.parse(nxt.strip(), mode="eval").body)
                    indent = nxt[: len(nxt) - len(nxt.lstrip())]
                    new.append(indent + render(lang, value, sig.returns))
                out.extend(new)
                i += len(new)
                continue
            except (SyntaxError, Untranslatable):
                pass
        out.append(lines[i])
        i += 1
    return out


def require_static(sig: Signature) -> None:
    """Raise :class:`Untranslatable` naming the parameter or return type a static language cannot write."""
    for p, t in sig.params:
        ht.require_static(t, f"parameter `{p}`")
    ht.require_static(sig.returns, "the return value")


def doc_comment(sig: Signature, lang: str, name: str, prefix: str, indent: str = "") -> str:
    """The docstring as line comments: examples in ``lang``, the Python name replaced by ``name``."""
    lines = _doctests(sig.doc.strip("\n").split("\n"), sig, lang, name)
    text = re.sub(rf"\b{re.escape(sig.name)}\b", name, "\n".join(lines))
    return "".join(f"{indent}{prefix} {ln}".rstrip() + "\n" for ln in text.split("\n"))


def default_value(t: ht.Type) -> object:
    """A value of type ``t`` that is almost never the right answer: 0, 0.0, False, "", [], {}, None."""
    k = t.kind
    if k == "tuple":
        return tuple(default_value(a) for a in t.args)
    return {"int": 0, "float": 0.0, "bool": False, "str": "", "list": [], "dict": {}}.get(k)


def _emitters() -> dict[str, Emitter]:
    from codescale_jax.eval.humaneval_go_rust import GoEmitter, RustEmitter
    from codescale_jax.eval.humaneval_java_csharp import CSharpEmitter, JavaEmitter
    from codescale_jax.eval.humaneval_js_ts import JavaScriptEmitter, TypeScriptEmitter
    return {"java": JavaEmitter(), "javascript": JavaScriptEmitter(), "typescript": TypeScriptEmitter(),
            "csharp": CSharpEmitter(), "go": GoEmitter(), "rust": RustEmitter()}


def emitter(language: str) -> Emitter:
    table = _emitters()
    if language not in table:
        raise ValueError(f"no HumanEval translator for {language!r}; use one of {', '.join(table)}")
    return table[language]


def _resolve(problem: Problem) -> tuple[Signature, list[Case]]:
    if problem.task_id in INT_FLOAT_SENSITIVE:
        raise Untranslatable(INT_FLOAT_SENSITIVE[problem.task_id])
    fn = entry_function(problem)
    cases = extract_cases(problem)
    return signature(problem, fn, cases), cases


def translate(problem: Problem, language: str) -> dict:
    """The task for ``language`` (``python``: the problem as shipped); raises :class:`Untranslatable`."""
    if language == "python":
        return python_task(problem)
    em = emitter(language)
    sig, cases = _resolve(problem)
    return {"task_id": problem.task_id, "language": language, "prompt": em.prompt(sig),
            "tests": em.tests(sig, cases), "stop": list(em.stop), "entry_point": em.function_name(sig.name)}


def default_completion(problem: Problem, language: str) -> str:
    """A body that compiles and returns a default value: a trivially wrong answer for checking tests."""
    if language == "python":
        return "    return None\n"
    sig, _ = _resolve(problem)
    return emitter(language).default_completion(sig)


def program(task: dict, completion: str) -> str:
    """The whole program for one sample: prompt, completion cut at the first stop sequence, tests."""
    cut = len(completion)
    for s in task["stop"]:
        i = completion.find(s)
        if i != -1:
            cut = min(cut, i)
    return task["prompt"] + completion[:cut] + task["tests"]


def translate_all(problems: list[Problem], languages: tuple[str, ...] = ("python",) + TRANSLATED
                  ) -> tuple[dict[str, list[dict]], dict[str, dict[str, str]]]:
    """``(tasks per language, {language: {task_id: reason dropped}})``."""
    tasks: dict[str, list[dict]] = {lang: [] for lang in languages}
    dropped: dict[str, dict[str, str]] = {lang: {} for lang in languages}
    for p in problems:
        for lang in languages:
            try:
                tasks[lang].append(translate(p, lang))
            except Untranslatable as e:
                dropped[lang][p.task_id] = str(e)
    return tasks, dropped
