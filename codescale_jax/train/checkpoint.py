"""Checkpoints with orbax: the train state (parameters, optimizer state, step) plus a small JSON
item holding the data iterator's state and the run's elapsed wall time.

Saves are asynchronous (device arrays are copied to host, then written by a background thread
while training continues). Orbax writes each step into a temporary directory and renames it to
``<step>/`` only once every item is complete, so a process killed mid-save (even by SIGKILL)
leaves the previous complete checkpoint as the latest one; temporaries left behind are removed
the next time the manager opens the directory.

The data item is a snapshot of ``iterator.get_state()`` taken at ``save`` time (a JSON dict), so
later ``next()`` calls cannot race with the background write.
"""

from __future__ import annotations

import os
from typing import Any

import orbax.checkpoint as ocp

from codescale_jax.parallel import distributed


class Checkpointer:
    def __init__(self, directory: str | os.PathLike, keep: int = 2, async_save: bool = True):
        options = ocp.CheckpointManagerOptions(
            max_to_keep=max(1, keep), create=True, enable_async_checkpointing=async_save,
            cleanup_tmp_directories=True,
            # Bound every cross-process barrier of a save (see codescale_jax.parallel.distributed).
            async_options=ocp.options.AsyncOptions(timeout_secs=distributed.barrier_timeout_s()))
        self._mngr = ocp.CheckpointManager(os.path.abspath(directory), options=options,
                                           item_names=("state", "data"))

    def latest_step(self) -> int | None:
        return self._mngr.latest_step()

    def all_steps(self) -> list[int]:
        return list(self._mngr.all_steps())

    def save(self, step: int, state: Any, data: dict[str, Any]) -> None:
        """Start saving ``state`` (a pytree of arrays) and ``data`` (JSON) as ``step``; returns at once.
        A save still in flight is finished first."""
        self._mngr.wait_until_finished()
        self._mngr.save(step, args=ocp.args.Composite(state=ocp.args.StandardSave(state),
                                                       data=ocp.args.JsonSave(data)), force=True)

    def restore(self, step: int, abstract_state: Any) -> tuple[Any, dict[str, Any]]:
        """Restore ``step`` into the shapes, dtypes and shardings of ``abstract_state``."""
        out = self._mngr.restore(step, args=ocp.args.Composite(state=ocp.args.StandardRestore(abstract_state),
                                                               data=ocp.args.JsonRestore()))
        return out["state"], out["data"]

    def wait(self) -> None:
        self._mngr.wait_until_finished()

    def close(self) -> None:
        self._mngr.wait_until_finished()
        self._mngr.close()
