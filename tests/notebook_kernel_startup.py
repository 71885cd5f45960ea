"""Run by every notebook kernel that the test suite starts (the root conftest.py points PYTHONSTARTUP here).

* Figures are rendered for real: the kernel uses the inline backend even though the test command exports
  ``MPLBACKEND=Agg`` for the in-process tests, so each ``plt.show()`` produces a PNG output.
* In the course notebooks (kernels started in ``notebooks/``), ``plt.show()`` first runs
  :func:`adlab.figcheck.check_figure` on every open figure: an empty axes, an artist drawn entirely outside
  its limits, an unlabelled axis or a figure without a title in words fails the cell, and so the test.
"""
import os as _os
from pathlib import Path as _Path

_os.environ["MPLBACKEND"] = "module://matplotlib_inline.backend_inline"
try:
    import matplotlib as _mpl

    _mpl.use("module://matplotlib_inline.backend_inline")
    if _Path.cwd().name == "notebooks" or _os.environ.get("ADLAB_FIGCHECK") == "all":
        from adlab.figcheck import install_show_check as _install

        _install(warn_only=_os.environ.get("ADLAB_FIGCHECK_MODE") == "warn")
except ImportError:  # a kernel without matplotlib or adlab: nothing to render or check
    pass
