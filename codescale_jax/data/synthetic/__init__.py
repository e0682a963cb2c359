"""Synthetic parallel programs: one typed IR program, rendered into seven languages.

The public API (what the corpus builder, the Pass@1 benchmark builder and the verifier use)::

    from codescale_jax.data import synthetic
    programs = synthetic.generate_programs(100, seed=0)          # list[ir.Program], deterministic
    varied = synthetic.generate_programs(100, 0, synthetic.MIXED) # sizes/difficulties 1..5 in turn
    source = synthetic.render(programs[0], "rust")                # a runnable file, driver included
    expected = synthetic.expected_output(programs[0])             # what every driver prints
    task = synthetic.make_task(programs[0], "go")                 # prompt / solution / tests
    synthetic.available_languages()                               # languages with a renderer here
    text = synthetic.program_to_json(programs[0])                 # JSON round trip of the IR

Modules: ``ir`` (the IR), ``check`` (well-formedness), ``generate`` + ``gen_expr`` (the seeded
generator), ``interpret`` (the reference semantics and oracle), ``render_base`` (the SEMANTICS
contract and renderer interface), ``render_<language>`` (one per language, each exposing
``RENDERER``), ``tasks`` (the Pass@1 form), ``verify`` (execution across languages).
"""

from __future__ import annotations

import importlib

from codescale_jax import languages
from codescale_jax.data.synthetic import ir
from codescale_jax.data.synthetic.generate import MIXED, GenConfig, generate_program, generate_programs
from codescale_jax.data.synthetic.interpret import expected_output
from codescale_jax.data.synthetic.render_base import Renderer, TaskSource
from codescale_jax.data.synthetic.serialize import program_from_json, program_to_json

__all__ = [
    "MIXED", "GenConfig", "Renderer", "TaskSource", "available_languages", "expected_output", "generate_program",
    "generate_programs", "get_renderer", "ir", "make_task", "program_from_json", "program_to_json", "render",
]

_CACHE: dict[str, Renderer] = {}


class RendererUnavailableError(LookupError):
    """No ``render_<language>`` module exists (yet) in this package for a known language."""


def _load(lang: str) -> Renderer | None:
    """The renderer of a canonical code language id, or None when its module does not exist."""
    if lang not in _CACHE:
        name = f"codescale_jax.data.synthetic.render_{lang}"
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as err:
            if err.name != name:  # the module exists but one of its imports is missing
                raise
            return None
        _CACHE[lang] = module.RENDERER
    return _CACHE[lang]


def get_renderer(language: str) -> Renderer:
    """The renderer of ``language`` (any alias the registry accepts)."""
    lang = languages.canonical(language)
    if lang not in languages.CODE_LANGUAGES:
        raise languages.UnknownLanguageError(f"{language!r} is not a programming language; "
                                             f"choose from {', '.join(languages.CODE_LANGUAGES)}")
    renderer = _load(lang)
    if renderer is None:
        raise RendererUnavailableError(
            f"no synthetic renderer for {lang} yet (expected module render_{lang}.py); "
            f"available: {', '.join(available_languages())}")
    return renderer


def available_languages() -> tuple[str, ...]:
    """The code languages that have a renderer module, in the registry's order."""
    return tuple(lang for lang in languages.CODE_LANGUAGES if _load(lang) is not None)


def render(program: ir.Program, language: str) -> str:
    """A complete runnable source file of ``program`` in ``language`` (functions + driver)."""
    return get_renderer(language).render_program(program)


def make_task(program: ir.Program, language: str) -> TaskSource:
    """The Pass@1 form of ``program`` in ``language``; see :mod:`.tasks` for the whole set."""
    from codescale_jax.data.synthetic.tasks import make_task as _make_task
    return _make_task(program, language)
