"""Checkpoints: exact resume, and a process killed with SIGKILL during a save."""

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from _train_helpers import tiny_config
from codescale_jax import io_utils
from codescale_jax.train.checkpoint import Checkpointer
from codescale_jax.train.loop import train

ROOT = Path(__file__).resolve().parents[1]


def _quiet(_):
    pass


def _losses(workdir):
    return [(r["step"], r["loss"]) for r in io_utils.read_jsonl(Path(workdir) / "metrics.jsonl") if "loss" in r]


@pytest.fixture(scope="module")
def uninterrupted(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("full")
    row = train(tiny_config("train.checkpoint_every=4", steps=12), workdir, print_fn=_quiet)
    return row, _losses(workdir)


def test_stop_and_resume_is_bitwise_identical(tmp_path, uninterrupted):
    row, expected = uninterrupted
    cfg = tiny_config("train.checkpoint_every=4", steps=12)
    stopped = train(cfg, tmp_path, stop_after=6, print_fn=_quiet)
    assert stopped["stopped_at"] == 6 and not (tmp_path / "result.json").exists()
    assert Checkpointer(tmp_path / "checkpoints").latest_step() == 6
    lines = []
    resumed = train(cfg, tmp_path, print_fn=lines.append)
    assert "resumed at step 6" in lines[0]
    assert _losses(tmp_path) == expected  # exact float equality, step by step
    assert resumed["loss"] == row["loss"] and resumed["steps"] == 12


_CHILD = textwrap.dedent("""
    import os, signal, sys, threading, time
    sys.path.insert(0, {tests!r})
    from _train_helpers import tiny_config
    from codescale_jax.train import checkpoint, loop

    KILL_AT, DELAY = int(sys.argv[2]), float(sys.argv[3])
    original = checkpoint.Checkpointer.save

    def save(self, step, state, data):
        if step == KILL_AT:
            self.wait()                             # the previous checkpoint is complete
        if step == KILL_AT and DELAY == 0:
            original(self, step, state, data)       # the async write is now in flight
            os.kill(os.getpid(), signal.SIGKILL)
        if step == KILL_AT:                         # die part-way into the save call itself
            threading.Timer(DELAY, lambda: os.kill(os.getpid(), signal.SIGKILL)).start()
        original(self, step, state, data)
        if step == KILL_AT:
            time.sleep(60)

    checkpoint.Checkpointer.save = save
    loop.train(tiny_config("train.checkpoint_every=4", steps=12), sys.argv[1], print_fn=lambda s: None)
""")


@pytest.mark.parametrize("kill_at, delay", [(8, 0.0), (8, 0.002), (4, 0.0)])
def test_sigkill_during_save_leaves_last_complete_checkpoint(tmp_path, uninterrupted, kill_at, delay):
    _, expected = uninterrupted
    script = _CHILD.format(tests=str(ROOT / "tests"))
    proc = subprocess.run([sys.executable, "-c", script, str(tmp_path), str(kill_at), str(delay)], cwd=ROOT,
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == -signal.SIGKILL, proc.stderr[-2000:]
    ckpt_dir = tmp_path / "checkpoints"
    visible = sorted(int(p.name) for p in ckpt_dir.iterdir() if p.name.isdigit())
    # Earlier checkpoints are complete; the one being written is either absent or (if the background
    # write won the race against the kill) complete. Killed during the first save, none is visible.
    previous = [s for s in (4,) if s < kill_at]
    assert visible in (previous, previous + [kill_at]), sorted(os.listdir(ckpt_dir))
    for step in visible:
        assert (ckpt_dir / str(step) / "commit_success.txt").exists() or \
            (ckpt_dir / str(step) / "_CHECKPOINT_METADATA").exists()
    assert Checkpointer(ckpt_dir).latest_step() == (visible[-1] if visible else None)
    # The next invocation removes temporaries, resumes and reproduces the uninterrupted run exactly.
    train(tiny_config("train.checkpoint_every=4", steps=12), tmp_path, print_fn=_quiet)
    assert not [p for p in os.listdir(ckpt_dir) if "tmp" in p]
    assert _losses(tmp_path) == expected
