"""Cheap sanity checks for the course's matplotlib figures.

``figure_problems(fig)`` lists what a reader could not read or would be misled by:

* an **empty axes** — visible axes with nothing drawn in them;
* an **artist outside its limits** — a line, scatter, bar or data-anchored annotation whose data lies
  entirely outside the axes' view limits (drawn off-canvas, or starting off-canvas like an arrow from
  an origin that is not in view);
* an **unlabelled axis** — an axes with data but no x or y label (an axes sharing that axis with a
  labelled sibling, a hidden axis and a colorbar are exempt);
* **no title in words** — neither the axes nor the figure has a title of at least two words (so a raw
  key such as ``min_proto_dist`` is rejected).

The notebook test run installs :func:`install_show_check` in every kernel (``tests/ipython_startup``),
so ``plt.show()`` raises when a figure has one of these problems and the notebook's test fails.
"""
from __future__ import annotations

import re

import numpy as np

__all__ = ["figure_problems", "check_figure", "install_show_check"]


def _is_colorbar(ax) -> bool:
    return hasattr(ax, "_colorbar") or ax.get_label() == "<colorbar>"


def _inside(points: np.ndarray, xlim, ylim) -> np.ndarray:
    """Boolean mask of the finite rows of ``points`` (n, 2) inside the (possibly inverted) limits."""
    (x0, x1), (y0, y1) = sorted(xlim), sorted(ylim)
    tol_x, tol_y = 1e-9 * max(1.0, abs(x1 - x0)), 1e-9 * max(1.0, abs(y1 - y0))
    return ((points[:, 0] >= x0 - tol_x) & (points[:, 0] <= x1 + tol_x)
            & (points[:, 1] >= y0 - tol_y) & (points[:, 1] <= y1 + tol_y))


def _has_words(text: str) -> bool:
    words = [w for w in re.split(r"\s+", text.strip()) if re.search(r"[A-Za-z]", w)]
    return len(words) >= 2


def _data_artists(ax):
    from matplotlib.collections import Collection
    from matplotlib.image import AxesImage
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    arts = []
    for a in ax.get_children():
        if not a.get_visible() or a is ax.patch or a in ax.spines.values():
            continue
        if isinstance(a, (Line2D, Collection, AxesImage, Patch)):
            arts.append(a)
    return arts


def _artist_outside(ax, artist) -> str | None:
    """A description of ``artist`` when all of its data lies outside ``ax``'s view limits."""
    from matplotlib.collections import PathCollection, PolyCollection
    from matplotlib.lines import Line2D
    from matplotlib.patches import Rectangle

    xlim, ylim = ax.get_xlim(), ax.get_ylim()
    if isinstance(artist, Line2D):
        if artist.get_transform() != ax.transData:   # axhline/axvline live in blended coordinates
            return None
        xy = np.column_stack([np.asarray(artist.get_xdata(), float), np.asarray(artist.get_ydata(), float)])
    elif isinstance(artist, PathCollection):
        if artist.get_offset_transform() != ax.transData:
            return None
        xy = np.asarray(artist.get_offsets(), float).reshape(-1, 2)
    elif isinstance(artist, Rectangle):
        if artist.get_data_transform() != ax.transData:
            return None
        x, y, w, h = artist.get_x(), artist.get_y(), artist.get_width(), artist.get_height()
        if w == 0 or h == 0 or not np.isfinite([x, y, w, h]).all():
            return None
        (x0, x1), (y0, y1) = sorted(xlim), sorted(ylim)
        if min(x, x + w) > x1 or max(x, x + w) < x0 or min(y, y + h) > y1 or max(y, y + h) < y0:
            return f"bar at x={x:.3g}, height {h:.3g} lies outside the limits x{tuple(np.round(xlim, 3))}, y{tuple(np.round(ylim, 3))}"
        return None
    elif isinstance(artist, PolyCollection):
        return None
    else:
        return None
    xy = xy[np.isfinite(xy).all(axis=1)]
    if len(xy) and not _inside(xy, xlim, ylim).any():
        kind = type(artist).__name__
        label = artist.get_label()
        return f"{kind} {label!r} has all {len(xy)} points outside the limits x{tuple(np.round(xlim, 3))}, y{tuple(np.round(ylim, 3))}"
    return None


def figure_problems(fig) -> list[str]:
    """Everything :mod:`adlab.figcheck` objects to in ``fig`` (an empty list when the figure is fine)."""
    from matplotlib.text import Annotation

    problems: list[str] = []
    suptitle = fig._suptitle.get_text() if getattr(fig, "_suptitle", None) is not None else ""
    axes = [ax for ax in fig.get_axes() if ax.get_visible() and not _is_colorbar(ax)]
    for i, ax in enumerate(axes):
        name = f"axes {i} ({ax.get_title() or 'untitled'!r})"
        arts = _data_artists(ax)
        texts = [t for t in ax.texts if t.get_text().strip()]
        if not arts and not texts and not ax.get_legend():
            if ax.axison:
                problems.append(f"{name} is empty: nothing is drawn in it")
            continue
        for a in arts:
            why = _artist_outside(ax, a)
            if why:
                problems.append(f"{name}: {why}")
        for t in ax.texts:
            if isinstance(t, Annotation) and t.xycoords == "data":
                pts = [t.xy] + ([t.xyann] if t.anncoords == "data" or (t.anncoords is None) else [])
                pts = np.asarray(pts, float)
                if not _inside(pts, ax.get_xlim(), ax.get_ylim()).all():
                    problems.append(f"{name}: annotation {t.get_text()!r} at {np.round(pts, 3).tolist()} "
                                    f"is (partly) outside the limits x{tuple(np.round(ax.get_xlim(), 3))}, "
                                    f"y{tuple(np.round(ax.get_ylim(), 3))}")
        if not arts:
            continue
        if ax.axison:
            for axis, getter, shared in (("x", ax.get_xlabel, ax.get_shared_x_axes()),
                                         ("y", ax.get_ylabel, ax.get_shared_y_axes())):
                if getter().strip():
                    continue
                siblings = [s for s in shared.get_siblings(ax) if s is not ax and s in axes]
                if any((s.get_xlabel() if axis == "x" else s.get_ylabel()).strip() for s in siblings):
                    continue
                problems.append(f"{name} has no {axis} label")
        if not _has_words(ax.get_title()) and not _has_words(suptitle):
            problems.append(f"{name} has no title in words (axes title {ax.get_title()!r}, figure title {suptitle!r})")
    return problems


def check_figure(fig) -> None:
    """Raise an ``AssertionError`` listing :func:`figure_problems` of ``fig``, if any."""
    problems = figure_problems(fig)
    if problems:
        raise AssertionError("figure check failed (adlab.figcheck):\n  " + "\n  ".join(problems))


def install_show_check(warn_only: bool = False) -> None:
    """Make ``matplotlib.pyplot.show`` check every open figure before showing it (used under test).

    ``warn_only=True`` prints the problems (prefixed ``FIGCHECK``) instead of raising, to list them all in one run.
    """
    import matplotlib.pyplot as plt

    if getattr(plt.show, "_adlab_checked", False):
        return
    original = plt.show

    def show(*args, **kwargs):
        for num in plt.get_fignums():
            fig = plt.figure(num)
            if warn_only:
                for problem in figure_problems(fig):
                    print("FIGCHECK", problem)
                continue
            try:
                check_figure(fig)
            except AssertionError:
                plt.close("all")
                raise
        return original(*args, **kwargs)

    show._adlab_checked = True
    plt.show = show
