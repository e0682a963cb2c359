"""The evaluation suites behind ``python -m experiments.evaluate``: each returns a JSON-ready dict.

* ``loss``        - validation loss per language (:mod:`.loss`).
* ``translation`` - 7x7 target-only loss and BLEU matrices (:mod:`.translation`).
* ``passk``       - sample completions with the KV-cache decoder, run ``prompt + completion + tests``
  in the sandbox, unbiased pass@k per language (:mod:`.passk`).
* ``canonical``   - the harness self-check, no model needed: every reference solution must pass,
  and an empty and a wrong completion of every task must not.

A *task* is a dict ``{task_id, language, prompt, tests, stop}`` (``stop``: strings that end a
completion, cut before the match, MultiPL-E style; when absent or empty the language's defaults
from :data:`.decode.DEFAULT_STOPS` apply), optionally with ``solution`` (the reference completion)
and ``wrong`` (a completion that compiles but answers wrongly). Two builders are here: the
synthetic generator's held-out programs (references in all seven languages) and HumanEval
(:mod:`.humaneval` and :mod:`.humaneval_translate`: Python as shipped plus the translations).
Users may pass their own tasks as JSONL.
"""

from __future__ import annotations

import collections
import time
from typing import Callable, Sequence

from codescale_jax import languages

Progress = Callable[[str], None] | None


# ---------------------------------------------------------------------------------------------
# Task builders


def synthetic_tasks(n_programs: int = 2000, seed: int = 0, split: str = "test",
                    langs: Sequence[str] = languages.CODE_LANGUAGES, limit: int | None = None) -> list[dict]:
    """Task dicts of the synthetic programs in ``split`` (the corpus builder's held-out programs,
    see :func:`.translation.synthetic_test_pairs`), language-major. ``wrong`` is the reference
    solution of the next program of the same language: real code that answers another question."""
    from codescale_jax.data import synthetic
    from codescale_jax.data.embedded import split_of
    from codescale_jax.data.synthetic.tasks import make_task

    langs = languages.parse_list(list(langs))
    picked = [i for i in range(n_programs) if split_of(f"program{i}") == split][:limit]
    if len(picked) < 2:
        raise ValueError(f"only {len(picked)} of {n_programs} synthetic programs fall in split {split!r}; "
                         "raise n_programs (wrong completions need at least 2)")
    programs = [synthetic.generate_program(f"{seed}:{i}") for i in picked]
    tasks = []
    for lang in langs:
        ts = [make_task(p, lang, f"synthetic/{i}/{lang}") for i, p in zip(picked, programs)]
        for k, t in enumerate(ts):
            tasks.append({"task_id": t.task_id, "language": lang, "prompt": t.prompt, "tests": t.tests, "stop": [],
                          "solution": t.solution, "wrong": ts[(k + 1) % len(ts)].solution})
    return tasks


def humaneval_tasks(langs: Sequence[str] = ("python",)) -> tuple[list[dict], dict[str, dict]]:
    """HumanEval tasks per language (Python as shipped, the others translated) and, per language,
    ``{"kept": n, "dropped": {task_id: reason}}``. Python tasks carry the canonical solution; every
    task carries a default-value ``wrong`` completion."""
    from codescale_jax.eval import humaneval, humaneval_translate

    langs = languages.parse_list(list(langs))
    problems = humaneval.load_problems()
    by_id = {p.task_id: p for p in problems}
    per_lang, dropped = humaneval_translate.translate_all(problems, tuple(langs))
    tasks, report = [], {}
    for lang in langs:
        for t in per_lang[lang]:
            p = by_id[t["task_id"]]
            t = dict(t, wrong=humaneval_translate.default_completion(p, lang))
            if lang == "python":
                t["solution"] = p.canonical_solution
            tasks.append(t)
        report[lang] = {"kept": len(per_lang[lang]), "dropped": dropped[lang]}
    return tasks, report


def _stops(task: dict):
    from codescale_jax.eval import decode

    return decode.stops_for(task["language"], before=task.get("stop") or None)


def program(task: dict, completion: str) -> str:
    """``prompt + completion + tests``: the whole program the sandbox runs for one sample."""
    return task["prompt"] + completion + task["tests"]


# ---------------------------------------------------------------------------------------------
# Canonical self-check


