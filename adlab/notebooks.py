"""Keep every ``.ipynb`` in step with its jupytext ``py:percent`` source.

    python -m adlab.notebooks sync    # regenerate .ipynb from .py (keeps cell ids, no outputs)
    python -m adlab.notebooks check   # exit 1 and list stale notebooks

The ``.py`` file is the source; the ``.ipynb`` is committed without outputs because Colab opens
notebooks straight from the repository.
"""
from __future__ import annotations

import sys
from pathlib import Path

__all__ = ["NOTEBOOK_DIRS", "paired_sources", "stale_notebooks", "sync"]

NOTEBOOK_DIRS = ("notebooks", "solutions", "exercises")
ROOT = Path(__file__).resolve().parents[1]


def paired_sources(root: Path = ROOT) -> list[Path]:
    """All py:percent sources in the notebook folders."""
    return sorted(p for d in NOTEBOOK_DIRS for p in (root / d).glob("*.py") if not p.name.startswith("_"))


def _cells(nb) -> list[tuple[str, str]]:
    return [(c.cell_type, c.source.strip()) for c in nb.cells]


def notebook_problem(py: Path) -> str | None:
    """Why the .ipynb paired with ``py`` is not current (or None when it is)."""
    import jupytext
    import nbformat

    ipynb = py.with_suffix(".ipynb")
    if not ipynb.exists():
        return f"{ipynb} is missing"
    expected = jupytext.read(py)
    actual = nbformat.read(ipynb, as_version=4)
    if _cells(expected) != _cells(actual):
        return f"{ipynb} differs from {py.name}: run `python -m adlab.notebooks sync`"
    with_outputs = [i for i, c in enumerate(actual.cells) if c.cell_type == "code" and (c.outputs or c.execution_count)]
    if with_outputs:
        return f"{ipynb} has stored outputs in cells {with_outputs[:5]}: commit it without outputs"
    return None


def stale_notebooks(root: Path = ROOT) -> list[str]:
    return [msg for py in paired_sources(root) if (msg := notebook_problem(py))]


def sync(root: Path = ROOT) -> list[Path]:
    """Regenerate each .ipynb from its .py with ``jupytext --update`` semantics (cell ids kept)."""
    import jupytext

    written = []
    for py in paired_sources(root):
        if notebook_problem(py) is None:
            continue
        ipynb = py.with_suffix(".ipynb")
        nb = jupytext.read(py)
        if ipynb.exists():
            old = jupytext.read(ipynb)
            ids = [c.get("id") for c in old.cells]
            for cell, cid in zip(nb.cells, ids):
                if cid:
                    cell["id"] = cid
        for cell in nb.cells:
            if cell.cell_type == "code":
                cell.outputs = []
                cell.execution_count = None
        jupytext.write(nb, ipynb, fmt="ipynb")
        written.append(ipynb)
    return written


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    cmd = argv[0] if argv else "check"
    if cmd == "sync":
        for path in sync():
            print(f"wrote {path.relative_to(ROOT)}")
        return 0
    if cmd == "check":
        problems = stale_notebooks()
        for p in problems:
            print(p)
        return 1 if problems else 0
    print("usage: python -m adlab.notebooks [sync|check]", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
