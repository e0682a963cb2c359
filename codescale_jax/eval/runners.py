"""Compile-and-run recipes for the seven study languages, executed through the sandbox.

Public API (other modules and users' scripts call these)::

    run_program(language, program, *, timeout_s=None, stdin=None, workdir=None) -> ExecResult
    run_many(samples, *, workers=2, timeout_s=None, progress=False) -> list[dict]

A *program* is a whole program: Python/JavaScript scripts; TypeScript checked and compiled by ``tsc``
then run by node; Java with ``public class Main``; C# with a static ``Main`` (Mono's ``mcs``, C# <= 7
subset); Go ``package main``; Rust with ``fn main``.

Status rules (``ExecResult.status``):

* ``passed``  - compiled (if compiled at all) and the program exited 0 within the timeout;
* ``failed``  - the program ran and exited non-zero or was killed by a signal (a resource limit, an
  uncaught exception, a failed assertion);
* ``timeout`` - killed at the wall-clock limit, in either phase (``phase`` says which);
* ``error``   - the program never ran: compile error (``phase="compile"``, the compiler's exit code in
  ``exit_code``), a bad sample in ``run_many`` (unknown language, no program), or a harness problem
  such as a sandbox that would not start.

Python and JavaScript have no separate compile step, so their syntax errors are ``failed``.

A missing toolchain raises :class:`ToolchainError` (naming ``scripts/install_toolchains.sh``); the
caller learns before running thousands of samples that every result would be meaningless.

Layout inside the sandbox: the sample's host directory (fresh per sample, removed afterwards) is at
``/tmp/src`` - writable while compiling, read-only while running; the running program's working
directory ``/tmp/work`` is a private, size-limited tmpfs, as is ``/tmp``. Compilers that need a cache
(Go) get a private one under ``/tmp``; Go 1.19 ships the standard library precompiled, so a fresh cache
costs little.
"""

from __future__ import annotations

import concurrent.futures as cf
import dataclasses
import functools
import os
import re
import shutil
import stat
import subprocess
import sys
import tempfile
import time
from typing import Iterable, Sequence

from codescale_jax import languages
from codescale_jax.eval import sandbox
from codescale_jax.eval.sandbox import Limits, Mount

INSTALL_HINT = "run `bash scripts/install_toolchains.sh` (as root) to install the compilers"
REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
#: Project-local compilers (npm packages), see scripts/install_toolchains.sh.
TOOLCHAINS_DIR = os.environ.get("CODESCALE_TOOLCHAINS", os.path.join(REPO_ROOT, ".toolchains"))

SRC = "/tmp/src"
WORK = "/tmp/work"
TOOLS = "/tmp/.tools"
#: Host paths the sandbox replaces with its own mounts: tools living there must be bind-mounted.
MASKED = ("/tmp", "/dev", "/proc")

DEFAULT_RUN_TIMEOUT_S = float(os.environ.get("CODESCALE_RUN_TIMEOUT", "10"))
DEFAULT_COMPILE_TIMEOUT_S = float(os.environ.get("CODESCALE_COMPILE_TIMEOUT", "60"))
#: Run-phase memory bound (RLIMIT_DATA, MiB) and compile-phase bound (compilers are JVMs or big).
RUN_MEMORY_MB = 2048
COMPILE_MEMORY_MB = 4096
COMPILE_ADDRESS_SPACE_MB = 16384
#: Characters of stdout/stderr kept per sample in run_many's records.
RECORD_OUTPUT_CHARS = 4096


class ToolchainError(RuntimeError):
    """A compiler or runtime needed for a language is not installed."""


@dataclasses.dataclass
class ExecResult:
    status: str  # "passed" | "failed" | "timeout" | "error"
    exit_code: int | None
    stdout: str
    stderr: str
    wall_s: float  # compile + run
    phase: str  # "compile" | "run": the phase the result comes from
    note: str = ""  # e.g. output truncated, reduced isolation


@dataclasses.dataclass(frozen=True)
class Tool:
    """An executable as seen inside the sandbox, plus the mount that makes it reachable there."""

    path: str
    mounts: tuple[Mount, ...] = ()
    root: str = ""  # the install root as seen in the sandbox (for data files next to the binary)


