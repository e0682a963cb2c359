#!/usr/bin/env bash
# The test command: set up the environment and the language toolchains, then run every test.
# Safe on a fresh machine (Debian/Ubuntu, run as root for the toolchain packages) and on reruns.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash scripts/install_toolchains.sh
export JAX_PLATFORMS=cpu
.venv/bin/python -m pytest -q -p no:cacheprovider "$@"
