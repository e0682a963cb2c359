"""The sandbox layer on its own, with shell commands: isolation, limits, timeout, output cap.

These tests require bubblewrap (installed by scripts/install_toolchains.sh); they fail, not skip,
when it is missing, so CI cannot pass with the isolation layer silently absent.
"""

import os
import random
import stat
import subprocess
import tempfile
import time

import pytest

from codescale_jax.eval import runners, sandbox
from codescale_jax.eval.sandbox import Limits, Mount, fresh_uid, run_sandboxed


@pytest.fixture(autouse=True)
def private_uid_window(monkeypatch):
    """Draw this test's sample uids from a window no other harness user on the machine draws from,
    so the leftover-process checks see only this test's processes."""
    lo = random.randrange(3_000_000_000, 4_000_000_000 - 100_000)
    monkeypatch.setattr(sandbox, "UID_RANGE", (lo, lo + 99_999))


def _sample_processes() -> list[int]:
    """Pids of live processes owned by a sample uid of this test (there must be none after a sample)."""
    lo, hi = sandbox.UID_RANGE
    pids = []
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            uid = os.stat(f"/proc/{d}").st_uid
        except FileNotFoundError:
            continue
        if lo <= uid <= hi:
            pids.append(int(d))
    return pids


# Deadlines in these tests are far above what the commands need: the box may be heavily loaded.
def _sh(script: str, *, limits: Limits = Limits(wall_s=30), uid: int | None = -1, **kw):
    return run_sandboxed(["sh", "-c", script], cwd="/tmp", limits=limits,
                         uid=fresh_uid() if uid == -1 else uid, **kw)


def test_bwrap_is_installed_and_used():
    assert sandbox.bwrap_path() is not None, "bubblewrap missing: run scripts/install_toolchains.sh"
    assert os.geteuid() != 0 or sandbox.isolation_mode() == "bwrap"


def test_runs_as_unprivileged_uid_without_capabilities():
    uid = fresh_uid()
    r = _sh("id -u; grep -E '^(CapEff|NoNewPrivs)' /proc/self/status", uid=uid)
    assert r.exit_code == 0, r
    lines = r.stdout.split("\n")
    assert lines[0] == str(uid)
    assert "CapEff:\t0000000000000000" in r.stdout
    assert "NoNewPrivs:\t1" in r.stdout


def test_root_is_read_only_and_tmp_is_private():
    probe = tempfile.mkdtemp(dir="/var/tmp")
    os.chmod(probe, 0o777)
    try:
        r = _sh(f"echo x > {probe}/f || echo RO1; echo x > /etc/probe || echo RO2; "
                "echo ok > /tmp/t && cat /tmp/t; ls /tmp | wc -l")
        assert "RO1" in r.stdout and "RO2" in r.stdout
        assert "ok" in r.stdout
        assert os.listdir(probe) == []
    finally:
        os.rmdir(probe)


def test_writable_mount_only_where_given():
    host = tempfile.mkdtemp()
    uid = fresh_uid()
    os.chown(host, uid, uid)
    try:
        r = run_sandboxed(["sh", "-c", "echo hi > out.txt"], cwd="/tmp/box", uid=uid, limits=Limits(wall_s=30),
                          mounts=[Mount(host, "/tmp/box", writable=True)])
        assert r.exit_code == 0, r
        with open(os.path.join(host, "out.txt")) as f:
            assert f.read() == "hi\n"
        r = run_sandboxed(["sh", "-c", "echo no > out.txt"], cwd="/tmp/box", uid=uid, limits=Limits(wall_s=30),
                          mounts=[Mount(host, "/tmp/box")])
        assert r.exit_code != 0
        with open(os.path.join(host, "out.txt")) as f:
            assert f.read() == "hi\n"
    finally:
        import shutil
        shutil.rmtree(host)


def test_no_network_but_loopback():
    r = _sh("cat /proc/net/dev | tail -n +3 | cut -d: -f1 | tr -d ' '")
    assert r.stdout.split() == ["lo"]


def test_pid_namespace_hides_host_processes():
    r = _sh("ls /proc | grep -c '^[0-9]'")
    assert int(r.stdout.strip()) < 10


def test_timeout_kills_whole_group_including_detached_children():
    before = set(_sample_processes())
    r = _sh("sleep 300 & setsid sleep 300 & (trap '' TERM HUP; sleep 300) & while :; do :; done",
            limits=Limits(wall_s=1.5))
    assert r.timed_out and r.exit_code is None
    assert set(_sample_processes()) - before == set()


def test_background_child_does_not_outlive_the_sample():
    before = set(_sample_processes())
    r = _sh("(sleep 300 &) ; nohup sleep 300 >/dev/null 2>&1 & echo started")
    assert r.exit_code == 0 and not r.timed_out and "started" in r.stdout
    assert set(_sample_processes()) - before == set()


