"""HumanEval loading, test-case extraction, types, values and translation (no compilers needed)."""

import ast

import pytest

from codescale_jax.eval import humaneval_types as ht
from codescale_jax.eval.humaneval import (Problem, Untranslatable, extract_cases, load_problems,
                                          python_program, python_task)
from codescale_jax.eval.humaneval_translate import (TRANSLATED, camel, default_completion, pascal, program,
                                                    snake, translate, translate_all)
from codescale_jax.eval.humaneval_values import literal, render


@pytest.fixture(scope="module")
def problems():
    return load_problems()


@pytest.fixture(scope="module")
def translated(problems):
    return translate_all(problems)


def _problem(test: str, prompt: str = "def f(x: int) -> int:\n    \"\"\"Doc of f.\"\"\"\n") -> Problem:
    return Problem("T/0", prompt, "    return x\n", test, "f")


def _expr(src: str) -> ast.expr:
    return ast.parse(src, mode="eval").body


def test_load_shipped_problems(problems):
    assert len(problems) == 164
    assert len({p.task_id for p in problems}) == 164
    assert problems[0].task_id == "HumanEval/0" and problems[0].entry_point == "has_close_elements"


def test_python_task_is_the_problem_as_shipped(problems):
    p = problems[13]
    task = python_task(p)
    assert task["prompt"] == p.prompt
    assert task["tests"].rstrip().endswith(f"check({p.entry_point})")
    assert python_program(p, p.canonical_solution).startswith(p.prompt + p.canonical_solution)


def test_extract_cases_shapes():
    test = ("def check(candidate):\n    assert candidate(1) == 2\n    assert candidate(2)\n"
            "    assert not candidate(3)\n    assert abs(candidate(4) - 0.5) < 1e-6\n    assert True\n"
            "    assert tuple(candidate(5)) == tuple([1, 2])\n    assert candidate(6) is None\n"
            "    assert candidate(7) == f(7)\n")
    cases = extract_cases(_problem(test))
    assert [literal(c.args[0]) for c in cases] == [1, 2, 3, 4, 5, 6]  # assert True, == f(7) ignored
    assert [literal(c.expected) for c in cases] == [2, True, False, 0.5, [1, 2], None]
    assert cases[3].tolerance == 1e-6 and cases[0].tolerance is None


@pytest.mark.parametrize("body", ["    for i in range(3):\n        assert candidate(i) == i\n",
                                  "    import random\n", "    assert candidate(1) > 0\n", "    pass\n"])
def test_extract_cases_rejects_non_value_checks(body):
    with pytest.raises(Untranslatable):
        extract_cases(_problem("def check(candidate):\n" + body))


def test_literal_folds_constants_and_never_evaluates():
    assert literal(_expr("3 * 19")) == 57
    assert literal(_expr("'ab' + 'c'")) == "abc"
    assert literal(_expr("[1, -2.5, (3, 'x')]")) == [1, -2.5, (3, "x")]
    assert literal(_expr("{'a': 1}")) == {"a": 1}
    for src in ("__import__('os').getcwd()", "x", "2 ** 100000", "1 / 0", "[1] * 3"):
        with pytest.raises(Untranslatable):
            literal(_expr(src))


def test_parse_hint_and_unify():
    assert ht.parse_hint(_expr("List[Tuple[int, str]]")) == ht.List(ht.Tuple(ht.INT, ht.STR))
    assert ht.parse_hint(_expr("Optional[Dict[str, float]]")) == ht.Optional(ht.Dict(ht.STR, ht.FLOAT))
    assert ht.parse_hint(_expr("list")) == ht.List(ht.UNKNOWN)
    assert ht.parse_hint(None) == ht.UNKNOWN
    assert ht.unify(ht.INT, ht.FLOAT) == ht.FLOAT
    assert ht.unify(ht.NONE, ht.STR) == ht.Optional(ht.STR)
    assert ht.unify(ht.type_of([]), ht.type_of([1, 2])) == ht.List(ht.INT)
    assert ht.unify(ht.type_of(()), ht.type_of(("a", "b"))) == ht.List(ht.STR)
    assert ht.unify(ht.INT, ht.STR) == ht.ANY
    assert ht.unify(ht.BOOL, ht.INT) == ht.ANY
    with pytest.raises(Untranslatable):
        ht.type_name("java", ht.List(ht.ANY))
    with pytest.raises(Untranslatable):
        ht.type_name("rust", ht.List(ht.UNKNOWN))
    assert ht.type_name("typescript", ht.List(ht.ANY)) == "any[]"


