"""The malloc setting for XLA's CPU scratch memory: environment editing and the one-time restart."""

import os
import subprocess
import sys
import textwrap

import pytest

from codescale_jax import hostenv
from codescale_jax.study import sweep

linux_only = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the setting is Linux-only by design")


@linux_only
def test_adds_the_setting_and_keeps_other_tunables():
    assert hostenv.with_malloc_tuning({})["GLIBC_TUNABLES"] == "glibc.malloc.hugetlb=1"
    env = hostenv.with_malloc_tuning({"GLIBC_TUNABLES": "glibc.malloc.arena_max=2", "PATH": "/bin"})
    assert env["GLIBC_TUNABLES"] == "glibc.malloc.arena_max=2:glibc.malloc.hugetlb=1"
    assert env["PATH"] == "/bin"


@linux_only
def test_respects_the_users_choice():
    mine = {"GLIBC_TUNABLES": "glibc.malloc.hugetlb=0"}
    assert hostenv.with_malloc_tuning(mine) == mine
    assert not hostenv.needs_reexec(mine)
    off = {hostenv.OPT_OUT: "0"}
    assert hostenv.with_malloc_tuning(off) == off
    assert not hostenv.needs_reexec(off)
    assert hostenv.needs_reexec({})
    assert not hostenv.needs_reexec(hostenv.with_malloc_tuning({}))


@linux_only
def test_sweep_children_get_the_setting(tmp_path):
    env = sweep.compile_cache_env(tmp_path / "cache", base={"GLIBC_TUNABLES": "glibc.malloc.tcache_count=0"})
    assert env["GLIBC_TUNABLES"] == "glibc.malloc.tcache_count=0:glibc.malloc.hugetlb=1"
    assert env["JAX_COMPILATION_CACHE_DIR"] == str(tmp_path / "cache")


@linux_only
def test_reexec_restarts_once_with_the_setting(tmp_path):
    script = tmp_path / "entry.py"
    script.write_text(textwrap.dedent("""
        import os, sys
        print("start", os.getpid(), flush=True)
        from codescale_jax.hostenv import reexec_with_malloc_tuning
        reexec_with_malloc_tuning()
        print("tunables", os.environ.get("GLIBC_TUNABLES"), "args", sys.argv[1:], flush=True)
    """))
    env = {k: v for k, v in os.environ.items() if k not in ("GLIBC_TUNABLES", hostenv.OPT_OUT)}
    env["PYTHONPATH"] = os.pathsep.join([os.getcwd(), env.get("PYTHONPATH", "")])
    out = subprocess.run([sys.executable, str(script), "a", "--b=1"], env=env, capture_output=True, text=True,
                         check=True).stdout.split("\n")
    starts = [line for line in out if line.startswith("start")]
    assert len(starts) == 2 and len(set(starts)) == 1  # restarted once, same process (exec, not a child)
    assert "tunables glibc.malloc.hugetlb=1 args ['a', '--b=1']" in out
    env[hostenv.OPT_OUT] = "0"
    out = subprocess.run([sys.executable, str(script)], env=env, capture_output=True, text=True, check=True).stdout
    assert out.count("start") == 1 and "tunables None" in out
