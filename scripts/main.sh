#!/usr/bin/env bash
# The main job on the embedded default corpus, from a fresh machine: set up, then run the whole
# study at CPU scale (python -m experiments.reproduce --preset micro): per-language scaling sweeps,
# law fits, synergy, pairing, optimized vs uniform allocation, and the report under runs/study-micro.
# Rerunning continues where it stopped. Extra arguments go to reproduce (e.g. --preset smoke).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
.venv/bin/python -m experiments.reproduce --preset micro "$@"
