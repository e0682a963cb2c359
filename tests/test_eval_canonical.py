"""The harness self-check: reference solutions pass, empty and wrong completions do not."""

from __future__ import annotations

import pytest

from codescale_jax import languages
from codescale_jax.eval import suites

pytestmark = pytest.mark.toolchain


def test_synthetic_references_pass_and_empty_or_wrong_fail_in_every_language():
    tasks = suites.synthetic_tasks(n_programs=60, seed=0, limit=2)
    assert {t["language"] for t in tasks} == set(languages.CODE_LANGUAGES)
    res = suites.canonical_suite(tasks, workers=2)
    assert res["problems"] == [] and res["ok"]
    for lang in languages.CODE_LANGUAGES:
        cells = res["languages"][lang]
        assert cells["reference"] == {"passed": 2, "total": 2}
        assert cells["empty"] == {"passed": 0, "total": 2}
        assert cells["wrong"] == {"passed": 0, "total": 2}


def test_a_broken_reference_is_reported():
    [task] = suites.synthetic_tasks(n_programs=60, seed=0, langs=["python"], limit=2)[:1]
    broken = dict(task, solution=task["wrong"], wrong=None)
    res = suites.canonical_suite([broken], workers=1)
    assert not res["ok"]
    assert [p["id"] for p in res["problems"]] == [f"{task['task_id']}#reference"]


def test_humaneval_python_sample_of_problems():
    tasks, report = suites.humaneval_tasks(["python"])
    assert report["python"]["kept"] == 164 and len(tasks) == 164
    res = suites.canonical_suite(tasks[:5], workers=2)
    assert res["ok"], res["problems"]
    assert res["languages"]["python"]["reference"] == {"passed": 5, "total": 5}
