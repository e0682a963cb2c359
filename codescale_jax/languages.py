"""The language registry: the one place that knows which languages exist.

Every other module takes languages from here. Ids are lowercase everywhere (files, JSON keys, CLI
flags); common aliases are accepted on input and normalised by :func:`canonical`.
"""

from __future__ import annotations

import dataclasses
from typing import Iterable

from codescale_jax.errors import InputError


@dataclasses.dataclass(frozen=True)
class Language:
    id: str
    display: str
    extensions: tuple[str, ...]
    aliases: tuple[str, ...] = ()
    is_code: bool = True
    compiled: bool = False
    line_comment: str | None = None
    block_comment: tuple[str, str] | None = None

    @property
    def tag(self) -> str:
        """The special token that introduces a document of this language: ``<lang:python>``."""
        return f"<lang:{self.id}>"


_LANGS: tuple[Language, ...] = (
    Language("python", "Python", (".py",), ("py", "python3"), line_comment="#"),
    Language("java", "Java", (".java",), (), compiled=True, line_comment="//", block_comment=("/*", "*/")),
    Language("javascript", "JavaScript", (".js", ".mjs", ".cjs"), ("js", "node"), line_comment="//",
             block_comment=("/*", "*/")),
    Language("typescript", "TypeScript", (".ts", ".tsx"), ("ts",), compiled=True, line_comment="//",
             block_comment=("/*", "*/")),
    Language("csharp", "C#", (".cs",), ("cs", "c#", "c-sharp"), compiled=True, line_comment="//",
             block_comment=("/*", "*/")),
    Language("go", "Go", (".go",), ("golang",), compiled=True, line_comment="//", block_comment=("/*", "*/")),
    Language("rust", "Rust", (".rs",), ("rs",), compiled=True, line_comment="//", block_comment=("/*", "*/")),
    Language("english", "English", (".txt", ".md", ".rst"), ("en", "text", "natural"), is_code=False),
)

REGISTRY: dict[str, Language] = {lang.id: lang for lang in _LANGS}
_ALIASES: dict[str, str] = {}
for _lang in _LANGS:
    _ALIASES[_lang.id] = _lang.id
    _ALIASES[_lang.display.lower()] = _lang.id
    for _a in _lang.aliases:
        _ALIASES[_a] = _lang.id

#: The seven programming languages of the study, in the study's order.
CODE_LANGUAGES: tuple[str, ...] = tuple(lang.id for lang in _LANGS if lang.is_code)
#: Every language id, code first, then natural text.
ALL_LANGUAGES: tuple[str, ...] = tuple(lang.id for lang in _LANGS)


class UnknownLanguageError(InputError, ValueError):
    pass


def canonical(name: str) -> str:
    """Normalise a language name or alias (``"PY"``, ``"c#"``, ``"golang"``) to its id."""
    key = str(name).strip().lower()
    if key not in _ALIASES:
        raise UnknownLanguageError(
            f"unknown language {name!r}; known: {', '.join(ALL_LANGUAGES)} "
            f"(aliases: {', '.join(sorted(k for k in _ALIASES if k not in REGISTRY))})")
    return _ALIASES[key]


def get(name: str) -> Language:
    return REGISTRY[canonical(name)]


def parse_list(spec: str | Iterable[str]) -> tuple[str, ...]:
    """Parse ``"py,java"`` / ``"all"`` / ``"code"`` / an iterable into canonical ids, order kept, no repeats."""
    if isinstance(spec, str):
        items = [s for s in (x.strip() for x in spec.split(",")) if s]
    else:
        items = list(spec)
    out: list[str] = []
    for item in items:
        low = str(item).lower()
        expanded = ALL_LANGUAGES if low == "all" else CODE_LANGUAGES if low == "code" else (canonical(item),)
        for lang in expanded:
            if lang not in out:
                out.append(lang)
    if not out:
        raise UnknownLanguageError("empty language list")
    return tuple(out)


def by_extension(path: str) -> str | None:
    """The language id a file name's extension belongs to, or None."""
    low = path.lower()
    if low.endswith(".d.ts"):
        return None  # declaration files carry no code
    for lang in _LANGS:
        if any(low.endswith(ext) for ext in lang.extensions):
            return lang.id
    return None