def _expose(name: str, host_root: str, rel: str) -> Tool:
    """Make ``host_root/rel`` runnable by the sample's unprivileged uid.

    Tools installed under a private home (pyenv, rustup under ``/root``) are unreachable for that
    uid, so their whole install root is bind-mounted read-only under ``/tmp/.tools/<name>``; tools in
    world-readable places are used where they are, unless they live under a path the sandbox covers
    with its own mount (``/tmp``, ``/dev``, ``/proc``). Without bwrap the host path is used as is.
    """
    host = os.path.join(host_root, rel)
    real = os.path.realpath(host)
    hidden = any(real == p or real.startswith(p + os.sep) for p in MASKED)  # e.g. a checkout in /tmp
    if sandbox.bwrap_path() is None or (world_accessible(host) and not hidden):
        return Tool(host, (), host_root)
    dest = f"{TOOLS}/{name}"
    return Tool(os.path.join(dest, rel), (Mount(os.path.realpath(host_root), dest),), dest)


def world_accessible(path: str) -> bool:
    """True when an unprivileged user can reach ``path`` (every ancestor o+x, the path o+r)."""
    path = os.path.realpath(path)
    parts = path.split(os.sep)
    for i in range(2, len(parts)):
        try:
            if not os.stat(os.sep.join(parts[:i])).st_mode & stat.S_IXOTH:
                return False
        except OSError:
            return False
    try:
        return bool(os.stat(path).st_mode & stat.S_IROTH)
    except OSError:
        return False


def _which(cmd: str, resolve: bool = True) -> str | None:
    path = shutil.which(cmd)
    if path is None:  # rustup's default location is often missing from PATH in non-login shells
        extra = os.path.join(os.path.expanduser("~"), ".cargo", "bin", cmd)
        path = extra if os.access(extra, os.X_OK) else None
    if path and resolve:
        return os.path.realpath(path)
    return path


def _system_tool(name: str, cmd: str) -> Tool | None:
    real = _which(cmd)
    if real is None:
        return None
    return _expose(name, os.path.dirname(real), os.path.basename(real))


@functools.lru_cache(maxsize=None)
def _find(tool: str) -> Tool | None:
    """Locate one tool; ``None`` when it is not installed."""
    if tool == "python":
        prefix = os.path.realpath(sys.base_prefix)
        exe = f"python{sys.version_info.major}.{sys.version_info.minor}"
        if os.access(os.path.join(prefix, "bin", exe), os.X_OK):
            return _expose("python", prefix, os.path.join("bin", exe))
        return _system_tool("python", "python3")
    if tool == "rustc":
        rustc = _which("rustc", resolve=False)  # rustup dispatches on argv[0]: keep the link
        if rustc is None:
            return None
        try:
            sysroot = subprocess.run([rustc, "--print", "sysroot"], capture_output=True, text=True,
                                     timeout=60, check=True).stdout.strip()
        except (subprocess.SubprocessError, OSError):
            return None
        if not os.access(os.path.join(sysroot, "bin", "rustc"), os.X_OK):
            return None
        return _expose("rust", sysroot, "bin/rustc")  # the real compiler, not rustup's proxy
    if tool == "tsc":
        # typescript 7 is a native binary; its npm bin is a node wrapper that costs an extra process.
        pkg = os.path.join(TOOLCHAINS_DIR, "node_modules")
        native = os.path.join(pkg, "@typescript", "typescript-linux-x64", "lib", "tsc")
        if os.access(native, os.X_OK):
            return _expose("node_modules", pkg, os.path.relpath(native, pkg))
        shim = os.path.join(pkg, "typescript", "bin", "tsc")
        if os.path.exists(shim):
            return _expose("node_modules", pkg, os.path.relpath(shim, pkg))
        return None
    if tool == "javac_cds":  # optional: the class-data archive install_toolchains.sh builds for javac
        javac = _which("javac")
        if javac is None:
            return None
        try:
            out = subprocess.run([javac, "-version"], capture_output=True, text=True, timeout=60)
        except (subprocess.SubprocessError, OSError):
            return None
        first = (out.stdout + out.stderr).strip().split("\n")[0]
        name = re.sub(r"[^A-Za-z0-9.]", "_", first) + ".jsa"
        if not os.path.isfile(os.path.join(TOOLCHAINS_DIR, name)):
            return None
        return _expose("toolchains", TOOLCHAINS_DIR, name)
    if tool == "go":
        go = _which("go")
        if go is None:
            return None
        goroot = os.path.dirname(os.path.dirname(go))
        return _expose("go", goroot, "bin/go")
    return _system_tool(tool, tool)


