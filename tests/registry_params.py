"""Tiny, fast hyper-parameters for every registered detector (1 epoch, a few steps), so tables of
tests can run over ``adlab.models.registry.DETECTORS`` and a newly registered detector inherits
them. A detector missing here gets ``epochs=1`` when it has that parameter."""
import numpy as np

from adlab.models.registry import DETECTORS, get_detector_class

TINY = {
    "MNPWAD": dict(epochs=1, n_batches_per_epoch=2, pretrain_epochs=1, batch_size=32, n_labeled_per_batch=4,
                   n_prototypes=2),
    "RoSAS": dict(epochs=1, n_batches_per_epoch=2, batch_size=16),
    "MMNet": dict(epochs=1, batch_size=32, memory_size=8, memory_dim=8, hidden_dim=16),
    "SyntheticAnomalyClassifier": dict(epochs=1, hidden_dims=(16,), batch_size=64),
    "DevNet": dict(epochs=1, steps_per_epoch=2, batch_size=32, n_reference=100),
    "DeepSAD": dict(epochs=1, pretrain_epochs=1, steps_per_epoch=2, batch_size=32),
    "PReNet": dict(epochs=1, steps_per_epoch=2, batch_size=32),
    "FeaWAD": dict(epochs=1, pretrain_epochs=1, steps_per_epoch=2, batch_size=32, hidden_dims=(16, 8),
                   score_dims=(16, 8), n_reference=100),
    "IsolationForest": dict(n_estimators=10),
}

NAMES = list(DETECTORS)


def tiny(name: str, **extra):
    """A detector of the registered class ``name`` with tiny settings, seed 0, on the CPU."""
    cls = get_detector_class(name)
    params = dict(TINY.get(name, {}))
    if name not in TINY and "epochs" in cls().get_params():
        params["epochs"] = 1
    params.update(extra)
    return cls(random_state=0, device="cpu", **params)


def tiny_data(n: int = 200, d: int = 5, n_labeled: int = 10, seed: int = 0):
    """(X float32 (n, d), weak y with ``n_labeled`` ones, true labels): 10 % shifted anomalies."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d)).astype(np.float32)
    n_anom = n // 10
    X[:n_anom] += 3.0
    y_true = np.zeros(n, np.int64)
    y_true[:n_anom] = 1
    y = np.zeros(n, np.int64)
    y[:n_labeled] = 1
    return X, y, y_true
