"""The embedded corpus sources: material present on every machine with Python.

``stdlib_python_files()`` lists the interpreter's own standard-library source (no site-packages,
no test suites), sorted so every machine with the same Python sees the same order.
"""

from __future__ import annotations

import hashlib
import sysconfig
from pathlib import Path

SPLITS = ("train", "validation", "test")


def stdlib_python_files() -> list[Path]:
    root = Path(sysconfig.get_paths()["stdlib"])
    out = []
    for p in sorted(root.rglob("*.py")):
        rel = p.relative_to(root).parts
        if any(part in ("site-packages", "dist-packages", "test", "tests", "idle_test", "__pycache__") for part in rel):
            continue
        out.append(p)
    return out


def split_of(key: str, validation: float = 0.05, test: float = 0.05) -> str:
    """Deterministic split by a stable hash of a grouping key (a package or file path)."""
    h = int(hashlib.sha256(key.encode("utf-8")).hexdigest()[:8], 16) / 0xFFFFFFFF
    if h < validation:
        return "validation"
    if h < validation + test:
        return "test"
    return "train"


def stdlib_python_documents(split: str = "train") -> list[str]:
    """Source texts of the stdlib files in ``split`` (grouped by top-level module, so packages do not leak)."""
    if split not in SPLITS:
        raise ValueError(f"unknown split {split!r}; choose from {SPLITS}")
    root = Path(sysconfig.get_paths()["stdlib"])
    docs = []
    for p in stdlib_python_files():
        group = p.relative_to(root).parts[0]
        if split_of(group) != split:
            continue
        try:
            docs.append(p.read_text(encoding="utf-8"))
        except (UnicodeDecodeError, OSError):
            continue
    return docs
