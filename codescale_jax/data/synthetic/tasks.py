"""The Pass@1 form of a synthetic program: prompt, reference solution and tests, per language.

For each program and language: ``prompt`` holds the helper functions (complete) and the entry
function's doc comment (its summary, the algorithm step by step in English and one worked
example, :mod:`.english`) and signature; ``solution`` is the entry's body (the reference completion);
``tests`` calls the entry on every case and compares the canonical text of each result with the
expected text (deep equality of lists and maps, floats to 6 decimals), exiting non-zero on the
first mismatch. ``prompt + completion + tests`` is the whole program a sandbox runs. The English
doc is the same in every language; only the comment syntax and identifier spelling differ.
"""

from __future__ import annotations

import dataclasses
from typing import Iterable, Sequence

from codescale_jax import io_utils, languages
from codescale_jax.data.synthetic import english, ir
from codescale_jax.data.synthetic.interpret import expected_output


@dataclasses.dataclass(frozen=True)
class Task:
    task_id: str
    language: str
    entry_point: str
    prompt: str
    solution: str
    tests: str
    expected: tuple[str, ...]

    def program(self, completion: str | None = None) -> str:
        """The checking program for ``completion`` (the reference solution when None)."""
        return self.prompt + (self.solution if completion is None else completion) + self.tests

    def to_json(self) -> dict:
        return dataclasses.asdict(self) | {"expected": list(self.expected)}


def specified(program: ir.Program, expected: Sequence[str]) -> ir.Program:
    """``program`` with the entry's doc replaced by its step-by-step English specification and
    the first case as a worked example (see :mod:`.english`), so a task is solvable from its
    prompt alone."""
    entry = program.entry
    doc = english.specification(entry, (program.cases[0], expected[0]))
    return dataclasses.replace(program, functions=program.functions[:-1] + (dataclasses.replace(entry, doc=doc),))


def make_task(program: ir.Program, language: str, task_id: str | None = None) -> Task:
    """The task of ``program`` in ``language``."""
    from codescale_jax.data.synthetic import get_renderer

    lang = languages.canonical(language)
    renderer = get_renderer(lang)
    expected = tuple(expected_output(program).splitlines())
    src = renderer.render_task(specified(program, expected), list(expected))
    return Task(task_id or f"synthetic/{program.seed}/{lang}", lang, renderer.func_name(program.entry.name),
                src.prompt, src.solution, src.tests, expected)


def make_tasks(programs: Sequence[ir.Program], langs: Iterable[str]) -> list[Task]:
    """One task per program and language, program-major; ids ``synthetic/<i>/<language>``."""
    langs = languages.parse_list(list(langs))
    return [make_task(p, lang, f"synthetic/{i}/{lang}") for i, p in enumerate(programs) for lang in langs]


def write_tasks_jsonl(tasks: Sequence[Task], path: str) -> None:
    """All tasks as JSON lines, written atomically."""
    import json
    io_utils.atomic_write_text(path, "".join(json.dumps(t.to_json()) + "\n" for t in tasks))
