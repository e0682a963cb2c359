"""Corpus shards: one ArrayRecord file per slice of a language's split, one UTF-8 document per record.

Layout of a corpus directory (what every reader may rely on)::

    <corpus>/manifest.json
    <corpus>/<language>/<split>-NNNNN-of-MMMMM.array_record      (split in train/validation/test)
    <corpus>/<language>/<split>-provenance.jsonl                (one row per record: source, path, license)
    <corpus>/tokenizer.model                                    (optional SentencePiece model)

ArrayRecord gives random access by record index, which is what a Grain ``MapDataset`` source needs
(``__len__`` + ``__getitem__``); :func:`open_documents` returns exactly that, decoded to ``str``.

Why the checks: the ArrayRecord reader reports zero records for a file that is not ArrayRecord at
all, and a truncated file can look shorter than it is. The manifest stores the record count and the
SHA-256 of every shard, so a mismatch is reported as a :class:`CorruptShardError` naming the file
instead of silently training on less data.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Sequence

import numpy as np

from codescale_jax import languages
from codescale_jax.errors import InputError

SPLITS: tuple[str, ...] = ("train", "validation", "test")
SHARD_SUFFIX = ".array_record"
_SHARD_RE = re.compile(r"^(train|validation|test)-(\d{5})-of-(\d{5})\.array_record$")
#: One record per chunk keeps random access cheap (no decoding of neighbouring records).
_WRITER_OPTIONS = "group_size:1"


class CorruptShardError(InputError, RuntimeError):
    """A shard file is unreadable, truncated or does not match the manifest."""


class MissingCorpusError(InputError, FileNotFoundError):
    """The corpus directory, the language or the split has no shards."""


def _module():
    try:
        from array_record.python import array_record_module
    except ImportError as e:  # pragma: no cover - array_record is a core dependency
        raise ImportError("array_record is required for corpus shards: pip install array_record") from e
    return array_record_module


def shard_name(split: str, index: int, count: int) -> str:
    if split not in SPLITS:
        raise ValueError(f"unknown split {split!r}; choose from {SPLITS}")
    return f"{split}-{index:05d}-of-{count:05d}{SHARD_SUFFIX}"


def sha256_file(path: str | os.PathLike, chunk: int = 1 << 20) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(chunk):
            h.update(block)
    return h.hexdigest()


@dataclass(frozen=True)
class ShardInfo:
    """What the manifest records about one written shard."""

    file: str  # relative to the corpus directory
    documents: int
    bytes: int  # UTF-8 bytes of the documents (not the file size)
    sha256: str


def plan_shards(n_docs: int, total_bytes: int, target_shard_bytes: int) -> int:
    """How many shards a split gets: about ``target_shard_bytes`` each, at least one, at most one per doc."""
    if n_docs <= 0:
        return 1
    return int(max(1, min(n_docs, -(-total_bytes // max(1, target_shard_bytes)))))


def write_split(language_dir: str | os.PathLike, split: str, documents: Sequence[str],
                target_shard_bytes: int = 64 << 20, corpus_root: str | os.PathLike | None = None) -> list[ShardInfo]:
    """Write ``documents`` (in order) as ``<language_dir>/<split>-*-of-*.array_record`` shards.

    Documents are dealt to shards contiguously, so shard ``k`` holds one contiguous slice. The caller
    writes into a temporary corpus directory and renames it when everything succeeded, so a failure
    here never leaves a half corpus behind. An empty split still gets one (empty) shard, which keeps
    the layout uniform for readers.
    """
    mod = _module()
    language_dir = Path(language_dir)
    language_dir.mkdir(parents=True, exist_ok=True)
    root = Path(corpus_root) if corpus_root is not None else language_dir.parent
    encoded = [d.encode("utf-8") for d in documents]
    total = sum(len(b) for b in encoded)
    count = plan_shards(len(encoded), total, target_shard_bytes)
    infos: list[ShardInfo] = []
    bounds = _balanced_bounds([len(b) for b in encoded], count)
    for k in range(count):
        lo, hi = bounds[k], bounds[k + 1]
        path = language_dir / shard_name(split, k, count)
        writer = mod.ArrayRecordWriter(str(path), _WRITER_OPTIONS)
        try:
            for rec in encoded[lo:hi]:
                writer.write(rec)
        finally:
            writer.close()
        infos.append(ShardInfo(file=str(path.relative_to(root)), documents=hi - lo,
                               bytes=sum(len(b) for b in encoded[lo:hi]), sha256=sha256_file(path)))
    return infos


def _balanced_bounds(sizes: list[int], count: int) -> list[int]:
    """Cut points giving ``count`` contiguous slices of roughly equal bytes, none empty (count <= len)."""
    n = len(sizes)
    count = min(count, max(n, 1))
    if count <= 1:
        return [0, n]
    cum = np.cumsum(np.asarray(sizes, dtype=np.int64))
    targets = cum[-1] * np.arange(1, count) / count
    cuts = [int(c) for c in np.searchsorted(cum, targets, side="left") + 1]
    for k in range(len(cuts)):  # strictly increasing, and room left for the remaining slices
        lo = cuts[k - 1] + 1 if k else 1
        hi = n - (count - 1 - k)
        cuts[k] = min(max(cuts[k], lo), hi)
    return [0, *cuts, n]


class ShardedDocuments:
    """Random access to the documents of one (language, split): ``len(x)`` and ``x[i] -> str``.

    Works as a Grain ``MapDataset`` source (``grain.MapDataset.source(x)``). Readers are opened lazily
    per shard and per process, so the object can be pickled into Grain worker processes.
    """

    def __init__(self, paths: Sequence[str | os.PathLike], expected_counts: Sequence[int] | None = None):
        self._paths = [str(p) for p in paths]
        self._local = threading.local()  # one reader per shard per thread (Grain reads from threads)
        counts = []
        for j, p in enumerate(self._paths):
            n = self._reader(j).num_records()
            if expected_counts is not None and n != expected_counts[j]:
                raise CorruptShardError(
                    f"shard {p} has {n} readable records but the manifest lists {expected_counts[j]}: "
                    f"the file is truncated or not an ArrayRecord file; rebuild the corpus")
            counts.append(n)
        self._starts = [0]
        for n in counts:
            self._starts.append(self._starts[-1] + n)

    @property
    def paths(self) -> list[str]:
        return list(self._paths)

    @property
    def _readers(self) -> dict:
        readers = getattr(self._local, "readers", None)
        if readers is None:
            readers = self._local.readers = {}
        return readers

    def _reader(self, j: int):
        r = self._readers.get(j)
        if r is None:
            p = self._paths[j]
            if not os.path.isfile(p):
                raise MissingCorpusError(f"shard {p} does not exist")
            try:
                r = _module().ArrayRecordReader(p)
            except Exception as e:  # the C++ reader raises plain RuntimeError/ValueError
                raise CorruptShardError(f"cannot open shard {p}: {e}") from e
            self._readers[j] = r
        return r

    def __len__(self) -> int:
        return self._starts[-1]

    def __getitem__(self, i: int) -> str:
        n = len(self)
        i = int(i)
        if i < 0:
            i += n
        if not 0 <= i < n:
            raise IndexError(f"document index {i} out of range for {n} documents")
        j = _bisect_right(self._starts, i) - 1
        try:
            raw = self._reader(j).read([i - self._starts[j]])[0]
        except CorruptShardError:
            raise
        except Exception as e:
            raise CorruptShardError(f"shard {self._paths[j]} is corrupt (record {i - self._starts[j]}): {e}") from e
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError as e:
            raise CorruptShardError(f"shard {self._paths[j]} record {i - self._starts[j]} is not UTF-8: {e}") from e

    def __iter__(self):
        for i in range(len(self)):
            yield self[i]

    def __getstate__(self):
        return {"paths": self._paths, "starts": self._starts}

    def __setstate__(self, state):
        self._paths, self._starts, self._local = state["paths"], state["starts"], threading.local()

    def close(self) -> None:
        """Close this thread's readers (others close when their thread ends)."""
        for r in self._readers.values():
            r.close()
        self._readers.clear()


