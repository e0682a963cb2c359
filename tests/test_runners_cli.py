"""experiments.run_samples: JSONL in, JSONL out, status table with the totals line last."""

import json

import pytest

from codescale_jax.eval import runners
from experiments import run_samples

pytestmark = pytest.mark.toolchain


@pytest.fixture(autouse=True)
def generous_deadline(monkeypatch):
    monkeypatch.setattr(runners, "DEFAULT_RUN_TIMEOUT_S", 60.0)


def _write(path, rows):
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))


def test_cli_counts_and_writes_results(tmp_path, capsys):
    src, out = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    _write(src, [
        {"id": "ok", "language": "python", "program": "print(2 + 2)", "problem": "p0"},
        {"id": "bad", "language": "py", "program": "raise SystemExit(4)", "problem": "p0"},
        {"id": "slow", "language": "javascript", "program": "while (true) {}"},
        {"id": "broken", "language": "rust", "program": "fn main() { let x: u8 = \"s\"; }"},
        {"id": "nolang", "language": "fortran", "program": "x"},
    ])
    # 8 s: the endless loop must time out, the others finish far sooner even on a loaded box
    assert run_samples.main([str(src), "--out", str(out), "--timeout", "8"]) == 0
    lines = capsys.readouterr().out.strip().split("\n")
    assert lines[-1] == "passed=1 failed=1 timeout=1 error=2"
    recs = [json.loads(x) for x in out.read_text().splitlines()]
    assert [r["id"] for r in recs] == ["ok", "bad", "slow", "broken", "nolang"]
    assert [r["status"] for r in recs] == ["passed", "failed", "timeout", "error", "error"]
    assert recs[0]["stdout"] == "4\n" and recs[0]["problem"] == "p0"
    assert recs[1]["language"] == "python" and recs[1]["exit_code"] == 4
    assert "program" not in recs[0]


def test_cli_rejects_bad_input(tmp_path, capsys):
    src = tmp_path / "in.jsonl"
    src.write_text('{"id": 1, "language": "python", "program": "print(1)"}\nnot json\n')
    assert run_samples.main([str(src), "--out", str(tmp_path / "o.jsonl")]) == 2
    assert "in.jsonl:2" in capsys.readouterr().err
    assert run_samples.main([str(tmp_path / "missing.jsonl"), "--out", str(tmp_path / "o.jsonl")]) == 2


def test_cli_empty_input(tmp_path, capsys):
    src = tmp_path / "in.jsonl"
    src.write_text("")
    assert run_samples.main([str(src), "--out", str(tmp_path / "o.jsonl")]) == 0
    assert capsys.readouterr().out.strip().split("\n")[-1] == "passed=0 failed=0 timeout=0 error=0"


def test_cli_smoke_programs_all_pass(tmp_path, capsys):
    out = tmp_path / "o.jsonl"
    assert run_samples.main(["--smoke", "2", "--languages", "python,go", "--out", str(out)]) == 0
    assert capsys.readouterr().out.strip().split("\n")[-1] == "passed=4 failed=0 timeout=0 error=0"
    recs = [json.loads(x) for x in out.read_text().splitlines()]
    assert [r["stdout"] for r in recs] == ["5050\n", "5151\n", "5050\n", "5151\n"]
    assert run_samples.main(["--smoke", "1", "--languages", "english", "--out", str(out)]) == 2
    assert run_samples.main(["--out", str(out)]) == 2
