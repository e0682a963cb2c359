"""Export a trained run as a LLaMA-format Hugging Face model directory.

    python -m experiments.export_hf --run runs/x --out exported/x [--step N]

Writes ``config.json`` (LlamaConfig), ``generation_config.json``, ``model.safetensors`` (float32,
vocabulary unpadded), the tokenizer files and ``codescale_export.json`` (source run and step).
Load it with ``transformers.LlamaForCausalLM.from_pretrained(DIR)`` and
``transformers.AutoTokenizer.from_pretrained(DIR)``. Needs the ``hf`` extra for safetensors/tokenizers.
"""

from __future__ import annotations

import argparse
import sys


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m experiments.export_hf", description=__doc__.split("\n\n")[0])
    p.add_argument("--run", required=True, help="run directory written by `python -m experiments.train`")
    p.add_argument("--out", required=True, help="output directory (created; existing files are replaced)")
    p.add_argument("--step", type=int, default=None, help="checkpoint step (default: the latest)")
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    from codescale_jax.errors import InputError
    from codescale_jax.export.hf import export_run

    try:
        files = export_run(args.run, args.out, step=args.step)
    except InputError as e:  # not a run dir, or a run that is not a LLaMA checkpoint
        print(f"error: {e}", file=sys.stderr)
        return 2
    for f in files:
        print(f"wrote {f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
