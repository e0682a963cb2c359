"""Translation evaluation: the 7x7 matrices of target-only loss and of BLEU, seen directions marked.

A parallel set is a list of :class:`Pair` (source language, target language, source text, target
text). It comes either from the synthetic generator's held-out split (the programs the corpus
builder puts in ``test``: program ``i`` of ``generate_programs(n, seed)`` with
``split_of(f"program{i}") == "test"``, rendered in every language, so each one yields all 42
directions) or from a user's JSONL with ``src_lang, tgt_lang, src, tgt`` per line.

**Loss.** A pair is the training pair document ``<lang:src> source <sep> <lang:tgt> target <eos>``
(:func:`codescale_jax.data.pipeline_pairs.encode_pair`), packed first-fit without splitting a pair;
only the target text and ``<eos>`` are scored (the source, separator and target tag are context).
Pairs longer than ``max_len`` tokens are left out and counted (``dropped_too_long``): a model never
saw positions past its training length, so scoring them would measure length extrapolation.

**BLEU.** The model translates greedily from ``<lang:src> source <sep> <lang:tgt>`` until ``<eos>``;
the hypothesis is compared with the reference with sacrebleu's corpus BLEU per direction. Code is
not prose: sacrebleu's default ``13a`` tokenizer splits some punctuation but keeps runs like
``x+=1;`` or ``a.b(c)`` partly glued, so scores would depend on a language's spacing habits. Both
sides are therefore pre-split with :func:`code_tokens` (identifiers/numbers as words, every other
non-space character a token of its own; whitespace only separates) and scored with
``tokenize="none"``. The scale is sacrebleu's: 0..100.

**Seen / unseen.** A direction is *seen* when the run trained on pairs in that direction
(``data.directions`` of a paired strategy); the other directions measure zero-shot transfer.
"""

from __future__ import annotations

import dataclasses
import json
import math
import re
from pathlib import Path
from typing import Callable, Iterable, Sequence

import numpy as np

from codescale_jax import languages
from codescale_jax.errors import InputError

Direction = tuple[str, str]
PAIR_STRATEGIES = ("paired", "paired-prompt", "shuffled")


@dataclasses.dataclass(frozen=True)
class Pair:
    src_lang: str
    tgt_lang: str
    src: str
    tgt: str


class ParallelSetError(InputError, ValueError):
    """A parallel set that cannot be used (bad JSONL line, unknown language, empty)."""


# ---------------------------------------------------------------------------------------------
# Parallel sets


def synthetic_test_pairs(n_programs: int = 2000, seed: int = 0, split: str = "test",
                         langs: Sequence[str] = languages.CODE_LANGUAGES, limit: int | None = None,
                         progress: Callable[[str], None] | None = None) -> list[Pair]:
    """Every ordered pair of distinct ``langs`` for each held-out synthetic program (program-major).

    ``n_programs`` and ``seed`` must be those the corpus was built with (the embedded recipe uses
    2000 and 0) so that ``split`` holds the same programs; ``limit`` keeps the first programs only.
    """
    from codescale_jax.data import synthetic
    from codescale_jax.data.embedded import split_of

    langs = languages.parse_list(list(langs))
    picked = [i for i in range(n_programs) if split_of(f"program{i}") == split][:limit]
    if not picked:
        raise ParallelSetError(f"no synthetic program of {n_programs} falls in split {split!r}; raise n_programs")
    if progress is not None:
        progress(f"rendering the {len(picked)} synthetic programs of split {split!r} (of {n_programs}) in {len(langs)} languages")
    # generate_programs(n, seed)[i] is generate_program(f"{seed}:{i}"): build only the picked ones.
    pairs = []
    for i in picked:
        prog = synthetic.generate_program(f"{seed}:{i}")
        texts = {l: synthetic.render(prog, l) for l in langs}
        pairs.extend(Pair(a, b, texts[a], texts[b]) for a in langs for b in langs if a != b)
    return pairs


def read_pairs_jsonl(path: str | Path) -> list[Pair]:
    """A user's parallel set: one JSON object per line with ``src_lang, tgt_lang, src, tgt``."""
    pairs = []
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
                pair = Pair(languages.canonical(row["src_lang"]), languages.canonical(row["tgt_lang"]),
                            str(row["src"]), str(row["tgt"]))
            except (json.JSONDecodeError, KeyError, TypeError, languages.UnknownLanguageError) as e:
                raise ParallelSetError(f"{path}:{n}: expected {{\"src_lang\", \"tgt_lang\", \"src\", \"tgt\"}} with "
                                       f"known languages ({type(e).__name__}: {e})") from None
            if pair.src_lang == pair.tgt_lang:
                raise ParallelSetError(f"{path}:{n}: source and target are both {pair.src_lang}")
            pairs.append(pair)
    if not pairs:
        raise ParallelSetError(f"{path} holds no pairs")
    return pairs


