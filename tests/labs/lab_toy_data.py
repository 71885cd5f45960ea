"""The small weakly-labeled table the lab tests fit on: uniform rows, 12 labeled anomalies shifted by ``shift``."""
import numpy as np


def toy_weak_data(seed=0, n=300, d=6, shift=1.0):
    """(X (n, d) float32, y (n,) int) with rows 0–11 labeled anomalies displaced by ``shift`` in every feature."""
    rng = np.random.default_rng(seed)
    X = rng.random((n, d)).astype(np.float32)
    y = np.zeros(n, int)
    y[:12] = 1
    X[:12] += shift
    return X, y
