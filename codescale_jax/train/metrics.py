"""Run metrics: ``metrics.jsonl`` (one JSON row per logged step), TensorBoard event files and a
one-line progress report (step, loss, tokens/s, MFU, ETA) on stdout."""

from __future__ import annotations

import math
import sys
from pathlib import Path
from typing import Callable

from codescale_jax import io_utils


def format_duration(seconds: float) -> str:
    if not math.isfinite(seconds) or seconds < 0:
        return "?"
    s = int(round(seconds))
    h, rem = divmod(s, 3600)
    m, s = divmod(rem, 60)
    return f"{h}h{m:02d}m" if h else f"{m}m{s:02d}s" if m else f"{s}s"


def progress_line(step: int, total: int, loss: float, tokens_per_s: float, mfu: float | None, eta_s: float) -> str:
    mfu_s = f"{100 * mfu:.1f}%" if mfu is not None else "n/a"
    return (f"step {step}/{total} loss {loss:.4f} tok/s {tokens_per_s:,.0f} MFU {mfu_s} "
            f"ETA {format_duration(eta_s)}")


class MetricsLogger:
    """Appends rows to ``<workdir>/metrics.jsonl`` and mirrors numeric fields to TensorBoard."""

    def __init__(self, workdir: str | Path, tensorboard: bool = True, print_fn: Callable[[str], None] | None = None):
        self.path = Path(workdir) / "metrics.jsonl"
        self._print = print_fn or (lambda s: print(s, file=sys.stdout, flush=True))
        self._tb = None
        if tensorboard:
            from tensorboardX import SummaryWriter

            self._tb = SummaryWriter(logdir=str(Path(workdir) / "tensorboard"))

    def truncate_after(self, step: int) -> None:
        """Drop rows logged after ``step`` (they belong to work lost in a crash and will be redone)."""
        rows = [r for r in io_utils.read_jsonl(self.path) if r.get("step", 0) <= step]
        io_utils.atomic_write_text(self.path, "".join(_dumps(r) for r in rows))

    def write(self, row: dict, prefix: str = "train") -> None:
        io_utils.append_jsonl(self.path, row)
        if self._tb is not None:
            step = int(row["step"])
            for k, v in row.items():
                if k != "step" and isinstance(v, (int, float)) and math.isfinite(v):
                    self._tb.add_scalar(f"{prefix}/{k}", v, step)

    def print(self, line: str) -> None:
        self._print(line)

    def close(self) -> None:
        if self._tb is not None:
            self._tb.flush()
            self._tb.close()


def _dumps(row: dict) -> str:
    import json

    return json.dumps(row) + "\n"
