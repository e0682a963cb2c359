"""Verification by execution: render programs, run them with the real toolchains, compare outputs.

Every (program, language) pair goes through the project's sandboxed runner
(:func:`codescale_jax.eval.runners.run_many`). A program *agrees* when every compared language
compiled, ran, exited 0 and printed byte-identical stdout. Each language's stdout is also compared
with the reference interpreter's expected output (the oracle), so a renderer that is wrong in the
same way as another is still caught. Disagreements are saved for debugging, one directory per
program: the IR (``program.txt``, and ``program.json`` for :mod:`.serialize`), the generator seed, each language's source, stdout and stderr,
and the expected output.
"""

from __future__ import annotations

import dataclasses
import json
import os
import sys
import time
from typing import Callable, Sequence

from codescale_jax import io_utils, languages
from codescale_jax.data.synthetic import ir
from codescale_jax.data.synthetic.interpret import expected_output
from codescale_jax.data.synthetic.serialize import program_to_json

RunMany = Callable[..., list[dict]]


@dataclasses.dataclass
class ProgramOutcome:
    index: int
    seed: str
    expected: str
    stdout: dict[str, str]
    status: dict[str, str]

    @property
    def agree(self) -> bool:
        """All languages passed and printed the same text."""
        return all(s == "passed" for s in self.status.values()) and len(set(self.stdout.values())) == 1

    def matches_oracle(self, lang: str) -> bool:
        return self.status[lang] == "passed" and self.stdout[lang] == self.expected


@dataclasses.dataclass
class VerifyReport:
    languages: tuple[str, ...]
    outcomes: list[ProgramOutcome]
    wall_s: float
    saved_to: str | None = None

    @property
    def agreement(self) -> float:
        """Fraction of programs whose output is identical in every compared language."""
        return sum(o.agree for o in self.outcomes) / max(len(self.outcomes), 1)

    def oracle_agreement(self, lang: str) -> float:
        return sum(o.matches_oracle(lang) for o in self.outcomes) / max(len(self.outcomes), 1)

    def status_counts(self, lang: str) -> dict[str, int]:
        counts: dict[str, int] = {}
        for o in self.outcomes:
            counts[o.status[lang]] = counts.get(o.status[lang], 0) + 1
        return counts

    def summary(self) -> dict:
        return {
            "languages": list(self.languages),
            "programs": len(self.outcomes),
            "agreement": self.agreement,
            "oracle_agreement": {lang: self.oracle_agreement(lang) for lang in self.languages},
            "status": {lang: self.status_counts(lang) for lang in self.languages},
            "disagreements": [o.index for o in self.outcomes if not o.agree],
            "wall_s": round(self.wall_s, 2),
            "saved_to": self.saved_to,
        }


def _default_runner() -> RunMany:
    from codescale_jax.eval.runners import run_many
    return run_many


def verify_programs(programs: Sequence[ir.Program], langs: Sequence[str] | None = None, *,
                    workers: int = 2, timeout_s: float | None = None, out_dir: str | None = None,
                    progress: bool = False, run_many: RunMany | None = None) -> VerifyReport:
    """Run every program in every language of ``langs`` (default: all with a renderer)."""
    from codescale_jax.data.synthetic import available_languages, get_renderer

    langs = tuple(languages.parse_list(langs)) if langs else available_languages()
    renderers = {lang: get_renderer(lang) for lang in langs}  # unknown/unavailable: clear error now
    runner = run_many or _default_runner()
    t0 = time.monotonic()
    samples, sources, expected = [], {}, []
    for i, program in enumerate(programs):
        expected.append(expected_output(program))
        for lang in langs:
            src = renderers[lang].render_program(program)
            sources[(i, lang)] = src
            samples.append({"id": f"{i}:{lang}", "language": lang, "program": src})
    if progress:
        print(f"[verify] {len(programs)} programs x {len(langs)} languages = {len(samples)} runs",
              file=sys.stderr, flush=True)
    records = runner(samples, workers=workers, timeout_s=timeout_s, progress=progress)
    by_id = {r["id"]: r for r in records}
    outcomes = []
    for i, program in enumerate(programs):
        recs = {lang: by_id[f"{i}:{lang}"] for lang in langs}
        outcomes.append(ProgramOutcome(i, program.seed, expected[i],
                                       {lang: r["stdout"] for lang, r in recs.items()},
                                       {lang: r["status"] for lang, r in recs.items()}))
    report = VerifyReport(langs, outcomes, time.monotonic() - t0)
    if out_dir is not None:
        report.saved_to = save_disagreements(report, programs, sources, by_id, out_dir)
    return report


def _program_text(seed: str, program: ir.Program) -> str:
    """How to get the program back: the generator call, and the IR itself (its repr evaluates
    back to the same dataclasses: ``eval(text, vars(ir))``)."""
    head = f"seed: {seed}\n"
    parts = seed.rsplit("/", 3)
    if len(parts) == 4:
        head += (f"regenerate: generate_program({parts[0]!r}, GenConfig(size={parts[1]}, "
                 f"difficulty={parts[2]}))\n")
    return f"{head}\n{program!r}\n"


def save_disagreements(report: VerifyReport, programs: Sequence[ir.Program], sources: dict,
                       records: dict, out_dir: str) -> str:
    """Write each disagreeing (or oracle-mismatching) program's files under ``out_dir``, plus
    ``summary.json``; returns ``out_dir``."""
    os.makedirs(out_dir, exist_ok=True)
    for o in report.outcomes:
        if o.agree and all(o.matches_oracle(lang) for lang in report.languages):
            continue
        d = os.path.join(out_dir, f"program_{o.index:05d}")
        os.makedirs(d, exist_ok=True)
        io_utils.atomic_write_text(os.path.join(d, "program.txt"), _program_text(o.seed, programs[o.index]))
        io_utils.atomic_write_text(os.path.join(d, "program.json"), program_to_json(programs[o.index]) + "\n")
        io_utils.atomic_write_text(os.path.join(d, "expected.out"), o.expected)
        for lang in report.languages:
            ext = languages.get(lang).extensions[0]
            rec = records[f"{o.index}:{lang}"]
            io_utils.atomic_write_text(os.path.join(d, f"{lang}{ext}"), sources[(o.index, lang)])
            io_utils.atomic_write_text(os.path.join(d, f"{lang}.out"), rec["stdout"])
            io_utils.atomic_write_text(os.path.join(d, f"{lang}.err"),
                                       f"status={rec['status']} phase={rec['phase']} exit={rec['exit_code']}\n"
                                       + rec["stderr"])
    io_utils.atomic_write_text(os.path.join(out_dir, "summary.json"), json.dumps(report.summary(), indent=2) + "\n")
    return out_dir
