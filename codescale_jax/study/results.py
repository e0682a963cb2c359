"""The results store: read results rows from a runs directory or a CSV, write them as CSV.

A results row (DESIGN.md) describes one finished run as seen on one language: ``run_id, language,
mixture, params`` (non-embedding parameter count, the N of the laws), ``tokens`` (training tokens,
the D), ``loss`` (validation cross-entropy in nats per token), plus optional ``strategy, seed, model,
steps, wall_s``.

Sources:

* a **runs directory**: every ``result.json`` at any depth below it. A file holds one row (a JSON
  object), a list of rows, or an object with a ``rows`` list (a bilingual run reporting the loss
  of each of its languages). Rows without ``run_id`` take the run directory's name.
* a **CSV** with at least ``params,tokens,loss``. Without a ``language`` column every row belongs
  to one law named ``all``; without ``run_id`` each row is its own run (so the bootstrap resamples
  rows).

Every row is validated: the required columns exist, and ``params, tokens, loss`` are finite and
positive. Errors name the file, the row and what to fix.
"""

from __future__ import annotations

import csv
import io
import json
import math
from pathlib import Path
from typing import Iterable

from codescale_jax import languages
from codescale_jax.errors import InputError
from codescale_jax.io_utils import atomic_write_text

REQUIRED = ("language", "params", "tokens", "loss")
NUMERIC = ("params", "tokens", "loss")
#: Column order used when writing CSV; extra keys follow in sorted order.
CSV_COLUMNS = ("run_id", "language", "mixture", "params", "tokens", "loss", "strategy", "seed", "model",
               "steps", "wall_s")
#: Language label used when the input has no language column.
ALL = "all"


class ResultsError(InputError, ValueError):
    """Results input that cannot be used as it is; the message says what to fix."""


def normalise_language(name: str) -> str:
    """Canonical id for registry languages and aliases; other labels are kept, lower-cased."""
    label = str(name).strip()
    if not label:
        raise ResultsError("empty language label")
    try:
        return languages.canonical(label)
    except languages.UnknownLanguageError:
        return label.lower()


def _validate(row: dict, where: str) -> dict:
    missing = [c for c in REQUIRED if c not in row or row[c] in (None, "")]
    if missing:
        raise ResultsError(f"{where}: missing column(s) {', '.join(missing)}; a results row needs "
                           f"{', '.join(REQUIRED)} (CSV: language may be omitted for a single law)")
    out = dict(row)
    for col in NUMERIC:
        try:
            value = float(row[col])
        except (TypeError, ValueError):
            raise ResultsError(f"{where}: {col}={row[col]!r} is not a number") from None
        if math.isnan(value) or math.isinf(value):
            raise ResultsError(f"{where}: {col} is {value}; drop the row or rerun it (a NaN loss means a "
                               f"diverged run)")
        if value <= 0:
            raise ResultsError(f"{where}: {col}={value} must be positive (params: non-embedding count, "
                               f"tokens: training tokens, loss: nats per token)")
        out[col] = value
    out["language"] = normalise_language(row["language"])
    out["run_id"] = str(out["run_id"])
    return out


def _rows_of_json(obj, path: Path) -> list[dict]:
    if isinstance(obj, dict) and isinstance(obj.get("rows"), list):
        return obj["rows"]
    if isinstance(obj, dict):
        return [obj]
    if isinstance(obj, list):
        return obj
    raise ResultsError(f"{path}: expected a JSON object or a list of rows, got {type(obj).__name__}")


def load_runs_dir(root: Path) -> list[dict]:
    files = sorted(root.rglob("result.json"))
    if not files:
        raise ResultsError(f"{root}: no result.json found below this directory; pass a runs directory "
                           f"or a CSV with columns {','.join(REQUIRED)}")
    rows = []
    for f in files:
        try:
            obj = json.loads(f.read_text(encoding="utf-8"))
        except json.JSONDecodeError as exc:
            raise ResultsError(f"{f}: not valid JSON ({exc}); rerun or delete that run") from None
        for k, row in enumerate(_rows_of_json(obj, f)):
            if not isinstance(row, dict):
                raise ResultsError(f"{f}: row {k} is not a JSON object")
            row = dict(row)
            row.setdefault("run_id", f.parent.name)
            rows.append(_validate(row, f"{f} row {k}"))
    return rows


def load_csv(path: Path) -> list[dict]:
    text = path.read_text(encoding="utf-8")
    reader = csv.DictReader(io.StringIO(text))
    header = [h.strip() for h in (reader.fieldnames or [])]
    missing = [c for c in NUMERIC if c not in header]
    if missing:
        raise ResultsError(f"{path}: missing column(s) {', '.join(missing)} (found: {', '.join(header) or 'none'}); "
                           f"the CSV needs params,tokens,loss and optionally language,run_id")
    rows = []
    for i, raw in enumerate(reader):
        row = {(k or "").strip(): (v.strip() if isinstance(v, str) else v) for k, v in raw.items()}
        if "language" not in header:
            row["language"] = ALL
        if "run_id" not in header or not row.get("run_id"):
            row["run_id"] = f"row{i}"
        rows.append(_validate(row, f"{path} line {i + 2}"))
    if not rows:
        raise ResultsError(f"{path}: no data rows")
    return rows


def load_results(path: str | Path) -> list[dict]:
    """Read results rows from a runs directory (every ``*/result.json`` below it) or a CSV file."""
    path = Path(path)
    if not path.exists():
        raise ResultsError(f"{path}: no such file or directory")
    if path.is_dir():
        return load_runs_dir(path)
    return load_csv(path)


def _cell(value) -> str:
    if isinstance(value, (dict, list)):
        return json.dumps(value, sort_keys=True)
    return "" if value is None else str(value)


def write_csv(rows: Iterable[dict], path: str | Path) -> None:
    """Write rows as CSV atomically: the standard columns first, any other keys after, sorted."""
    rows = list(rows)
    extra = sorted({k for r in rows for k in r} - set(CSV_COLUMNS))
    columns = list(CSV_COLUMNS) + extra
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(columns)
    for r in rows:
        writer.writerow([_cell(r.get(c)) for c in columns])
    atomic_write_text(path, buf.getvalue())


def by_language(rows: Iterable[dict]) -> dict[str, list[dict]]:
    """Group rows by language, in first-seen order."""
    out: dict[str, list[dict]] = {}
    for r in rows:
        out.setdefault(r["language"], []).append(r)
    return out
