"""Run one untrusted command with limits, isolation and a wall-clock timeout that kills everything.

The harness executes model-written programs, so every command goes through :func:`run_sandboxed`.
Layers, outermost first:

1. **Supervision.** The command starts in its own session/process group; output is read as it comes
   and capped, so endless printing cannot exhaust the harness; at the deadline everything is killed
   and the result returns only once no process of the sample is left (:class:`_Reaper`).
2. **bubblewrap** (Debian's ``bubblewrap``), when present: new PID, network (loopback only), IPC and
   UTS namespaces; the host root read-only; private size-limited tmpfs at ``/tmp`` and ``/dev/shm``;
   fresh ``/proc`` and ``/dev``. In a PID namespace, a ``setsid`` daemon is still a member and dies
   with it.
3. **An unprivileged uid.** The harness usually runs as root, and the kernel exempts root from
   ``RLIMIT_NPROC``: a fork bomb would be bounded only by the clock. Inside the sandbox the command
   is started through ``setpriv`` as a fresh random uid without capabilities and with
   ``no_new_privs``: the per-uid process limit applies, the uid owns nothing on the host, and every
   process the sample left can be found (and killed) by its uid.
4. **rlimits** (through ``prlimit``, inherited by everything the sample starts): CPU seconds, file
   size, open files, processes+threads (per uid, see 3), memory. Memory is bounded by ``RLIMIT_DATA``
   (private writable memory: heap, anonymous mmap) because the JVM, Go and V8 reserve GiB of address
   space they never touch and would not start under a tight ``RLIMIT_AS``; a looser ``RLIMIT_AS``
   stays as a backstop against shared-memory hogs that ``RLIMIT_DATA`` does not count. cgroups are
   not used: they are not reliably writable on every machine this runs on.

Without bwrap (``CODESCALE_SANDBOX=none`` or bwrap missing) layers 2-3 are absent: the result's
``note`` says so and a warning is logged once. Isolation tests require bwrap and fail without it.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import logging
import os
import pwd
import random
import resource
import selectors
import shutil
import signal
import subprocess
import time
from typing import Mapping, Sequence

log = logging.getLogger(__name__)

#: Uids handed to samples are drawn from this range: far above any real account, and random so that
#: two concurrent samples (each with its own RLIMIT_NPROC budget) almost never share one.
UID_RANGE = (200_000, 2_000_000_000)
MIB = 1 << 20


@dataclasses.dataclass(frozen=True)
class Limits:
    """Resource limits for one command. Memory sizes are in MiB; ``None`` leaves a limit unset."""

    wall_s: float = 10.0
    cpu_s: int | None = None  # default: int(wall_s) + 2
    memory_mb: int | None = 2048  # RLIMIT_DATA
    address_space_mb: int | None = 4096  # RLIMIT_AS backstop (see module docstring)
    file_size_mb: int | None = 64  # RLIMIT_FSIZE: largest single file a sample may write
    nproc: int | None = 256  # RLIMIT_NPROC for the sample's uid (threads count too)
    nofile: int | None = 1024
    tmp_mb: int = 64  # size of the private /tmp and of the writable working directory tmpfs
    output_bytes: int = 64 * 1024  # per stream; the rest is read and dropped


@dataclasses.dataclass(frozen=True)
class Mount:
    """A host path made visible in the sandbox at ``dest`` (read-only unless ``writable``)."""

    src: str
    dest: str
    writable: bool = False


@dataclasses.dataclass
class RawResult:
    exit_code: int | None  # None when killed at the deadline; 128 + N when killed by signal N
    stdout: str
    stderr: str
    wall_s: float
    timed_out: bool
    truncated: bool
    note: str = ""


def bwrap_path() -> str | None:
    """The bubblewrap binary, or None when missing or disabled with ``CODESCALE_SANDBOX=none``."""
    if os.environ.get("CODESCALE_SANDBOX", "").lower() == "none":
        return None
    return shutil.which("bwrap")


def setpriv_path() -> str | None:
    return shutil.which("setpriv")


def isolation_mode() -> str:
    """``"bwrap"`` (namespaces + uid drop), ``"bwrap-root"`` (as root, setpriv missing: no uid drop),
    ``"bwrap-user"`` (harness not root: runs as that user) or ``"none"``."""
    if bwrap_path() is None:
        return "none"
    if os.geteuid() == 0 and setpriv_path() is not None:
        return "bwrap"
    return "bwrap-root" if os.geteuid() == 0 else "bwrap-user"


@functools.cache
def _warn_once(msg: str) -> None:
    log.warning(msg)


def fresh_uid() -> int:
    """A random uid in :data:`UID_RANGE` that no local account uses."""
    while True:
        uid = random.randint(*UID_RANGE)
        try:
            pwd.getpwuid(uid)
        except KeyError:
            return uid


def _rlimits(limits: Limits) -> list[tuple[int, str, int]]:
    """(resource, prlimit flag, value) for every limit that is set."""
    cpu = limits.cpu_s if limits.cpu_s is not None else int(limits.wall_s) + 2
    spec = [(resource.RLIMIT_CPU, "cpu", cpu, 1), (resource.RLIMIT_DATA, "data", limits.memory_mb, MIB),
            (resource.RLIMIT_AS, "as", limits.address_space_mb, MIB),
            (resource.RLIMIT_FSIZE, "fsize", limits.file_size_mb, MIB),
            (resource.RLIMIT_NOFILE, "nofile", limits.nofile, 1), (resource.RLIMIT_NPROC, "nproc", limits.nproc, 1),
            (resource.RLIMIT_CORE, "core", 0, 1)]
    return [(res, flag, int(v) * scale) for res, flag, v, scale in spec if v is not None]


def limit_prefix(limits: Limits) -> list[str] | None:
    """``prlimit --cpu=.. --data=.. -- `` (util-linux), or None when prlimit is missing.

    Setting limits through an exec'd helper instead of a ``preexec_fn`` keeps ``subprocess`` on its
    fork-safe path: ``run_many`` starts samples from several threads, and Python code run between
    fork and exec in a threaded process can deadlock.
    """
    tool = shutil.which("prlimit")
    if tool is None:
        return None
    return [tool] + [f"--{flag}={value}" for _, flag, value in _rlimits(limits)] + ["--"]


def _preexec(limits: Limits):
    """Fallback when prlimit is missing: set the same limits in the child before exec."""
    todo = _rlimits(limits)

    def apply() -> None:
        for res, _, value in todo:
            resource.setrlimit(res, (value, value))

    return apply


def build_argv(argv: Sequence[str], *, cwd: str, mounts: Sequence[Mount], limits: Limits,
               env: Mapping[str, str], uid: int | None, info_fd: int | None = None) -> list[str]:
    """The full command line: bwrap options, then setpriv (uid drop), then ``argv``.

    ``info_fd``: a pipe to which bwrap writes ``{"child-pid": N}``, the host pid of the sandbox's
    init; killing that process tears the whole PID namespace down (see :func:`_Reaper`).
    """
    bw = bwrap_path()
    if bw is None:
        return list(argv)
    tmp = str(limits.tmp_mb * MIB)
    cmd = [bw, "--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc",
           "--size", tmp, "--perms", "1777", "--tmpfs", "/tmp",
           "--size", tmp, "--perms", "1777", "--tmpfs", "/dev/shm",  # POSIX semaphores/shm, bounded
           "--unshare-pid", "--unshare-net", "--unshare-ipc", "--unshare-uts", "--hostname", "sandbox",
           "--die-with-parent", "--new-session", "--clearenv"]
    made: set[str] = set()
    for m in mounts:
        # bwrap creates missing mount points mode 0700 as root: the sample's uid could not pass them.
        parent = os.path.dirname(m.dest)
        chain = []
        while parent not in ("/", "/tmp", "") and parent not in made:
            chain.append(parent)
            parent = os.path.dirname(parent)
        for d in reversed(chain):
            cmd += ["--perms", "0755", "--dir", d]
            made.add(d)
        if m.src == "tmpfs":
            cmd += ["--size", tmp, "--perms", "1777", "--tmpfs", m.dest]
        else:
            cmd += ["--bind" if m.writable else "--ro-bind", m.src, m.dest]
    for k, v in env.items():
        cmd += ["--setenv", k, v]
    if info_fd is not None:
        cmd += ["--info-fd", str(info_fd)]
    cmd += ["--chdir", cwd, "--"]
    if uid is not None:
        cmd += [setpriv_path() or "setpriv", f"--reuid={uid}", f"--regid={uid}", "--clear-groups",
                "--inh-caps=-all", "--bounding-set=-all", "--no-new-privs", "--"]
    return cmd + list(argv)


def run_sandboxed(argv: Sequence[str], *, cwd: str, limits: Limits, mounts: Sequence[Mount] = (),
                  env: Mapping[str, str] | None = None, stdin: str | None = None,
                  uid: int | None = None) -> RawResult:
    """Run ``argv`` in the sandbox and return its exit code and capped output.

    ``cwd`` and mount destinations are paths *inside* the sandbox. ``uid`` is the unprivileged uid to
    run as (see :func:`fresh_uid`); any host directory the command writes must be owned by it. Without
    bwrap, mounts are ignored (paths must then be host paths) and ``note`` reports the missing layers.
    """
    env = dict(env or {})
    env.setdefault("PATH", "/usr/local/bin:/usr/bin:/bin")
    mode = isolation_mode()
    note = ""
    if mode == "none":
        note = "no isolation: bwrap unavailable; limits, process group and timeout only"
        _warn_once(f"sandbox: {note} (install it with scripts/install_toolchains.sh)")
        uid = None
    elif mode != "bwrap":
        uid = None
        note = "bwrap without uid drop: RLIMIT_NPROC may not apply"
    info_r, info_w = os.pipe() if mode != "none" else (None, None)
    full = build_argv(argv, cwd=cwd, mounts=mounts, limits=limits, env=env, uid=uid, info_fd=info_w)
    prefix = limit_prefix(limits)
    if prefix is not None:
        full = prefix + full
    t0 = time.monotonic()
    try:
        proc = subprocess.Popen(
            full, stdin=subprocess.PIPE if stdin is not None else subprocess.DEVNULL,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=cwd if mode == "none" else None,
            env=env if mode == "none" else {"PATH": env["PATH"]}, start_new_session=True,
            preexec_fn=None if prefix is not None else _preexec(limits), close_fds=True,
            pass_fds=(info_w,) if info_w is not None else ())
    except OSError as e:
        for fd in (info_r, info_w):
            if fd is not None:
                os.close(fd)
        return RawResult(None, "", f"sandbox: could not start {full[0]!r}: {e}", 0.0, False, False,
                         note or "start failure")
    if info_w is not None:
        os.close(info_w)
    reaper = _Reaper(proc, info_r, uid)
    try:
        out, err, timed_out, truncated = _pump(proc, stdin, t0 + limits.wall_s, limits.output_bytes, reaper)
    finally:
        reaper.close()
    wall = time.monotonic() - t0
    code = None if timed_out else proc.returncode
    if code is not None and code < 0:  # killed by a signal outside bwrap: report it the way bwrap does
        code = 128 - code
    return RawResult(code, out, err, wall, timed_out, truncated, note)


class _Reaper:
    """Ends a sample for good and returns only once none of its processes is left.

    On timeout the sandbox's init (host pid from bwrap's ``--info-fd``) is killed while the outer bwrap
    still lives (so the pid cannot have been reused); the kernel then kills every process in that PID
    namespace. Then the outer process group is killed, which is all there is without bwrap. Last, the
    outer bwrap may report the exit a moment before the kernel has emptied the namespace, so the
    sample's private uid is swept: every process still running as that uid is killed and waited for.
    """

    def __init__(self, proc: subprocess.Popen, info_fd: int | None, uid: int | None):
        self.proc = proc
        self.info_fd = info_fd
        self.uid = uid
        self.info = b""
        if info_fd is not None:
            os.set_blocking(info_fd, False)

    def _child_pid(self) -> int | None:
        if self.info_fd is None:
            return None
        try:
            while chunk := os.read(self.info_fd, 4096):
                self.info += chunk
        except BlockingIOError:
            pass
        try:
            return int(json.loads(self.info.decode())["child-pid"])
        except (ValueError, KeyError, TypeError):
            return None

    def kill(self) -> None:
        if self.proc.poll() is None:
            pid = self._child_pid()
            if pid is not None:
                try:
                    os.kill(pid, signal.SIGKILL)
                except (ProcessLookupError, PermissionError):
                    pass
                try:
                    self.proc.wait(timeout=5)
                except subprocess.TimeoutExpired:
                    pass
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        if self.proc.poll() is None:
            self.proc.wait()
        if self.uid is not None and not sweep_uid(self.uid):
            log.warning("sandbox: processes of uid %d still alive after 10 s", self.uid)

    def close(self) -> None:
        if self.info_fd is not None:
            os.close(self.info_fd)
            self.info_fd = None


def live_pids_of_uid(uid: int) -> list[int]:
    """Pids of non-zombie processes whose effective uid is ``uid``."""
    out = []
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            if os.stat(f"/proc/{name}").st_uid != uid:
                continue
            with open(f"/proc/{name}/stat", "rb") as f:
                state = f.read().rsplit(b")", 1)[1].split()[0]
        except (FileNotFoundError, ProcessLookupError, IndexError):
            continue
        if state not in (b"Z", b"X"):
            out.append(int(name))
    return out


def sweep_uid(uid: int, timeout_s: float = 10.0) -> bool:
    """SIGKILL every process running as ``uid`` until none is left; False if some survive ``timeout_s``.

    Safe because each sample runs under its own random uid that nothing else on the host uses.
    """
    deadline = time.monotonic() + timeout_s
    while True:
        pids = live_pids_of_uid(uid)
        if not pids:
            return True
        for pid in pids:
            try:
                os.kill(pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)


def _pump(proc: subprocess.Popen, stdin: str | None, deadline: float, cap: int,
          reaper: _Reaper) -> tuple[str, str, bool, bool]:
    """Feed stdin, collect at most ``cap`` bytes per stream, kill the group at ``deadline``."""
    out_fd, err_fd = proc.stdout.fileno(), proc.stderr.fileno()
    bufs = {out_fd: bytearray(), err_fd: bytearray()}
    truncated = False
    timed_out = False
    sel = selectors.DefaultSelector()
    sel.register(proc.stdout, selectors.EVENT_READ)
    sel.register(proc.stderr, selectors.EVENT_READ)
    pending = stdin.encode() if stdin is not None else b""
    if stdin is not None:
        os.set_blocking(proc.stdin.fileno(), False)
        sel.register(proc.stdin, selectors.EVENT_WRITE)
    open_reads = 2
    exited_at: float | None = None
    while True:
        now = time.monotonic()
        if now >= deadline:
            timed_out = proc.poll() is None
            break
        if proc.poll() is not None:
            exited_at = exited_at or now
            if not open_reads or now - exited_at > 0.5:
                break  # done, or the leader is gone but something still holds the pipes open
        if not open_reads:  # the program closed its outputs but may still be working
            try:
                proc.wait(timeout=min(0.2, deadline - now))
            except subprocess.TimeoutExpired:
                pass
            continue
        for key, _ in sel.select(timeout=min(0.2, deadline - now)):
            if key.fileobj is proc.stdin:
                try:
                    n = os.write(proc.stdin.fileno(), pending[:65536])
                    pending = pending[n:]
                except OSError:  # the program closed stdin or exited: drop the rest
                    pending = b""
                if not pending:
                    sel.unregister(proc.stdin)
                    proc.stdin.close()
                continue
            chunk = os.read(key.fd, 65536)
            if not chunk:
                sel.unregister(key.fileobj)
                open_reads -= 1
                continue
            buf = bufs[key.fd]
            room = cap - len(buf)
            if room > 0:
                buf += chunk[:room]
            if len(chunk) > max(room, 0):
                truncated = True
    reaper.kill()
    sel.close()
    for f in (proc.stdin, proc.stdout, proc.stderr):
        if f is not None and not f.closed:
            f.close()
    return _decode(bufs[out_fd]), _decode(bufs[err_fd]), timed_out, truncated


def _decode(b: bytearray) -> str:
    return bytes(b).decode("utf-8", errors="replace")
