"""Declared licenses: what a file says about itself, or what its package declares.

A file's own ``SPDX-License-Identifier`` header wins. Otherwise the license comes from the package
it belongs to, looked up in the metadata each registry ships: npm ``package.json``, a crate's
``Cargo.toml``, a pip distribution's ``METADATA``, Debian's machine-readable ``copyright`` files
(Debian strips upstream LICENSE files from Go ``-dev`` packages), or the nearest LICENSE/COPYING
file. Every lookup is cached per package, so scanning tens of thousands of files stays cheap.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Callable

_SPDX = re.compile(r"SPDX-License-Identifier:\s*([A-Za-z0-9.+\-() ]+?)\s*(\*/|-->|$)", re.M)


def spdx_license(text: str) -> str | None:
    """The SPDX identifier a file declares in its header, if any."""
    m = _SPDX.search(text[:4000])
    return m.group(1).strip() if m else None


def guess_license(text: str) -> str | None:
    """A coarse SPDX guess from a LICENSE/COPYING text (first few KB), or None when unsure."""
    t = " ".join(text[:6000].split()).lower()
    rules = (
        ("Apache-2.0", ("apache license", "version 2.0")),
        ("MPL-2.0", ("mozilla public license", "2.0")),
        ("GPL-3.0", ("gnu general public license", "version 3")),
        ("GPL-2.0", ("gnu general public license", "version 2")),
        ("LGPL", ("gnu lesser general public license",)),
        ("BSD-3-Clause", ("redistribution and use", "neither the name")),
        ("BSD-2-Clause", ("redistribution and use", "this list of conditions")),
        ("MIT", ("permission is hereby granted, free of charge",)),
        ("ISC", ("permission to use, copy, modify, and/or distribute",)),
        ("Unlicense", ("this is free and unencumbered software",)),
    )
    for name, needles in rules:
        if all(n in t for n in needles):
            return name
    return None


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
