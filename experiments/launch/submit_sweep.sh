#!/usr/bin/env bash
# Submit a sweep file as one SLURM job array (one task per non-comment line).
#   experiments/launch/submit_sweep.sh SWEEP_FILE [MAX_PARALLEL]   (extra sbatch flags via SBATCH_FLAGS)
set -euo pipefail
SWEEP=${1:?usage: submit_sweep.sh SWEEP_FILE [MAX_PARALLEL]}
MAX=${2:-16}
n=$(grep -cv -e '^[[:space:]]*#' -e '^[[:space:]]*$' "$SWEEP" || true)
if [[ "$n" -eq 0 ]]; then echo "no runs in $SWEEP" >&2; exit 2; fi
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck disable=SC2086
exec ${SBATCH:-sbatch} ${SBATCH_FLAGS:-} --array="0-$((n - 1))%${MAX}" --export=ALL,SWEEP="$SWEEP" \
  "$here/slurm_sweep_array.sbatch"
