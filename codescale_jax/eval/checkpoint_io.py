"""Load what evaluation needs from a run dir: the resolved config, the tokenizer and the parameters.

A run dir (see :mod:`codescale_jax.train.loop`) holds ``config.json`` and ``checkpoints/<step>/``.
The checkpoint stores the whole train state (step, parameters, optimizer moments); orbax restores
into a target tree, so this module rebuilds the state's shapes from the config (the same optimizer
the run used) and restores it onto one device, then keeps only the parameters. Restoring the
optimizer moments costs twice the parameter memory for a moment; that is the price of reading the
checkpoint exactly as training wrote it.
"""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path
from typing import Any

import jax

from codescale_jax import config as config_lib
from codescale_jax.config import Config
from codescale_jax.data import tokenizer as tokenizer_lib
from codescale_jax.errors import InputError


class RunDirError(InputError, FileNotFoundError):
    """The directory is not a (finished or checkpointed) run dir."""


@dataclasses.dataclass(frozen=True)
class LoadedRun:
    run_dir: Path
    cfg: Config
    params: Any
    tokenizer: Any
    step: int

    @property
    def run_id(self) -> str:
        return self.cfg.train.run_id or self.run_dir.resolve().name


def load_config(run_dir: str | os.PathLike) -> Config:
    path = Path(run_dir) / "config.json"
    if not path.is_file():
        raise RunDirError(f"{run_dir} has no config.json; pass the directory `python -m experiments.train` wrote")
    try:
        return config_lib.from_json(path.read_text())
    except config_lib.ConfigError as exc:  # truncated, hand-edited or from another version
        raise config_lib.ConfigError(f"{path}: {exc}") from exc


def checkpoint_steps(run_dir: str | os.PathLike) -> list[int]:
    d = Path(run_dir) / "checkpoints"
    if not d.is_dir():
        return []
    return sorted(int(p.name) for p in d.iterdir() if p.is_dir() and p.name.isdigit())


def _abstract_state(cfg: Config, sharding) -> dict:
    from codescale_jax.model import decoder
    from codescale_jax.train.optimizer import make_optimizer

    total = cfg.train.total_steps(cfg.data.seq_len)
    tx = make_optimizer(cfg.optimizer, total)

    def init():
        params = decoder.init_params(cfg.model, jax.random.key(0))
        return {"step": jax.numpy.zeros((), jax.numpy.int32), "params": params, "opt_state": tx.init(params)}

    shapes = jax.eval_shape(init)
    return jax.tree.map(lambda x: jax.ShapeDtypeStruct(x.shape, x.dtype, sharding=sharding), shapes)


def load_run(run_dir: str | os.PathLike, step: int | None = None) -> LoadedRun:
    """Config, tokenizer and parameters of ``run_dir`` at ``step`` (default: the latest checkpoint)."""
    import orbax.checkpoint as ocp

    run_dir = Path(run_dir)
    cfg = load_config(run_dir)
    steps = checkpoint_steps(run_dir)
    if not steps:
        raise RunDirError(f"{run_dir}/checkpoints holds no complete checkpoint; train the run first")
    if step is None:
        step = steps[-1]
    elif step not in steps:
        raise RunDirError(f"{run_dir} has no checkpoint at step {step}; available: {steps}")
    sharding = jax.sharding.SingleDeviceSharding(jax.devices()[0])
    # Read-only: never create, clean up or delete anything in a directory a run may still write to.
    options = ocp.CheckpointManagerOptions(create=False, read_only=True, cleanup_tmp_directories=False)
    mngr = ocp.CheckpointManager(os.path.abspath(run_dir / "checkpoints"), options=options,
                                 item_names=("state", "data"))
    try:
        out = mngr.restore(step, args=ocp.args.Composite(
            state=ocp.args.StandardRestore(_abstract_state(cfg, sharding))))
        state = out["state"]
    finally:
        mngr.close()
    return LoadedRun(run_dir, cfg, state["params"], tokenizer_lib.from_spec(cfg.data.tokenizer), step)
