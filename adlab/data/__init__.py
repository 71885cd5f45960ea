"""Data: synthetic toy sets and anomaly types, the ADBench registry/loader, and weak-supervision protocols.

    from adlab.data import load_adbench, weak_split, make_multimodal_blobs
    X, y = load_adbench("pendigits")
    s = weak_split(X, y, protocol="mnpwad", random_state=0)   # s.X_train, s.y_train (weak), s.X_test, ...
"""
from .adbench import adbench_entry, list_adbench, load_adbench, load_adbench_or_synthetic
from .protocol import PROTOCOLS, WeakSplit, weak_split
from .synthetic import (ANOMALY_KINDS, fit_normal_gmm, inject_anomalies, make_base_normals,
                        make_mixed_anomaly_dataset, make_multimodal_blobs, make_rosas_toy,
                        make_synthetic_anomaly_dataset)

__all__ = [
    "load_adbench", "load_adbench_or_synthetic", "list_adbench", "adbench_entry",
    "weak_split", "WeakSplit", "PROTOCOLS",
    "make_multimodal_blobs", "make_rosas_toy", "make_base_normals", "fit_normal_gmm", "inject_anomalies",
    "make_synthetic_anomaly_dataset", "make_mixed_anomaly_dataset", "ANOMALY_KINDS",
]