@pytest.mark.parametrize("lang,value,typ,want", [
    ("java", [1, 2], ht.List(ht.INT), "new ArrayList<Long>(Arrays.asList(1L, 2L))"),
    ("java", [], ht.List(ht.STR), "new ArrayList<String>()"),
    ("java", (1, 2.0), ht.Tuple(ht.INT, ht.FLOAT), "Map.entry(1L, 2.0)"),
    ("java", None, ht.Optional(ht.STR), "Optional.empty()"),
    ("csharp", {"a": 1}, ht.Dict(ht.STR, ht.INT), 'new Dictionary<string, long> {{"a", 1L}}'),
    ("csharp", 3, ht.Optional(ht.INT), "new long?(3L)"),
    ("go", (1, 2), ht.Tuple(ht.INT, ht.INT), "[2]int{1, 2}"),
    ("go", 3, ht.FLOAT, "3.0"),
    ("go", "x", ht.Optional(ht.STR), 'ptrTo("x")'),
    ("go", None, ht.Optional(ht.STR), "(*string)(nil)"),
    ("rust", ["a"], ht.List(ht.STR), 'vec![String::from("a")]'),
    ("rust", {"k": [1.5]}, ht.Dict(ht.STR, ht.List(ht.FLOAT)), 'HashMap::from([(String::from("k"), vec![1.5])])'),
    ("rust", None, ht.Optional(ht.INT), "None"),
    ("javascript", (None, 1), ht.Tuple(ht.Optional(ht.INT), ht.INT), "[undefined, 1]"),
    ("typescript", "é\n\"", ht.STR, '"\\u00e9\\n\\""'),
    ("java", "é\"", ht.STR, '"\\u00e9\\""'),
    ("rust", "é", ht.STR, 'String::from("\\u{e9}")'),
])
def test_render_literals(lang, value, typ, want):
    assert render(lang, value, typ) == want


def test_render_rejects_what_cannot_be_written():
    with pytest.raises(Untranslatable):
        render("java", 1 << 70, ht.INT)
    with pytest.raises(Untranslatable):
        render("go", "x", ht.INT)
    with pytest.raises(Untranslatable):
        render("javascript", {1: "a"}, ht.Dict(ht.INT, ht.STR))


def test_names():
    assert camel("has_close_elements") == "hasCloseElements"
    assert camel("Strongest_Extension") == "strongestExtension"
    assert pascal("digitSum") == "DigitSum"
    assert snake("minSubArraySum") == "min_sub_array_sum"
    assert snake("Strongest_Extension") == "strongest_extension"


def test_kept_per_language(translated):
    tasks, dropped = translated
    kept = {lang: len(rows) for lang, rows in tasks.items()}
    assert kept["python"] == 164
    for lang in TRANSLATED:
        assert 148 <= kept[lang] <= 164, (lang, kept[lang], dropped[lang])
        assert kept[lang] + len(dropped[lang]) == 164
        assert all(reason for reason in dropped[lang].values())
    # JavaScript needs no static types: a problem over mixed values stays there, not in Java.
    assert "HumanEval/22" in dropped["java"] and "HumanEval/22" not in dropped["javascript"]
    # A helper function in the prompt (its body would need translating) drops the problem everywhere.
    assert all("HumanEval/10" in dropped[lang] for lang in TRANSLATED)


def test_task_fields_and_stop(translated):
    tasks, _ = translated
    for lang, rows in tasks.items():
        for task in rows:
            assert set(task) == {"task_id", "language", "prompt", "tests", "stop", "entry_point"}
            assert task["language"] == lang and task["stop"]
            if lang != "python":
                assert task["entry_point"] in task["prompt"]
                # The completion is cut where the function's closing brace would be; the tests write
                # that brace back, so a body cut at the stop sequence still makes a whole program.
                assert task["tests"].startswith(task["stop"][0])
                assert task["prompt"].rstrip().endswith("{")


def test_java_task_text(problems):
    task = translate(problems[13], "java")
    assert "public static long greatestCommonDivisor(long a, long b) {" in task["prompt"]
    assert "    // Return a greatest common divisor of two integers a and b" in task["prompt"]
    assert "expect(Objects.equals(greatestCommonDivisor(3L, 7L), 1L), 1);" in task["tests"]


def test_rust_typed_expected_and_tolerance(problems):
    task = translate(problems[2], "rust")  # truncate_number: == and abs(...) < 1e-6 checks
    assert "fn truncate_number(number: f64) -> f64 {" in task["prompt"]
    assert "let expected: f64 = 0.5;" in task["tests"]
    assert "assert!((truncate_number(1.33) - 0.33).abs() < 1e-06" in task["tests"]


def test_program_cuts_at_first_stop(problems):
    task = translate(problems[13], "go")
    prog = program(task, "\treturn a\n}\n\nfunc extra() {}\n")
    assert prog == task["prompt"] + "\treturn a" + task["tests"]
    assert default_completion(problems[13], "go") == "\treturn 0"


def test_docstring_examples_in_target_syntax(problems):
    java = translate(problems[0], "java")["prompt"]
    assert "    // >>> hasCloseElements(new ArrayList<Double>(Arrays.asList(1.0, 2.0, 3.0)), 0.5)\n    // false\n" in java
    go = translate(problems[111], "go")["prompt"]
    assert '// histogram("a b b a") == map[string]int{"a": 2, "b": 2}\n' in go
    rust = translate(problems[72], "rust")["prompt"]
    assert "/// will_it_fly(vec![3, 2, 3], 9) ➞ true\n" in rust
    # ("Venus") is a str in Python, not a tuple: an example that does not fit the type stays Python.
    ts = translate(problems[148], "typescript")["prompt"]
    assert '// bf("Earth", "Mercury") ==> ("Venus")\n' in ts
    assert '// bf("Jupiter", "Neptune") ==> ["Saturn", "Uranus"]\n' in ts
