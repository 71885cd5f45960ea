"""Labs: exercises generated from their solutions and graded by the tests CI runs.

* ``python -m adlab.labs build`` — regenerate ``exercises/`` and every lab ``.ipynb`` from
  ``solutions/NN_topic_lab.py`` (see :mod:`adlab.labs.build` for the markup).
* ``python -m adlab.labs check`` — exit 1 when a generated file is out of date.
* ``check_exercise("NN.k", fn)`` — grade one answer (:mod:`adlab.labs.checks`).
* ``plug_in(module, name=fn)`` — run a real estimator with a learner's function in place of
  adlab's (the hook the last cell of every lab uses).

Instructors: ``docs/INSTRUCTORS.md``.
"""
from __future__ import annotations

import functools
import importlib
from collections import Counter
from contextlib import contextmanager
from types import ModuleType

from .build import lab_namespace
from .checks import CHECKS, check_exercise

__all__ = ["check_exercise", "plug_in", "lab_namespace", "CHECKS"]


@contextmanager
def plug_in(module: str | ModuleType, **replacements):
    """Temporarily replace functions that ``module`` looks up by name at call time.

    adlab's estimators import their components into their own module namespace
    (``adlab.models.mnpwad`` does ``from ..components.prototypes import student_t_similarity``),
    so replacing ``adlab.models.mnpwad.student_t_similarity`` makes ``MNPWAD.fit`` and
    ``decision_function`` call yours. Classes that call functions of their own module (e.g.
    ``MemoryModule`` in ``adlab.components.memory``) are hooked by patching that module::

        with plug_in("adlab.models.mnpwad", student_t_similarity=my_similarity) as calls:
            det = MNPWAD(epochs=5).fit(X, y)
        print(calls)        # Counter({'student_t_similarity': 87}): proof it was used

    Yields a ``Counter`` of calls per replaced name; the originals are restored on exit, even
    after an exception. Raises ``ValueError`` for a name the module does not have (nothing to hook).
    """
    mod = importlib.import_module(module) if isinstance(module, str) else module
    missing = sorted(name for name in replacements if not hasattr(mod, name))
    if missing:
        public = sorted(n for n in vars(mod) if callable(getattr(mod, n)) and not n.startswith("_"))
        raise ValueError(f"{mod.__name__} has no {', '.join(missing)} to replace; it looks up: {', '.join(public)}")
    for name, fn in replacements.items():
        if not callable(fn):
            raise TypeError(f"replacement for {name} must be callable, got {type(fn).__name__}")
    calls: Counter = Counter()

    def counting(name, fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            calls[name] += 1
            return fn(*args, **kwargs)
        return wrapper

    originals = {name: getattr(mod, name) for name in replacements}
    try:
        for name, fn in replacements.items():
            setattr(mod, name, counting(name, fn))
        yield calls
    finally:
        for name, fn in originals.items():
            setattr(mod, name, fn)
