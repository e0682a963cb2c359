#!/usr/bin/env bash
# The GPU checks, as one script for one short session on a single-GPU machine.
#
#   bash scripts/gpu_check.sh OUTDIR [WHEEL_DIR]
#
# WHEEL_DIR (optional) holds wheels the machine lacks (grain, jaxopt, ...); they are installed with
# pip --no-index into /tmp/site. Steps, most important first, each under its own time limit so that
# one failure or hang does not cost the others; each step's full output is OUTDIR/<step>.log and
# its last lines are echoed:
#   train_auto    bench_train --model 0.5b (batch 16 x 2048, bf16, no remat, layers unrolled) with
#                 the default attention (auto: cuDNN on a GPU)
#   attention     bench_attention: pallas / cudnn / xla forward and forward+backward TFLOP/s
#   train_pallas  the same train step with the Pallas kernel
#   pallas_tests  tests/test_kernels_pallas.py and test_kernels_dispatch.py compiled on the GPU
#   train_dots    train_auto with model.remat=dots (recompute all but the matmul outputs)
#   train_b32     train_auto at batch 32
#   train_profile train_auto once more, tracing 3 steps (--profile) to print GPU time per op kind
# STEPS="train_auto pallas_tests" runs a subset; BENCH_FLAGS adds bench_train flags to every train
# step (for example "--batch 8" or "--set model.remat=full"). The ladder scans the layer stack of
# its study sizes (compile time and memory of the 7B/14B entries); on one H200 the unrolled 0.5B
# step is about 15% faster (BUILD_NOTES.md), so the train steps here unroll it.
set -u
out=${1:?usage: gpu_check.sh OUTDIR [WHEEL_DIR]}
mkdir -p "$out"
if [ -n "${2:-}" ]; then
  python3 -m pip install -q --no-index --no-deps --no-compile --upgrade --target /tmp/site "$2"/*.whl || exit 1
  export PYTHONPATH=/tmp/site:$PWD
else
  export PYTHONPATH=$PWD
fi
export PYTHONUNBUFFERED=1
flags=${BENCH_FLAGS:-}
bench="python3 -m experiments.bench_train --model 0.5b --set model.scan_layers=false"  # every train step
steps=${STEPS:-train_auto attention train_pallas pallas_tests}  # the train_* extras run only when named

want() { case " $steps " in *" $1 "*) return 0 ;; *) return 1 ;; esac; }

step() {  # step NAME SECONDS COMMAND...
  local name=$1 limit=$2
  shift 2
  want "$name" || return 0
  echo "=== $name (limit ${limit}s, start $(date -u +%T))"
  timeout "$limit" "$@" >"$out/$name.log" 2>&1
  local rc=$?
  grep -v -E "^\s*$" "$out/$name.log" | tail -n 14
  echo "=== $name rc=$rc end $(date -u +%T)"
}

nvidia-smi --query-gpu=name,memory.total,driver_version,clocks.max.sm --format=csv,noheader
python3 -c "import jax, flax, optax; print('jax', jax.__version__, 'flax', flax.__version__, 'optax', optax.__version__, jax.devices())"

# shellcheck disable=SC2086
step train_auto 150 $bench --rounds 3 --steps 10 --set model.remat=none $flags
step attention 75 python3 -m experiments.bench_attention --iters 10 --out "$out/bench_attention.json"
# shellcheck disable=SC2086
step train_pallas 120 $bench --rounds 3 --steps 10 --set model.attention=pallas --set model.remat=none $flags
# Each kernel test compiles for about a minute on a GPU: with pytest-xdist importable (its wheel and
# execnet's in WHEEL_DIR) twelve workers share the GPU, each allocating only what it uses.
xdist=$(python3 -c "import xdist" 2>/dev/null && echo "-n 12")
# shellcheck disable=SC2086
step pallas_tests 240 env JAX_PLATFORMS=cuda XLA_PYTHON_CLIENT_PREALLOCATE=false python3 -m pytest -v \
  -p no:cacheprovider --durations=8 $xdist tests/test_kernels_pallas.py tests/test_kernels_dispatch.py -m "not slow"
# shellcheck disable=SC2086
step train_dots 150 $bench --rounds 3 --steps 10 --set model.remat=dots $flags
# shellcheck disable=SC2086
step train_b32 150 $bench --rounds 3 --steps 10 --batch 32 --set model.remat=none $flags
# shellcheck disable=SC2086
step train_profile 150 $bench --rounds 1 --steps 10 --set model.remat=none --profile /tmp/gpu_profile $flags
exit 0
