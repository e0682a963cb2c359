"""The verifier's bookkeeping (with a fake runner) and the verify_synthetic entry point."""

from __future__ import annotations

import json
import os

import pytest

from codescale_jax.data import synthetic
from codescale_jax.data.synthetic.generate import generate_programs
from codescale_jax.data.synthetic.verify import verify_programs


def _fake_runner(break_lang=None, break_index=None):
    def run_many(samples, workers=2, timeout_s=None, progress=False):
        out = []
        for s in samples:
            i, lang = s["id"].split(":")
            text = synthetic.expected_output(PROGRAMS[int(i)])
            if lang == break_lang and int(i) == break_index:
                text = text.replace("\n", " \n", 1)
            out.append({"id": s["id"], "language": lang, "status": "passed", "exit_code": 0,
                        "phase": "run", "stdout": text, "stderr": "", "wall_s": 0.0, "note": ""})
        return out
    return run_many


PROGRAMS = generate_programs(6, seed=4)


def test_agreement_counts_and_disagreements_are_saved(tmp_path):
    report = verify_programs(PROGRAMS, ("python", "javascript"), run_many=_fake_runner("javascript", 2),
                             out_dir=str(tmp_path))
    assert report.agreement == pytest.approx(5 / 6)
    assert report.oracle_agreement("python") == 1.0
    assert report.oracle_agreement("javascript") == pytest.approx(5 / 6)
    saved = sorted(os.listdir(tmp_path))
    assert saved == ["program_00002", "summary.json"]
    files = set(os.listdir(tmp_path / "program_00002"))
    assert {"program.txt", "program.json", "expected.out", "python.py", "javascript.js", "javascript.out",
            "javascript.err"} <= files
    saved_program = synthetic.program_from_json((tmp_path / "program_00002" / "program.json").read_text())
    assert saved_program == PROGRAMS[2]
    assert json.loads((tmp_path / "summary.json").read_text())["disagreements"] == [2]


def test_unknown_language_is_a_clear_error():
    from codescale_jax.languages import UnknownLanguageError
    with pytest.raises(UnknownLanguageError):
        verify_programs(PROGRAMS, ("python", "cobol"), run_many=_fake_runner())
    with pytest.raises(UnknownLanguageError, match="not a programming language"):
        synthetic.get_renderer("english")


@pytest.mark.toolchain
def test_entry_point_names_the_compared_languages(tmp_path, capsys):
    from experiments import verify_synthetic
    rc = verify_synthetic.main(["--programs", "3", "--seed", "5", "--languages", "python,js",
                                "--out", str(tmp_path)])
    last = capsys.readouterr().out.strip().splitlines()[-1]
    assert rc == 0
    assert last == "agreement=1.0000 (2 of 7 languages: python,javascript)"


def test_entry_point_rejects_languages_without_renderer(monkeypatch):
    from experiments import verify_synthetic
    monkeypatch.setattr(synthetic, "available_languages", lambda: ("python",))
    with pytest.raises(SystemExit, match="no renderer for javascript"):
        verify_synthetic.main(["--programs", "1", "--languages", "python,javascript"])
    with pytest.raises(SystemExit, match="size"):
        verify_synthetic.main(["--programs", "1", "--languages", "python", "--size", "9"])


def test_entry_point_reports_missing_toolchains(monkeypatch):
    from codescale_jax.eval import runners
    from experiments import verify_synthetic

    def no_toolchain(langs):
        raise runners.ToolchainError("missing toolchains (typescript: tsc); run `bash scripts/install_toolchains.sh`")

    monkeypatch.setattr(runners, "check_toolchains", no_toolchain)
    with pytest.raises(SystemExit, match="install_toolchains"):
        verify_synthetic.main(["--programs", "1", "--languages", "python,ts"])


def test_program_json_round_trip_and_errors():
    from codescale_jax.data.synthetic.generate import GenConfig
    programs = PROGRAMS + generate_programs(10, seed=4, config=GenConfig(5, 5))
    for p in programs:
        assert synthetic.program_from_json(synthetic.program_to_json(p)) == p
    with pytest.raises(ValueError, match="not JSON"):
        synthetic.program_from_json("{")
    with pytest.raises(ValueError, match="format"):
        synthetic.program_from_json('{"program": {}}')
    with pytest.raises(ValueError, match="unknown node"):
        synthetic.program_from_json('{"format": 1, "program": {"node": "Goto"}}')
