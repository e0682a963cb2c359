"""The Pass@1 task form: the reference solution passes its tests; a wrong answer fails them."""

from __future__ import annotations

import dataclasses
import json

import pytest

from codescale_jax.data.synthetic.generate import generate_programs
from codescale_jax.data.synthetic.tasks import make_task, make_tasks, write_tasks_jsonl

LANGS = ("python", "javascript", "typescript")


def test_task_parts_fit_together():
    program = generate_programs(1, seed=9)[0]
    for lang in LANGS:
        task = make_task(program, lang)
        assert task.program() == task.prompt + task.solution + task.tests
        assert task.entry_point in task.prompt and task.solution.strip()
        assert task.solution not in task.prompt
        assert len(task.expected) == len(program.cases)
    docs = {lang: make_task(program, lang).prompt for lang in LANGS}
    first_words = program.entry.doc.split()[:3]
    assert all(" ".join(first_words) in d for d in docs.values())


def test_tasks_jsonl_round_trip(tmp_path):
    tasks = make_tasks(generate_programs(2, seed=1), ["py", "ts"])
    assert [t.task_id for t in tasks] == ["synthetic/0/python", "synthetic/0/typescript",
                                          "synthetic/1/python", "synthetic/1/typescript"]
    path = tmp_path / "tasks.jsonl"
    write_tasks_jsonl(tasks, str(path))
    rows = [json.loads(line) for line in path.read_text().splitlines()]
    assert rows[1]["language"] == "typescript" and rows[1]["prompt"] == tasks[1].prompt


@pytest.mark.toolchain
def test_reference_passes_and_wrong_answer_fails():
    from codescale_jax.eval.runners import run_many

    programs = generate_programs(3, seed=13)
    samples = []
    for i, p in enumerate(programs):
        for lang in LANGS:
            task = make_task(p, lang)
            samples.append({"id": f"ok:{i}:{lang}", "language": lang, "program": task.program()})
            wrong = list(task.expected)
            wrong[0] = wrong[0] + "0" if not wrong[0].endswith('"') else wrong[0][:-1] + 'x"'
            bad = make_task(p, lang)
            bad = dataclasses.replace(bad, tests=bad.tests.replace(json.dumps(task.expected[0])[1:-1],
                                                                   json.dumps(wrong[0])[1:-1], 1)
                                      if lang != "python" else bad.tests.replace(repr(task.expected[0]),
                                                                                 repr(wrong[0]), 1))
            assert bad.tests != task.tests
            samples.append({"id": f"bad:{i}:{lang}", "language": lang, "program": bad.program()})
    records = run_many(samples, workers=2)
    for r in records:
        want = "passed" if r["id"].startswith("ok:") else "failed"
        assert r["status"] == want, (r["id"], r["stdout"], r["stderr"])


def test_specification_states_every_step_in_each_languages_spelling():
    from codescale_jax.data.synthetic import english, ir
    from codescale_jax.data.synthetic.generate import GenConfig

    programs = generate_programs(30, seed=6, config=GenConfig(4, 4))
    for p in programs:
        entry = p.entry
        steps = english.stmts(entry.body)
        n_else = sum(1 for s in ir.walk_stmts(entry.body) if isinstance(s, ir.If) and s.orelse)
        assert len(steps) == len(list(ir.walk_stmts(entry.body))) + n_else
        spec = english.specification(entry, (p.cases[0], "0"))
        assert "*/" not in spec and "\\" not in spec  # safe inside every comment syntax
        for lang in LANGS:
            prompt = make_task(p, lang).prompt
            assert "Steps (indexes start at 0" in prompt and "Example: with " in prompt
    camel = next(p for p in programs if any("_" in q.name for q in p.entry.params))
    snake = next(q.name for q in camel.entry.params if "_" in q.name)
    assert f"`{snake}`" in make_task(camel, "python").prompt
    js_name = snake.split("_")[0] + "".join(w.title() for w in snake.split("_")[1:])
    assert f"`{js_name}`" in make_task(camel, "javascript").prompt
