"""Train one model on one language and leave a run dir.

    python -m experiments.train --model micro-0.4m --language python --tokens 2e6 --workdir runs/x \
        [--set section.key=value ...] [--stop-after STEPS]

Leaves ``config.json``, ``metrics.jsonl``, ``tensorboard/``, ``checkpoints/`` and ``result.json``
in ``--workdir``. Rerunning the same command resumes from the last complete checkpoint; on a
finished run it prints the stored result. The command above is 489 steps of 16 x 256 tokens of the
embedded Python corpus; on the shared 2-core CPU box it ran at 570-1,000 tokens/s (loss 2.6 at
step 200), so allow about an hour there.
"""

from __future__ import annotations

import argparse
import json
import sys


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m experiments.train", description=__doc__.split("\n\n")[0])
    p.add_argument("--model", default="micro-0.4m", help="a ladder name (micro-0.1m ... micro-3.2m, 0.1b ... 14b)")
    p.add_argument("--language", default="python", help="language id or alias (python, java, ..., english)")
    p.add_argument("--tokens", type=float, default=0, help="training tokens, e.g. 2e6 (or --set train.steps=N)")
    p.add_argument("--workdir", required=True, help="run directory (created; reused to resume)")
    p.add_argument("--set", dest="overrides", action="append", default=[], metavar="SECTION.KEY=VALUE",
                   help="config override, repeatable (e.g. --set mesh.data=2 --set optimizer.lr=1e-3)")
    p.add_argument("--stop-after", type=int, default=None, help="stop (with a checkpoint) at this global step")
    p.add_argument("--distributed", action="store_true",
                   help="join a multi-host job from the environment even if no known cluster is detected")
    g = p.add_argument_group("multi-host (see codescale_jax.parallel.distributed)")
    g.add_argument("--coordinator-address", default=None, metavar="HOST:PORT", help="address of process 0")
    g.add_argument("--num-processes", type=int, default=None, metavar="K")
    g.add_argument("--process-id", type=int, default=None, metavar="I")
    g.add_argument("--init-timeout", type=int, default=300, help="seconds to wait for every process to join")
    g.add_argument("--heartbeat-timeout", type=int, default=100,
                   help="seconds after which a silent process is declared dead and the job stops")
    g.add_argument("--barrier-timeout", type=int, default=600, help="seconds a checkpoint barrier may wait")
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    from codescale_jax.errors import InputError
    from codescale_jax.parallel import distributed

    try:  # half of the multi-process flags, a process id out of range
        distributed.initialize(distributed.DistributedOptions(
            args.coordinator_address, args.num_processes, args.process_id, initialization_timeout_s=args.init_timeout,
            heartbeat_timeout_s=args.heartbeat_timeout, barrier_timeout_s=args.barrier_timeout), force=args.distributed)
    except InputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    from codescale_jax.config import make_config
    from codescale_jax.train.loop import NaNLossError, train

    try:  # an unknown model, language or key, or a bad value: say so without a traceback
        cfg = make_config(args.model, language=args.language, tokens=args.tokens, overrides=args.overrides)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    try:
        row = train(cfg, args.workdir, stop_after=args.stop_after)
    except InputError as exc:
        # a mesh the devices cannot hold, a run dir of another config, a corpus or mixture that
        # cannot be read
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except NaNLossError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(json.dumps(row))
    return 0


if __name__ == "__main__":
    from codescale_jax.hostenv import reexec_with_malloc_tuning

    reexec_with_malloc_tuning()  # huge pages for XLA's per-step CPU scratch memory (see hostenv)
    sys.exit(main())
