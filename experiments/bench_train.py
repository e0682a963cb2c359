"""Train-step throughput and MFU, against this machine's own measured matmul peak.

    python -m experiments.bench_train --model micro-3.2m [--batch 16] [--seq 256] [--steps 5] [--rounds 5]
        [--microbatches K] [--set section.key=value ...]

Measures, in one process and alternating so both see the same machine load: the peak FLOP/s of a
large jitted matmul (float32 on CPU, the model's compute dtype elsewhere; on CPU the faster of the
matmul libraries ``train.cpu_matmuls`` offers) and the tokens/s of the jitted, sharded train step
on real packed batches of the embedded corpus (on CPU with ``train.cpu_matmuls=eigen`` unless
set). MFU uses the FLOPs per token of :func:`codescale_jax.model.counting.flops_per_token`. Each
round's ratio uses the peaks measured just before and after its steps; the median ratio over
rounds is reported (on a shared machine other processes slow rounds down unevenly). On a GPU it
also prints MFU against the chip's published dense bf16 peak (989.5 TFLOP/s for H100/H200). The
last line is ``mfu_vs_measured_peak=<ratio>``.
"""

from __future__ import annotations

import argparse
import re
import sys
import time


def parse_args(argv=None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m experiments.bench_train", description=__doc__.split("\n\n")[0])
    p.add_argument("--model", default="micro-3.2m")
    p.add_argument("--batch", type=int, default=16, help="global rows per step")
    p.add_argument("--seq", type=int, default=0, help="sequence length (default: 256 on CPU, 2048 on GPU)")
    p.add_argument("--microbatches", type=int, default=0,
                   help="train.parallel_microbatches (default: 4 on CPU, 1 elsewhere)")
    p.add_argument("--steps", type=int, default=10, help="timed steps per round")
    p.add_argument("--rounds", type=int, default=5, help="alternating peak / train-step rounds")
    p.add_argument("--peak-size", type=int, default=0, help="matmul size for the peak (default 2048 CPU, 8192 GPU)")
    p.add_argument("--profile", default="", metavar="DIR",
                   help="also trace 3 steps with jax.profiler into DIR and print time per XLA op kind")
    p.add_argument("--set", dest="overrides", action="append", default=[], metavar="SECTION.KEY=VALUE")
    return p.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    import jax
    import numpy as np

    from codescale_jax.config import make_config
    from codescale_jax.data import input as input_lib
    from codescale_jax.data.packing import lm_batch
    from codescale_jax.model import counting
    from codescale_jax.parallel.mesh import batch_divisor, make_mesh
    from codescale_jax.train import mfu as mfu_lib
    from codescale_jax.train.loop import check_microbatches, resolve_config
    from codescale_jax.train.step import CPU_MATMULS, build_trainer

    dev = jax.devices()[0]
    on_cpu = dev.platform == "cpu"
    batch = args.batch
    seq = args.seq or (256 if on_cpu else 2048)
    micro = args.microbatches or (4 if on_cpu else 1)
    overrides = [f"train.batch_size={batch}", f"data.seq_len={seq}", "train.steps=1000",
                 f"train.parallel_microbatches={micro}"] + args.overrides
    if on_cpu:  # float32, and Eigen's matmuls (the faster library for this step: train/step.py)
        overrides = ["model.dtype=float32", "train.cpu_matmuls=eigen"] + overrides
    try:
        cfg = resolve_config(make_config(args.model, overrides=overrides))
        mesh = make_mesh(cfg.mesh)
        check_microbatches(cfg, batch_divisor(mesh))
        trainer = build_trainer(cfg.model, mesh, cfg.optimizer, 1000, cfg.train.parallel_microbatches,
                                cfg.train.cpu_matmuls)
    except ValueError as exc:  # unknown model, key or train.cpu_matmuls; a mesh the devices cannot hold
        print(f"error: {exc}", file=sys.stderr)
        return 2
    peak_dtype = "float32" if on_cpu else cfg.model.dtype
    # Virtual CPU devices (XLA_FLAGS=--xla_force_host_platform_device_count=K) share one host's
    # cores, and the peak matmul on one of them already uses all of them: on CPU the denominator is
    # the host's peak, on accelerators the per-chip peak times the number of chips.
    chips = 1 if on_cpu else mesh.size
    peak_n = args.peak_size or (2048 if on_cpu else 8192)
    # On CPU the peak is the faster of the matmul libraries the step can use, whichever the step uses.
    peak_options = list(CPU_MATMULS.values()) if on_cpu else [{}]

    def peak_fn() -> float:
        return max(mfu_lib.measure_matmul_peak(n=peak_n, dtype=peak_dtype, min_seconds=1.0, compiler_options=o)
                   for o in peak_options)

    it = iter(input_lib.train_dataset(cfg.data, batch, seed=0))
    batches = [trainer.device_batch(lm_batch(next(it))) for _ in range(4)]
    state = trainer.init(jax.random.key(0))
    fpt = counting.flops_per_token(cfg.model, seq)
    counts = counting.count_tree(trainer.abstract_state()["params"])
    print(f"device {dev.device_kind} x{mesh.size} | model {cfg.model.name} N={counts.non_embedding:,} "
          f"d={cfg.model.d_model} L={cfg.model.n_layers} | batch {batch} x seq {seq} | dtype {cfg.model.dtype} | "
          f"attention {cfg.model.attention} | microbatches {cfg.train.parallel_microbatches} | "
          f"{'matmuls ' + cfg.train.cpu_matmuls + ' | ' if on_cpu else ''}"
          f"{fpt / 1e6:.2f} MFLOP/token", flush=True)

    t0 = time.perf_counter()
    state, m = trainer.train_step(state, batches[0])
    jax.block_until_ready(m["loss"])
    print(f"compile + first step: {time.perf_counter() - t0:.1f}s", flush=True)
    for i in range(2):  # warm up
        state, m = trainer.train_step(state, batches[i % len(batches)])
    jax.block_until_ready(m["loss"])

    # Each round: peak, one untimed step, train steps, peak again. The round's ratio divides the
    # train step's model FLOP/s by the mean of the two peaks around it, so both see (nearly) the
    # same machine load; the reported ratio is the median over rounds.
    ratios, rates, peaks = [], [], []
    for r in range(args.rounds):
        before = peak_fn()
        # One untimed step first: right after the peak's matmuls the step's scratch memory has to
        # be faulted in again, and on CPU that first step took up to 1.4x a steady one.
        state, m = trainer.train_step(state, batches[-1])
        jax.block_until_ready(m["loss"])
        t0 = time.perf_counter()
        for i in range(args.steps):
            state, m = trainer.train_step(state, batches[i % len(batches)])
        jax.block_until_ready((state["step"], m["loss"]))
        dt = time.perf_counter() - t0
        after = peak_fn()
        peak = 0.5 * (before + after)
        rates.append(args.steps * batch * seq / dt)
        peaks.append(peak)
        ratios.append(rates[-1] * fpt / (peak * chips))
        print(f"round {r + 1}: peak {before / 1e9:,.1f} / {after / 1e9:,.1f} GFLOP/s ({peak_dtype} {peak_n}^3 matmul, "
              f"before / after) | train {rates[-1]:,.0f} tok/s = {rates[-1] * fpt / 1e9:,.1f} GFLOP/s | "
              f"step {dt / args.steps * 1e3:.1f} ms | ratio {ratios[-1]:.3f} | loss {float(m['loss']):.3f}", flush=True)
    if not np.isfinite(float(m["loss"])):
        print("warning: non-finite loss during the benchmark", file=sys.stderr)
    tps = float(np.median(rates))
    achieved = tps * fpt
    print(f"median: {tps:,.0f} tokens/s, {achieved / 1e9:,.1f} GFLOP/s model, peak {np.median(peaks) / 1e9:,.1f} "
          f"GFLOP/s per {'host' if on_cpu else 'device'}; per-round ratios {', '.join(f'{x:.3f}' for x in ratios)}")
    if args.profile:
        _profile(trainer, state, batches, args.profile)
    published = mfu_lib.published_peak(dev)
    if published:
        print(f"mfu_vs_published_bf16_peak={achieved / (published * mesh.size):.4f} "
              f"(peak {published / 1e12:.1f} TFLOP/s x {mesh.size})")
    print(f"mfu_vs_measured_peak={float(np.median(ratios)):.4f}")
    return 0


def _profile(trainer, state, batches, directory: str, steps: int = 3) -> None:
    """Trace ``steps`` train steps and print the share of traced op time per XLA op kind (the
    fusion name without its number, or the kernel name on a GPU: ``ynn_fusion`` are matmuls on CPU,
    and some reductions), the op time per step in matmuls, fused attention kernels and everything
    else (``op_class``), and how many sine/cosine ops the compiled step evaluates in the model. Ops
    that run concurrently overlap, so shares and times are of summed op time, not of wall time.
    With ``train.cpu_matmuls=eigen`` a dot's event times only its calling thread (Eigen's worker
    threads are not traced), so the matmul time reads low: about 220 ms per micro-3.2m step, far
    less than its matmul FLOPs need at the machine's peak."""
    import collections
    import glob
    import gzip
    import json

    import jax

    hlo = trainer.lower_step(state, batches[0]).compile().as_text()
    with jax.profiler.trace(directory, create_perfetto_trace=True):
        for i in range(steps):
            state, m = trainer.train_step(state, batches[i % len(batches)])
        jax.block_until_ready(m["loss"])
    path = sorted(glob.glob(f"{directory}/**/*.trace.json.gz", recursive=True))[-1]
    events = op_events(json.load(gzip.open(path))["traceEvents"])
    kinds: collections.Counter = collections.Counter()
    for e in events:
        name = e.get("name", "")
        if not name.startswith(("$", "Thunk", "Slinky")):  # runtime spans, not ops
            kinds[name.rsplit(".", 1)[0] if name.rsplit(".", 1)[-1].isdigit() else name] += e["dur"]
    total = sum(kinds.values()) or 1
    print(f"profile ({steps} steps, {path}): share of summed op time by op kind")
    for kind, dur in kinds.most_common(12):
        print(f"  {100 * dur / total:5.1f}%  {kind}")
    matmuls = matmul_ops(hlo)
    split = collections.Counter()
    for e in events:
        if (e.get("args") or {}).get("hlo_op"):  # launch records and runtime spans carry none
            split[op_class(e, matmuls)] += e["dur"]
    trig = [ln for ln in hlo.splitlines() if re.search(r"\s(?:sine|cosine)\(", ln)]
    in_model = sum("Decoder)" in ln for ln in trig)  # op_name ".../jvp(Decoder)/..." or its transpose
    per_step = {k: split[k] / steps / 1e3 for k in ("matmul", "attention", "other")}
    print(f"summed op time per step: matmul ops {per_step['matmul']:.1f} ms, attention kernels "
          f"{per_step['attention']:.1f} ms, other ops {per_step['other']:.1f} ms; the compiled step evaluates "
          f"{in_model} sine/cosine ops in the model's passes, {len(trig) - in_model} elsewhere (the "
          f"learning-rate schedule)")


def op_events(events: list[dict]) -> list[dict]:
    """The complete ("X") events of a trace that time XLA ops. On an accelerator the trace also
    holds the host threads that launch the kernels; their events would count each op twice (and
    the launch overhead as op time), so when some process is a device (its name starts with
    ``/device:``, as jax names GPU and TPU streams) only that process's events are kept."""
    devices = {e.get("pid") for e in events
               if e.get("ph") == "M" and e.get("name") == "process_name"
               and str((e.get("args") or {}).get("name", "")).startswith("/device:")}
    return [e for e in events if e.get("ph") == "X" and (not devices or e.get("pid") in devices)]


_GEMM_KERNEL = re.compile(r"nvjet|gemm|cutlass|xmma", re.IGNORECASE)
_ATTENTION_KERNEL = re.compile(r"flash|sdpa|fmha|attention", re.IGNORECASE)


def op_class(event: dict, matmuls: set[str]) -> str:
    """"matmul", "attention" or "other" for one op event. On CPU an event's ``hlo_op`` names the
    instruction (matched against ``matmul_ops``). On a GPU, kernels launched from a command buffer
    carry the buffer's name instead, so the kernel's own name decides: cuBLAS / CUTLASS GEMM
    kernels are matmuls, fused attention kernels (cuDNN, Pallas) are attention."""
    if (event.get("args") or {}).get("hlo_op") in matmuls:
        return "matmul"
    name = event.get("name", "")
    if _GEMM_KERNEL.search(name):
        return "matmul"
    if _ATTENTION_KERNEL.search(name):
        return "attention"
    return "other"


def matmul_ops(hlo: str) -> set[str]:
    """Names of the instructions of an optimized HLO module that compute a ``dot``: plain dots,
    custom calls into cuBLAS (how XLA emits most dots on a GPU), and fusions (or other calls)
    whose called computation holds one of those."""
    bodies: dict[str, list[str]] = {}
    current = None
    for line in hlo.splitlines():
        head = re.match(r"^(?:ENTRY\s+)?%([\w.\-]+)\s*\(.*\{\s*$", line)
        if head:
            current = head.group(1)
            bodies[current] = []
        elif current is not None:
            bodies[current].append(line)

    def is_matmul(ln: str) -> bool:  # a dot, or (on a GPU) a custom call into cuBLAS
        return bool(re.search(r"\sdot\(", ln) or re.search(r'custom_call_target="__cublas', ln))

    with_dot = {name for name, lines in bodies.items() if any(is_matmul(ln) for ln in lines)}
    names = set()
    for lines in bodies.values():
        for ln in lines:
            inst = re.match(r"^\s*(?:ROOT\s+)?%([\w.\-]+)\s*=", ln)
            if not inst:
                continue
            called = re.search(r"calls=%([\w.\-]+)", ln)
            if is_matmul(ln) or (called and called.group(1) in with_dot):
                names.add(inst.group(1))
    return names


if __name__ == "__main__":
    from codescale_jax.hostenv import reexec_with_malloc_tuning

    reexec_with_malloc_tuning()  # huge pages for XLA's per-step CPU scratch memory (see hostenv)
    sys.exit(main())
