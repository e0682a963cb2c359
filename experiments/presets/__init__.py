"""Study presets: one Python file per preset, each defining ``PRESET`` (a ``StudyPreset``).

Each file's docstring gives the exact command, the expected run time on a 2-core CPU and the result
to expect. ``real-micro`` lives in ``real_micro.py`` (dashes in names map to underscores).
"""

from __future__ import annotations

import importlib

from codescale_jax.study.presets import StudyPreset

NAMES = ("smoke", "micro", "real-micro", "paper")


def load(name: str) -> StudyPreset:
    """The ``PRESET`` of ``experiments/presets/<name>.py``; unknown names list the known ones."""
    key = name.strip().lower().replace("-", "_")
    if key.replace("_", "-") not in NAMES:
        raise ValueError(f"unknown preset {name!r}; choose one of {', '.join(NAMES)}")
    module = importlib.import_module(f"experiments.presets.{key}")
    preset = getattr(module, "PRESET", None)
    if not isinstance(preset, StudyPreset):
        raise ValueError(f"experiments/presets/{key}.py defines no PRESET = StudyPreset(...)")
    return preset


def docstring(name: str) -> str:
    key = name.strip().lower().replace("-", "_")
    return importlib.import_module(f"experiments.presets.{key}").__doc__ or ""
