"""Detectors on one contract (see :mod:`adlab.models.base`)."""
from .base import WeakDetector
from .registry import available_detectors, get_detector_class, make_detector

__all__ = ["WeakDetector", "available_detectors", "get_detector_class", "make_detector"]