def test_nproc_limit_applies_to_sample_uid(limit_path):
    # As root RLIMIT_NPROC would be ignored; the uid drop is what makes it bite.
    r = _sh("i=0; while [ $i -lt 100 ]; do sleep 3 & i=$((i+1)); done 2>&1; echo spawned",
            limits=Limits(wall_s=60, nproc=20))
    assert "fork" in (r.stdout + r.stderr).lower() or "resource temporarily unavailable" in (r.stdout + r.stderr).lower(), r


def test_cpu_time_limit_kills_busy_loop(limit_path):
    r = _sh("while :; do :; done", limits=Limits(wall_s=120, cpu_s=1))
    assert not r.timed_out
    assert r.exit_code == 128 + 9 or r.exit_code == 128 + 24  # SIGKILL / SIGXCPU


@pytest.fixture(params=["prlimit", "preexec"])
def limit_path(request, monkeypatch):
    """Run a limits test through the prlimit helper and through the preexec fallback."""
    if request.param == "preexec":
        monkeypatch.setattr(sandbox, "limit_prefix", lambda limits: None)
    else:
        assert sandbox.limit_prefix(Limits()) is not None, "prlimit (util-linux) missing"
    return request.param


def test_limits_are_applied(limit_path):
    r = _sh("cat /proc/self/limits",
            limits=Limits(wall_s=30, cpu_s=7, file_size_mb=3, memory_mb=300, address_space_mb=900, nproc=33,
                          nofile=77))
    soft = {line[:26].strip(): line[26:].split()[0] for line in r.stdout.splitlines()[1:]}
    assert soft["Max cpu time"] == "7"
    assert soft["Max file size"] == str(3 << 20)
    assert soft["Max data size"] == str(300 << 20)
    assert soft["Max address space"] == str(900 << 20)
    assert soft["Max processes"] == "33"
    assert soft["Max open files"] == "77"
    assert soft["Max core file size"] == "0"


def test_file_size_limit(limit_path):
    r = _sh("head -c 5000000 /dev/zero > /tmp/big; echo rc=$?; stat -c %s /tmp/big",
            limits=Limits(wall_s=30, file_size_mb=1))
    assert r.stdout.strip().split("\n")[-1] == str(1 << 20)


def test_output_is_capped_and_flagged():
    r = _sh("yes abcdefgh | head -c 3000000", limits=Limits(wall_s=60, output_bytes=1000))
    assert r.exit_code == 0
    assert len(r.stdout) == 1000 and r.truncated


def test_stdin_is_delivered_in_full():
    data = "line\n" * 50000
    r = run_sandboxed(["wc", "-l"], cwd="/tmp", uid=fresh_uid(), limits=Limits(wall_s=30), stdin=data)
    assert r.stdout.strip() == "50000"


def test_closing_outputs_early_does_not_end_the_sample():
    r = _sh("echo before; exec >&- 2>&-; sleep 0.5; exit 5")
    assert (r.exit_code, r.stdout, r.timed_out) == (5, "before\n", False), r


def test_signal_exit_code_is_reported():
    r = _sh("kill -SEGV $$")
    assert r.exit_code == 128 + 11


def test_sweep_kills_every_process_of_a_uid():
    uid = fresh_uid()
    procs = [subprocess.Popen(["setpriv", f"--reuid={uid}", f"--regid={uid}", "--clear-groups", "sleep", "300"])
             for _ in range(3)]
    deadline = time.monotonic() + 10
    while len(sandbox.live_pids_of_uid(uid)) < 3 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert len(sandbox.live_pids_of_uid(uid)) == 3
    assert sandbox.sweep_uid(uid)
    assert [p.wait() for p in procs] == [-9, -9, -9]
    assert sandbox.live_pids_of_uid(uid) == []


def test_world_accessible():
    d = tempfile.mkdtemp()
    try:
        p = os.path.join(d, "f")
        open(p, "w").close()
        os.chmod(p, 0o644)
        os.chmod(d, 0o755)
        assert runners.world_accessible(p)
        os.chmod(d, 0o700)
        assert not runners.world_accessible(p)
    finally:
        os.chmod(d, stat.S_IRWXU)
        import shutil
        shutil.rmtree(d)


def test_degrades_without_bwrap(monkeypatch):
    monkeypatch.setenv("CODESCALE_SANDBOX", "none")
    assert sandbox.isolation_mode() == "none"
    before = set(os.listdir("/proc"))
    r = run_sandboxed(["sh", "-c", "echo hi; sleep 300 & while :; do :; done"], cwd="/", uid=fresh_uid(),
                      limits=Limits(wall_s=1))
    assert r.timed_out and "no isolation" in r.note and r.stdout == "hi\n"
    r = run_sandboxed(["sh", "-c", "kill -SEGV $$"], cwd="/", limits=Limits(wall_s=30))
    assert r.exit_code == 128 + 11  # same convention as under bwrap
    time.sleep(0.2)
    for pid in set(os.listdir("/proc")) - before:  # the group kill still reached the background sleep
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                assert f.read() != b"sleep\x00300\x00"
        except (FileNotFoundError, ProcessLookupError):
            pass
