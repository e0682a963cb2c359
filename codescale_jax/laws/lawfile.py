"""``laws.json``: fitted laws in a file any tool can evaluate on its own.

Layout::

    {"format": "codescale_jax.laws/1",
     "form": "L(N, D) = A * N^-alpha_N + B * D^-alpha_D + L_inf",
     "units": {"N": "non-embedding parameters (raw count)", "D": "training tokens (raw count)",
               "L": "validation cross-entropy, nats per token"},
     "fit": {...settings...},
     "laws": {"python": {"A": .., "B": .., "alpha_N": .., "alpha_D": .., "L_inf": ..,
                         "ci95": {"A": [lo, hi], ...}, "se": {...}, "n_points": .., "n_runs": ..,
                         "objective": .., "diagnostics": {...}, "holdout": {...}}, ...}}

``A`` and ``B`` are always for raw N and D, whatever the fitter does internally.
"""

from __future__ import annotations

from pathlib import Path

from codescale_jax.io_utils import atomic_write_json, read_json
from codescale_jax.laws.forms import PARAM_NAMES, LawParams

FORMAT = "codescale_jax.laws/1"
FORM = "L(N, D) = A * N^-alpha_N + B * D^-alpha_D + L_inf"
UNITS = {"N": "non-embedding parameters (raw count)", "D": "training tokens (raw count)",
         "L": "validation cross-entropy, nats per token"}


def law_entry(params: LawParams, **extra) -> dict:
    """One language's entry: the five parameters first, then whatever else is given."""
    return {**params.to_dict(), **extra}


def write_laws(path: str | Path, laws: dict[str, dict], settings: dict | None = None) -> None:
    """Write a laws file atomically; ``laws`` maps language -> entry (see :func:`law_entry`)."""
    for lang, entry in laws.items():
        missing = [k for k in PARAM_NAMES if k not in entry]
        if missing:
            raise ValueError(f"law {lang!r} lacks {', '.join(missing)}")
    atomic_write_json(path, {"format": FORMAT, "form": FORM, "units": UNITS, "fit": settings or {}, "laws": laws})


def read_laws(path: str | Path) -> dict[str, dict]:
    """Read a laws file; returns language -> entry. Errors name what is missing."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"{path}: no laws file; create one with python -m experiments.fit_laws")
    obj = read_json(path)
    laws = obj.get("laws") if isinstance(obj, dict) else None
    if not isinstance(laws, dict) or not laws:
        raise ValueError(f"{path}: expected an object with a non-empty 'laws' mapping")
    for lang, entry in laws.items():
        missing = [k for k in PARAM_NAMES if entry.get(k) is None]
        if missing:
            raise ValueError(f"{path}: law {lang!r} lacks {', '.join(missing)}")
    return laws


def params_of(entry: dict) -> LawParams:
    return LawParams(**{k: float(entry[k]) for k in PARAM_NAMES})
