"""Plots used by the notebooks and the benchmark: score maps on 2-D data, precision-recall curves,
sweep plots (seaborn), a critical-difference-style rank summary and a parameter explorer (a slider in a
live notebook, a static grid of panels everywhere else).

Every function draws on a given ``ax`` (or makes a new figure) and returns the matplotlib object it drew
on, so notebooks can compose them. Nothing here calls ``plt.show()``.
"""
from __future__ import annotations

from typing import Callable, Mapping, Sequence

import os

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

__all__ = ["score_grid", "plot_score_map", "plot_score_maps", "plot_pr_curves", "plot_sweep", "plot_ranks",
           "widgets_live", "parameter_explorer"]


def score_grid(score_fn, X: np.ndarray, resolution: int = 150, padding: float = 0.15):
    """Evaluate ``score_fn`` ((m, 2) -> (m,)) on a regular grid covering ``X`` (n, 2) widened by ``padding``
    × range. Returns (xx, yy, zz), each (resolution, resolution)."""
    X = np.asarray(X, dtype=np.float64)
    if X.ndim != 2 or X.shape[1] != 2:
        raise ValueError(f"score maps need 2-D data (n, 2), got shape {X.shape}")
    lo, hi = X.min(0), X.max(0)
    pad = padding * (hi - lo)
    xs = np.linspace(lo[0] - pad[0], hi[0] + pad[0], resolution)
    ys = np.linspace(lo[1] - pad[1], hi[1] + pad[1], resolution)
    xx, yy = np.meshgrid(xs, ys)
    zz = np.asarray(score_fn(np.c_[xx.ravel(), yy.ravel()].astype(np.float32)), dtype=np.float64)
    return xx, yy, zz.reshape(xx.shape)


def plot_score_map(detector, X, y_true=None, y_weak=None, ax=None, title: str | None = None,
                   resolution: int = 150, padding: float = 0.15, cmap: str = "viridis", rank: bool = True,
                   extra_points: np.ndarray | None = None, extra_label: str = "synthetic"):
    """Filled contours of a fitted detector's anomaly score over the plane, with the data on top.

    ``y_true`` colours normals/anomalies (ground truth), ``y_weak`` rings the labeled anomalies;
    ``rank=True`` shows score *ranks* (quantiles over the grid), which makes detectors with different
    score scales comparable. ``extra_points`` (e.g. synthetic anomalies) are drawn as small crosses.
    """
    if ax is None:
        _, ax = plt.subplots(figsize=(4.2, 3.8))
    xx, yy, zz = score_grid(detector.decision_function, X, resolution, padding)
    if rank:
        zz = (np.argsort(np.argsort(zz.ravel())) / (zz.size - 1)).reshape(zz.shape)
    cs = ax.contourf(xx, yy, zz, levels=20, cmap=cmap)
    X = np.asarray(X)
    if extra_points is not None and len(extra_points):
        ax.scatter(extra_points[:, 0], extra_points[:, 1], s=4, marker="x", c="0.85", lw=0.5, alpha=0.6,
                   label=extra_label)
    if y_true is None:
        ax.scatter(X[:, 0], X[:, 1], s=6, c="white", edgecolors="k", linewidths=0.2)
    else:
        y_true = np.asarray(y_true)
        ax.scatter(*X[y_true == 0].T, s=6, c="white", edgecolors="k", linewidths=0.2, label="normal")
        ax.scatter(*X[y_true == 1].T, s=14, c="tab:red", edgecolors="k", linewidths=0.3, label="anomaly")
    if y_weak is not None:
        lab = np.asarray(y_weak) == 1
        ax.scatter(*X[lab].T, s=90, facecolors="none", edgecolors="orange", linewidths=1.6, label="labeled anomaly")
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_xlabel("feature 1", fontsize=8)
    ax.set_ylabel("feature 2", fontsize=8)
    if title:
        ax.set_title(title, fontsize=10)
    return ax, cs


def plot_score_maps(detectors: Mapping[str, object], X, y_true=None, y_weak=None, ncols: int = 3,
                    panel_size: float = 3.6, **kw):
    """One :func:`plot_score_map` panel per fitted detector (name -> detector). Returns the figure.
    A value may also be ``(detector, y_weak, extra_points)`` to override the labels/points of that panel."""
    n = len(detectors)
    ncols = min(ncols, n)
    nrows = int(np.ceil(n / ncols))
    fig, axes = plt.subplots(nrows, ncols, figsize=(panel_size * ncols, panel_size * nrows), squeeze=False)
    for ax, (name, det) in zip(axes.ravel(), detectors.items()):
        weak, extra = y_weak, None
        if isinstance(det, tuple):
            det, weak, extra = det
        plot_score_map(det, X, y_true, weak, ax=ax, title=name, extra_points=extra, **kw)
    for ax in axes.ravel()[n:]:
        ax.axis("off")
    handles, labels = axes.ravel()[0].get_legend_handles_labels()
    if handles:
        fig.legend(handles, labels, loc="lower center", ncol=len(labels), fontsize=8, frameon=False)
    fig.tight_layout(rect=(0, 0.05, 1, 1))
    return fig


