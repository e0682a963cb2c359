"""Multi-process training on one machine: two CPU processes, one device each, joined through the
coordination service on 127.0.0.1 with CPU (gloo) collectives.

* The 2-process run (``mesh.data=2``, ``data.host_split=rows``) logs the same losses as one process
  with two devices.
* Killing one process mid-run makes the other exit with an error within the heartbeat timeout (no
  hang), and rerunning the same two commands resumes from the last complete checkpoint and finishes.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from codescale_jax import io_utils
from codescale_jax.parallel import distributed
from experiments import train as train_cli

ROOT = Path(__file__).resolve().parents[1]
HEARTBEAT_S = 10


def _common(workdir: Path, steps: int, batch: int = 4, seq: int = 32, ckpt_every: int = 0) -> list[str]:
    sets = [f"train.steps={steps}", f"train.batch_size={batch}", f"data.seq_len={seq}", "data.eval_tokens=256",
            "train.log_every=1", "train.peak_flops=-1", "train.tensorboard=false", "mesh.data=2",
            "data.host_split=rows", "model.d_model=32", "model.n_layers=1", "model.d_ff=64",
            f"train.checkpoint_every={ckpt_every}", "optimizer.warmup_steps=1"]
    return ["--model", "micro-0.1m", "--workdir", str(workdir)] + [a for s in sets for a in ("--set", s)]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _env() -> dict[str, str]:
    env = dict(os.environ, JAX_NUM_CPU_DEVICES="1", JAX_PLATFORMS="cpu", PYTHONUNBUFFERED="1")
    flags = [f for f in env.get("XLA_FLAGS", "").split() if "device_count" not in f]
    env["XLA_FLAGS"] = " ".join(flags)
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT)] + [p for p in [env.get("PYTHONPATH")] if p])
    return env


def _launch(args: list[str], port: int, log_dir: Path) -> list[subprocess.Popen]:
    procs = []
    for i in range(2):
        log = open(log_dir / f"proc{i}.log", "w")
        cmd = [sys.executable, "-m", "experiments.train", *args, "--coordinator-address", f"127.0.0.1:{port}",
               "--num-processes", "2", "--process-id", str(i), "--heartbeat-timeout", str(HEARTBEAT_S),
               "--init-timeout", "120", "--barrier-timeout", "60"]
        procs.append(subprocess.Popen(cmd, cwd=ROOT, env=_env(), stdout=log, stderr=subprocess.STDOUT))
    return procs


def _wait_all(procs: list[subprocess.Popen], timeout: float) -> list[int]:
    deadline = time.time() + timeout
    codes = []
    for p in procs:
        try:
            codes.append(p.wait(timeout=max(1.0, deadline - time.time())))
        except subprocess.TimeoutExpired:
            for q in procs:
                q.kill()
            pytest.fail(f"multi-process run still running after {timeout}s (a hang)")
    return codes


def _losses(run: Path, name: str = "metrics.jsonl") -> dict[int, float]:
    rows = [r for r in io_utils.read_jsonl(run / name) if "loss" in r]
    steps = [r["step"] for r in rows]
    assert len(steps) == len(set(steps)), f"duplicated metric rows in {run / name}: {steps}"
    return {r["step"]: r["loss"] for r in rows}


def _logs(tmp: Path) -> str:
    return "\n".join(f"--- {p.name}\n{p.read_text()[-3000:]}" for p in sorted(tmp.glob("proc*.log")))


@pytest.mark.slow
def test_two_processes_match_one_process_with_two_devices(tmp_path, monkeypatch, capsys):
    steps = 4
    procs = _launch(_common(tmp_path / "multi", steps), _free_port(), tmp_path)
    assert _wait_all(procs, timeout=500) == [0, 0], _logs(tmp_path)
    # The reference: this (parent) process, the first 2 of its virtual CPU devices, same flags.
    assert train_cli.main(_common(tmp_path / "single", steps)) == 0
    multi, single = _losses(tmp_path / "multi"), _losses(tmp_path / "single")
    assert sorted(multi) == sorted(single) == list(range(1, steps + 1))
    np.testing.assert_allclose([multi[s] for s in sorted(multi)], [single[s] for s in sorted(single)],
                               atol=1e-4, rtol=0)
    # Process 1 logged the same losses to its own file; process 0 owns the run dir's metrics.
    np.testing.assert_allclose(list(_losses(tmp_path / "multi", "hosts/1/metrics.jsonl").values()),
                               [multi[s] for s in sorted(multi)], atol=1e-6, rtol=0)
    a, b = (io_utils.read_json(tmp_path / d / "result.json") for d in ("multi", "single"))
    assert abs(a["loss"] - b["loss"]) < 1e-4 and a["steps"] == b["steps"] == steps


@pytest.mark.slow
def test_killed_process_fails_the_job_and_a_rerun_resumes(tmp_path):
    steps, run = 400, tmp_path / "run"
    args = _common(run, steps, batch=16, seq=64, ckpt_every=10)
    procs = _launch(args, _free_port(), tmp_path)
    ckpt = run / "checkpoints"
    deadline = time.time() + 400
    while not (ckpt.is_dir() and any(p.name.isdigit() for p in ckpt.iterdir())):
        assert time.time() < deadline and all(p.poll() is None for p in procs), _logs(tmp_path)
        time.sleep(0.2)
    procs[1].send_signal(signal.SIGKILL)
    killed_at = time.time()
    try:
        rc0 = procs[0].wait(timeout=HEARTBEAT_S + 120)
    except subprocess.TimeoutExpired:
        procs[0].kill()
        pytest.fail("process 0 hung after its peer was killed\n" + _logs(tmp_path))
    assert rc0 != 0, "process 0 must fail when its peer dies\n" + _logs(tmp_path)
    print(f"process 0 exited with {rc0} {time.time() - killed_at:.1f}s after the kill")
    assert not (run / "result.json").exists(), "the killed run must not look finished"
    done = sorted(int(p.name) for p in ckpt.iterdir() if p.name.isdigit())
    assert done and done[-1] < steps, done

    for p in tmp_path.glob("proc*.log"):
        p.rename(p.with_suffix(".first"))
    procs = _launch(args, _free_port(), tmp_path)
    assert _wait_all(procs, timeout=500) == [0, 0], _logs(tmp_path)
    log0 = (tmp_path / "proc0.log").read_text()
    assert f"resumed at step {done[-1]}" in log0, log0[-2000:]
    losses = _losses(run)
    assert sorted(losses) == list(range(1, steps + 1))
    assert io_utils.read_json(run / "result.json")["steps"] == steps


def test_flags_are_validated_with_clear_errors():
    ok = distributed.DistributedOptions("127.0.0.1:1234", 2, 1)
    distributed.validate(ok)
    distributed.validate(distributed.DistributedOptions())  # nothing given: single process / cluster
    bad = [(distributed.DistributedOptions("127.0.0.1:1234", 2, None), "all of"),
           (distributed.DistributedOptions("127.0.0.1", 2, 0), "HOST:PORT"),
           (distributed.DistributedOptions("host:99999", 2, 0), "HOST:PORT"),
           (distributed.DistributedOptions("host:1234", 2, 2), "outside 0..1"),
           (distributed.DistributedOptions("host:1234", 0, 0), "num-processes"),
           (distributed.DistributedOptions("host:1234", 2, 0, heartbeat_timeout_s=0), "heartbeat")]
    for opts, msg in bad:
        with pytest.raises(distributed.DistributedError, match=msg):
            distributed.validate(opts)


def test_cluster_detection_needs_more_than_one_task():
    assert distributed.detect_cluster({}) is None
    assert distributed.detect_cluster({"SLURM_JOB_ID": "7", "SLURM_NTASKS": "1", "SLURM_PROCID": "0"}) is None
    assert distributed.detect_cluster({"SLURM_JOB_ID": "7", "SLURM_NTASKS": "4", "SLURM_PROCID": "2"}) == "slurm"
    assert distributed.detect_cluster({"OMPI_COMM_WORLD_SIZE": "2"}) == "mpi"
    assert distributed.detect_cluster({"TPU_WORKER_HOSTNAMES": "a,b"}) == "tpu"
    assert distributed.detect_cluster({"SLURM_JOB_ID": "7", "SLURM_NTASKS": "x"}) is None


def test_single_process_start_needs_no_service(monkeypatch):
    for key in list(os.environ):
        if key.startswith(("SLURM_", "OMPI_", "TPU_")):
            monkeypatch.delenv(key)
    monkeypatch.setattr(distributed, "_BARRIER_TIMEOUT_S", distributed.barrier_timeout_s())  # restored after
    lines = []
    assert distributed.initialize(distributed.DistributedOptions(barrier_timeout_s=42), print_fn=lines.append) \
        == "single"
    assert lines == [] and distributed.barrier_timeout_s() == 42


def test_unknown_host_split_is_refused(tmp_path):
    from _train_helpers import tiny_config
    from codescale_jax.config import ConfigError
    from codescale_jax.train.loop import train

    with pytest.raises(ConfigError, match="host_split"):
        train(tiny_config("data.host_split=hosts", steps=1), tmp_path / "r", print_fn=lambda _: None)
