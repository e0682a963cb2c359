"""Hostile programs in all seven languages end inside their limits and leave the host untouched.

Attacks (see test_sandbox_programs.py): infinite loop, fork bomb, memory hog, disk filler, network
attempt, writing/deleting outside the sample directory, killing the parent. All samples of a kind run
once per module through ``run_many`` with 2 workers; each test then checks one expectation.
"""

import os
import random
import shutil
import signal
import subprocess
import tempfile
import time

import pytest

from codescale_jax.eval import sandbox
from codescale_jax.eval.runners import run_many
from test_sandbox_programs import ATTACKS, PROGRAMS

pytestmark = pytest.mark.toolchain

LANGS = sorted(PROGRAMS)
# Attacks that can only end at the deadline get a short one; the rest get room to hit their limit.
SHORT = ("loop", "forkbomb")
SHORT_TIMEOUT_S = 3.0
# Generous: a memory hog needs a few CPU-seconds to reach its limit, and on a box shared with other
# jobs (load average 30 on 2 cores was seen) 20 s was not always enough. Contained attacks end early.
LONG_TIMEOUT_S = 60.0


def _sample_pids() -> set[int]:
    lo, hi = sandbox.UID_RANGE
    out = set()
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                if lo <= os.stat(f"/proc/{d}").st_uid <= hi:
                    out.add(int(d))
            except FileNotFoundError:
                pass
    return out


@pytest.fixture(scope="module")
def outcome():
    assert sandbox.isolation_mode() == "bwrap", "bubblewrap missing: run scripts/install_toolchains.sh"
    # Sample uids from a window nobody else on the machine draws from: the leftover check below then
    # sees only these samples' processes, not those of another harness run at the same time.
    lo = random.randrange(3_000_000_000, 4_000_000_000 - 100_000)
    mp = pytest.MonkeyPatch()
    mp.setattr(sandbox, "UID_RANGE", (lo, lo + 99_999))
    marker_dir = tempfile.mkdtemp(prefix="sandbox_marker_", dir="/var/tmp")  # visible inside the sandbox
    os.chmod(marker_dir, 0o777)
    marker = os.path.join(marker_dir, "marker.txt")
    with open(marker, "w") as f:
        f.write("intact")
    os.chmod(marker, 0o666)
    sentinel = subprocess.Popen(["sleep", "600"])  # a host process the samples must not reach
    before = _sample_pids()

    def samples(kinds):
        return [{"id": f"{lang}/{kind}", "language": lang,
                 "program": PROGRAMS[lang][kind].replace("MARKER_PATH", marker).replace("MARKER_DIR", marker_dir)}
                for lang in LANGS for kind in kinds]

    try:
        t0 = time.monotonic()
        recs = run_many(samples(SHORT), workers=2, timeout_s=SHORT_TIMEOUT_S)
        recs += run_many(samples([a for a in ATTACKS if a not in SHORT]), workers=2, timeout_s=LONG_TIMEOUT_S)
        elapsed = time.monotonic() - t0
        after = _sample_pids() - before
        with open(marker) as f:
            marker_text = f.read()
        yield {"recs": {r["id"]: r for r in recs}, "marker_text": marker_text,
               "marker_dir_listing": sorted(os.listdir(marker_dir)), "leftover": after,
               "sentinel_alive": sentinel.poll() is None, "elapsed": elapsed}
    finally:
        mp.undo()
        sentinel.send_signal(signal.SIGKILL)
        sentinel.wait()
        shutil.rmtree(marker_dir, ignore_errors=True)


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("attack", ATTACKS)
def test_attack_compiles_runs_and_is_recorded(outcome, lang, attack):
    r = outcome["recs"][f"{lang}/{attack}"]
    assert r["phase"] == "run", r  # an attack that fails to compile would prove nothing
    assert r["status"] in ("passed", "failed", "timeout"), r
    assert (r["status"] == "timeout") == (r["exit_code"] is None), r


@pytest.mark.parametrize("lang", LANGS)
def test_infinite_loop_times_out(outcome, lang):
    assert outcome["recs"][f"{lang}/loop"]["status"] == "timeout"


@pytest.mark.parametrize("lang", LANGS)
def test_fork_bomb_is_contained(outcome, lang):
    assert outcome["recs"][f"{lang}/forkbomb"]["status"] in ("failed", "timeout")


@pytest.mark.parametrize("lang", LANGS)
def test_memory_hog_hits_the_limit(outcome, lang):
    r = outcome["recs"][f"{lang}/memhog"]
    assert r["status"] == "failed", r  # the memory limit stops it well before the deadline


@pytest.mark.parametrize("lang", LANGS)
def test_disk_filler_hits_the_limit(outcome, lang):
    r = outcome["recs"][f"{lang}/diskfill"]
    assert r["status"] == "failed", r


@pytest.mark.parametrize("lang", LANGS)
def test_network_is_unreachable(outcome, lang):
    r = outcome["recs"][f"{lang}/network"]
    assert (r["status"], r["exit_code"]) == ("failed", 3), r
    assert r["stdout"].strip() == "BLOCKED"


@pytest.mark.parametrize("lang", LANGS)
def test_outside_files_cannot_be_written_or_deleted(outcome, lang):
    r = outcome["recs"][f"{lang}/escape"]
    assert (r["status"], r["exit_code"]) == ("failed", 3), r
    assert r["stdout"].strip() == "CONTAINED"


@pytest.mark.parametrize("lang", LANGS)
def test_killing_the_parent_is_recorded(outcome, lang):
    r = outcome["recs"][f"{lang}/killparent"]
    # kill(-1) from a helper process also kills the sample itself (exit 137): that is its own doing.
    assert r["status"] in ("passed", "failed"), r
    assert r["status"] == "failed" or "still here" in r["stdout"]


def test_host_is_unaffected(outcome):
    assert outcome["marker_text"] == "intact"
    assert outcome["marker_dir_listing"] == ["marker.txt"]
    assert outcome["sentinel_alive"], "a sample killed a host process"
    assert outcome["leftover"] == set(), f"sample processes survived: {outcome['leftover']}"
    assert not os.path.exists("/etc/sandbox_probe")


def test_harness_still_works_after_attacks(outcome):
    hello = {
        "python": 'print("ok")', "javascript": 'console.log("ok")', "typescript": 'console.log("ok" as string)',
        "java": 'public class Main { public static void main(String[] a) { System.out.println("ok"); } }',
        "csharp": 'class Program { static void Main() { System.Console.WriteLine("ok"); } }',
        "go": 'package main\n\nimport "fmt"\n\nfunc main() { fmt.Println("ok") }\n',
        "rust": 'fn main() { println!("ok"); }',
    }
    recs = run_many([{"id": k, "language": k, "program": v} for k, v in hello.items()], workers=2, timeout_s=60)
    assert [(r["status"], r["stdout"]) for r in recs] == [("passed", "ok\n")] * len(hello)
