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
import json
import os
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Callable, Protocol, Sequence

from codescale_jax import languages
from codescale_jax.data.corpus_filters import guess_license, split_long_text


class SourceError(ValueError):
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


# ---- license lookups ------------------------------------------------------------------------------
@dataclass
class NpmLicenses:
    """License of the npm package a file belongs to, from its package.json (cached per package)."""

    root: Path
    _cache: dict = field(default_factory=dict)

    def __call__(self, rel: PurePosixPath) -> str | None:
        parts = rel.parts
        idx = max((i for i, p in enumerate(parts) if p == "node_modules"), default=-1)
        rest = parts[idx + 1:]
        n = 2 if rest and rest[0].startswith("@") else 1
        pkg_dir = self.root.joinpath(*parts[:idx + 1 + n])
        if pkg_dir not in self._cache:
            lic = None
            try:
                meta = json.loads((pkg_dir / "package.json").read_text(encoding="utf-8"))
                lic = meta.get("license") or meta.get("licenses")
                if isinstance(lic, dict):
                    lic = lic.get("type")
                if isinstance(lic, list):
                    lic = " OR ".join(str(x.get("type", x)) if isinstance(x, dict) else str(x) for x in lic)
            except (OSError, ValueError):
                pass
            self._cache[pkg_dir] = str(lic) if lic else None
        return self._cache[pkg_dir]


@dataclass
class CrateLicenses:
    """License of a Debian-packaged crate, from the ``license = "..."`` line of its Cargo.toml."""

    root: Path
    _cache: dict = field(default_factory=dict)

    def __call__(self, rel: PurePosixPath) -> str | None:
        crate = rel.parts[0]
        if crate not in self._cache:
            lic = None
            try:
                m = re.search(r'^license\s*=\s*"([^"]+)"', (self.root / crate / "Cargo.toml").read_text("utf-8"), re.M)
                lic = m.group(1) if m else None
            except OSError:
                pass
            self._cache[crate] = lic
        return self._cache[crate]


@dataclass
class LicenseFileLookup:
    """License guessed from the nearest LICENSE/COPYING file above a file (Go module trees)."""

    root: Path
    _cache: dict = field(default_factory=dict)

    def __call__(self, rel: PurePosixPath) -> str | None:
        d = rel.parent
        chain = []
        while True:
            if d in self._cache:
                found = self._cache[d]
                break
            chain.append(d)
            found = None
            base = self.root / d
            for name in ("LICENSE", "LICENSE.txt", "LICENSE.md", "COPYING", "LICENCE"):
                if (base / name).is_file():
                    try:
                        found = guess_license((base / name).read_text("utf-8", errors="replace")) or "see LICENSE"
                    except OSError:
                        found = None
                    break
            if found is not None or str(d) in ("", "."):
                break
            d = d.parent
        for c in chain:
            self._cache[c] = found
        return found


#: Import-path hosts -> the token Debian's Go team puts in package names (golang-<token>-<path>-dev).
_DEB_GO_HOSTS = {"github.com": "github", "golang.org": "golang", "google.golang.org": "google",
                 "cloud.google.com": "google-cloud", "gopkg.in": "gopkg", "gitlab.com": "gitlab",
                 "go.opencensus.io": "opencensus", "go.uber.org": "uber", "honnef.co": "honnef",
                 "go.etcd.io": "etcd", "k8s.io": "k8s", "sigs.k8s.io": "k8s-sigs", "rsc.io": "rsc"}


@dataclass
class DebianCopyrightLicenses:
    """License of a file in a Debian-packaged Go tree, from the packages' machine-readable copyright files.

    Debian strips upstream LICENSE files from ``-dev`` packages but each
    ``usr/share/doc/<package>/copyright`` names the license of ``Files: *``. A file is matched to its
    package by the copyright's ``Source:`` URL (``github.com/x/y`` is also the import path) or by the
    Go team's naming rule (``golang.org/x/net`` -> ``golang-golang-x-net-dev``); otherwise
    ``fallback`` decides.
    """

    doc_root: Path
    fallback: Callable[[PurePosixPath], str | None] | None = None
    _by_prefix: dict = field(default_factory=dict)
    _by_package: dict = field(default_factory=dict)

    def __post_init__(self):
        for f in sorted(Path(self.doc_root).glob("*/copyright")):
            try:
                text = f.read_text("utf-8", errors="replace")
            except OSError:
                continue
            lic = re.search(r"^Files:[ \t]*\*[ \t]*\n(?:[^\n]+\n)*?License:[ \t]*([^\n]+)", text, re.M)
            if not lic:
                continue
            self._by_package[f.parent.name] = lic.group(1).strip()
            src = re.search(r"^Source:[ \t]*https?://([^\s]+)", text, re.M)
            if src:
                key = src.group(1).lower().rstrip("/").removesuffix(".git")
                self._by_prefix.setdefault(key, lic.group(1).strip())

    def __call__(self, rel: PurePosixPath) -> str | None:
        parts = [p.lower() for p in rel.parts[:-1]]
        for n in range(len(parts), 1, -1):
            lic = self._by_prefix.get("/".join(parts[:n]))
            if lic:
                return lic
        host = _DEB_GO_HOSTS.get(parts[0]) if parts else None
        if host:
            for n in range(len(parts), 0, -1):
                name = "-".join(["golang", host, *parts[1:n], "dev"]).replace("_", "-")
                if name in self._by_package:
                    return self._by_package[name]
        return self.fallback(rel) if self.fallback else None


@dataclass
class PipLicenses:
    """License of a pip-installed package (``pip install --target``), from its dist-info METADATA."""

    root: Path
    _by_top: dict = field(default_factory=dict)

    def __post_init__(self):
        for info in sorted(self.root.glob("*.dist-info")):
            lic = _metadata_license(info / "METADATA")
            tops = set()
            try:
                for line in (info / "RECORD").read_text("utf-8").splitlines():
                    first = line.split(",", 1)[0].split("/", 1)[0]
                    if first and not first.endswith((".dist-info", ".data")) and first != "..":
                        tops.add(first)
            except OSError:
                continue
            for t in tops:
                self._by_top[t] = lic

    def __call__(self, rel: PurePosixPath) -> str | None:
        return self._by_top.get(rel.parts[0]) if rel.parts else None


def _metadata_license(path: Path) -> str | None:
    try:
        text = path.read_text("utf-8", errors="replace").split("\n\n", 1)[0]
    except OSError:
        return None
    fields = {}
    classifiers = []
    for line in text.splitlines():
        key, _, val = line.partition(":")
        if key == "Classifier" and val.strip().startswith("License ::"):
            classifiers.append(val.strip().split("::")[-1].strip())
        elif key in ("License-Expression", "License") and key not in fields:
            fields[key] = val.strip()
    if fields.get("License-Expression"):
        return fields["License-Expression"]
    short = fields.get("License", "")
    if short and len(short) < 60 and "\n" not in short:
        return short
    return classifiers[0] if classifiers else None


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
