"""Launch recipes: the SLURM scripts and the JobSet manifest are well formed, and the training
command each one builds parses as valid ``experiments.train`` flags and config overrides."""

from __future__ import annotations

import os
import shlex
import subprocess
from pathlib import Path

import pytest
import yaml

from codescale_jax.config import make_config
from experiments import train as train_cli

LAUNCH = Path(__file__).resolve().parents[1] / "experiments" / "launch"
SCRIPTS = ["slurm_multinode.sbatch", "slurm_sweep_array.sbatch", "submit_sweep.sh"]


def _train_args(command_line: str) -> list[str]:
    words = shlex.split(command_line)
    i = words.index("experiments.train")
    assert words[i - 1] == "-m"
    return words[i + 1:]


def _check_train_args(args: list[str]):
    ns = train_cli.parse_args(args)
    make_config(ns.model, language=ns.language, tokens=ns.tokens, overrides=ns.overrides)  # raises if invalid
    return ns


def _run(script: str, env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(["bash", str(LAUNCH / script), *args], env={**os.environ, **env},
                          capture_output=True, text=True, timeout=60, cwd=LAUNCH.parents[1])


@pytest.mark.parametrize("script", SCRIPTS)
def test_scripts_have_valid_bash_syntax(script):
    r = subprocess.run(["bash", "-n", str(LAUNCH / script)], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert os.access(LAUNCH / script, os.X_OK)


def test_multinode_script_builds_a_valid_training_command():
    text = (LAUNCH / "slurm_multinode.sbatch").read_text()
    directives = [l for l in text.splitlines() if l.startswith("#SBATCH")]
    assert any("--ntasks-per-node=1" in d for d in directives) and any("--nodes=" in d for d in directives)
    r = _run("slurm_multinode.sbatch", {"DRY_RUN": "1", "MODEL": "micro-0.4m", "TOKENS": "1e6"})
    assert r.returncode == 0, r.stderr
    ns = _check_train_args(_train_args(r.stdout))
    assert ns.model == "micro-0.4m" and ns.tokens == 1e6 and "mesh.data=-1" in ns.overrides
    assert ns.heartbeat_timeout > 0 and ns.barrier_timeout > 0


def test_sweep_array_runs_one_line_per_task_and_rejects_extra_tasks():
    sweep = LAUNCH / "sweep_example.txt"
    lines = [l for l in sweep.read_text().splitlines() if l.strip() and not l.lstrip().startswith("#")]
    workdirs = set()
    for task, line in enumerate(lines):
        r = _run("slurm_sweep_array.sbatch", {"DRY_RUN": "1", "SWEEP": str(sweep), "SLURM_ARRAY_TASK_ID": str(task)})
        assert r.returncode == 0, r.stderr
        ns = _check_train_args(_train_args(r.stdout))
        model, language, tokens = line.split()[:3]
        assert (ns.model, ns.language, ns.tokens) == (model, language, float(tokens))
        workdirs.add(ns.workdir)
    assert len(workdirs) == len(lines)  # every run has its own directory
    r = _run("slurm_sweep_array.sbatch", {"DRY_RUN": "1", "SWEEP": str(sweep), "SLURM_ARRAY_TASK_ID": str(len(lines))})
    assert r.returncode == 2 and "has no line" in r.stderr


def test_submit_sweep_sizes_the_array_from_the_file(tmp_path):
    r = _run("submit_sweep.sh", {"SBATCH": "echo"}, str(LAUNCH / "sweep_example.txt"), "4")
    n = sum(1 for l in (LAUNCH / "sweep_example.txt").read_text().splitlines()
            if l.strip() and not l.lstrip().startswith("#"))
    assert r.returncode == 0, r.stderr
    assert f"--array=0-{n - 1}%4" in r.stdout and "slurm_sweep_array.sbatch" in r.stdout
    empty = tmp_path / "empty.txt"
    empty.write_text("# nothing\n")
    assert _run("submit_sweep.sh", {"SBATCH": "echo"}, str(empty)).returncode == 2


def test_jobset_manifest_wires_the_coordinator_and_process_ids():
    doc = yaml.safe_load((LAUNCH / "jobset.yaml").read_text())
    assert doc["kind"] == "JobSet" and doc["apiVersion"].startswith("jobset.x-k8s.io/")
    name = doc["metadata"]["name"]
    assert doc["spec"]["network"]["enableDNSHostnames"] is True
    (rjob,) = doc["spec"]["replicatedJobs"]
    job = rjob["template"]["spec"]
    assert job["completionMode"] == "Indexed" and job["parallelism"] == job["completions"]
    (container,) = job["template"]["spec"]["containers"]
    env = {e["name"]: e["value"] for e in container["env"]}
    assert int(env["NUM_PROCESSES"]) == job["parallelism"]
    host, port = env["COORDINATOR"].rsplit(":", 1)
    assert host == f"{name}-{rjob['name']}-0-0.{name}"  # process 0's DNS name under JobSet
    assert {"containerPort": int(port)} in container["ports"]
    # Expand the container's shell command as a pod with completion index 1 would.
    script = container["args"][0].replace("exec python", "printf '%q ' python", 1)
    r = subprocess.run(container["command"] + [script], env={**os.environ, **env, "JOB_COMPLETION_INDEX": "1"},
                       capture_output=True, text=True, timeout=30)
    assert r.returncode == 0, r.stderr
    ns = _check_train_args(_train_args(r.stdout))
    assert (ns.process_id, ns.num_processes, ns.coordinator_address) == (1, 2, env["COORDINATOR"])
    mounts = {m["mountPath"] for m in container["volumeMounts"]}
    assert any(ns.workdir.startswith(m) for m in mounts)  # checkpoints go to the shared volume
