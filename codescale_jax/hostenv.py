"""Process settings that have to be in the environment before the interpreter starts.

**Huge pages for the CPU backend's scratch memory.** XLA's CPU runtime allocates each compiled
program's temporary buffer (577 MB for the micro-3.2m train step at batch 16 x 256) with
``malloc`` on every execution and frees it afterwards. glibc serves a block that large with a fresh
``mmap`` and returns it with ``munmap``, so every step touches hundreds of megabytes of new 4 KiB
pages: about 132,000 page faults per micro-3.2m step, each one zeroing its page on whichever core
is running the op at the time. ``glibc.malloc.hugetlb=1`` (glibc >= 2.35) makes malloc ask for
transparent huge pages on those mappings (``madvise``), which cuts the faults to about 700 per
step. BUILD_NOTES.md ("CPU throughput and MFU") has the measurements.

glibc reads ``GLIBC_TUNABLES`` once, at process start, so the setting is applied in two ways:

* :func:`with_malloc_tuning` returns an environment for child processes (the sweep runner uses
  it for every training run);
* :func:`reexec_with_malloc_tuning` restarts the current command once with the setting, from the
  ``__main__`` block of the entry points, before anything heavy is imported.

Elsewhere (no glibc, or transparent huge pages disabled) the variable is inert. Set
``CODESCALE_MALLOC_TUNING=0`` to leave the environment alone; a ``GLIBC_TUNABLES`` that already
names ``glibc.malloc.hugetlb`` is kept as the user wrote it.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping

TUNABLE = "glibc.malloc.hugetlb"
SETTING = f"{TUNABLE}=1"
OPT_OUT = "CODESCALE_MALLOC_TUNING"


def _enabled(env: Mapping[str, str]) -> bool:
    return sys.platform.startswith("linux") and env.get(OPT_OUT, "1").strip().lower() not in ("0", "false", "no", "off")


def with_malloc_tuning(env: Mapping[str, str] | None = None) -> dict[str, str]:
    """A copy of ``env`` (default ``os.environ``) whose ``GLIBC_TUNABLES`` asks for huge pages."""
    out = dict(os.environ if env is None else env)
    if not _enabled(out):
        return out
    current = out.get("GLIBC_TUNABLES", "")
    names = [item.split("=", 1)[0].strip() for item in current.split(":") if item.strip()]
    if TUNABLE not in names:
        out["GLIBC_TUNABLES"] = f"{current}:{SETTING}" if current else SETTING
    return out


def needs_reexec(env: Mapping[str, str] | None = None) -> bool:
    """Whether :func:`reexec_with_malloc_tuning` would restart this process."""
    env = os.environ if env is None else env
    return with_malloc_tuning(env) != dict(env)


def reexec_with_malloc_tuning() -> None:
    """Restart the running command (``sys.orig_argv``) with :func:`with_malloc_tuning`'s environment.

    Does nothing when the environment already has the setting (so it runs at most once), when it
    is switched off, or off Linux. Call it first thing in a ``__main__`` block: the process image is
    replaced, so nothing done before it survives.
    """
    if not needs_reexec():
        return
    argv = list(getattr(sys, "orig_argv", []) or [])
    if not argv:
        return
    sys.stdout.flush()
    sys.stderr.flush()
    os.execve(sys.executable, [sys.executable, *argv[1:]], with_malloc_tuning())
