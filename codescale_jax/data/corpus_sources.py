"""Corpus sources: where candidate documents come from, before filtering and dedup.

A source lists :class:`Candidate` files cheaply (path, size, split group, declared license) and
reads one only when the builder asks for it, so a per-language size cap never reads more than it
keeps (plus what the filters drop).

The *group* of a candidate is the unit of the train/validation/test split: all files of a group go
to the same split. It is the language's own package unit where one exists: the directory (a Go or
Java package, a Python package), the npm package plus its first-level directory, the crate plus
its directory (crate versions merged, so two versions of a crate never straddle splits).
"""

from __future__ import annotations

import gzip
import os
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Callable, Protocol, Sequence

from codescale_jax import languages
from codescale_jax.data.corpus_filters import split_long_text
from codescale_jax.data.corpus_licenses import LicenseFileLookup
from codescale_jax.errors import InputError


class SourceError(InputError, ValueError):
    """A user-named source cannot be used (missing, empty, wrong language); says what to do."""


# ---- how a candidate's bytes are read -------------------------------------------------------------
@dataclass(frozen=True)
class FileLoader:
    path: str

    def read(self) -> bytes:
        with open(self.path, "rb") as fh:
            return fh.read()


_ZIPS: dict[str, zipfile.ZipFile] = {}


@dataclass(frozen=True)
class ZipLoader:
    zip_path: str
    member: str

    def read(self) -> bytes:
        zf = _ZIPS.get(self.zip_path)
        if zf is None:
            zf = _ZIPS[self.zip_path] = zipfile.ZipFile(self.zip_path)
        return zf.read(self.member)


@dataclass(frozen=True)
class TextLoader:
    text: str

    def read(self) -> str:
        return self.text


@dataclass(frozen=True)
class Candidate:
    source: str
    language: str
    path: str  # relative to the source root (or the zip member); shown in errors and progress
    group: str  # split unit, already prefixed by the source name
    license: str
    size: int | None
    loader: FileLoader | ZipLoader | TextLoader
    long_text: bool = False  # prose that may be cut into several documents instead of skipped
    near_dedup: bool = True  # False for generated parallel programs: only exact copies are dropped

    def read(self) -> bytes | str:
        return self.loader.read()


class Source(Protocol):
    name: str
    language: str

    def available(self) -> bool: ...

    def scan(self) -> list[Candidate]: ...


# ---- group rules ----------------------------------------------------------------------------------
def group_dir(rel: PurePosixPath) -> str:
    return str(rel.parent)


def group_npm(rel: PurePosixPath) -> str:
    parts = rel.parts
    idx = max((i for i, p in enumerate(parts) if p == "node_modules"), default=-1)
    rest = parts[idx + 1:]
    if not rest:
        return str(rel.parent)
    n = 2 if rest[0].startswith("@") and len(rest) > 1 else 1
    pkg = "/".join(rest[:n])
    sub = rest[n] if len(rest) > n + 1 else ""
    return f"{pkg}/{sub}" if sub else pkg


_VERSION_SUFFIX = re.compile(r"-\d+(\.\d+)*([+~-][\w.]+)?$")


def group_crate(rel: PurePosixPath) -> str:
    crate = _VERSION_SUFFIX.sub("", rel.parts[0]) if rel.parts else ""
    return "/".join((crate, *rel.parts[1:-1]))


GROUPS: dict[str, Callable[[PurePosixPath], str]] = {"dir": group_dir, "npm": group_npm, "crate": group_crate}


# ---- sources --------------------------------------------------------------------------------------
_SKIP_DIRS = frozenset({".git", ".hg", ".svn", "__pycache__", ".tox", ".venv", ".mypy_cache"})


