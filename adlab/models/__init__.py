"""Detectors on one contract (see :mod:`adlab.models.base`).

Imported lazily (PEP 562): ``import adlab.models.registry`` does not import torch, so a process that only
lists or names detectors (the parent of a parallel ``adlab bench`` run) stays light.
"""
from __future__ import annotations

import importlib

__all__ = ["WeakDetector", "available_detectors", "get_detector_class", "make_detector"]

_LAZY = {"WeakDetector": "adlab.models.base", "available_detectors": "adlab.models.registry",
         "get_detector_class": "adlab.models.registry", "make_detector": "adlab.models.registry"}


def __getattr__(name: str):
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'adlab.models' has no attribute {name!r}")


def __dir__():
    return sorted([*globals(), *_LAZY])