@dataclasses.dataclass(frozen=True)
class Recipe:
    """How one language is compiled and run. argv entries may use {tool:NAME} and {src}."""

    source: str
    tools: tuple[str, ...]
    compile: tuple[str, ...] | None
    run: tuple[str, ...]
    compile_env: tuple[tuple[str, str], ...] = ()
    run_env: tuple[tuple[str, str], ...] = ()
    #: Optional speed-ups: (tool, flag with {path}) inserted after the compiler when the tool exists.
    compile_optional: tuple[tuple[str, str], ...] = ()
    #: RLIMIT_AS while running (MiB). A JVM with -Xmx1g maps ~3.4 GiB of address space at start,
    #: node and Go ~0.7 GiB, Mono 0.2 GiB, Python and Rust almost nothing (measured; BUILD_NOTES.md).
    run_address_space_mb: int = 4096


_JVM_FLAGS = ("-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-XX:-UsePerfData", "-Xshare:auto")

RECIPES: dict[str, Recipe] = {
    "python": Recipe("main.py", ("python",), None, ("{tool:python}", "-I", "{src}/main.py"),
                     run_env=(("PYTHONDONTWRITEBYTECODE", "1"), ("PYTHONHASHSEED", "0"))),
    "javascript": Recipe("main.js", ("node",), None,
                         ("{tool:node}", "--max-old-space-size=1024", "{src}/main.js")),
    "typescript": Recipe(
        "main.ts", ("tsc", "node"),
        ("{tool:tsc}", "--outDir", "{src}", "--target", "es2022", "--module", "commonjs",
         "--types", "node", "--typeRoots", "{tool_root:tsc}/@types", "--skipLibCheck",
         "--strict", "false",  # TS 7 defaults to strict; MultiPL-E-style checks ran non-strict tsc
         "--pretty", "false", "{src}/main.ts"),
        ("{tool:node}", "--max-old-space-size=1024", "{src}/main.js")),
    "java": Recipe(
        "Main.java", ("javac", "java"),
        ("{tool:javac}", *(f"-J{f}" for f in _JVM_FLAGS), "-encoding", "UTF-8", "-nowarn", "-d", "{src}",
         "{src}/Main.java"),
        ("{tool:java}", *_JVM_FLAGS, "-Xmx1024m", "-Xss16m", "-cp", "{src}", "Main"),
        compile_optional=(("javac_cds", "-J-XX:SharedArchiveFile={path}"),),
        run_address_space_mb=8192),
    "csharp": Recipe(
        "Program.cs", ("mcs", "mono"),
        ("{tool:mcs}", "-nologo", "-r:System.Numerics.dll", "-out:{src}/main.exe", "{src}/Program.cs"),
        ("{tool:mono}", "{src}/main.exe")),
    "go": Recipe(
        "main.go", ("go",),
        ("{tool:go}", "build", "-o", "{src}/main", "{src}/main.go"),
        ("{src}/main",),
        compile_env=(("GOCACHE", "/tmp/gocache"), ("GOPATH", "/tmp/gopath"), ("GO111MODULE", "off"),
                     ("CGO_ENABLED", "0"), ("GOFLAGS", ""), ("GOTOOLCHAIN", "local"))),
    "rust": Recipe(
        "main.rs", ("rustc",),
        ("{tool:rustc}", "--edition", "2021", "-O", "-C", "debuginfo=0", "-o", "{src}/main",
         "{src}/main.rs"),
        ("{src}/main",)),
}


