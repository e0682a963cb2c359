"""The training loop: ``train(config, workdir) -> results row``.

A run dir holds ``config.json`` (the resolved config), ``metrics.jsonl`` (one row per step, plus
``val_loss`` rows), ``tensorboard/``, ``checkpoints/`` and, once finished, ``result.json`` (the
results row of the design: run_id, language, mixture, params, params_total, tokens, loss, strategy,
seed, model, steps, wall_s). Calling :func:`train` again on the same dir resumes from the latest
complete checkpoint (same data order, bitwise-identical losses on CPU); on a finished run it only
returns the stored row. A different config for an existing run dir is refused, except for keys
that do not change the computation (logging, checkpoint and eval cadence).
"""

from __future__ import annotations

import dataclasses
import math
import time
from pathlib import Path
from typing import Any, Callable

import jax
import numpy as np

from codescale_jax import io_utils, kernels, languages
from codescale_jax import config as config_lib
from codescale_jax.config import Config
from codescale_jax.data import input as input_lib
from codescale_jax.data import pipeline_train
from codescale_jax.data.packing import lm_batch
from codescale_jax.data.pipeline_encode import TokenCounter
from codescale_jax.model import counting, decoder
from codescale_jax.parallel.mesh import batch_divisor, make_mesh
from codescale_jax.train import mfu as mfu_lib
from codescale_jax.train.checkpoint import Checkpointer
from codescale_jax.train.metrics import MetricsLogger, progress_line
from codescale_jax.train.step import Trainer, build_trainer, compiler_options

#: Keys that may differ between the stored config of a run dir and a resuming invocation.
#: ``data.mixture`` may change on purpose: the mixture pipeline then continues every language where it
#: stopped with the new shares from the next batch on (see codescale_jax.data.pipeline).
BOOKKEEPING_KEYS = frozenset({"train.log_every", "train.eval_every", "train.checkpoint_every",
                              "train.keep_checkpoints", "train.tensorboard", "train.peak_flops", "data.mixture",
                              "data.verify_shards"})


class NaNLossError(FloatingPointError):
    """The training loss became NaN or infinite."""


def resolve_config(cfg: Config) -> Config:
    """Fill what the user may leave implicit: the vocabulary size (from the tokenizer), the
    attention implementation ``auto`` stands for on this backend, and the canonical language id."""
    try:
        impl = kernels.resolve_impl(cfg.model.attention, cfg.model.dtype)
    except ValueError as exc:
        raise config_lib.ConfigError(f"model.attention: {exc}") from None
    if impl != cfg.model.attention:
        cfg = config_lib.replace(cfg, "model", attention=impl)
    if cfg.model.vocab_size <= 0:
        cfg = config_lib.replace(cfg, "model", vocab_size=input_lib.get_tokenizer(cfg.data).vocab_size)
    return config_lib.replace(cfg, "data", language=languages.canonical(cfg.data.language))


def check_microbatches(cfg: Config, divisor: int) -> None:
    """``train.parallel_microbatches`` must split the batch evenly over the batch-sharding devices."""
    k, b = cfg.train.parallel_microbatches, cfg.train.batch_size
    if k < 1:
        raise config_lib.ConfigError(f"train.parallel_microbatches={k}; it must be at least 1")
    if b % (k * divisor):
        raise config_lib.ConfigError(f"train.parallel_microbatches={k} needs train.batch_size={b} to be a "
                                     f"multiple of {k * divisor} (the microbatches times {divisor} "
                                     "batch-sharding devices)")


def _config_diff(a: Config, b: Config) -> list[str]:
    da, db = config_lib.to_dict(a), config_lib.to_dict(b)
    return [f"{s}.{k}: {da[s][k]!r} -> {db[s][k]!r}" for s in da for k in da[s]
            if da[s][k] != db[s][k] and f"{s}.{k}" not in BOOKKEEPING_KEYS]


