"""The one marker for "the input is wrong", shared by every entry point.

An :class:`InputError` is something the person running a command can fix: an unknown model,
language or key, a bad value, a mesh the devices cannot hold, a missing, empty or damaged corpus, a
results file without its columns, a run directory that does not exist. Entry points catch this one
class, print ``error: <message>`` and exit 2. Any other exception is a bug and keeps its traceback.

Each concrete error also keeps the built-in base it had before (``ValueError``,
``FileNotFoundError``, ...), so callers that catch those go on working.
"""

from __future__ import annotations


class InputError(Exception):
    """Bad input: a setting, a file or a corpus that the command cannot use (see the module)."""


class EmptyCorpusError(InputError, ValueError):
    """A corpus, language or split with no documents (when building or when reading)."""
