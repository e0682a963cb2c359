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

``A`` and ``B`` are always for raw N and D, whatever the fitter does internally. The file is
strict JSON: a number past float range or undefined (a bootstrap draw whose coefficient ran off,
the standard error of such draws) is written as ``null``; :func:`read_laws` and
:func:`read_laws_doc` read every ``null`` back as NaN.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from codescale_jax.io_utils import atomic_write_json, read_json
from codescale_jax.laws.forms import PARAM_NAMES, LawParams

FORMAT = "codescale_jax.laws/1"
FORM = "L(N, D) = A * N^-alpha_N + B * D^-alpha_D + L_inf"
UNITS = {"N": "non-embedding parameters (raw count)", "D": "training tokens (raw count)",
         "L": "validation cross-entropy, nats per token"}


def law_entry(params: LawParams, **extra) -> dict:
    """One language's entry: the five parameters first, then whatever else is given."""
    return {**params.to_dict(), **extra}


def _null_for_nonfinite(obj: Any) -> Any:
    """A copy with every non-finite float (numpy scalars and arrays included) replaced by None."""
    if hasattr(obj, "tolist") and hasattr(obj, "dtype"):  # numpy array or scalar
        obj = obj.tolist()
    if isinstance(obj, dict):
        return {k: _null_for_nonfinite(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_null_for_nonfinite(v) for v in obj]
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    return obj


def _nan_for_null(obj: Any) -> Any:
    if isinstance(obj, dict):
        return {k: _nan_for_null(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_nan_for_null(v) for v in obj]
    return math.nan if obj is None else obj


def write_laws(path: str | Path, laws: dict[str, dict], settings: dict | None = None) -> None:
    """Write a laws file atomically; ``laws`` maps language -> entry (see :func:`law_entry`).
    Non-finite numbers are written as ``null`` (strict JSON, readable by any parser)."""
    for lang, entry in laws.items():
        missing = [k for k in PARAM_NAMES if k not in entry]
        if missing:
            raise ValueError(f"law {lang!r} lacks {', '.join(missing)}")
    atomic_write_json(path, _null_for_nonfinite({"format": FORMAT, "form": FORM, "units": UNITS,
                                                 "fit": settings or {}, "laws": laws}))


def read_laws_doc(path: str | Path) -> dict:
    """The whole laws file (``format``, ``form``, ``units``, ``fit``, ``laws``), ``null`` read as NaN
    inside ``laws``. Errors name what is missing."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"{path}: no laws file; create one with python -m experiments.fit_laws")
    try:
        obj = read_json(path)
    except json.JSONDecodeError as exc:  # a truncated or hand-edited file: name it
        raise ValueError(f"{path}: not a JSON laws file ({exc})") from None
    laws = obj.get("laws") if isinstance(obj, dict) else None
    if not isinstance(laws, dict) or not laws:
        raise ValueError(f"{path}: expected an object with a non-empty 'laws' mapping")
    for lang, entry in laws.items():
        missing = [k for k in PARAM_NAMES if not isinstance(entry, dict) or k not in entry]
        if missing:
            raise ValueError(f"{path}: law {lang!r} lacks {', '.join(missing)}")
    return {**obj, "laws": _nan_for_null(laws)}


def read_laws(path: str | Path) -> dict[str, dict]:
    """Read a laws file; returns language -> entry (``null`` read as NaN). Errors name what is missing."""
    return read_laws_doc(path)["laws"]


def params_of(entry: dict) -> LawParams:
    return LawParams(**{k: float(entry[k]) for k in PARAM_NAMES})