def missing_toolchains(langs: Iterable[str]) -> dict[str, list[str]]:
    """``{language: [missing tool, ...]}`` for the languages whose toolchain is incomplete."""
    out: dict[str, list[str]] = {}
    for lang in langs:
        recipe = RECIPES[languages.canonical(lang)]
        miss = [t for t in recipe.tools if _find(t) is None]
        if miss:
            out[languages.canonical(lang)] = miss
    return out


def check_toolchains(langs: Iterable[str]) -> None:
    """Raise :class:`ToolchainError` listing every missing compiler/runtime for ``langs``."""
    miss = missing_toolchains(langs)
    if miss:
        detail = "; ".join(f"{lang}: {', '.join(tools)}" for lang, tools in miss.items())
        raise ToolchainError(f"missing toolchains ({detail}); {INSTALL_HINT}")


def _expand(argv: Sequence[str], tools: dict[str, Tool]) -> list[str]:
    out = []
    for a in argv:
        for name, tool in tools.items():
            a = a.replace(f"{{tool_root:{name}}}", tool.root)
            a = a.replace(f"{{tool:{name}}}", tool.path)
        out.append(a)
    return out


def _env(recipe_env: Sequence[tuple[str, str]], tools: dict[str, Tool]) -> dict[str, str]:
    dirs = []
    for t in tools.values():
        d = os.path.dirname(t.path)
        if d not in dirs:
            dirs.append(d)
    env = {"PATH": ":".join(dirs + ["/usr/local/bin", "/usr/bin", "/bin"]), "HOME": "/tmp",
           "TMPDIR": "/tmp", "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8"}
    env.update(recipe_env)
    return env


def run_program(language: str, program: str, *, timeout_s: float | None = None, stdin: str | None = None,
                workdir: str | None = None) -> ExecResult:
    """Compile (if needed) and run one whole program in a fresh sandbox; see the module docstring.

    ``timeout_s`` bounds the run phase (default ``CODESCALE_RUN_TIMEOUT`` or 10 s); compiling has its
    own bound (``CODESCALE_COMPILE_TIMEOUT``, default 60 s). ``workdir`` is the parent of the fresh
    per-sample directory (default: the system temp dir); the sample directory is always removed.
    """
    lang = languages.canonical(language)
    if lang not in RECIPES:
        raise ValueError(f"{language!r} is not an executable language; use one of {', '.join(RECIPES)}")
    if not isinstance(program, str):
        raise TypeError(f"program must be a str, got {type(program).__name__}")
    check_toolchains([lang])
    recipe = RECIPES[lang]
    tools = {t: _find(t) for t in recipe.tools}
    optional = [(t, flag) for t, flag in recipe.compile_optional if _find(t) is not None]
    tools.update((t, _find(t)) for t, _ in optional)
    mounts_tools = tuple(m for t in tools.values() for m in t.mounts)
    isolated = sandbox.bwrap_path() is not None
    uid = sandbox.fresh_uid() if sandbox.isolation_mode() == "bwrap" else None
    host = tempfile.mkdtemp(prefix=f"sample_{lang}_", dir=workdir)
    t0 = time.monotonic()
    try:
        with open(os.path.join(host, recipe.source), "w", encoding="utf-8") as f:
            f.write(program)
        if uid is not None:
            os.chown(host, uid, uid)
        src = SRC if isolated else host
        work = WORK if isolated else os.path.join(host, "work")
        if not isolated:
            os.makedirs(work)
        notes = []
        if recipe.compile is not None:
            argv = [a.replace("{src}", src) for a in _expand(recipe.compile, tools)]
            argv[1:1] = [flag.replace("{path}", tools[t].path) for t, flag in optional]
            lim = Limits(wall_s=DEFAULT_COMPILE_TIMEOUT_S, memory_mb=COMPILE_MEMORY_MB, file_size_mb=256,
                         address_space_mb=COMPILE_ADDRESS_SPACE_MB, tmp_mb=512, nproc=512)
            raw = sandbox.run_sandboxed(argv, cwd=src, limits=lim, uid=uid,
                                        mounts=(Mount(host, SRC, writable=True),) + mounts_tools,
                                        env=_env(recipe.compile_env, tools))
            if raw.note:
                notes.append(raw.note)
            if raw.timed_out or raw.exit_code != 0:
                status = "timeout" if raw.timed_out else "error"
                return ExecResult(status, raw.exit_code, raw.stdout, raw.stderr, time.monotonic() - t0,
                                  "compile", "; ".join(notes))
        argv = [a.replace("{src}", src) for a in _expand(recipe.run, tools)]
        lim = Limits(wall_s=float(timeout_s) if timeout_s is not None else DEFAULT_RUN_TIMEOUT_S,
                     memory_mb=RUN_MEMORY_MB, address_space_mb=recipe.run_address_space_mb)
        raw = sandbox.run_sandboxed(argv, cwd=work, limits=lim, uid=uid, stdin=stdin,
                                    mounts=(Mount(host, SRC), Mount("tmpfs", WORK)) + mounts_tools,
                                    env=_env(recipe.run_env, tools))
        if raw.note and raw.note not in notes:
            notes.append(raw.note)
        if raw.truncated:
            notes.append("output truncated")
        if raw.timed_out:
            status = "timeout"
        elif raw.exit_code == 0:
            status = "passed"
        elif raw.exit_code is None:
            status = "error"
        else:
            status = "failed"
        return ExecResult(status, raw.exit_code, raw.stdout, raw.stderr, time.monotonic() - t0, "run",
                          "; ".join(notes))
    finally:
        shutil.rmtree(host, ignore_errors=True)