def _bisect_right(a: list[int], x: int) -> int:
    lo, hi = 0, len(a)
    while lo < hi:
        mid = (lo + hi) // 2
        if x < a[mid]:
            hi = mid
        else:
            lo = mid + 1
    return lo


def load_manifest(corpus_dir: str | os.PathLike) -> dict | None:
    p = Path(corpus_dir) / "manifest.json"
    if not p.exists():
        return None
    try:
        return json.loads(p.read_text(encoding="utf-8"))
    except json.JSONDecodeError as e:
        raise CorruptShardError(f"{p} is not valid JSON ({e}); rebuild the corpus") from e


def shard_paths(corpus_dir: str | os.PathLike, language: str, split: str) -> list[Path]:
    """The shard files of one (language, split), in order; checks the -of-MMMMM set is complete."""
    lang_dir = Path(corpus_dir) / language
    found = []
    for p in sorted(lang_dir.glob(f"{split}-*{SHARD_SUFFIX}")) if lang_dir.is_dir() else []:
        m = _SHARD_RE.match(p.name)
        if m:
            found.append((int(m.group(2)), int(m.group(3)), p))
    if not found:
        return []
    total = found[0][1]
    if any(t != total for _, t, _ in found) or [k for k, _, _ in found] != list(range(total)):
        raise CorruptShardError(
            f"{lang_dir}: the {split} shards are incomplete or mixed (found {[p.name for _, _, p in found]}, "
            f"expected {total}); rebuild the corpus")
    return [p for _, _, p in found]