def canonical_suite(tasks: Sequence[dict], *, workers: int = 2, timeout_s: float | None = None,
                    progress: Progress = None) -> dict:
    """Run each task's reference solution, an empty completion and its ``wrong`` completion.

    Returns ``{"languages": {lang: {kind: {"passed", "total"}}}, "problems": [...], "ok": bool}`` where
    ``problems`` lists every reference that did not pass and every empty/wrong completion that did.
    """
    from codescale_jax.eval.runners import run_many

    samples = []
    for t in tasks:
        kinds = [("empty", "")]
        if t.get("solution") is not None:
            kinds.insert(0, ("reference", t["solution"]))
        if t.get("wrong") is not None:
            kinds.append(("wrong", t["wrong"]))
        for kind, completion in kinds:
            samples.append({"id": f"{t['task_id']}#{kind}", "language": t["language"], "kind": kind,
                            "task_id": t["task_id"], "program": program(t, completion)})
    t0 = time.monotonic()
    records = run_many(samples, workers=workers, timeout_s=timeout_s, progress=progress is not None)
    wall = time.monotonic() - t0
    table: dict[str, dict[str, dict[str, int]]] = {}
    problems = []
    for s, r in zip(samples, records):
        cell = table.setdefault(s["language"], {}).setdefault(s["kind"], {"passed": 0, "total": 0})
        cell["total"] += 1
        cell["passed"] += r["status"] == "passed"
        bad = (r["status"] != "passed") if s["kind"] == "reference" else (r["status"] == "passed")
        if bad:
            problems.append({"id": s["id"], "status": r["status"], "phase": r["phase"],
                             "stderr": r["stderr"][-600:]})
    return {"suite": "canonical", "languages": table, "problems": problems, "ok": not problems,
            "samples": len(samples), "wall_s": round(wall, 2), "samples_per_s": round(len(samples) / max(wall, 1e-9), 3),
            "workers": workers}


# ---------------------------------------------------------------------------------------------
# Model suites


def loss_suite(run, langs: Sequence[str] | None = None, *, batch_size: int = 8, max_tokens: int | None = None,
               progress: Progress = None) -> dict:
    from codescale_jax.eval import loss

    langs = tuple(langs) if langs else loss.run_languages(run.cfg)
    res = loss.validation_losses(run.cfg, run.params, langs, batch_size=batch_size, max_tokens=max_tokens,
                                 progress=progress)
    return {"suite": "loss", "run_id": run.run_id, "step": run.step, "split": run.cfg.data.eval_split,
            "unit": "nats per token", "languages": res}


def translation_suite(run, pairs, *, langs: Sequence[str] = languages.CODE_LANGUAGES, max_len: int | None = None,
                      batch_size: int = 8, max_pairs: int | None = None, bleu_pairs: int | None = 16,
                      max_new_tokens: int = 512, seen: Sequence[tuple[str, str]] | None = None,
                      progress: Progress = None) -> dict:
    """Loss (all pairs up to ``max_pairs`` per direction) and BLEU (the first ``bleu_pairs`` per
    direction; 0 skips BLEU) matrices. ``max_len`` defaults to the run's ``data.seq_len``."""
    from codescale_jax.eval import decode, translation
    from codescale_jax.eval.loss import make_scorer

    langs = list(languages.parse_list(list(langs)))
    groups = translation.by_direction((p for p in pairs if p.src_lang in langs and p.tgt_lang in langs), max_pairs)
    if not groups:
        raise ValueError(f"the parallel set has no pair between the languages {langs}")
    max_len = max_len or run.cfg.data.seq_len
    seen = tuple(seen) if seen is not None else translation.seen_directions(run.cfg)
    prompt = run.cfg.data.strategy == "paired-prompt"
    losses = translation.loss_by_direction(make_scorer(run.cfg.model, run.params), run.tokenizer, groups,
                                           max_len=max_len, batch_size=batch_size, prompt=prompt, progress=progress)
    out = {"suite": "translation", "run_id": run.run_id, "step": run.step, "languages": langs,
           "seen": [list(d) for d in seen], "max_len": max_len, "unit": "nats per target token",
           "loss_matrix": translation.matrix(losses, "loss", langs),
           "directions": {f"{a}->{b}": dict(v, seen=(a, b) in seen) for (a, b), v in losses.items()}}
    if bleu_pairs != 0:
        sampling = decode.SamplingConfig(max_new_tokens=max_new_tokens)
        stacked = decode.stack_layers(run.cfg.model, run.params)
        few = {d: ps[:bleu_pairs] for d, ps in groups.items()}
        scores = translation.bleu_by_direction(run.cfg, stacked, run.tokenizer, few, sampling, batch_size=batch_size,
                                               prompt=prompt, progress=progress)
        out["bleu_matrix"] = translation.matrix(scores, "bleu", langs)
        out["bleu_tokenize"] = "code_tokens + sacrebleu tokenize='none'"
        for (a, b), v in scores.items():
            out["directions"][f"{a}->{b}"].update(bleu=v["bleu"], bleu_pairs=v["pairs"], example=v["example"])
    for key in ("loss", "bleu"):
        vals = [v[key] for k, v in out["directions"].items() if v.get(key) is not None and v[key] == v[key]]
        for label, pick in (("seen", True), ("unseen", False)):
            sel = [v[key] for v in out["directions"].values()
                   if v["seen"] == pick and v.get(key) is not None and v[key] == v[key]]
            out[f"mean_{key}_{label}"] = sum(sel) / len(sel) if sel else None
        out[f"mean_{key}"] = sum(vals) / len(vals) if vals else None
    return out


