"""Sphinx configuration of the course book (``make book``; see ``book/build.py`` and docs/ARCHITECTURE.md).

The source tree is staged by ``book/build.py`` under ``build/book-src`` (the notebooks, labs and docs
copied with the repository's layout); this file is passed with ``-c book`` and reads the repository's
address from ``[tool.adlab]`` in pyproject.toml, so the Colab and repository buttons follow
``python -m adlab.notebooks retarget``.
"""
from __future__ import annotations

import os
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "book"))

from adlab.notebooks import repository_address  # noqa: E402

ADDRESS = repository_address(ROOT)
FULL = os.environ.get("BOOK_FULL", "0") == "1"
# Notebook kernels inherit this process's environment: FAST schedules unless BOOK_FULL=1.
os.environ["ADLAB_FAST"] = "0" if FULL else "1"
# Figures must become outputs: the inline backend, even under the Makefile's MPLBACKEND=Agg.
os.environ["MPLBACKEND"] = "module://matplotlib_inline.backend_inline"
os.environ.setdefault("OMP_NUM_THREADS", "1")
# The ADBench files, as the Makefile finds them (../shared/data/adbench), unless the caller chose a folder.
if not os.environ.get("ADLAB_DATA_DIR") and (ROOT.parent / "shared" / "data" / "adbench").is_dir():
    os.environ["ADLAB_DATA_DIR"] = str((ROOT.parent / "shared" / "data" / "adbench").resolve())

project = "adlab — deep weakly-supervised anomaly detection"
author = "the adlab authors"
copyright = "the adlab authors"
root_doc = "index"

extensions = [
    "myst_nb",
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.napoleon",
    "sphinx.ext.mathjax",
    "sphinx-mathjax-offline",  # MathJax served from the book itself: the site works without a network
]

exclude_patterns = ["_build", "**.ipynb_checkpoints", "_ipynb/**"]
smartquotes = False  # commands quoted in prose keep their "--options" and quotes
suppress_warnings = ["myst.header", "mystnb.unknown_mime_type", "misc.highlighting_failure"]

# ---- notebooks: executed with a cache (jupyter-cache), FAST by default ---------------------------
nb_execution_mode = "cache"
nb_execution_cache_path = str(ROOT / "build" / "jupyter_cache" / ("full" if FULL else "fast"))
nb_execution_timeout = int(os.environ.get("BOOK_CELL_TIMEOUT", "3600" if FULL else "900"))
# A failing notebook does not stop the build (every failure is listed at once); myst-nb writes its
# traceback to build/book/reports/ and book/build.py then exits non-zero, naming it.
nb_execution_raise_on_error = False
nb_execution_show_tb = True
# Exercises are stubs that raise NotImplementedError: shown as the learner gets them, not executed.
nb_execution_excludepatterns = ["exercises/*"]
nb_merge_streams = True
myst_enable_extensions = ["dollarmath", "amsmath", "colon_fence", "deflist"]
myst_heading_anchors = 4

# ---- API reference ------------------------------------------------------------------------------
autosummary_generate = True
autodoc_default_options = {"members": True, "inherited-members": False, "show-inheritance": True}
autodoc_member_order = "bysource"
autodoc_typehints = "description"
autodoc_mock_imports = []
napoleon_numpy_docstring = True
napoleon_google_docstring = True
napoleon_use_rtype = False

# ---- HTML: sphinx-book-theme with Colab + download buttons ---------------------------------------
html_theme = "sphinx_book_theme"
html_title = "adlab course"
html_static_path = [str(ROOT / "book" / "_static")]
html_css_files = ["book.css"]
html_favicon = str(ROOT / "book" / "_static" / "favicon.svg")
html_sourcelink_suffix = ""  # the download button hands out the .ipynb itself, not .ipynb.txt
html_last_updated_fmt = None
html_theme_options = {
    "repository_url": ADDRESS.github_url,
    "repository_branch": ADDRESS.branch,
    "path_to_docs": "",
    "use_repository_button": True,
    "use_download_button": True,
    "use_fullscreen_button": False,
    "launch_buttons": {"colab_url": "https://colab.research.google.com", "notebook_interface": "classic"},
    "home_page_in_toc": True,
    "show_toc_level": 2,
}
html_context = {"default_mode": "light"}


def _skip_sklearn_metadata_requests(app, what, name, obj, skip, options):
    """scikit-learn adds ``set_*_request`` methods to every estimator class: not part of the course's API."""
    if name.startswith("set_") and name.endswith("_request"):
        return True
    return None


_LITERAL = re.compile(r"(``.*?``|`[^`]*`)")
_PIPES = re.compile(r"(?<![\\\w|])\|(?=\S)([^|`]*?\S)\|(?![\w|])")


def _escape_pipes(app, what, name, obj, options, lines):
    """Docstrings write norms as ``|x|``, which reST reads as an undefined substitution (a broken link
    in the page). Outside literals and table/line-block rows the pipes are escaped: shown as written."""
    for i, line in enumerate(lines):
        if line.lstrip().startswith(("|", "+")):
            continue
        parts = _LITERAL.split(line)
        lines[i] = "".join(part if k % 2 else _PIPES.sub(r"\\|\1\\|", part) for k, part in enumerate(parts))


def setup(app):
    app.connect("autodoc-skip-member", _skip_sklearn_metadata_requests)
    app.connect("autodoc-process-docstring", _escape_pipes)
