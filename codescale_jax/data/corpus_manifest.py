"""Bookkeeping for a corpus build and the ``manifest.json`` it writes.

Per language and split the manifest holds: the shard files (with record counts and SHA-256, which
:func:`codescale_jax.data.shards.open_documents` checks), documents, UTF-8 bytes, tokens and tokens per
byte under the corpus tokenizer, bytes and documents per declared license and per source, and the
skip counts with their reasons. Per language it adds totals, whether the size target is met, the
sources that were not found, and the build time.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import asdict, dataclass, field

from codescale_jax.data.shards import SPLITS, ShardInfo

MANIFEST_FORMAT = "codescale_jax.corpus/1"


def _docs_bytes() -> dict:
    return {"documents": 0, "bytes": 0}


@dataclass
class SplitStats:
    documents: int = 0
    bytes: int = 0
    tokens: int | None = None
    shards: list[ShardInfo] = field(default_factory=list)
    licenses: dict = field(default_factory=lambda: defaultdict(_docs_bytes))
    sources: dict = field(default_factory=lambda: defaultdict(_docs_bytes))
    skipped: Counter = field(default_factory=Counter)

    def add(self, n_bytes: int, source: str, license: str) -> None:
        self.documents += 1
        self.bytes += n_bytes
        for table, key in ((self.licenses, license), (self.sources, source)):
            table[key]["documents"] += 1
            table[key]["bytes"] += n_bytes

    def to_json(self) -> dict:
        return {
            "files": [s.file for s in self.shards],
            "provenance": (self.shards[0].file.rsplit("-", 3)[0] + "-provenance.jsonl") if self.shards else None,
            "shards": [asdict(s) for s in self.shards],
            "documents": self.documents,
            "bytes": self.bytes,
            "tokens": self.tokens,
            "tokens_per_byte": (round(self.tokens / self.bytes, 5) if self.tokens is not None and self.bytes else None),
            "licenses": dict(sorted(self.licenses.items(), key=lambda kv: -kv[1]["bytes"])),
            "sources": dict(sorted(self.sources.items(), key=lambda kv: -kv[1]["bytes"])),
            "skipped": dict(self.skipped.most_common()),
        }


@dataclass
class LanguageStats:
    language: str
    splits: dict[str, SplitStats] = field(default_factory=lambda: {s: SplitStats() for s in SPLITS})
    candidates: Counter = field(default_factory=Counter)  # per source: files listed
    sources_missing: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    build_seconds: float = 0.0

    @property
    def documents(self) -> int:
        return sum(s.documents for s in self.splits.values())

    @property
    def bytes(self) -> int:
        return sum(s.bytes for s in self.splits.values())

    def to_json(self, target_bytes: int) -> dict:
        skipped = Counter()
        for s in self.splits.values():
            skipped.update(s.skipped)
        tokens = [s.tokens for s in self.splits.values()]
        total_tokens = sum(tokens) if all(t is not None for t in tokens) else None
        sources = defaultdict(lambda: {"candidates": 0, "documents": 0, "bytes": 0})
        for name, n in self.candidates.items():
            sources[name]["candidates"] = n
        for s in self.splits.values():
            for name, v in s.sources.items():
                sources[name]["documents"] += v["documents"]
                sources[name]["bytes"] += v["bytes"]
        return {
            "documents": self.documents,
            "bytes": self.bytes,
            "megabytes": round(self.bytes / 1e6, 3),
            "tokens": total_tokens,
            "tokens_per_byte": round(total_tokens / self.bytes, 5) if total_tokens is not None and self.bytes else None,
            "target_bytes": target_bytes,
            "meets_target": self.bytes >= target_bytes,
            "build_seconds": round(self.build_seconds, 2),
            "sources": dict(sorted(sources.items(), key=lambda kv: -kv[1]["bytes"])),
            "sources_missing": self.sources_missing,
            "skipped": dict(skipped.most_common()),
            "notes": self.notes,
            "splits": {name: s.to_json() for name, s in self.splits.items()},
        }


def summary_table(manifest: dict) -> str:
    """A plain-text table of the manifest: one row per language (what the CLI prints at the end)."""
    rows = [f"{'language':<11} {'docs':>8} {'MB':>9} {'train MB':>9} {'val MB':>7} {'test MB':>7} "
            f"{'tok/byte':>8} {'target':>6}  top skips"]
    for lang, e in manifest.get("languages", {}).items():
        sp = e["splits"]
        skips = ", ".join(f"{k}={v}" for k, v in list(e["skipped"].items())[:3])
        tpb = f"{e['tokens_per_byte']:.3f}" if e.get("tokens_per_byte") is not None else "-"
        rows.append(f"{lang:<11} {e['documents']:>8} {e['bytes'] / 1e6:>9.2f} {sp['train']['bytes'] / 1e6:>9.2f} "
                    f"{sp['validation']['bytes'] / 1e6:>7.2f} {sp['test']['bytes'] / 1e6:>7.2f} {tpb:>8} "
                    f"{'yes' if e['meets_target'] else 'NO':>6}  {skips}")
    for lang, why in manifest.get("empty_languages", {}).items():
        rows.append(f"{lang:<11} (no documents: {why})")
    return "\n".join(rows)
