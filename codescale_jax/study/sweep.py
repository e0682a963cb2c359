"""The sweep runner: a plan of :class:`RunSpec` becomes run directories, run by worker subprocesses.

Each spec owns ``<runs_dir>/<run_id>/``. Before starting, the sweep prints the plan (runs, FLOPs,
ETA). A run whose ``result.json`` is present (and, for a run scored on extra languages, whose
``eval/loss.json``; for a run with ``translation_pairs``, whose ``eval/translation.json``) is
**skipped**; a run directory without them is **resumed**: the
worker reruns the same ``python -m experiments.train`` command, and the trainer continues from its
latest complete checkpoint. Up to ``workers`` runs go at once, each in its own process (so a crash
or a NaN in one run never takes the others down); each worker's output goes to ``train.log`` in
its run dir. A failed run is reported at the end and the others carry on; rerunning the sweep
retries it.

A run directory whose ``config.json`` records another model shape than the spec now resolves to
(a ladder entry whose shape changed since the run, which keeps its name and so its run id) is
**stale**: the sweep moves it aside to ``<run_id>.stale-<k>`` (nothing is deleted) and trains the
run afresh, so results of two shapes never mix under one name.

Results are collected with :func:`codescale_jax.study.results.load_results` from each run dir; the
rows of runs scored on extra languages (bilingual synergy runs) are expanded to one row per
language from ``eval/loss.json``. Every row gains ``experiment``, the spec's ``run_id`` and its ``tag``
(if any).
"""

from __future__ import annotations

import concurrent.futures as futures
import dataclasses
import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Callable, Sequence

from codescale_jax.hostenv import with_malloc_tuning
from codescale_jax.study import plan as plan_lib
from codescale_jax.study.plan import RunSpec
from codescale_jax.study.results import load_results

#: ``runner(spec, run_dir) -> exit status``; the default launches subprocesses.
Runner = Callable[[RunSpec, Path], int]


def run_dir(runs_dir: str | Path, spec: RunSpec) -> Path:
    return Path(runs_dir) / spec.run_id


#: The model fields that decide a run's parameter count.
SHAPE_KEYS = ("d_model", "n_layers", "n_heads", "n_kv_heads", "d_ff", "vocab_size", "tie_embeddings")


def shape_change(spec: RunSpec, d: Path) -> str | None:
    """How the model shape recorded in ``d/config.json`` differs from what ``spec`` resolves to now
    (``"d_model 64 -> 48, ..."``), or ``None`` when they agree or the file does not say."""
    try:
        have = json.loads((d / "config.json").read_text(encoding="utf-8")).get("model")
    except (OSError, ValueError, AttributeError):
        return None
    if not isinstance(have, dict):
        return None
    from codescale_jax.config import make_config

    try:
        want = make_config(spec.model, language=spec.language, overrides=spec.settings()).model
    except (ValueError, KeyError, TypeError):
        return None
    diffs = [f"{k} {have[k]} -> {getattr(want, k)}" for k in SHAPE_KEYS
             if k in have and hasattr(want, k) and have[k] != getattr(want, k)
             and not (k == "vocab_size" and getattr(want, k) in (None, 0, -1))]
    return ", ".join(diffs) or None


def move_aside(d: Path) -> Path:
    """Rename a stale run dir to the first free ``<name>.stale-<k>``; returns the new path."""
    k = 1
    while d.with_name(f"{d.name}.stale-{k}").exists():
        k += 1
    target = d.with_name(f"{d.name}.stale-{k}")
    d.rename(target)
    return target


def status(spec: RunSpec, runs_dir: str | Path) -> str:
    """``finished`` (nothing to do), ``partial`` (will resume), ``stale`` (trained with another model
    shape: moved aside and rerun) or ``new``."""
    d = run_dir(runs_dir, spec)
    if (d / "config.json").is_file() and shape_change(spec, d):
        return "stale"
    done = (d / "result.json").is_file()
    if done and spec.eval_languages:
        done = (d / "eval" / "loss.json").is_file()
    if done and spec.translation_pairs:
        done = (d / "eval" / "translation.json").is_file()
    if done:
        return "finished"
    return "partial" if (d / "config.json").is_file() else "new"