def by_direction(pairs: Iterable[Pair], max_per_direction: int | None = None) -> dict[Direction, list[Pair]]:
    out: dict[Direction, list[Pair]] = {}
    for p in pairs:
        bucket = out.setdefault((p.src_lang, p.tgt_lang), [])
        if max_per_direction is None or len(bucket) < max_per_direction:
            bucket.append(p)
    return out


def seen_directions(cfg) -> tuple[Direction, ...]:
    """Directions the run trained on as aligned pairs (none for monolingual or shuffled runs)."""
    if getattr(cfg.data, "strategy", "") not in ("paired", "paired-prompt"):
        return ()
    from codescale_jax.data.pipeline_pairs import parse_directions

    return parse_directions(getattr(cfg.data, "directions", ""))


# ---------------------------------------------------------------------------------------------
# Target-only loss


def pair_examples(tok, pairs: Sequence[Pair], prompt: bool = False) -> list[dict[str, np.ndarray]]:
    """Encoded pair documents with ``loss_weights`` = 1 on the target text and ``<eos>`` only."""
    from codescale_jax.data.pipeline_pairs import encode_pair

    return [encode_pair(tok, p.src_lang, p.tgt_lang, p.src, p.tgt, prompt=prompt, target_mask=True) for p in pairs]


def target_batches(tok, pairs: Sequence[Pair], max_len: int, batch_size: int,
                   prompt: bool = False) -> tuple[list[dict], dict]:
    """Next-token batches (rows of ``max_len``) whose ``loss_mask`` covers target tokens only, and
    ``{"pairs", "dropped_too_long", "target_tokens"}``."""
    from codescale_jax.data.packing import lm_batch
    from codescale_jax.data.pipeline_packing import batches_of, first_fit_rows
    from codescale_jax.data.pipeline_pairs import TARGET

    examples = pair_examples(tok, pairs, prompt)
    fits = [e for e in examples if e["tokens"].shape[0] <= max_len + 1]
    stats = {"pairs": len(fits), "dropped_too_long": len(examples) - len(fits), "target_tokens": 0}
    if not fits:
        return [], stats
    packed = first_fit_rows(fits, max_len + 1)
    # The last batch is filled up with empty rows; drop them, long rows make padding expensive.
    batches = [lm_batch(_nonempty_rows(b), weights=TARGET) for b in batches_of(packed.rows, batch_size)]
    stats["target_tokens"] = int(sum(float(b["loss_mask"].sum()) for b in batches))
    return batches, stats


