"""PNG figures for fitted laws and allocations (matplotlib, Agg backend: no display needed)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from codescale_jax.io_utils import atomic_path


def _plt():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _save(fig, path: Path) -> Path:
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png", dpi=110, bbox_inches="tight")
    _plt().close(fig)
    return path


def plot_fit(name: str, n, d, loss, predict_fn, out_dir: str | Path) -> list[Path]:
    """Two PNGs per language: loss vs tokens per model size with fitted curves; log residuals."""
    plt = _plt()
    out_dir = Path(out_dir)
    n, d, loss = (np.asarray(x, dtype=np.float64) for x in (n, d, loss))
    sizes = np.unique(n)
    cmap = plt.get_cmap("viridis")
    fig, ax = plt.subplots(figsize=(7, 4.5))
    for k, size in enumerate(sizes):
        sel = n == size
        color = cmap(k / max(len(sizes) - 1, 1))
        ax.scatter(d[sel], loss[sel], s=14, color=color, label=f"N={size:.3g}" if len(sizes) <= 12 else None)
        grid = np.geomspace(d[sel].min() / 1.5, d[sel].max() * 1.5, 60)
        ax.plot(grid, predict_fn(np.full_like(grid, size), grid), color=color, lw=1)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("D (training tokens)")
    ax.set_ylabel("validation loss (nats/token)")
    ax.set_title(f"{name}: data and fitted law (one curve per N, non-embedding params)")
    if len(sizes) <= 12:
        ax.legend(fontsize=7, ncol=2)
    p1 = _save(fig, out_dir / f"fit_{name}.png")

    resid = np.log(loss) - np.log(predict_fn(n, d))
    fig, axes = plt.subplots(1, 2, figsize=(9, 3.5))
    axes[0].scatter(n, resid, s=10)
    axes[0].set_xscale("log")
    axes[0].set_xlabel("N (non-embedding params)")
    axes[1].scatter(d, resid, s=10)
    axes[1].set_xscale("log")
    axes[1].set_xlabel("D (training tokens)")
    for ax in axes:
        ax.axhline(0.0, color="k", lw=0.8)
        ax.set_ylabel("log residual (data - fit)")
    fig.suptitle(f"{name}: residuals")
    p2 = _save(fig, out_dir / f"residuals_{name}.png")
    return [p1, p2]


def plot_allocation(languages, shares, uniform, total_tokens: float, path: str | Path, spread=None) -> Path:
    """Bar chart: tokens per language, optimised vs uniform (error bars: bootstrap 95% spread)."""
    plt = _plt()
    x = np.arange(len(languages))
    fig, ax = plt.subplots(figsize=(7, 4))
    yerr = None
    if spread:
        lo = np.array([spread[lang][0] for lang in languages]) * total_tokens
        hi = np.array([spread[lang][1] for lang in languages]) * total_tokens
        opt = np.asarray(shares) * total_tokens
        yerr = np.vstack([np.maximum(opt - lo, 0), np.maximum(hi - opt, 0)])
    ax.bar(x - 0.2, np.asarray(uniform) * total_tokens, width=0.4, label="uniform", color="#9aa")
    ax.bar(x + 0.2, np.asarray(shares) * total_tokens, width=0.4, label="optimised", color="#36c", yerr=yerr,
           capsize=3)
    ax.set_xticks(x, languages, rotation=30)
    ax.set_ylabel("training tokens")
    ax.set_title(f"Token allocation, total D = {total_tokens:.3g}")
    ax.legend()
    return _save(fig, Path(path))
