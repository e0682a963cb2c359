"""Exact and near-duplicate removal (MinHash + LSH banding), numpy-vectorised.

Why both: the registries ship the same code many times (two JDKs, a crate vendored by rustc and
packaged by Debian, a library's ``src/`` beside its build copy, two versions of one npm package).
Exact hashing removes byte-identical copies for free; MinHash catches copies that differ in a
licence header, a version string or a few edited lines.

Method (deterministic across machines and runs, no Python ``hash()``):
1. Tokens are ``\\w+`` runs and single punctuation marks; each token gets a stable 32-bit CRC.
2. Shingles are ``shingle`` consecutive tokens, combined into one 64-bit value by a polynomial
   rolling hash computed for all positions at once with numpy (wrapping uint64 arithmetic).
3. The signature has ``num_perm`` minima of ``(a_k * s + b_k) >> 32`` (multiply-shift hashing, a
   universal family) over the document's shingles.
4. LSH: the signature is cut into ``bands`` bands of ``rows`` values; documents sharing any band
   are candidates, and a candidate is a duplicate when the fraction of equal signature values (an
   unbiased estimate of the Jaccard similarity) is at least ``threshold``.
"""

from __future__ import annotations

import hashlib
import re
import zlib
from dataclasses import dataclass, field

import numpy as np

_TOKEN = re.compile(r"\w+|[^\w\s]")
_PRIME = np.uint64(1099511628211)  # FNV-64 prime, an odd multiplier for the rolling hash


def exact_key(text: str) -> bytes:
    """Key for exact duplicates: SHA-1 of the text with line-end whitespace and outer blank lines removed."""
    norm = "\n".join(line.rstrip() for line in text.strip().splitlines())
    return hashlib.sha1(norm.encode("utf-8")).digest()


@dataclass
class MinHasher:
    num_perm: int = 128
    shingle: int = 5
    seed: int = 0
    _cache: dict = field(default_factory=dict, repr=False)

    def __post_init__(self):
        rng = np.random.default_rng(self.seed)
        self._a = (rng.integers(1, 2**63, size=self.num_perm, dtype=np.uint64) * np.uint64(2) + np.uint64(1))
        self._b = rng.integers(0, 2**63, size=self.num_perm, dtype=np.uint64)
        self._pows = np.array([pow(int(_PRIME), self.shingle - 1 - j, 2**64) for j in range(self.shingle)],
                              dtype=np.uint64)

    def token_ids(self, text: str) -> np.ndarray:
        cache = self._cache
        out = []
        for tok in _TOKEN.findall(text):
            v = cache.get(tok)
            if v is None:
                v = zlib.crc32(tok.encode("utf-8"))
                if len(cache) < 2_000_000:
                    cache[tok] = v
            out.append(v)
        return np.asarray(out, dtype=np.uint64)

    def shingles(self, text: str) -> np.ndarray:
        """Distinct 64-bit shingle hashes of a text (a text shorter than one shingle is one shingle)."""
        ids = self.token_ids(text)
        k = self.shingle
        if ids.size == 0:
            return np.zeros(1, dtype=np.uint64)
        if ids.size < k:
            ids = np.concatenate([ids, np.zeros(k - ids.size, dtype=np.uint64)])
        n = ids.size - k + 1
        h = np.zeros(n, dtype=np.uint64)
        for j in range(k):  # k vector passes instead of a per-position Python loop
            h += ids[j:j + n] * self._pows[j]
        return np.unique(h)

    def signature(self, text: str, chunk: int = 1 << 15) -> np.ndarray:
        """The ``num_perm`` MinHash values (uint32) of a text."""
        sh = self.shingles(text)
        sig = np.full(self.num_perm, np.iinfo(np.uint32).max, dtype=np.uint64)
        for lo in range(0, sh.size, chunk):  # bounded memory: chunk x num_perm at a time
            block = sh[lo:lo + chunk, None] * self._a[None, :] + self._b[None, :]
            np.minimum(sig, (block >> np.uint64(32)).min(axis=0), out=sig)
        return sig.astype(np.uint32)


def jaccard_estimate(sig_a: np.ndarray, sig_b: np.ndarray) -> float:
    return float(np.mean(sig_a == sig_b))


class NearDupIndex:
    """Streaming LSH index: ``add(sig)`` returns the id of a near-duplicate already kept, or None (and keeps it)."""

    def __init__(self, num_perm: int = 128, bands: int = 16, threshold: float = 0.8):
        if num_perm % bands:
            raise ValueError(f"num_perm {num_perm} must be a multiple of bands {bands}")
        self.bands, self.rows, self.threshold = bands, num_perm // bands, threshold
        self._tables: list[dict[bytes, list[int]]] = [dict() for _ in range(bands)]
        self._sigs: list[np.ndarray] = []

    def __len__(self) -> int:
        return len(self._sigs)

    def query(self, sig: np.ndarray) -> int | None:
        r = self.rows
        seen: set[int] = set()
        for b, table in enumerate(self._tables):
            for cand in table.get(sig[b * r:(b + 1) * r].tobytes(), ()):
                if cand in seen:
                    continue
                seen.add(cand)
                if jaccard_estimate(sig, self._sigs[cand]) >= self.threshold:
                    return cand
        return None

    def add(self, sig: np.ndarray) -> int | None:
        dup = self.query(sig)
        if dup is not None:
            return dup
        idx = len(self._sigs)
        self._sigs.append(sig)
        r = self.rows
        for b, table in enumerate(self._tables):
            table.setdefault(sig[b * r:(b + 1) * r].tobytes(), []).append(idx)
        return None


class Deduplicator:
    """Exact then near-duplicate check for one language; ``check(text)`` -> None (kept) or a skip reason."""

    def __init__(self, near: bool = True, num_perm: int = 128, bands: int = 16, threshold: float = 0.8,
                 shingle: int = 5, seed: int = 0):
        self._exact: set[bytes] = set()
        self.near = near
        self._hasher = MinHasher(num_perm=num_perm, shingle=shingle, seed=seed)
        self._index = NearDupIndex(num_perm=num_perm, bands=bands, threshold=threshold)

    def check(self, text: str, near: bool = True) -> str | None:
        key = exact_key(text)
        if key in self._exact:
            return "exact_duplicate"
        if self.near and near and self._index.add(self._hasher.signature(text)) is not None:
            self._exact.add(key)
            return "near_duplicate"
        self._exact.add(key)
        return None
