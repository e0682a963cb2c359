#!/usr/bin/env bash
# The main job on the embedded default corpus, from a fresh machine: set up, then train a micro
# model on the interpreter's own standard-library Python (byte tokenizer) and print its result row.
# Extra arguments are passed to the trainer (e.g. --set train.batch_size=8).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
.venv/bin/python -m experiments.train --model micro-0.4m --language python --tokens 2e6 \
  --workdir runs/main "$@"
