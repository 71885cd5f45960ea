"""Import a repository script (``benchmarks/*.py``, ``book/*.py``) as a module, so tests can call its
functions without running its ``main``::

    from scripts import load_script
    parity = load_script("benchmarks/parity_deepod.py")
"""
from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parents[1]


def load_script(path: str | Path, name: str | None = None) -> ModuleType:
    """The module of the script at ``path`` (relative to the repository root), executed once per call;
    its name is ``name`` or the file's stem."""
    path = ROOT / path
    if str(path.parent) not in sys.path:      # as when run as a script: its siblings (devlog, bench_data) import
        sys.path.insert(0, str(path.parent))
    spec = importlib.util.spec_from_file_location(name or path.stem, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
