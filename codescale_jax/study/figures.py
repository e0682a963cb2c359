"""The report's PNG figures (matplotlib, Agg backend). Each function takes plain arrays and a path.

Bands on the law figures are pointwise 2.5-97.5% quantiles of the curves of the bootstrap draws
stored in ``laws.json`` (``bootstrap_draws``: refits on runs resampled with replacement), so they show
how far the fitted curve moves when different runs are drawn, not the noise of a single run.
"""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

import numpy as np

from codescale_jax.io_utils import atomic_path


def _plt():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _save(fig, path: str | Path) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png", dpi=110, bbox_inches="tight")
    _plt().close(fig)
    return path


def law_curve(theta: Sequence[float], n, d) -> np.ndarray:
    """``A N^-alpha_N + B D^-alpha_D + L_inf`` for ``theta = (A, B, alpha_N, alpha_D, L_inf)``."""
    a, b, an, ad, e = (float(x) for x in theta)
    return a * np.asarray(n, np.float64) ** -an + b * np.asarray(d, np.float64) ** -ad + e


def _band(draws, n, d):
    if not draws:
        return None
    with np.errstate(all="ignore"):  # draws far from the fit may overflow; nanquantile drops them
        curves = np.stack([law_curve(t, n, d) for t in draws])
    curves[~np.isfinite(curves)] = np.nan
    return np.nanquantile(curves, 0.025, axis=0), np.nanquantile(curves, 0.975, axis=0)


def plot_law(name: str, n, d, loss, theta, draws, path: str | Path, heldout=None) -> Path:
    """Two panels: loss vs N (one curve per D) and loss vs D (one curve per N), with bootstrap bands.
    ``heldout`` marks the points the extrapolation check predicted (open markers)."""
    plt = _plt()
    n, d, loss = (np.asarray(x, np.float64) for x in (n, d, loss))
    held = np.zeros(n.shape, bool) if heldout is None else np.asarray(heldout, bool)
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.2))
    cmap = plt.get_cmap("viridis")
    for ax, (x, group, xlabel, glabel) in zip(axes, ((n, d, "N (non-embedding parameters)", "D"),
                                                      (d, n, "D (training tokens)", "N"))):
        values = np.unique(group)
        for k, g in enumerate(values):
            sel = group == g
            color = cmap(k / max(len(values) - 1, 1))
            ax.scatter(x[sel & ~held], loss[sel & ~held], s=16, color=color, label=f"{glabel}={g:.3g}")
            if (sel & held).any():
                ax.scatter(x[sel & held], loss[sel & held], s=30, facecolors="none", edgecolors=color)
            grid = np.geomspace(x[sel].min() / 1.3, x[sel].max() * 1.3, 50)
            nn, dd = (grid, np.full_like(grid, g)) if x is n else (np.full_like(grid, g), grid)
            ax.plot(grid, law_curve(theta, nn, dd), color=color, lw=1)
            band = _band(draws, nn, dd)
            if band is not None:
                ax.fill_between(grid, band[0], band[1], color=color, alpha=0.15, lw=0)
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_ylim(loss.min() / 1.3, loss.max() * 1.3)  # wild bootstrap draws must not hide the data
        ax.set_xlabel(xlabel)
        ax.set_ylabel("validation loss (nats/token)")
        ax.legend(fontsize=7)
    fig.suptitle(f"{name}: fitted law with 95% bootstrap band (open markers: held out, predicted)")
    return _save(fig, path)


