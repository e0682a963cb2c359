"""Joining a multi-process (multi-host) JAX job, with every wait bounded by a timeout.

Three ways to start, tried in this order by :func:`initialize`:

1. **Explicit flags** (``--coordinator-address HOST:PORT --num-processes K --process-id I``): any
   launcher works, including plain ``ssh`` or a Kubernetes JobSet (process id from the pod's
   completion index). Process 0 hosts the coordination service on ``HOST:PORT``.
2. **A cluster JAX recognises** (SLURM, Open MPI, GKE TPU slices...): ``jax.distributed`` reads the
   coordinator, process count and id from the environment. :func:`detect_cluster` reports which
   one, so a single-task SLURM allocation or an interactive shell is not mistaken for a job.
3. **Nothing**: one process, no coordination service.

Timeouts, and why each exists (a multi-host job must fail, never hang):

* ``initialization_timeout_s``: how long a process waits for all the others to connect.
* ``heartbeat_timeout_s``: a process that stops sending heartbeats (killed, host lost) is declared
  dead after this long; the coordination service then ends every other process with an error that
  names the missing task, instead of leaving them blocked in a collective.
* ``barrier_timeout_s``: the bound on checkpoint barriers (orbax waits for every process to finish
  writing before it commits a step). :mod:`codescale_jax.train.checkpoint` reads it from here.
"""

from __future__ import annotations

import dataclasses
import os
from typing import Mapping

import jax

from codescale_jax.errors import InputError

#: Barrier timeout used by checkpoints; set by :func:`initialize` (one value per process).
_BARRIER_TIMEOUT_S = 600


class DistributedError(InputError, ValueError):
    """Inconsistent or malformed multi-process settings."""


@dataclasses.dataclass(frozen=True)
class DistributedOptions:
    coordinator_address: str | None = None  # HOST:PORT of process 0
    num_processes: int | None = None
    process_id: int | None = None
    initialization_timeout_s: int = 300
    heartbeat_timeout_s: int = 100
    barrier_timeout_s: int = 600

    @property
    def explicit(self) -> bool:
        return any(v is not None for v in (self.coordinator_address, self.num_processes, self.process_id))


def validate(opts: DistributedOptions) -> None:
    """Raise :class:`DistributedError` naming what is wrong with explicit flags."""
    if not opts.explicit:
        return
    if opts.coordinator_address is None or opts.num_processes is None or opts.process_id is None:
        raise DistributedError("pass all of --coordinator-address HOST:PORT, --num-processes K and "
                               "--process-id I (or none of them, to let a cluster environment decide)")
    host, sep, port = opts.coordinator_address.rpartition(":")
    if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise DistributedError(f"--coordinator-address {opts.coordinator_address!r} is not HOST:PORT "
                               "(e.g. 10.0.0.1:1234, the address of process 0)")
    if opts.num_processes < 1:
        raise DistributedError(f"--num-processes must be >= 1, got {opts.num_processes}")
    if not 0 <= opts.process_id < opts.num_processes:
        raise DistributedError(f"--process-id {opts.process_id} is outside 0..{opts.num_processes - 1}")
    for name in ("initialization_timeout_s", "heartbeat_timeout_s", "barrier_timeout_s"):
        if getattr(opts, name) <= 0:
            raise DistributedError(f"{name} must be positive (seconds), got {getattr(opts, name)}")


def detect_cluster(env: Mapping[str, str] | None = None) -> str | None:
    """The multi-process environment this process runs in, or ``None`` for a single process.

    Only environments with more than one task count: a one-task SLURM step is a single process.
    """
    env = os.environ if env is None else env

    def n(key: str) -> int:
        try:
            return int(env.get(key, "1"))
        except ValueError:
            return 1

    if "SLURM_JOB_ID" in env and n("SLURM_NTASKS") > 1 and "SLURM_PROCID" in env:
        return "slurm"
    if n("OMPI_COMM_WORLD_SIZE") > 1:
        return "mpi"
    if env.get("TPU_WORKER_HOSTNAMES", "").count(",") >= 1:
        return "tpu"
    return None


def barrier_timeout_s() -> int:
    return _BARRIER_TIMEOUT_S


def initialize(opts: DistributedOptions = DistributedOptions(), *, force: bool = False, print_fn=print) -> str:
    """Join the job described by ``opts`` or the environment; must run before any other JAX call.

    ``force`` calls ``jax.distributed.initialize()`` even when :func:`detect_cluster` recognises no
    environment (for launchers JAX detects but this module does not). Returns how the process started: ``"flags"``, a cluster name from :func:`detect_cluster`, or
    ``"single"``.
    """
    global _BARRIER_TIMEOUT_S
    validate(opts)
    _BARRIER_TIMEOUT_S = opts.barrier_timeout_s
    timeouts = dict(initialization_timeout=opts.initialization_timeout_s,
                    heartbeat_timeout_seconds=opts.heartbeat_timeout_s)
    if opts.explicit:
        how = "flags"
        jax.distributed.initialize(opts.coordinator_address, opts.num_processes, opts.process_id, **timeouts)
    else:
        how = detect_cluster() or ("environment" if force else None)
        if how is None:
            return "single"
        jax.distributed.initialize(**timeouts)
    print_fn(f"process {jax.process_index()}/{jax.process_count()} joined via {how}: "
             f"{jax.local_device_count()} local / {jax.device_count()} global devices")
    return how