def _record(sample: dict, timeout_s: float | None) -> dict:
    sid = sample.get("id")
    lang = sample.get("language")
    try:
        lang = languages.canonical(str(lang))
    except languages.UnknownLanguageError:
        pass  # recorded as given; run_program reports it
    try:
        res = run_program(str(lang), sample["program"], timeout_s=timeout_s, stdin=sample.get("stdin"))
    except ToolchainError:
        raise
    except (ValueError, TypeError, KeyError) as e:  # bad sample: record it, keep the batch going
        res = ExecResult("error", None, "", f"bad sample: {e}", 0.0, "compile")
    return {"id": sid, "language": lang, "status": res.status, "exit_code": res.exit_code,
            "phase": res.phase, "stdout": res.stdout[:RECORD_OUTPUT_CHARS],
            "stderr": res.stderr[:RECORD_OUTPUT_CHARS], "wall_s": round(res.wall_s, 4), "note": res.note}


def run_many(samples: Iterable[dict], *, workers: int = 2, timeout_s: float | None = None,
             progress: bool = False) -> list[dict]:
    """Run ``{"id", "language", "program"[, "stdin"]}`` samples with ``workers`` threads.

    Returns one record per sample, in input order: id, language, status, exit_code, phase, stdout and
    stderr (first 4096 characters each), wall_s, note. Missing toolchains for any language present
    raise :class:`ToolchainError` before anything runs; unknown languages become ``error`` records.
    """
    samples = list(samples)
    known = set()
    for s in samples:
        try:
            lang = languages.canonical(str(s.get("language")))
        except languages.UnknownLanguageError:
            continue
        if lang in RECIPES:
            known.add(lang)
    check_toolchains(sorted(known))
    results: list[dict | None] = [None] * len(samples)
    done = 0
    t0 = time.monotonic()
    with cf.ThreadPoolExecutor(max_workers=max(1, int(workers))) as pool:
        futs = {pool.submit(_record, s, timeout_s): i for i, s in enumerate(samples)}
        for fut in cf.as_completed(futs):
            results[futs[fut]] = fut.result()
            done += 1
            if progress and (done % 10 == 0 or done == len(samples)):
                rate = done / max(time.monotonic() - t0, 1e-9)
                print(f"[run_many] {done}/{len(samples)} samples, {rate:.2f}/s", file=sys.stderr, flush=True)
    return [r for r in results if r is not None]
