"""Attention benchmark: ``python -m experiments.bench_attention``.

On a GPU: forward and forward+backward TFLOP/s of each implementation (default pallas, cudnn,
xla) at batch 4, length 4096, 16 heads, head dim 128, causal, bf16 (causal FLOPs halved), then
the ratio pallas/cudnn. An implementation that fails (cuDNN missing, out of memory) is reported
on its line and the others still run; ``--out FILE`` also writes the figures as JSON.

On CPU (or with ``--check``): the Pallas kernel in interpret mode on small float32 shapes against
the reference; the last line is ``max_abs_err_fwd=<v> max_abs_err_grad=<v>``. On a 2-core CPU it
takes under a minute and the errors are a few 1e-6.
"""

from __future__ import annotations

import argparse
import dataclasses

import jax

from codescale_jax.io_utils import atomic_write_json
from codescale_jax.kernels.bench import accuracy_check, time_implementation
from codescale_jax.kernels.testing import Case


def _fmt(x: float | None, spec: str = ".1f") -> str:
    return "-" if x is None else format(x, spec)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--impls", default="pallas,cudnn,xla", help="comma-separated implementations")
    parser.add_argument("--batch", type=int, default=4)
    parser.add_argument("--seq", type=int, default=4096)
    parser.add_argument("--heads", type=int, default=16)
    parser.add_argument("--kv-heads", type=int, default=None, help="default: same as --heads")
    parser.add_argument("--head-dim", type=int, default=128)
    parser.add_argument("--dtype", default="bfloat16")
    parser.add_argument("--non-causal", action="store_true")
    parser.add_argument("--iters", type=int, default=20)
    parser.add_argument("--check", action="store_true", help="run the accuracy check even on GPU")
    parser.add_argument("--out", default=None, help="write results as JSON here")
    args = parser.parse_args(argv)

    backend = jax.default_backend()
    print(f"backend={backend} devices={[d.device_kind for d in jax.devices()]}", flush=True)
    results: dict = {"backend": backend, "device": jax.devices()[0].device_kind}
    if backend == "gpu" and not args.check:
        case = Case(batch=args.batch, q_len=args.seq, q_heads=args.heads,
                    kv_heads=args.kv_heads or args.heads, head_dim=args.head_dim,
                    dtype=args.dtype, causal=not args.non_causal)
        print(f"shape {case}", flush=True)
        print(f"{'impl':8s} {'fwd ms':>8s} {'fwd TF/s':>9s} {'f+b ms':>8s} {'f+b TF/s':>9s}")
        timings = {}
        for impl in args.impls.split(","):
            t = time_implementation(impl, case, iters=args.iters)
            timings[impl] = t
            line = f"{impl:8s} {_fmt(t.fwd_ms, '.3f'):>8s} {_fmt(t.fwd_tflops):>9s} "
            line += f"{_fmt(t.fwd_bwd_ms, '.3f'):>8s} {_fmt(t.fwd_bwd_tflops):>9s}"
            print(line + (f"  error: {t.error}" if t.error else ""), flush=True)
        results.update(case=dataclasses.asdict(case),
                       timings={k: dataclasses.asdict(v) for k, v in timings.items()})
        p, c = timings.get("pallas"), timings.get("cudnn")
        if p and c and p.fwd_tflops and c.fwd_tflops:
            results["ratio_fwd"] = p.fwd_tflops / c.fwd_tflops
            results["ratio_fwd_bwd"] = p.fwd_bwd_tflops / c.fwd_bwd_tflops
            print(f"ratio pallas/cudnn fwd={results['ratio_fwd']:.3f} "
                  f"fwd+bwd={results['ratio_fwd_bwd']:.3f}")
        if args.out:
            atomic_write_json(args.out, results)
        return
    print("accuracy check: pallas vs reference on small shapes "
          f"({'interpret mode' if backend != 'gpu' else 'compiled'})", flush=True)
    err_fwd, err_grad = accuracy_check("pallas", log=lambda s: print(s, flush=True))
    results.update(max_abs_err_fwd=err_fwd, max_abs_err_grad=err_grad)
    if args.out:
        atomic_write_json(args.out, results)
    print(f"max_abs_err_fwd={err_fwd:.3g} max_abs_err_grad={err_grad:.3g}")


if __name__ == "__main__":
    main()
