"""Per-language validation loss of a trained model: the L of the scaling laws, one per language.

Each language is scored on its own held-out split, packed and encoded exactly as the trainer's end
of run evaluation does (:func:`codescale_jax.data.input.eval_batches`: ``<lang:ID> text <eos>``
documents, the first ``max_tokens`` target tokens in corpus order, or of the split's pieces in one
fixed order with ``data.eval_piece_chars``), with the trainer's own loss
(:func:`codescale_jax.train.step.loss_sums`), so a monolingual run's ``python`` entry here equals
the ``loss`` of its ``result.json``. The unit is nats per scored token.
"""

from __future__ import annotations

import functools
import math
from typing import Callable, Iterable, Sequence

import jax
import numpy as np

from codescale_jax import languages
from codescale_jax.config import Config, ModelConfig
from codescale_jax.errors import InputError


def make_scorer(mcfg: ModelConfig, params) -> Callable[[dict], tuple[float, float]]:
    """``batch -> (summed nats, scored tokens)`` for next-token batches (``inputs``, ``targets``,
    ``segment_ids``, ``positions``, ``loss_mask``), jitted once per batch shape."""
    from codescale_jax.train.step import BATCH_KEYS, loss_sums

    fn = jax.jit(functools.partial(loss_sums, mcfg))

    def score(batch: dict) -> tuple[float, float]:
        s, c = fn(params, {k: np.asarray(batch[k]) for k in BATCH_KEYS})
        return float(s), float(c)

    return score


def mean_loss(score: Callable[[dict], tuple[float, float]], batches: Iterable[dict]) -> tuple[float, int]:
    """``(nats per scored token, scored tokens)``; NaN when nothing is scored."""
    total = count = 0.0
    for b in batches:
        s, c = score(b)
        total, count = total + s, count + c
    return (total / count if count > 0 else math.nan), int(count)


def run_languages(cfg: Config) -> tuple[str, ...]:
    """The languages a run trained on: its mixture's languages, else ``data.language``."""
    mixture = getattr(cfg.data, "mixture", "")
    if mixture:
        from codescale_jax.data.pipeline_mixture import parse_proportions

        return tuple(languages.canonical(l) for l in parse_proportions(mixture).languages)
    return (languages.canonical(cfg.data.language),)


def validation_losses(cfg: Config, params, langs: Sequence[str], *, batch_size: int = 8,
                      max_tokens: int | None = None, progress: Callable[[str], None] | None = None) -> dict[str, dict]:
    """``{language: {"loss", "tokens"}}`` on each language's ``data.eval_split``; a language the
    corpus cannot provide gets ``{"error": why}`` instead of stopping the others."""
    from codescale_jax.data import input as input_lib

    score = make_scorer(cfg.model, params)
    out: dict[str, dict] = {}
    for lang in languages.parse_list(list(langs)):
        try:
            batches = input_lib.eval_batches(cfg.data, batch_size, language=lang, max_tokens=max_tokens)
        except (InputError, ValueError, FileNotFoundError) as e:  # missing, empty or damaged shards, ...
            out[lang] = {"error": str(e)}
        else:
            loss, tokens = mean_loss(score, batches)
            out[lang] = {"loss": loss, "tokens": tokens}
        if progress is not None:
            progress(f"validation loss {lang}: " + (f"{out[lang]['loss']:.4f}" if "loss" in out[lang]
                                                     else out[lang]["error"]))
    return out
