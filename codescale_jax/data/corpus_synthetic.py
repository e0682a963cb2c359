"""The synthetic part of the embedded corpus: programs from ``codescale_jax.data.synthetic``, one
rendering per language.

The generator lives in its own package; this module only needs two functions from it,
``generate_programs(n, seed)`` and ``render(program, language) -> str``. Until a language has a
renderer, it is reported in ``missing`` (language -> reason) and the manifest says so, instead of the
build failing or silently leaving the language out.

Every rendering of program ``i`` carries the split group ``program{i}``, so a program and its
translations always land in the same split in every language (no parallel leakage).
"""

from __future__ import annotations

import importlib
from collections import Counter
from dataclasses import dataclass, field
from typing import Callable, Sequence

from codescale_jax import languages


@dataclass
class SyntheticResult:
    items: dict[str, list[tuple[str, str, str]]] = field(default_factory=dict)  # lang -> (path, group, text)
    missing: dict[str, str] = field(default_factory=dict)  # lang -> why there is no text
    skipped: Counter = field(default_factory=Counter)


def load_generator() -> tuple[Callable | None, Callable | None, str]:
    """(generate_programs, render, problem) from the synthetic package; problem is '' when both exist."""
    try:
        mod = importlib.import_module("codescale_jax.data.synthetic")
    except ImportError as e:
        return None, None, f"codescale_jax.data.synthetic cannot be imported ({e})"
    gen = getattr(mod, "generate_programs", None)
    render = getattr(mod, "render", None)
    if gen is None or render is None:
        lacking = [n for n, f in (("generate_programs", gen), ("render", render)) if f is None]
        return gen, render, f"codescale_jax.data.synthetic has no {' / '.join(lacking)} yet"
    return gen, render, ""


def _as_text(rendered) -> str:
    if isinstance(rendered, str):
        return rendered
    for attr in ("source", "code", "text"):
        value = getattr(rendered, attr, None)
        if isinstance(value, str):
            return value
    raise TypeError(f"render() returned {type(rendered).__name__}, expected str")


def synthetic_documents(n_programs: int, seed: int = 0, langs: Sequence[str] = languages.CODE_LANGUAGES,
                        generate: Callable | None = None, render: Callable | None = None) -> SyntheticResult:
    """Render ``n_programs`` generated programs in each language of ``langs`` (code languages only)."""
    res = SyntheticResult()
    langs = [languages.canonical(l) for l in langs if languages.get(l).is_code]
    if n_programs <= 0 or not langs:
        return res
    if generate is None or render is None:
        g, r, problem = load_generator()
        generate, render = generate or g, render or r
        if generate is None or render is None:
            for lang in langs:
                res.missing[lang] = problem
            return res
    try:
        programs = list(generate(n_programs, seed))
    except Exception as e:  # a generator bug must not cost the rest of the corpus; report it instead
        for lang in langs:
            res.missing[lang] = f"generate_programs({n_programs}, {seed}) failed: {type(e).__name__}: {str(e)[:200]}"
        return res
    for lang in langs:
        docs = []
        try:
            first = _as_text(render(programs[0], lang)) if programs else None
        except Exception as e:  # no renderer yet (LookupError/NotImplementedError) or a broken one
            res.missing[lang] = f"no renderer for {lang}: {type(e).__name__}: {str(e)[:200]}"
            continue
        for i, prog in enumerate(programs):
            try:
                text = first if i == 0 else _as_text(render(prog, lang))
            except Exception as e:  # one bad program must not cost the language; count it
                res.skipped[f"render_error:{lang}:{type(e).__name__}"] += 1
                continue
            docs.append((f"program{i:06d}", f"program{i}", text))
        res.items[lang] = docs
    return res