def _local_rows(batch: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """This process's share of a global host batch (all of it on one process)."""
    n, i = jax.process_count(), jax.process_index()
    if n == 1:
        return batch
    rows = next(iter(batch.values())).shape[0] // n
    return {k: v[i * rows:(i + 1) * rows] for k, v in batch.items()}


def evaluate(trainer: Trainer, params, batches: list[dict[str, np.ndarray]]) -> float:
    """Mean cross-entropy (nats per scored token) over fixed validation batches."""
    total = count = 0.0
    for b in batches:
        s, c = trainer.eval_step(params, trainer.device_batch(_local_rows(b)))
        total, count = total + s, count + c
    return float(total) / max(float(count), 1.0)


def results_row(cfg: Config, run_id: str, steps: int, val_loss: float, wall_s: float) -> dict[str, Any]:
    counts = counting.count_tree(decoder.abstract_params(cfg.model))
    return {
        "run_id": run_id,
        "language": cfg.data.language,
        "mixture": pipeline_train.mixture_record(cfg.data),
        "params": counts.non_embedding,
        "params_total": counts.total,
        "tokens": steps * cfg.train.tokens_per_step(cfg.data.seq_len),
        "loss": val_loss,
        "strategy": cfg.data.strategy,
        "seed": cfg.train.seed,
        "model": cfg.model.name,
        "steps": steps,
        "wall_s": round(wall_s, 3),
    }


def _peak_flops(cfg: Config) -> float | None:
    if cfg.train.peak_flops > 0:
        return cfg.train.peak_flops
    if cfg.train.peak_flops < 0:
        return None
    peak = mfu_lib.published_peak()
    if peak is None and jax.devices()[0].platform == "cpu":
        peak = mfu_lib.measure_matmul_peak(n=1024, min_seconds=0.3)
    return peak


def train(cfg: Config, workdir: str | Path, *, stop_after: int | None = None,
          print_fn: Callable[[str], None] = print) -> dict[str, Any]:
    """Train (or resume, or just report) the run in ``workdir``. Returns the results row; a run
    stopped early by ``stop_after`` (a global step) returns ``{"stopped_at": step, ...}`` instead."""
    session_start = time.time()
    workdir = Path(workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    cfg = resolve_config(cfg)
    cfg_path, result_path = workdir / "config.json", workdir / "result.json"
    if cfg_path.exists():
        try:
            diff = _config_diff(config_lib.from_json(cfg_path.read_text()), cfg)
        except config_lib.ConfigError as exc:
            raise config_lib.ConfigError(f"{cfg_path}: {exc}; move the run dir aside or pass another --workdir") from exc
        if diff:
            raise config_lib.ConfigError(f"{workdir} holds a run with a different config ({'; '.join(diff)}); "
                                         "use a new --workdir or the original settings")
    seq_len, total = cfg.data.seq_len, cfg.train.total_steps(cfg.data.seq_len)
    run_id = cfg.train.run_id or workdir.resolve().name
    if result_path.exists():
        row = io_utils.read_json(result_path)
        if row.get("steps") == total:
            print_fn(f"run {run_id} already finished: loss {row['loss']:.4f} after {row['steps']} steps")
            return row

    # The mesh is checked before config.json is written, so that a rerun with a mesh that fits
    # the devices is the same run, not "a different config".
    mesh = make_mesh(cfg.mesh)
    div = batch_divisor(mesh) * jax.process_count()
    if cfg.train.batch_size % div:
        raise config_lib.ConfigError(f"train.batch_size={cfg.train.batch_size} must be a multiple of {div} "
                                     f"(data x fsdp of mesh {dict(mesh.shape)} times {jax.process_count()} "
                                     "processes)")
    check_microbatches(cfg, div)
    compiler_options(mesh, cfg.train.cpu_matmuls)  # refuses an unknown library before config.json exists
    if cfg.data.host_split not in ("documents", "rows"):
        raise config_lib.ConfigError(f"data.host_split={cfg.data.host_split!r}; use 'documents' or 'rows'")
    # "rows": every process reads the global batch and keeps its own rows (see _local_rows).
    n_read, i_read = (1, 0) if cfg.data.host_split == "rows" else (jax.process_count(), jax.process_index())
    # The input is opened before config.json is written too: a missing corpus or a bad mixture
    # (an errors.InputError) stops here, and the corrected command starts the run afresh.
    dataset = input_lib.train_dataset(cfg.data, cfg.train.batch_size // n_read, seed=cfg.train.seed,
                                      process_index=i_read, process_count=n_read)
    io_utils.atomic_write_text(cfg_path, config_lib.to_json(cfg))
    trainer = build_trainer(cfg.model, mesh, cfg.optimizer, total, cfg.train.parallel_microbatches,
                            cfg.train.cpu_matmuls)
    data_iter = iter(dataset)
    ckpt = Checkpointer(workdir / "checkpoints", keep=cfg.train.keep_checkpoints)
    # Process 0 owns the run dir's logs; the others keep theirs apart so rows are not duplicated.
    log_dir = workdir if jax.process_index() == 0 else workdir / "hosts" / str(jax.process_index())
    log_dir.mkdir(parents=True, exist_ok=True)
    logger = MetricsLogger(log_dir, tensorboard=cfg.train.tensorboard and jax.process_index() == 0,
                           print_fn=print_fn)
    try:
        return _run(cfg, workdir, run_id, total, trainer, data_iter, ckpt, logger, stop_after, session_start)
    finally:
        ckpt.close()
        logger.close()


def _run(cfg, workdir, run_id, total, trainer, data_iter, ckpt, logger, stop_after, session_start):
    seq_len, tokens_per_step = cfg.data.seq_len, cfg.train.tokens_per_step(cfg.data.seq_len)
    counts = counting.count_tree(decoder.abstract_params(cfg.model))
    latest = ckpt.latest_step()
    counter = TokenCounter()  # tokens per language consumed (mixture pipelines; logged as tokens_<lang>)
    if latest is None:
        state, prior_wall = trainer.init(jax.random.key(cfg.train.seed)), 0.0
        logger.truncate_after(0)
    else:
        state, data = ckpt.restore(latest, trainer.abstract_state())
        data_iter.set_state(data["iterator"])
        counter = TokenCounter(state=data.get("token_counts"))
        prior_wall = float(data["wall_s"])
        logger.truncate_after(latest)
    step = int(jax.device_get(state["step"]))
    logger.print(f"{run_id}: model {cfg.model.name} N={counts.non_embedding:,} (non-embedding; total "
                 f"{counts.total:,}) language {cfg.data.language} steps {total} x {tokens_per_step:,} tokens "
                 f"mesh {dict(trainer.mesh.shape)}" + (f" resumed at step {step}" if latest is not None else ""))
    fpt = counting.flops_per_token(cfg.model, seq_len)
    peak = _peak_flops(cfg)
    n_chips = trainer.mesh.size if mfu_lib.published_peak() else 1  # a measured CPU peak is per process
    eval_data: list | None = None

    def wall() -> float:
        return prior_wall + time.time() - session_start

    pending: list[tuple[int, dict]] = []
    first = True  # the first step of this session includes compilation
    timer = {"t": time.time(), "step": step}

    def flush() -> None:
        if not pending:
            return
        fetched = jax.device_get([m for _, m in pending])
        now, last = time.time(), pending[-1][0]
        for (s, _), m in zip(pending, fetched):
            loss = float(m["loss"])
            if not math.isfinite(loss):
                pending.clear()
                raise NaNLossError(f"training loss is {loss} at step {s} (run {run_id}); lower optimizer.lr, "
                                   "raise optimizer.warmup_steps or keep optimizer.grad_clip > 0, then start a "
                                   "new run dir (checkpoints before this step are kept)")
            row = {"step": s, "loss": loss, "grad_norm": float(m["grad_norm"]), "lr": float(m["lr"]),
                   "tokens": s * tokens_per_step}
            if s == last and first:
                logger.print(f"step {s}/{total} loss {loss:.4f} (first step, with compilation: "
                             f"{now - timer['t']:.1f}s)")
            elif s == last:
                dsteps = s - timer["step"]
                tps = dsteps * tokens_per_step / max(now - timer["t"], 1e-9)
                mfu = tps * fpt / (peak * n_chips) if peak else None
                row.update(tokens_per_s=tps, wall_s=wall(), **counter.metrics())
                if mfu is not None:
                    row["mfu"] = mfu
                eta = (total - s) * (now - timer["t"]) / max(dsteps, 1)
                logger.print(progress_line(s, total, loss, tps, mfu, eta))
            logger.write(row)
        pending.clear()
        timer.update(t=now, step=last)

    def save() -> None:
        ckpt.save(step, state, {"iterator": data_iter.get_state(), "wall_s": wall(), "token_counts": counter.state()})

    end = total if stop_after is None else min(total, stop_after)
    while step < end:
        rows = next(data_iter)
        counter.update(rows)
        batch = trainer.device_batch(lm_batch(_local_rows(rows) if cfg.data.host_split == "rows" else rows))
        state, metrics = trainer.train_step(state, batch)
        step += 1
        pending.append((step, metrics))
        if first or step % cfg.train.log_every == 0 or step == end:
            flush()
            if first:  # do not count compilation in tokens/s
                timer.update(t=time.time(), step=step)
                first = False
        if cfg.train.eval_every and step % cfg.train.eval_every == 0 and step < total:
            eval_data = eval_data or input_lib.eval_batches(cfg.data, cfg.train.batch_size)
            logger.write({"step": step, "val_loss": evaluate(trainer, state["params"], eval_data)}, prefix="eval")
        if cfg.train.checkpoint_every and step % cfg.train.checkpoint_every == 0 and step < end:
            save()
    flush()
    if latest != step:
        save()
    ckpt.wait()
    if step < total:
        logger.print(f"stopped at step {step} of {total}; rerun the same command to resume")
        return {"stopped_at": step, "steps": total, "run_id": run_id}

    eval_data = eval_data or input_lib.eval_batches(cfg.data, cfg.train.batch_size)
    val_loss = evaluate(trainer, state["params"], eval_data)
    logger.write({"step": step, "val_loss": val_loss}, prefix="eval")
    row = results_row(cfg, run_id, step, val_loss, wall())
    io_utils.atomic_write_json(workdir / "result.json", row)
    logger.print(f"done: validation loss {val_loss:.4f} nats/token on {cfg.data.language} "
                 f"({row['tokens']:,} tokens, {row['wall_s']:.0f}s)")
    return row
