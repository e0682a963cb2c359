"""The results store: runs directories and CSVs in, validated rows out; clear errors on bad input."""

import json

import pytest

from codescale_jax.study.results import ResultsError, by_language, load_results, write_csv


def _run(tmp_path, name, obj):
    d = tmp_path / "runs" / name
    d.mkdir(parents=True)
    (d / "result.json").write_text(json.dumps(obj))


def test_runs_directory_rows_and_nested_rows(tmp_path):
    _run(tmp_path, "a", {"run_id": "a", "language": "py", "mixture": {"python": 1.0}, "params": 1e6,
                         "tokens": 1e8, "loss": 1.2, "seed": 0})
    _run(tmp_path, "sub/b", {"rows": [
        {"language": "java", "mixture": {"java": 0.5, "go": 0.5}, "params": 2e6, "tokens": 2e8, "loss": 1.1},
        {"language": "golang", "mixture": {"java": 0.5, "go": 0.5}, "params": 2e6, "tokens": 2e8, "loss": 1.0}]})
    rows = load_results(tmp_path / "runs")
    assert len(rows) == 3
    langs = by_language(rows)
    assert set(langs) == {"python", "java", "go"}
    assert langs["java"][0]["run_id"] == "b"  # run directory name when the row has no run_id
    assert langs["java"][0]["run_id"] == langs["go"][0]["run_id"]
    assert isinstance(rows[0]["params"], float)


def test_csv_without_language_or_run_id(tmp_path):
    p = tmp_path / "r.csv"
    p.write_text("params,tokens,loss\n1e6,1e8,2.0\n2e6,1e8,1.9\n")
    rows = load_results(p)
    assert [r["language"] for r in rows] == ["all", "all"]
    assert rows[0]["run_id"] != rows[1]["run_id"]


def test_csv_round_trip(tmp_path):
    rows = [{"run_id": "x", "language": "rust", "mixture": {"rust": 1.0}, "params": 3e6, "tokens": 5e8,
             "loss": 0.9, "extra": 7}]
    write_csv(rows, tmp_path / "o.csv")
    back = load_results(tmp_path / "o.csv")
    assert back[0]["language"] == "rust" and back[0]["params"] == 3e6 and back[0]["run_id"] == "x"
    assert json.loads(back[0]["mixture"]) == {"rust": 1.0}
    assert back[0]["extra"] == "7"


@pytest.mark.parametrize("text,match", [
    ("params,tokens\n1,2\n", "missing column"),
    ("language,params,tokens,loss\npython,1e6,1e8,nan\n", "NaN"),
    ("language,params,tokens,loss\npython,-1,1e8,1.0\n", "must be positive"),
    ("language,params,tokens,loss\npython,0,1e8,1.0\n", "must be positive"),
    ("language,params,tokens,loss\npython,abc,1e8,1.0\n", "not a number"),
    ("language,params,tokens,loss\n", "no data rows"),
])
def test_bad_csv_is_a_clear_error(tmp_path, text, match):
    p = tmp_path / "bad.csv"
    p.write_text(text)
    with pytest.raises(ResultsError, match=match):
        load_results(p)


def test_bad_runs_dir(tmp_path):
    (tmp_path / "empty").mkdir()
    with pytest.raises(ResultsError, match="no result.json"):
        load_results(tmp_path / "empty")
    _run(tmp_path, "x", {"language": "python", "params": 1e6, "tokens": 1e8})
    with pytest.raises(ResultsError, match="loss"):
        load_results(tmp_path / "runs")
    with pytest.raises(ResultsError, match="no such file"):
        load_results(tmp_path / "nope.csv")
