"""Labs: exercises generated from their solutions and graded by the tests CI runs.

* ``python -m adlab.labs build`` — regenerate ``exercises/`` and every lab ``.ipynb`` from
  ``solutions/NN_topic_lab.py`` (see :mod:`adlab.labs.build` for the markup).
* ``python -m adlab.labs check`` — exit 1 when a generated file is out of date.
* ``check_exercise("NN.k", fn)`` — grade one answer (:mod:`adlab.labs.checks`).
* ``plug_in(module, name=fn)`` — run a real estimator with a learner's function in place of
  adlab's (the hook the last cell of every lab uses).
* ``check_trains_like_adlab(make, X, y, {module: {name: fn}})`` — the last check of a lab: the
  estimator trained with the learner's functions must score like the one trained with adlab's.
* ``python -m adlab.labs start NN`` / ``grade PATH`` — the learner's workflow
  (:mod:`adlab.labs.learner`).

Instructors: ``docs/INSTRUCTORS.md``.
"""
from __future__ import annotations

import functools
import importlib
from collections import Counter
from contextlib import ExitStack, contextmanager
from types import ModuleType

from .build import lab_namespace
from .checks import CHECKS, check_exercise

__all__ = ["check_exercise", "plug_in", "check_trains_like_adlab", "lab_namespace", "CHECKS"]


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


def check_trains_like_adlab(make_estimator, X, y, replacements: dict, X_score=None, tol: float = 1e-3) -> float:
    """The last check of a lab: train with the learner's functions and with adlab's, compare the scores.

    ``make_estimator()`` must return a fresh, seeded estimator (same ``random_state`` every call, so
    two fits with the same functions give the same scores on CPU). It is fitted on ``(X, y)`` once
    with adlab's own functions and once with ``replacements`` (``{module: {name: function}}``,
    see :func:`plug_in`) in place; both score ``X_score`` (default ``X``). A function whose values
    are right but whose gradient is not (a ``.detach()``, ``torch.no_grad()``, a detour through
    numpy) trains a different model, and this check sees it even where the AUC-PR would not.

    Raises ``AssertionError`` when a replacement was never called, when the scores are not finite,
    or when they differ by more than ``tol`` standard deviations of adlab's scores; returns that
    largest difference (in standard deviations) otherwise.
    """
    import numpy as np

    X_score = X if X_score is None else X_score
    reference = np.asarray(make_estimator().fit(X, y).decision_function(X_score), dtype=float)
    with ExitStack() as stack:
        counters = [stack.enter_context(plug_in(module, **functions)) for module, functions in replacements.items()]
        estimator = make_estimator().fit(X, y)
        mine = np.asarray(estimator.decision_function(X_score), dtype=float)
    never = sorted(name for functions, calls in zip(replacements.values(), counters) for name in functions
                   if calls[name] == 0)
    if never:
        raise AssertionError(f"{', '.join(never)} never ran inside {type(estimator).__name__}: nothing was checked")
    if not np.isfinite(mine).all():
        raise AssertionError(f"trained with your functions, {type(estimator).__name__} produced NaN or inf scores")
    scale = float(reference.std()) or 1.0
    diff = float(np.abs(mine - reference).max()) / scale
    if diff > tol:
        raise AssertionError(
            f"trained with your functions, {type(estimator).__name__} scores differently from the same model trained "
            f"with adlab's (largest difference {diff:.2g} standard deviations of the scores), although your functions "
            "return the right values on the check inputs. Training follows the gradient: did you detach something, "
            "or compute part of it under torch.no_grad() or in numpy?")
    print(f"{type(estimator).__name__} trained with your functions scores like adlab's "
          f"(largest difference {diff:.1e} standard deviations)")
    return diff