def compile_cache_env(cache_dir: str | Path, base: dict | None = None) -> dict:
    """Environment for child runs that share JAX's persistent compilation cache in ``cache_dir``.

    Runs of one model size, batch and sequence length (every language and, for one budget, every
    seed) compile the same train step; with the cache only the first compiles and the others load
    the executable, which on a 2-core CPU saves most of a small run's wall time. An existing
    ``JAX_COMPILATION_CACHE_DIR`` in ``base`` wins. The environment also carries
    :func:`codescale_jax.hostenv.with_malloc_tuning` (huge pages for XLA's CPU scratch memory), so
    the children start with it instead of restarting themselves to get it.
    """
    env = with_malloc_tuning(os.environ if base is None else base)
    env.setdefault("JAX_COMPILATION_CACHE_DIR", str(cache_dir))
    env.setdefault("JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS", "0")
    env.setdefault("JAX_PERSISTENT_CACHE_MIN_ENTRY_SIZE_BYTES", "0")
    return env


def subprocess_runner(python: str = sys.executable, env: dict | None = None) -> Runner:
    """Run ``python -m experiments.train`` (then ``experiments.evaluate --suite loss`` for runs with
    extra languages and ``--suite translation`` for runs with ``translation_pairs``) in child
    processes, appending their output to ``train.log``."""

    def run(spec: RunSpec, d: Path) -> int:
        d.mkdir(parents=True, exist_ok=True)
        with open(d / "train.log", "a", encoding="utf-8") as log:
            log.write(f"\n=== {time.strftime('%Y-%m-%d %H:%M:%S')} {spec.run_id}\n")
            log.flush()
            if not (d / "result.json").is_file():
                cmd = [python, "-m", "experiments.train", *spec.train_argv(str(d))]
                rc = subprocess.call(cmd, stdout=log, stderr=subprocess.STDOUT, env=env or os.environ.copy())
                if rc != 0:
                    return rc
            evals = []
            if spec.eval_languages and not (d / "eval" / "loss.json").is_file():
                evals.append(["--suite", "loss", "--languages", ",".join(spec.eval_languages)])
            if spec.translation_pairs and not (d / "eval" / "translation.json").is_file():
                evals.append(["--suite", "translation", "--max-pairs", str(spec.translation_pairs), "--bleu-pairs", "0",
                              "--plot"])
            for args in evals:
                cmd = [python, "-m", "experiments.evaluate", "--run", str(d), *args]
                rc = subprocess.call(cmd, stdout=log, stderr=subprocess.STDOUT, env=env or os.environ.copy())
                if rc != 0:
                    return rc
        return 0

    return run


@dataclasses.dataclass
class SweepReport:
    finished: list[str]  # ran to completion in this call
    skipped: list[str]  # already finished before
    failed: dict[str, int]  # run id -> exit status
    wall_s: float

    @property
    def ok(self) -> bool:
        return not self.failed


def compile_key(spec: RunSpec) -> tuple:
    """Runs with equal keys run one compiled train step: the model and the shared settings fix its
    shapes, while the token budget, language, mixture, strategy and seed are data or arguments."""
    return (spec.model, spec.overrides)


def compile_order(todo: Sequence[tuple[RunSpec, str]]) -> list[tuple[RunSpec, str]]:
    """``(spec, status)`` pairs reordered round-robin over their :func:`compile_key` groups, each
    group in its own order: the first runs started are one per compiled program, so the runs of a
    group that follow load it from the shared compilation cache instead of compiling it again side
    by side."""
    groups: dict[tuple, list] = {}
    for item in todo:
        groups.setdefault(compile_key(item[0]), []).append(item)
    out, rank = [], 0
    while len(out) < len(todo):
        out.extend(g[rank] for g in groups.values() if rank < len(g))
        rank += 1
    return out