def passk_suite(run, tasks: Sequence[dict], *, n_samples: int = 1, ks: Sequence[int] = (1,), temperature: float = 0.0,
                top_p: float = 0.95, max_new_tokens: int = 512, seed: int = 0, batch_size: int = 8,
                workers: int = 2, timeout_s: float | None = None, progress: Progress = None) -> dict:
    """Sample ``n_samples`` completions per task (greedy when ``temperature`` is 0, then ``n_samples``
    must be 1), execute them, and report pass@k per language plus each sample's status."""
    from codescale_jax.eval import decode, passk
    from codescale_jax.eval.runners import run_many

    if temperature == 0 and n_samples != 1:
        raise ValueError("greedy decoding gives one sample per task; set --temperature > 0 for n_samples > 1")
    if max(ks) > n_samples:
        raise ValueError(f"pass@{max(ks)} needs at least {max(ks)} samples per task, got n_samples={n_samples}")
    tok = run.tokenizer
    stacked = decode.stack_layers(run.cfg.model, run.params)
    sampling = decode.SamplingConfig(temperature=temperature, top_p=top_p, max_new_tokens=max_new_tokens, seed=seed)
    flat = [t for t in tasks for _ in range(n_samples)]
    prompts = [[tok.special_id(languages.get(t["language"]).tag)] + list(tok.encode(t["prompt"])) for t in flat]
    t0 = time.monotonic()
    done = decode.complete(run.cfg.model, stacked, tok, prompts, [_stops(t) for t in flat], sampling,
                           batch_size=batch_size, progress=progress)
    decode_s = time.monotonic() - t0
    samples = [{"id": f"{t['task_id']}#{k % n_samples}", "language": languages.canonical(t["language"]),
                "problem": f"{languages.canonical(t['language'])}:{t['task_id']}", "program": program(t, text),
                "completion": text, "stopped": stopped}
               for k, (t, (text, stopped)) in enumerate(zip(flat, done))]
    records = run_many(samples, workers=workers, timeout_s=timeout_s, progress=progress is not None)
    per_lang: dict[str, list[dict]] = collections.defaultdict(list)
    for s, r in zip(samples, records):
        per_lang[s["language"]].append(dict(r, problem=s["problem"], completion=s["completion"], stopped=s["stopped"]))
    result = {}
    for lang, recs in per_lang.items():
        statuses = collections.Counter(r["status"] for r in recs)
        result[lang] = {"tasks": len(recs) // n_samples, **passk.pass_at_ks(recs, ks), "statuses": dict(statuses)}
    return {"suite": "passk", "run_id": run.run_id, "step": run.step, "n_samples": n_samples,
            "temperature": temperature, "top_p": top_p if temperature > 0 else None, "max_new_tokens": max_new_tokens,
            "decode_s": round(decode_s, 2), "languages": result,
            "samples": [dict(r, problem=s["problem"], completion=s["completion"], stopped=s["stopped"])
                        for s, r in zip(samples, records)]}
