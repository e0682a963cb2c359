"""Stack-style parquet input: one row per file with ``content`` and ``language`` (or ``lang``) columns.

Optional columns are used when present: a repository name (``max_stars_repo_name``, ``repo_name``,
``repository``, ``repo``) becomes the split group so a repository never straddles splits; a path
(``max_stars_repo_path``, ``path``) names the document; a license (``license``,
``max_stars_repo_licenses``) is recorded per file. Needs pyarrow (the ``corpus`` extra).
"""

from __future__ import annotations

import os
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from codescale_jax import languages
from codescale_jax.data.corpus_sources import Candidate, SourceError, TextLoader

_LANG_COLS = ("language", "lang")
_REPO_COLS = ("max_stars_repo_name", "repo_name", "repository", "repo")
_PATH_COLS = ("max_stars_repo_path", "path", "file_path")
_LIC_COLS = ("license", "licenses", "max_stars_repo_licenses")


def _pyarrow_parquet():
    try:
        import pyarrow.parquet as pq
    except ImportError as e:
        raise SourceError("reading .parquet sources needs pyarrow: pip install 'codescale_jax[corpus]' "
                          "(or pip install pyarrow)") from e
    return pq


@dataclass
class ParquetSource:
    """All rows of one parquet file; ``language`` restricts to one language (others are not counted)."""

    path: str | os.PathLike
    language: str | None = None
    name: str = ""
    skipped: Counter = field(default_factory=Counter)

    def __post_init__(self):
        self.name = self.name or f"parquet:{Path(self.path).name}"

    def available(self) -> bool:
        return Path(self.path).is_file()

    def scan(self) -> list[Candidate]:
        pq = _pyarrow_parquet()
        path = Path(self.path)
        if not path.is_file():
            raise SourceError(f"--source {path} does not exist")
        try:
            pf = pq.ParquetFile(path)
        except Exception as e:
            raise SourceError(f"{path} is not a readable parquet file: {e}") from e
        cols = set(pf.schema_arrow.names)
        lang_col = next((c for c in _LANG_COLS if c in cols), None)
        if "content" not in cols or (lang_col is None and self.language is None):
            raise SourceError(f"{path} needs a 'content' column and a 'language' (or 'lang') column; "
                              f"it has {sorted(cols)}. Pass --language if every row is one language.")
        repo_col = next((c for c in _REPO_COLS if c in cols), None)
        path_col = next((c for c in _PATH_COLS if c in cols), None)
        lic_col = next((c for c in _LIC_COLS if c in cols), None)
        want = languages.canonical(self.language) if self.language else None
        read_cols = [c for c in ("content", lang_col, repo_col, path_col, lic_col) if c]
        out: list[Candidate] = []
        row = 0
        for batch in pf.iter_batches(columns=read_cols, batch_size=2048):
            data = batch.to_pydict()
            for i in range(batch.num_rows):
                text = data["content"][i]
                raw_lang = data[lang_col][i] if lang_col else want
                try:
                    lang = languages.canonical(raw_lang) if raw_lang is not None else None
                except languages.UnknownLanguageError:
                    lang = None
                if lang is None:
                    self.skipped["unknown_language"] += 1
                elif want is None or lang == want:
                    if not isinstance(text, str):
                        self.skipped["undecodable"] += 1
                    else:
                        p = data[path_col][i] if path_col else f"row{row}"
                        g = data[repo_col][i] if repo_col else f"rows{row // 64}"
                        lic = data[lic_col][i] if lic_col else None
                        if isinstance(lic, list):
                            lic = " OR ".join(map(str, lic)) or None
                        out.append(Candidate(self.name, lang, str(p), f"{self.name}/{g}", str(lic or "unknown"),
                                             len(text.encode("utf-8")), TextLoader(text)))
                row += 1
        if row == 0:
            raise SourceError(f"{path} has no rows")
        return out