def plot_heatmap(matrix: np.ndarray, labels: Sequence[str], title: str, path: str | Path,
                 fmt: str = "{:+.1f}", cbar_label: str = "", diverging: bool = True,
                 xlabel: str = "auxiliary language", ylabel: str = "target language") -> Path:
    """A labelled matrix; NaN cells are left blank. ``diverging``: colours centred on zero (gains)."""
    plt = _plt()
    m = np.asarray(matrix, np.float64)
    fig, ax = plt.subplots(figsize=(1.1 * len(labels) + 2, 0.9 * len(labels) + 1.5))
    finite = m[np.isfinite(m)]
    if diverging:
        lim = float(np.abs(finite).max()) if finite.size else 1.0
        im = ax.imshow(np.ma.masked_invalid(m), cmap="RdBu", vmin=-lim or -1, vmax=lim or 1)
    else:
        im = ax.imshow(np.ma.masked_invalid(m), cmap="viridis_r")
    ax.set_xticks(range(len(labels)), labels, rotation=40, ha="right")
    ax.set_yticks(range(len(labels)), labels)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    for i in range(m.shape[0]):
        for j in range(m.shape[1]):
            if np.isfinite(m[i, j]):
                ax.text(j, i, fmt.format(m[i, j]), ha="center", va="center", fontsize=8)
    fig.colorbar(im, ax=ax, label=cbar_label)
    ax.set_title(title)
    return _save(fig, path)


def plot_allocation_outcome(langs: Sequence[str], shares, uniform, predicted: dict, measured: dict,
                            path: str | Path, measured_ci: dict | None = None, mirrored_shares=None,
                            measured_mirrored: dict | None = None, mirrored_ci: dict | None = None) -> Path:
    """Left: token shares (uniform, optimized and, with the control arm, mirrored). Right: each
    language's loss change relative to uniform, predicted by the laws and measured by training
    (negative = better), with whiskers from ``measured_ci`` / ``mirrored_ci`` (half-widths of the
    95% interval over seeds, paired by seed) where given."""
    plt = _plt()
    x = np.arange(len(langs))
    fig, axes = plt.subplots(1, 2, figsize=(12, 4.6))
    arms = [("uniform", uniform, "#999"), ("optimized", shares, "#36c")]
    if mirrored_shares is not None:
        arms.append(("mirrored (control)", mirrored_shares, "#b9b"))
    w = 0.8 / len(arms)
    for k, (label, vals, color) in enumerate(arms):
        axes[0].bar(x + (k - (len(arms) - 1) / 2) * w, vals, width=w, label=label, color=color)
    axes[0].set_xticks(x, langs, rotation=30)
    axes[0].set_ylabel("token share")
    top = max(max(np.ravel(v)) for _, v, _ in arms)
    axes[0].set_ylim(0, 1.35 * top)  # room for the legend above the bars
    axes[0].legend(loc="upper center", ncol=len(arms), fontsize="small")
    bars = [("predicted", predicted, "#9bd", None), ("measured", measured, "#c63", measured_ci)]
    if measured_mirrored:
        bars.append(("mirrored, measured", measured_mirrored, "#b9b", mirrored_ci))
    w = 0.8 / len(bars)
    for k, (label, vals, color, ci) in enumerate(bars):
        y = [100 * vals.get(l, np.nan) for l in langs]
        err = [100 * ci.get(l, 0.0) for l in langs] if ci else None
        axes[1].bar(x + (k - (len(bars) - 1) / 2) * w, y, width=w, label=label, color=color, yerr=err, capsize=3)
    axes[1].axhline(0, color="k", lw=0.8)
    axes[1].set_xticks(x, langs, rotation=30)
    axes[1].set_ylabel("loss change vs uniform (%)")
    axes[1].legend(fontsize="small", title="whiskers: 95% interval over seeds" if measured_ci else None,
                   title_fontsize="small")
    fig.suptitle("Optimized vs uniform allocation at equal tokens")
    return _save(fig, path)


def plot_pairing(series: dict[str, tuple[np.ndarray, np.ndarray]], path: str | Path, ylabel: str) -> Path:
    """One line per strategy: loss vs model size N."""
    plt = _plt()
    fig, ax = plt.subplots(figsize=(6.5, 4))
    for strategy, (n, loss) in series.items():
        order = np.argsort(n)
        ax.plot(np.asarray(n)[order], np.asarray(loss)[order], marker="o", label=strategy)
    ax.set_xscale("log")
    ax.set_xlabel("N (non-embedding parameters)")
    ax.set_ylabel(ylabel)
    ax.legend()
    ax.set_title("Parallel pairing vs shuffled baseline")
    return _save(fig, path)
