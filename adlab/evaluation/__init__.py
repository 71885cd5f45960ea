"""Metrics, experiment grids and paper tables.

The metric functions are imported lazily (PEP 562): ``adlab.evaluation.bench`` and ``.grid`` load
without scikit-learn, so the parent of a parallel run starts its workers sooner.
"""
from __future__ import annotations

import importlib

__all__ = ["auc_pr", "auc_pr_trapezoid", "auc_roc", "evaluate", "format_mean_std", "mean_std",
           "paired_wilcoxon"]


def __getattr__(name: str):
    if name in __all__:
        return getattr(importlib.import_module("adlab.evaluation.metrics"), name)
    raise AttributeError(f"module 'adlab.evaluation' has no attribute {name!r}")


def __dir__():
    return sorted([*globals(), *__all__])