def _nonempty_rows(rows: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    keep = rows["segment_ids"].any(axis=1)
    return rows if keep.all() else {k: v[keep] for k, v in rows.items()}


def loss_by_direction(score: Callable[[dict], tuple[float, float]], tok, groups: dict[Direction, list[Pair]], *,
                      max_len: int, batch_size: int, prompt: bool = False,
                      progress: Callable[[str], None] | None = None) -> dict[Direction, dict]:
    """``{direction: {"loss", "pairs", "dropped_too_long", "target_tokens"}}`` (loss in nats per target token)."""
    from codescale_jax.eval.loss import mean_loss

    out = {}
    for k, (d, ps) in enumerate(groups.items(), 1):
        batches, stats = target_batches(tok, ps, max_len, batch_size, prompt)
        loss, _ = mean_loss(score, batches)
        out[d] = {"loss": loss, **stats}
        if progress is not None:
            progress(f"[{k}/{len(groups)}] loss {d[0]}->{d[1]}: {loss:.4f} over {stats['target_tokens']} target "
                     f"tokens ({stats['pairs']} pairs, {stats['dropped_too_long']} too long)")
    return out


# ---------------------------------------------------------------------------------------------
# BLEU

_CODE_TOKEN = re.compile(r"[A-Za-z0-9_]+|[^\sA-Za-z0-9_]")


def code_tokens(text: str) -> str:
    """Code split into tokens joined by single spaces: identifiers and numbers stay whole, every other
    non-space character is its own token, whitespace and indentation only separate."""
    return " ".join(_CODE_TOKEN.findall(text))


def bleu(hypotheses: Sequence[str], references: Sequence[str]) -> float:
    """Corpus BLEU (0..100) of code hypotheses against one reference each, on :func:`code_tokens`."""
    try:
        import sacrebleu
    except ImportError:
        raise ImportError("BLEU needs sacrebleu: pip install 'sacrebleu>=2.4' (in the project's dev extra)") from None
    if len(hypotheses) != len(references):
        raise ValueError(f"{len(hypotheses)} hypotheses for {len(references)} references")
    if not hypotheses:
        return math.nan
    hyp = [code_tokens(h) for h in hypotheses]
    ref = [code_tokens(r) for r in references]
    return float(sacrebleu.corpus_bleu(hyp, [ref], tokenize="none").score)


def translation_prompt(tok, pair: Pair, prompt: bool = False) -> list[int]:
    """``<lang:src> source <sep> <lang:tgt>``: the pair document up to the first target token."""
    ex = pair_examples(tok, [pair], prompt)[0]
    first_target = int(np.argmax(ex["loss_weights"] > 0))
    return [int(x) for x in ex["tokens"][:first_target]]


def translate(cfg, stacked, tok, pairs: Sequence[Pair], sampling, *, batch_size: int = 8,
              prompt: bool = False, progress: Callable[[str], None] | None = None) -> list[str]:
    """Model translations of ``pairs`` (decoded until ``<eos>`` or ``sampling.max_new_tokens``)."""
    from codescale_jax.eval import decode

    prompts = [translation_prompt(tok, p, prompt) for p in pairs]
    done = decode.complete(cfg.model, stacked, tok, prompts, [decode.Stops()] * len(prompts), sampling,
                           batch_size=batch_size, progress=progress)
    return [text for text, _ in done]


def bleu_by_direction(cfg, stacked, tok, groups: dict[Direction, list[Pair]], sampling, *, batch_size: int = 8,
                      prompt: bool = False, progress: Callable[[str], None] | None = None) -> dict[Direction, dict]:
    """``{direction: {"bleu", "pairs", "examples": [first hypothesis]}}``."""
    out = {}
    for k, (d, ps) in enumerate(groups.items(), 1):
        hyps = translate(cfg, stacked, tok, ps, sampling, batch_size=batch_size, prompt=prompt)
        score = bleu(hyps, [p.tgt for p in ps])
        out[d] = {"bleu": score, "pairs": len(ps), "example": hyps[0][:400] if hyps else ""}
        if progress is not None:
            progress(f"[{k}/{len(groups)}] BLEU {d[0]}->{d[1]}: {score:.2f} over {len(ps)} pairs")
    return out


# ---------------------------------------------------------------------------------------------
# Matrices


def matrix(values: dict[Direction, dict], key: str, langs: Sequence[str] = languages.CODE_LANGUAGES) -> list[list]:
    """``langs x langs`` nested lists (row = source, column = target) of ``values[d][key]``; None on
    the diagonal, for missing directions and for NaN."""
    rows = []
    for a in langs:
        row = []
        for b in langs:
            v = values.get((a, b), {}).get(key)
            row.append(None if v is None or (isinstance(v, float) and math.isnan(v)) else v)
        rows.append(row)
    return rows


def format_table(m: Sequence[Sequence], langs: Sequence[str], seen: Iterable[Direction] = (), fmt: str = "{:.3f}") -> str:
    """Plain-text matrix (row = source, column = target); seen directions carry ``*``."""
    seen = set(seen)
    width = max(11, *(len(l) + 2 for l in langs))
    lines = ["src\\tgt".ljust(width) + "".join(l.rjust(width) for l in langs)]
    for i, a in enumerate(langs):
        cells = []
        for j, b in enumerate(langs):
            v = m[i][j]
            cell = "-" if v is None else fmt.format(v) + ("*" if (a, b) in seen else "")
            cells.append(cell.rjust(width))
        lines.append(a.ljust(width) + "".join(cells))
    return "\n".join(lines)


def plot_matrix(m: Sequence[Sequence], langs: Sequence[str], path: str | Path, title: str,
                seen: Iterable[Direction] = (), fmt: str = "{:.2f}") -> None:
    """A heat map PNG of the matrix (seen directions outlined), written atomically."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from codescale_jax import io_utils

    arr = np.array([[np.nan if v is None else float(v) for v in row] for row in m])
    fig, ax = plt.subplots(figsize=(1.1 * len(langs) + 2, 1.0 * len(langs) + 1.5))
    im = ax.imshow(np.ma.masked_invalid(arr), cmap="viridis")
    fig.colorbar(im, ax=ax)
    ax.set_xticks(range(len(langs)), labels=langs, rotation=45, ha="right")
    ax.set_yticks(range(len(langs)), labels=langs)
    ax.set_xlabel("target")
    ax.set_ylabel("source")
    ax.set_title(title)
    seen = set(seen)
    lo, hi = np.nanmin(arr) if np.isfinite(arr).any() else 0.0, np.nanmax(arr) if np.isfinite(arr).any() else 1.0
    for i, a in enumerate(langs):
        for j, b in enumerate(langs):
            if not np.isnan(arr[i, j]):
                light = hi > lo and (arr[i, j] - lo) / (hi - lo) > 0.6  # viridis is light at the top
                ax.text(j, i, fmt.format(arr[i, j]), ha="center", va="center", color="k" if light else "w",
                        fontsize=8)
            if (a, b) in seen:
                ax.add_patch(plt.Rectangle((j - 0.5, i - 0.5), 1, 1, fill=False, ec="red", lw=2))
    fig.tight_layout()
    with io_utils.atomic_path(path) as tmp:
        fig.savefig(tmp, format="png", dpi=100)
    plt.close(fig)
