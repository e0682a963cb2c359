#!/usr/bin/env bash
# The test command: set up the environment and the language toolchains, then run every test.
# Safe on a fresh machine (Debian/Ubuntu, run as root for the toolchain packages) and on reruns.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash scripts/install_toolchains.sh
export JAX_PLATFORMS=cpu
# Two pytest workers, each taking whole test files (module fixtures are built once): on two cores the
# suite's single-threaded stretches (toolchain compiles, sandboxed runs, Python-side fitting) then
# overlap with the other worker's XLA work. TEST_WORKERS=0 runs in one process.
workers=${TEST_WORKERS:-2}
if [ "$workers" -gt 0 ]; then
  set -- -n "$workers" --dist loadfile "$@"
fi
.venv/bin/python -m pytest -q -p no:cacheprovider "$@"