@dataclass
class DirSource:
    """Files of one language under a directory tree (symlinks and hidden/VCS folders skipped)."""

    name: str
    language: str
    root: str | os.PathLike
    license: str = "unknown"
    extensions: tuple[str, ...] | None = None  # default: the language's extensions from the registry
    exclude: tuple[str, ...] = ()  # path fragments ("a/b") whose files are left out, anywhere in the tree
    group: str = "dir"
    license_lookup: Callable[[PurePosixPath], str | None] | None = None
    long_text: bool = False

    def available(self) -> bool:
        return Path(self.root).is_dir()

    def scan(self) -> list[Candidate]:
        root = Path(self.root)
        lang = languages.canonical(self.language)
        exts = tuple(e.lower() for e in (self.extensions or languages.get(lang).extensions))
        group_fn = GROUPS[self.group]
        out = []
        for dirpath, dirnames, filenames in os.walk(root):
            dirnames[:] = sorted(d for d in dirnames if d not in _SKIP_DIRS and not d.startswith("."))
            rel_dir = Path(dirpath).relative_to(root)
            for fn in sorted(filenames):
                low = fn.lower()
                if not low.endswith(exts) or (lang == "typescript" and low.endswith(".d.ts")):
                    continue
                full = Path(dirpath) / fn
                rel = PurePosixPath(*rel_dir.parts, fn)
                if any(f"/{x}/" in f"/{rel}" for x in self.exclude) or full.is_symlink():
                    continue
                try:
                    size = full.stat().st_size
                except OSError:
                    continue
                lic = (self.license_lookup(rel) if self.license_lookup else None) or self.license
                out.append(Candidate(self.name, lang, str(rel), f"{self.name}/{group_fn(rel)}", lic, size,
                                     FileLoader(str(full)), self.long_text))
        return out


@dataclass
class ZipSource:
    """Files of one language inside a zip archive (e.g. a JDK's src.zip), read without unpacking."""

    name: str
    language: str
    zip_path: str | os.PathLike
    license: str = "unknown"

    def available(self) -> bool:
        return Path(self.zip_path).is_file()

    def scan(self) -> list[Candidate]:
        lang = languages.canonical(self.language)
        exts = languages.get(lang).extensions
        out = []
        with zipfile.ZipFile(self.zip_path) as zf:
            for info in sorted(zf.infolist(), key=lambda i: i.filename):
                if info.is_dir() or not info.filename.lower().endswith(exts):
                    continue
                rel = PurePosixPath(info.filename)
                out.append(Candidate(self.name, lang, info.filename, f"{self.name}/{rel.parent}", self.license,
                                     info.file_size, ZipLoader(str(self.zip_path), info.filename)))
        return out


@dataclass
class DictdSource:
    """A dictd dictionary (``*.dict.dz``, gzip-compatible) cut into documents of about ``chunk_chars``."""

    name: str
    path: str | os.PathLike
    license: str = "unknown"
    chunk_chars: int = 16_000
    language: str = "english"

    def available(self) -> bool:
        return Path(self.path).is_file()

    def scan(self) -> list[Candidate]:
        with gzip.open(self.path, "rb") as fh:
            text = fh.read().decode("utf-8", errors="replace")
        out = []
        for i, chunk in enumerate(split_long_text(text, self.chunk_chars)):
            out.append(Candidate(self.name, "english", f"{Path(self.path).name}#{i}", f"{self.name}/{i // 8}",
                                 self.license, len(chunk.encode("utf-8")), TextLoader(chunk)))
        return out


@dataclass
class TextSource:
    """In-memory documents: ``items`` are (path, group, text) triples."""

    name: str
    language: str
    items: Sequence[tuple[str, str, str]]
    license: str = "unknown"
    long_text: bool = False
    near_dedup: bool = True
    prefix_groups: bool = True  # False keeps the given group keys as they are

    def available(self) -> bool:
        return True

    def scan(self) -> list[Candidate]:
        lang = languages.canonical(self.language)
        pre = f"{self.name}/" if self.prefix_groups else ""
        return [Candidate(self.name, lang, p, f"{pre}{g}", self.license, len(t.encode("utf-8")),
                          TextLoader(t), self.long_text, self.near_dedup) for p, g, t in self.items]


def user_tree_sources(root: str | os.PathLike, language: str | None) -> list[DirSource]:
    """Sources for a user's directory: one language if given, else every registry language found by extension."""
    root = Path(root)
    if not root.exists():
        raise SourceError(f"--source {root} does not exist")
    if not root.is_dir():
        raise SourceError(f"--source {root} is neither a directory nor a .parquet file")
    if not any(p.is_file() for p in root.rglob("*")):
        raise SourceError(f"--source {root} is empty: there are no files to build a corpus from")
    lic = LicenseFileLookup(root)
    langs = (languages.canonical(language),) if language else languages.ALL_LANGUAGES
    name = f"user:{root.name or 'tree'}"
    return [DirSource(name, lang, root, license="unknown", license_lookup=lic,
                      long_text=(lang == "english")) for lang in langs]