def plot_pr_curves(y_true, scores: Mapping[str, np.ndarray], ax=None, title: str | None = None):
    """Precision-recall curves of several score vectors on the same ground truth; AP in the legend,
    the chance level (anomaly rate) dashed."""
    from sklearn.metrics import average_precision_score, precision_recall_curve

    if ax is None:
        _, ax = plt.subplots(figsize=(4.5, 3.8))
    y_true = np.asarray(y_true)
    for name, s in scores.items():
        p, r, _ = precision_recall_curve(y_true, s)
        ax.step(r, p, where="post", label=f"{name} (AP {average_precision_score(y_true, s):.3f})")
    ax.axhline(y_true.mean(), ls="--", c="0.5", lw=1, label="chance")
    ax.set_xlabel("recall")
    ax.set_ylabel("precision")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1.02)
    ax.legend(fontsize=7)
    if title:
        ax.set_title(title, fontsize=10)
    return ax


def plot_sweep(results: pd.DataFrame, x: str = "x", metric: str = "auc_pr", hue: str = "method",
               col: str | None = "dataset", x_label: str | None = None, log_x: bool = False, col_wrap: int = 3):
    """Seaborn line plot of ``metric`` against the sweep variable (mean over seeds, 95 % CI band), one
    panel per ``col``. ``results`` is the tidy benchmark table (status "ok" rows are used)."""
    import seaborn as sns

    df = results[results["status"] == "ok"].copy() if "status" in results else results.copy()
    df[x] = df[x].astype(float)
    df[metric] = df[metric].astype(float)
    grid = sns.relplot(data=df, x=x, y=metric, hue=hue, col=col, kind="line", marker="o", errorbar=("ci", 95),
                       col_wrap=min(col_wrap, df[col].nunique()) if col else None, height=3.0, aspect=1.2,
                       facet_kws={"sharey": False})
    if log_x:
        grid.set(xscale="log")
    grid.set_axis_labels(x_label or x, {"auc_pr": "AUC-PR", "auc_roc": "AUC-ROC"}.get(metric, metric))
    return grid


def plot_ranks(summary: dict, ax=None, alpha: float = 0.05, title: str | None = None):
    """Critical-difference-style summary: each arm on an average-rank axis (1 = best, left), the
    reference in bold; arms whose paired Wilcoxon p-value against the reference is ≥ ``alpha`` are joined
    to it by a bar (no significant difference). ``summary`` comes from
    :func:`adlab.evaluation.bench.summary_tables`."""
    rank = summary["rank"].dropna().sort_values()
    pvals = summary["pvalue"]
    ref = summary["reference"]
    n = len(rank)
    if ax is None:
        _, ax = plt.subplots(figsize=(7, 0.45 * n + 1.2))
    k = len(summary["mean"].columns)
    ax.set_xlim(0.8, k + 0.2)
    ax.set_ylim(-1, n)
    ax.invert_yaxis()
    for i, (arm, r) in enumerate(rank.items()):
        is_ref = arm == ref
        p = pvals.get(arm, np.nan)
        label = f"{arm}" + ("  (reference)" if is_ref else f"  p={p:.3g}" if np.isfinite(p) else "  p=n/a")
        ax.plot([r], [i], "o", c="k" if is_ref else ("tab:blue" if np.isfinite(p) and p < alpha else "0.6"))
        ax.annotate(label, (r, i), xytext=(6, 0), textcoords="offset points", va="center", fontsize=8,
                    fontweight="bold" if is_ref else "normal")
    if ref in rank.index:
        same = [a for a in rank.index if a != ref and not (np.isfinite(pvals.get(a, np.nan)) and pvals[a] < alpha)]
        if same:
            lo = min(rank[ref], *(rank[a] for a in same))
            hi = max(rank[ref], *(rank[a] for a in same))
            ax.hlines(-0.6, lo, hi, colors="tab:red", lw=3, alpha=0.6)
            ax.annotate(f"not significantly different from {ref} (p ≥ {alpha})", ((lo + hi) / 2, -0.6),
                        xytext=(0, 4), textcoords="offset points", ha="center", fontsize=7, color="tab:red")
    ax.set_yticks([])
    ax.set_ylabel("method (best rank on top)", fontsize=8)
    ax.set_xlabel("average rank (1 = best)")
    ax.spines[["left", "right", "top"]].set_visible(False)
    ax.set_title(title or f"average ranks over {summary['n_complete']} cases, Wilcoxon vs {ref}", fontsize=10)
    return ax