_CHECKSUMS: dict[tuple[str, int, int], str] = {}


def _checksum(path: str | os.PathLike) -> str:
    """SHA-256 of a shard, hashed once per process while its size and modification time stay put."""
    st = os.stat(path)
    key = (os.path.realpath(path), st.st_size, st.st_mtime_ns)
    if key not in _CHECKSUMS:
        _CHECKSUMS[key] = sha256_file(path)
    return _CHECKSUMS[key]


def open_documents(corpus_dir: str | os.PathLike, language: str, split: str, verify: bool = False) -> ShardedDocuments:
    """Open the documents of ``language``/``split`` in a corpus directory for random access.

    ``verify=True`` also checks every shard's SHA-256 against the manifest (reads each file once).
    Raises :class:`MissingCorpusError` for a missing corpus/language/split and
    :class:`CorruptShardError` for a shard that does not match the manifest or cannot be read.
    """
    corpus_dir = Path(corpus_dir)
    lang = languages.canonical(language)
    if split not in SPLITS:
        raise ValueError(f"unknown split {split!r}; choose from {SPLITS}")
    if not corpus_dir.is_dir():
        raise MissingCorpusError(f"corpus directory {corpus_dir} does not exist; build one with "
                                 f"`python -m experiments.build_corpus --recipe embedded --out {corpus_dir}`")
    paths = shard_paths(corpus_dir, lang, split)
    if not paths:
        have = sorted(p.name for p in corpus_dir.iterdir() if p.is_dir() and not p.name.startswith("."))
        raise MissingCorpusError(f"no {split} shards for language {lang!r} in {corpus_dir} (languages present: "
                                 f"{', '.join(have) or 'none'})")
    manifest = load_manifest(corpus_dir)
    expected = None
    entry = (manifest or {}).get("languages", {}).get(lang, {}).get("splits", {}).get(split)
    if entry is not None:
        shards = {s["file"]: s for s in entry.get("shards", [])}
        rel = [str(p.relative_to(corpus_dir)) for p in paths]
        if set(rel) != set(shards):
            raise CorruptShardError(f"{corpus_dir}/{lang}: shard files {rel} do not match the manifest "
                                    f"({sorted(shards)}); rebuild the corpus")
        expected = [shards[r]["documents"] for r in rel]
        if verify:
            for p, r in zip(paths, rel):
                if _checksum(p) != shards[r]["sha256"]:
                    raise CorruptShardError(f"shard {p} does not match its manifest checksum; rebuild the corpus")
    return ShardedDocuments(paths, expected)


def iter_documents(corpus_dir: str | os.PathLike, language: str, split: str) -> Iterable[str]:
    docs = open_documents(corpus_dir, language, split)
    try:
        yield from docs
    finally:
        docs.close()
