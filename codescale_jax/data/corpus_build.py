"""Build a sharded corpus from sources: select, filter, deduplicate, split, shard, tokenize, manifest.

Per language, candidates from all its sources are visited in a seeded random order, always taking
the next file from the source with the fewest accepted bytes so far: under a size cap every source
contributes about equally (diversity), and without a cap everything is read. Each file is filtered
(:mod:`corpus_filters`), checked for exact and near duplicates against everything kept before in that
language (:mod:`corpus_dedup`), and assigned to train/validation/test by a stable hash of its group
(:mod:`corpus_sources`), so a package never straddles splits.

Everything is written under a temporary sibling directory that is renamed to ``out`` only after the
shards, the tokenizer and the manifest are complete: a failure leaves no partial corpus behind.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import shutil
import sys
import time
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Sequence

from codescale_jax import languages
from codescale_jax.data import corpus_filters as filters
from codescale_jax.data.corpus_dedup import Deduplicator
from codescale_jax.data.corpus_licenses import spdx_license
from codescale_jax.data.corpus_manifest import MANIFEST_FORMAT, LanguageStats
from codescale_jax.data.corpus_sources import Candidate, SourceError
from codescale_jax.data.embedded import split_of
from codescale_jax.data.shards import SPLITS, open_documents, write_split
from codescale_jax.errors import EmptyCorpusError, InputError
from codescale_jax.io_utils import atomic_write_json, atomic_write_text

#: Per language and split, ``<split>-provenance.jsonl`` holds one row per document (in record order).
PROVENANCE_SUFFIX = "-provenance.jsonl"
#: The issue's target for a real corpus: at least this many bytes per language after filter + dedup.
TARGET_BYTES = 20_000_000


class CorpusExistsError(InputError, FileExistsError):
    pass


@dataclass(frozen=True)
class BuildConfig:
    out: str
    languages: tuple[str, ...] = languages.ALL_LANGUAGES
    recipe: str = "custom"
    max_bytes_per_language: int | None = None
    filters: filters.FilterConfig = field(default_factory=filters.FilterConfig)
    near_dedup: bool = True
    dedup_threshold: float = 0.8
    validation_fraction: float = 0.05
    test_fraction: float = 0.05
    seed: int = 0
    target_shard_bytes: int = 64 << 20
    tokenizer_vocab: int = 0  # 0: no trained tokenizer; tokens are counted with the byte tokenizer
    tokenizer_sample_bytes: int = 2_000_000
    num_threads: int = 2
    overwrite: bool = False
    require_all_languages: bool = False  # a user's --source build: a language without documents is an error
    target_bytes: int = TARGET_BYTES
    quiet: bool = False


class _Progress:
    def __init__(self, quiet: bool, every_s: float = 5.0):
        self.quiet, self.every_s, self._last = quiet, every_s, 0.0

    def __call__(self, msg: str, force: bool = False) -> None:
        now = time.monotonic()
        if self.quiet or (not force and now - self._last < self.every_s):
            return
        self._last = now
        print(f"[build_corpus {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def assign_splits(groups: Sequence[str], validation: float, test: float) -> dict[str, str]:
    """Split per group by a stable hash; with at least three groups, validation and test are never empty.

    When hashing leaves validation or test empty (few groups), the train group(s) whose hash lies
    closest to that split's range are moved into it, deterministically.
    """
    uniq = sorted(set(groups))
    out = {g: split_of(g, validation, test) for g in uniq}
    if len(uniq) >= 3:
        def h(g: str) -> float:
            return int(hashlib.sha256(g.encode("utf-8")).hexdigest()[:8], 16) / 0xFFFFFFFF

        for split in ("validation", "test"):
            if split not in out.values():
                train = sorted((g for g in uniq if out[g] == "train"), key=h)
                if len(train) > 1:
                    out[train[0]] = split
    return out


def _order(cands: list[Candidate], seed: int) -> list[Candidate]:
    rng = random.Random(f"{seed}:{cands[0].source}" if cands else seed)
    cands = list(cands)
    rng.shuffle(cands)
    return cands


def collect_language(lang: str, sources: Sequence, cfg: BuildConfig, progress: _Progress,
                     scans: dict | None = None) -> tuple[dict, LanguageStats]:
    """Select, filter and deduplicate one language.

    Returns ``({"documents": {split: [text]}, "provenance": {split: [row]}}, stats)``; provenance row
    ``i`` (source, path, group, license, bytes) describes document ``i`` of its split.

    ``scans`` caches each source's candidate list across languages (a multi-language source such as
    a parquet file is read once).
    """
    scans = {} if scans is None else scans
    t0 = time.monotonic()
    stats = LanguageStats(lang)
    per_source: dict[str, list[Candidate]] = {}
    for src in sources:
        if not src.available():
            stats.sources_missing[src.name] = f"not found at {getattr(src, 'root', getattr(src, 'path', getattr(src, 'zip_path', '?')))}"
            continue
        if id(src) not in scans:
            scans[id(src)] = src.scan()
        cands = [c for c in scans[id(src)] if c.language == lang]
        stats.candidates[src.name] += len(cands)
        if cands:
            per_source.setdefault(src.name, []).extend(cands)
    split_of_group = assign_splits([c.group for cs in per_source.values() for c in cs],
                                   cfg.validation_fraction, cfg.test_fraction)
    queues = {name: _order(cs, cfg.seed) for name, cs in sorted(per_source.items())}
    pos = {name: 0 for name in queues}
    taken = {name: 0 for name in queues}
    dedup = Deduplicator(near=cfg.near_dedup, threshold=cfg.dedup_threshold, seed=cfg.seed)
    docs: dict[str, list[str]] = {s: [] for s in SPLITS}
    provenance: dict[str, list[dict]] = {s: [] for s in SPLITS}  # one row per kept document, same order
    cap = cfg.max_bytes_per_language
    total, seen = 0, 0
    while cap is None or total < cap:
        live = [n for n in queues if pos[n] < len(queues[n])]
        if not live:
            break
        name = min(live, key=lambda n: (taken[n], n))
        c = queues[name][pos[name]]
        pos[name] += 1
        seen += 1
        split = split_of_group[c.group]
        sp = stats.splits[split]
        reason = filters.path_reason(c.path, lang, None if c.long_text else c.size, cfg.filters)
        if reason:
            sp.skipped[reason] += 1
            continue
        try:
            raw = c.read()
        except OSError:
            sp.skipped["unreadable"] += 1
            continue
        text, reason = (raw, None) if isinstance(raw, str) else filters.decode(raw)
        if reason:
            sp.skipped[reason] += 1
            continue
        pieces = filters.split_long_text(text) if c.long_text else [text]
        for k, piece in enumerate(pieces):
            reason = filters.content_reason(piece, lang, cfg.filters) or dedup.check(piece, near=c.near_dedup)
            if reason:
                sp.skipped[reason] += 1
                continue
            n_bytes = len(piece.encode("utf-8"))
            lic = spdx_license(piece) or c.license
            docs[split].append(piece)
            provenance[split].append({"source": c.source, "path": c.path if len(pieces) == 1 else f"{c.path}#{k}",
                                      "group": c.group, "license": lic, "bytes": n_bytes})
            sp.add(n_bytes, c.source, lic)
            taken[name] += n_bytes
            total += n_bytes
        progress(f"{lang}: {seen} files read, {total / 1e6:.1f} MB kept "
                 f"({total / 1e6 / max(1e-9, time.monotonic() - t0):.2f} MB/s)")
    stats.build_seconds = time.monotonic() - t0
    progress(f"{lang}: done, {seen} files read, {stats.documents} documents, {total / 1e6:.2f} MB kept in "
             f"{stats.build_seconds:.1f} s", force=True)
    return {"documents": docs, "provenance": provenance}, stats


def _token_counts(tmp: Path, tok, langs: Sequence[str], stats: dict[str, LanguageStats], threads: int,
                  progress: _Progress) -> dict:
    """Count tokens of every split, check the exact round trip on every test document, time encode."""
    from codescale_jax.data.tokenizer_sp import tokens_per_byte

    enc_s = enc_bytes = 0.0
    rt_docs = rt_fail = 0
    failures: list[str] = []
    for lang in langs:
        for split in SPLITS:
            sp = stats[lang].splits[split]
            if sp.documents == 0:
                sp.tokens = 0
                continue
            docs = open_documents(tmp, lang, split)
            t = time.perf_counter()
            n_tok, n_bytes = tokens_per_byte(tok, docs, num_threads=threads)
            enc_s += time.perf_counter() - t
            enc_bytes += n_bytes
            sp.tokens = n_tok
            if split == "test":
                for i in range(len(docs)):
                    rt_docs += 1
                    if tok.decode(tok.encode(docs[i])) != docs[i]:
                        rt_fail += 1
                        failures.append(f"{lang}/test/{i}")
            docs.close()
        progress(f"tokens counted for {lang}", force=True)
    return {"encode_seconds": round(enc_s, 3), "encode_megabytes": round(enc_bytes / 1e6, 3),
            "encode_mb_per_s": round(enc_bytes / 1e6 / enc_s, 3) if enc_s else None,
            "encode_threads": threads,
            "roundtrip_test_split": {"documents": rt_docs, "failures": rt_fail, "failed": failures[:20]}}


def build_corpus(sources: Sequence, cfg: BuildConfig, extra: dict | None = None,
                 unavailable: dict[str, str] | None = None) -> dict:
    """Build the corpus into ``cfg.out`` and return its manifest. See the module docstring.

    ``unavailable`` maps a language to why a recipe has no source for it (reported, not an error).
    """
    out = Path(cfg.out)
    if out.exists() and any(out.iterdir()) and not cfg.overwrite:
        raise CorpusExistsError(f"{out} already exists and is not empty; pass --overwrite to replace it")
    langs = languages.parse_list(cfg.languages)
    progress = _Progress(cfg.quiet)
    t_start = time.monotonic()
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.parent / f".{out.name}.tmp-{os.getpid()}"
    if tmp.exists():
        shutil.rmtree(tmp)
    tmp.mkdir()
    try:
        stats: dict[str, LanguageStats] = {}
        empty: dict[str, str] = {}
        scans: dict = {}
        for lang in langs:
            lang_sources = [s for s in sources if s.language in (lang, None)]
            if not lang_sources:
                empty[lang] = (unavailable or {}).get(lang, "no source provides this language")
                continue
            docs, st = collect_language(lang, lang_sources, cfg, progress, scans)
            if st.documents == 0:
                why = ("no source found" if not st.candidates else
                       f"all {sum(st.candidates.values())} candidate files were skipped "
                       f"({dict(sum((s.skipped for s in st.splits.values()), Counter()))})")
                if st.sources_missing:
                    why += f"; missing sources: {', '.join(st.sources_missing)}"
                if cfg.require_all_languages:
                    raise SourceError(f"no {lang} documents: {why}")
                empty[lang] = why
                continue
            for split in SPLITS:
                st.splits[split].shards = write_split(tmp / lang, split, docs["documents"][split],
                                                      cfg.target_shard_bytes, tmp)
                atomic_write_text(tmp / lang / f"{split}{PROVENANCE_SUFFIX}",
                                  "".join(json.dumps(row) + "\n" for row in docs["provenance"][split]))
            stats[lang] = st
            del docs
        if not stats:
            raise EmptyCorpusError("no language produced any document: " +
                                   "; ".join(f"{k}: {v}" for k, v in empty.items()))
        kept = list(stats)
        tok_info: dict = {"kind": "bytes"}
        if cfg.tokenizer_vocab:
            from codescale_jax.data.tokenizer_sp import train_sentencepiece

            progress(f"training SentencePiece BPE, vocab {cfg.tokenizer_vocab}", force=True)
            t = time.perf_counter()
            train_docs = {l: open_documents(tmp, l, "train") for l in kept if stats[l].splits["train"].documents}
            tok = train_sentencepiece(train_docs, cfg.tokenizer_vocab, tmp / "tokenizer.model",
                                      cfg.tokenizer_sample_bytes, cfg.seed, cfg.num_threads)
            tok_info = {"kind": "sentencepiece", "file": "tokenizer.model", "vocab_size": tok.vocab_size,
                        "train_seconds": round(time.perf_counter() - t, 2),
                        "train_bytes_per_language": cfg.tokenizer_sample_bytes,
                        "train_languages": sorted(train_docs)}
        else:
            from codescale_jax.data.tokenizer import ByteTokenizer

            tok = ByteTokenizer()
            tok_info["vocab_size"] = tok.vocab_size
        tok_info.update(_token_counts(tmp, tok, kept, stats, cfg.num_threads, progress))
        manifest = {
            "format": MANIFEST_FORMAT,
            "recipe": cfg.recipe,
            "created_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "build_seconds": round(time.monotonic() - t_start, 2),
            "config": {k: v for k, v in asdict(cfg).items() if k not in ("out", "overwrite", "quiet")},
            "split_rule": (f"stable SHA-256 hash of each file's group (its package: directory, npm package + "
                           f"first-level directory, crate, synthetic program id); validation "
                           f"{cfg.validation_fraction}, test {cfg.test_fraction}"),
            "tokenizer": tok_info,
            "languages": {l: stats[l].to_json(cfg.target_bytes) for l in kept},
            "empty_languages": empty,
            "skipped_without_language": {s.name: dict(s.skipped) for s in sources if getattr(s, "skipped", None)},
            **(extra or {}),
        }
        manifest["build_seconds"] = round(time.monotonic() - t_start, 2)
        atomic_write_json(tmp / "manifest.json", manifest)
        _replace_dir(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    progress(f"corpus written to {out} in {manifest['build_seconds']:.1f} s", force=True)
    return manifest


def _replace_dir(tmp: Path, out: Path) -> None:
    """Move ``tmp`` to ``out``; an existing ``out`` is moved aside first and deleted after."""
    old = None
    if out.exists():
        old = out.parent / f".{out.name}.old-{os.getpid()}"
        os.replace(out, old)
    os.replace(tmp, out)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)