# =========================================================================== parameter explorer
def widgets_live() -> bool:
    """True when a slider can work: ipywidgets importable, code running in a Jupyter kernel (Jupyter, VS Code,
    Colab), and neither FAST mode (``ADLAB_FAST``, the tests and the book) nor ``ADLAB_STATIC_FIGURES`` set.

    Everywhere else — a script, the test run, a notebook executed to build the book — there is no one to move
    a slider and its output would not be stored, so :func:`parameter_explorer` draws a static grid instead.
    """
    from .config import is_fast

    if is_fast() or os.environ.get("ADLAB_STATIC_FIGURES", "").strip().lower() in {"1", "true", "yes", "on"}:
        return False
    try:
        import ipywidgets  # noqa: F401
        from IPython import get_ipython
        from ipykernel.zmqshell import ZMQInteractiveShell
    except ImportError:
        return False
    return isinstance(get_ipython(), ZMQInteractiveShell)


def _fmt(v) -> str:
    return f"{v:g}" if isinstance(v, (float, int, np.floating, np.integer)) else str(v)


def parameter_explorer(draw: Callable, name: str, values: Sequence, *, value=None, grid_values: Sequence | None = None,
                       title: str | None = None, ncols: int = 3, panel_size: tuple = (3.6, 3.0),
                       interactive: bool | None = None):
    """Show how a figure changes with one parameter: a slider over ``values`` in a live notebook, else a
    static grid with one panel per value of ``grid_values`` (default: ``values``).

    draw : ``draw(v, ax)`` draws the figure for parameter value ``v`` on the matplotlib axes ``ax`` (axis
        labels included). A panel left without a title is titled ``"{name} = {v}"``.
    name : the parameter's name, shown on the slider and in the panel titles (e.g. ``"α"``).
    values : the slider's positions (at least one; numbers or strings), in order.
    value : the slider's starting position (default: the middle of ``values``); must be one of ``values``.
    title : a title in words for the whole figure (the grid's suptitle; the slider panel's title suffix).
    interactive : force the slider (True) or the grid (False); ``None`` asks :func:`widgets_live`.

    Returns the ``ipywidgets.interactive`` widget (already displayed) in slider mode, else the grid's
    :class:`matplotlib.figure.Figure` (call ``plt.show()``; unused panels are hidden).
    """
    if not callable(draw):
        raise ValueError(f"draw must be a callable draw(value, ax), got {type(draw).__name__}")
    values = list(values)
    if not values:
        raise ValueError(f"values of {name!r} must hold at least one value")
    grid_values = values if grid_values is None else list(grid_values)
    if not grid_values:
        raise ValueError(f"grid_values of {name!r} must hold at least one value")
    if value is None:
        value = values[len(values) // 2]
    elif value not in values:
        raise ValueError(f"value {value!r} is not one of the values of {name!r}: {values}")
    if int(ncols) != ncols or ncols < 1:
        raise ValueError(f"ncols must be a positive integer, got {ncols!r}")
    if interactive is None:
        interactive = widgets_live()

    if interactive:
        import ipywidgets
        from IPython.display import display

        slider = ipywidgets.SelectionSlider(options=[(_fmt(v), v) for v in values], value=value,
                                            description=name, continuous_update=False)

        def show(v):
            fig, ax = plt.subplots(figsize=panel_size)
            draw(v, ax)
            if not ax.get_title():
                ax.set_title(f"{title + ': ' if title else ''}{name} = {_fmt(v)}", fontsize=10)
            fig.tight_layout()
            plt.show()

        widget = ipywidgets.interactive(show, v=slider)
        display(widget)
        return widget

    n = len(grid_values)
    ncols = min(int(ncols), n)
    nrows = int(np.ceil(n / ncols))
    fig, axes = plt.subplots(nrows, ncols, figsize=(panel_size[0] * ncols, panel_size[1] * nrows + 0.4),
                             squeeze=False)
    for ax, v in zip(axes.ravel(), grid_values):
        draw(v, ax)
        if not ax.get_title():
            ax.set_title(f"{name} = {_fmt(v)}", fontsize=10)
    for ax in axes.ravel()[n:]:
        ax.axis("off")
    if title:
        fig.suptitle(title, fontsize=11)
    fig.tight_layout()
    return fig
