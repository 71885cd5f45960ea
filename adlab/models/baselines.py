"""Baselines on the adlab contract.

* :class:`IsolationForest` — unsupervised (Liu et al. 2008), a scikit-learn wrapper; labels are ignored.
"""
from __future__ import annotations

import numpy as np
from sklearn.ensemble import IsolationForest as _SkIsolationForest

from .base import WeakDetector

__all__ = ["IsolationForest"]


class IsolationForest(WeakDetector):
    """Isolation Forest (scikit-learn) on the adlab contract; ``y`` is accepted and ignored.

    ``save``/``load`` store the training matrix and refit with the same ``random_state``, which
    reproduces the forest exactly (scikit-learn's trees are deterministic given the seed).
    """

    requires_labeled_anomalies = False
    _fitted_state = ("train_X_",)

    def __init__(self, n_estimators: int = 100, max_samples="auto", contamination: float = 0.1,
                 random_state: int | None = None, device: str = "auto", verbose: int = 0):
        self.n_estimators = n_estimators
        self.max_samples = max_samples
        self.contamination = contamination
        self.random_state = random_state
        self.device = device
        self.verbose = verbose

    def _make_forest(self) -> _SkIsolationForest:
        return _SkIsolationForest(n_estimators=self.n_estimators, max_samples=self.max_samples,
                                  random_state=self.random_state)

    def _fit(self, X, y, X_val, y_val) -> None:
        self.train_X_ = X
        self.forest_ = self._make_forest().fit(X)

    def _after_load(self) -> None:
        self.forest_ = self._make_forest().fit(self.train_X_)

    def _score_numpy(self, X: np.ndarray) -> np.ndarray:
        return (-self.forest_.score_samples(X)).astype(np.float64)
