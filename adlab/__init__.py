"""adlab — deep weakly-/semi-supervised anomaly detection for tabular data, built to be read.

Public API::

    from adlab import MNPWAD, RoSAS, MMNet, load_adbench, weak_split, evaluate

Detectors are imported lazily through :mod:`adlab.models.registry`, so ``import adlab`` is
cheap and a missing optional piece never breaks the package.
"""
from __future__ import annotations

import importlib

__version__ = "0.1.0"

_LAZY = {
    # data
    "load_adbench": "adlab.data.adbench",
    "list_adbench": "adlab.data.adbench",
    "weak_split": "adlab.data.protocol",
    "WeakSplit": "adlab.data.protocol",
    # evaluation
    "evaluate": "adlab.evaluation.metrics",
    "auc_pr": "adlab.evaluation.metrics",
    "auc_roc": "adlab.evaluation.metrics",
    # contract
    "WeakDetector": "adlab.models.base",
    "available_detectors": "adlab.models.registry",
    "make_detector": "adlab.models.registry",
    # config
    "is_fast": "adlab.config",
    "resolve_device": "adlab.config",
}
_DETECTORS = ("MNPWAD", "RoSAS", "MMNet", "SyntheticAnomalyClassifier", "DevNet", "DeepSAD", "PReNet",
              "FeaWAD", "IsolationForest")

__all__ = sorted([*_LAZY, *_DETECTORS])


_SUBMODULES = ("config", "data", "components", "models", "evaluation", "labs", "plotting", "notebooks")


def __getattr__(name: str):
    if name in _SUBMODULES:
        return importlib.import_module(f"adlab.{name}")
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    if name in _DETECTORS:
        from .models.registry import get_detector_class

        try:
            return get_detector_class(name)
        except ValueError as exc:
            raise AttributeError(str(exc)) from exc
    raise AttributeError(f"module 'adlab' has no attribute {name!r}")


def __dir__():
    return __all__
