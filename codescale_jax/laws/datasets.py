"""Reference data sets used to validate the fitter.

The Chinchilla points (Hoffmann et al. 2022, arXiv:2203.15556, Figure 4) as reconstructed by
Besiroglu et al. 2024 (arXiv:2404.10102) ship in ``tests/data/chinchilla_epoch/`` with their
citation. The file stores model size N and training FLOP C; tokens are ``D = C / (6 N)``.
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np

#: Location of the Chinchilla CSV inside this repository.
CHINCHILLA_CSV = Path(__file__).resolve().parents[2] / "tests" / "data" / "chinchilla_epoch" / "svg_extracted_data.csv"


def load_chinchilla(path: str | Path = CHINCHILLA_CSV, drop_highest: int = 5) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(N, D, loss)`` float64 arrays; the ``drop_highest`` highest-loss points are removed.

    The replication drops five points (all at the ~1e19 FLOP budget with D/N < 0.5), leaving 240.
    """
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"{path}: Chinchilla data not found (expected in tests/data/chinchilla_epoch/)")
    with open(path, encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    n = np.array([float(r["Model Size"]) for r in rows])
    c = np.array([float(r["Training FLOP"]) for r in rows])
    loss = np.array([float(r["loss"]) for r in rows])
    d = c / (6.0 * n)
    keep = np.sort(np.argsort(loss, kind="stable")[: len(loss) - drop_highest])
    return n[keep], d[keep], loss[keep]