def run_sweep(specs: Sequence[RunSpec], runs_dir: str | Path, *, workers: int = 1, runner: Runner | None = None,
              flops_per_s: float = plan_lib.DEFAULT_FLOPS_PER_S, dry_run: bool = False,
              print_fn: Callable[[str], None] = print,
              overhead_s: float = plan_lib.DEFAULT_OVERHEAD_S) -> SweepReport:
    """Print the plan, then run every unfinished spec with at most ``workers`` at a time."""
    runs_dir = Path(runs_dir)
    specs = plan_lib.dedupe(specs)
    states = [status(s, runs_dir) for s in specs]
    print_fn(plan_lib.format_plan(specs, [st == "finished" for st in states], workers, flops_per_s,
                                  overhead_s=overhead_s))
    skipped = [s.run_id for s, st in zip(specs, states) if st == "finished"]
    todo = compile_order([(s, st) for s, st in zip(specs, states) if st != "finished"])
    if dry_run:
        return SweepReport([], skipped, {}, 0.0)
    if not todo:
        print_fn(f"[sweep] 0 ran, {len(skipped)} skipped (finished before), 0 failed")
        return SweepReport([], skipped, {}, 0.0)
    if workers < 1:
        raise ValueError(f"workers={workers}; use at least 1")
    runs_dir.mkdir(parents=True, exist_ok=True)
    for spec, st in todo:
        if st == "stale":
            d = run_dir(runs_dir, spec)
            why = shape_change(spec, d)
            print_fn(f"[sweep] {spec.run_id} was trained with another model shape ({why}); "
                     f"moved to {move_aside(d).name}, training it afresh")
    runner = runner or subprocess_runner(env=compile_cache_env(runs_dir / ".jax_cache"))
    lock = threading.Lock()
    finished: list[str] = []
    failed: dict[str, int] = {}
    start = time.time()
    # The ETA weighs runs by FLOPs plus a fixed per-run overhead (start-up, evaluation), both at
    # the rates measured so far in this sweep.
    cost = {s.run_id: plan_lib.run_flops(s) for s, _ in todo}
    total_cost = sum(cost.values())
    done_cost = 0.0

    def one(item: tuple[RunSpec, str]) -> None:
        nonlocal done_cost
        spec, st = item
        d = run_dir(runs_dir, spec)
        with lock:
            print_fn(f"[sweep] {'resume' if st == 'partial' else 'start'} {spec.run_id}")
        t0 = time.time()
        try:
            rc = runner(spec, d)
        except Exception as exc:  # a broken runner must not hide the other runs' results
            print_fn(f"[sweep] {spec.run_id}: runner raised {exc!r}")
            rc = -1
        with lock:
            if rc == 0 and status(spec, runs_dir) == "finished":
                finished.append(spec.run_id)
                note = "done"
            else:
                failed[spec.run_id] = rc if rc != 0 else -2
                note = f"FAILED (exit {rc}; see {d / 'train.log'})" if rc != 0 else "FAILED (no result.json written)"
            n_done = len(finished) + len(failed)
            done_cost += cost[spec.run_id]
            elapsed = time.time() - start
            left = eta_seconds(elapsed, n_done, len(todo), done_cost, total_cost)
            print_fn(f"[sweep] {n_done}/{len(todo)} {spec.run_id} {note} in {time.time() - t0:.0f}s; "
                     f"elapsed {plan_lib.format_duration(elapsed)}, about {plan_lib.format_duration(left)} left")

    with futures.ThreadPoolExecutor(max_workers=workers) as pool:
        list(pool.map(one, todo))
    report = SweepReport(finished, skipped, failed, time.time() - start)
    print_fn(f"[sweep] {len(finished)} ran, {len(skipped)} skipped (finished before), {len(failed)} failed "
             f"in {plan_lib.format_duration(report.wall_s)}")
    for rid, rc in failed.items():
        print_fn(f"[sweep] failed: {rid} (exit {rc}); rerun the same command to retry (it resumes)")
    return report


def eta_seconds(elapsed: float, n_done: int, n_total: int, done_flops: float, total_flops: float) -> float:
    """Time left, splitting the elapsed time evenly between per-run overhead and FLOP-proportional
    work: ``elapsed * (0.5 * runs_left / runs_done + 0.5 * flops_left / flops_done)``. Pure run
    counting misjudges sweeps whose runs differ in size by 100x; pure FLOPs misjudge tiny runs,
    whose wall time is mostly start-up."""
    if n_done <= 0:
        return float("nan")
    by_runs = (n_total - n_done) / n_done
    by_flops = (total_flops - done_flops) / done_flops if done_flops > 0 else by_runs
    return elapsed * (0.5 * by_runs + 0.5 * by_flops)


def collect(specs: Sequence[RunSpec], runs_dir: str | Path) -> list[dict]:
    """Results rows of the finished specs (unfinished ones are left out)."""
    rows: list[dict] = []
    for spec in specs:
        if status(spec, runs_dir) != "finished":
            continue
        d = run_dir(runs_dir, spec)
        base_rows = load_results(d)
        for row in base_rows:
            row.update(experiment=spec.experiment, run_id=spec.run_id)
            if spec.tag:
                row["tag"] = spec.tag
        if not spec.eval_languages:
            rows.extend(base_rows)
            continue
        scored = json.loads((d / "eval" / "loss.json").read_text(encoding="utf-8"))["languages"]
        for lang in spec.eval_languages:
            entry = scored.get(lang, {})
            if "loss" not in entry:
                raise ValueError(f"{d / 'eval' / 'loss.json'}: no loss for {lang} ({entry.get('error', 'missing')}); "
                                 f"delete that file and rerun the sweep to re-score the run")
            row = dict(base_rows[0], language=lang, loss=float(entry["loss"]))
            rows.append(row)
    return rows
