"""Named experiments (the papers' designs), data sets by name, and per-method settings.

An :class:`Experiment` is a list of :class:`Setting` s — each a variation of the protocol (``split``:
keyword arguments of :func:`adlab.data.protocol.weak_split`) and/or of the detectors' hyper-parameters
(``params``: ablation switches) — crossed with methods, data sets and seeds by the grid runner
(:mod:`adlab.evaluation.grid`).

============================  ==========================================================================
``main``                      the main table: every method, default settings (MNPWAD protocol: 1 % of the
                              training anomalies labeled, natural contamination)
``labeled-ratio``             labeled-anomaly ratio 0.5 % … 20 % (MNPWAD Fig. 3)
``contamination``             anomalies in the unlabeled set 0 … 10 % (MMNet Fig. 6; MMNet protocol)
``unseen``                    train on one anomaly type / class, test on the others (MNPWAD Table III,
                              MMNet §IV-E): ADBench-style synthetic types and digit classes
``ablation-mnpwad``           MNPWAD Table IV switches
``ablation-rosas``            RoSAS §5.6 variants
``ablation-mmnet``            MMNet Tables III–IV (masking and scoring strategies)
``prototypes``                MNPWAD's number of prototypes k
============================  ==========================================================================

Data sets: any ADBench name (:func:`adlab.data.adbench.load_adbench`, e.g. ``"pendigits"``) or one of
:data:`SYNTHETIC_DATASETS` (built with a fixed seed, so every run sees the same data; the split seed varies).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np

__all__ = ["Setting", "Experiment", "EXPERIMENTS", "SYNTHETIC_DATASETS", "Dataset", "load_dataset",
           "resolve_datasets", "resolve_methods", "detector_params", "FAST_PARAMS", "local_adbench_datasets",
           "get_experiment"]


# =========================================================================== data sets
@dataclass
class Dataset:
    """A labelled data set: X (n, d) float64, y (n,) 0/1 ground truth, optional group per row."""

    name: str
    X: np.ndarray
    y: np.ndarray
    groups: np.ndarray | None = None


def _blobs():
    from ..data.synthetic import make_multimodal_blobs

    X, y = make_multimodal_blobs(random_state=0)
    return X, y, None


def _rosas_toy():
    from ..data.synthetic import make_rosas_toy

    X, y = make_rosas_toy(random_state=0)
    return X, y, None


def _synthetic_kind(kind: str) -> Callable[[], tuple]:
    def build():
        from ..data.synthetic import make_base_normals, make_synthetic_anomaly_dataset

        normals = make_base_normals(n_samples=2000, n_features=8, random_state=0)
        X, y = make_synthetic_anomaly_dataset(normals, kind=kind, anomaly_ratio=0.05, random_state=0)
        return X, y, None

    return build


def _synthetic_mixed():
    from ..data.synthetic import make_base_normals, make_mixed_anomaly_dataset

    normals = make_base_normals(n_samples=2000, n_features=8, random_state=0)
    return make_mixed_anomaly_dataset(normals, n_per_kind=50, random_state=0)


def _digits_classes():
    """scikit-learn's bundled 8×8 digits: digits 0–5 are normal; 40 rows of each of 6, 7, 8, 9 are
    anomalies, with their class as the group (class-based unseen anomalies)."""
    from sklearn.datasets import load_digits

    X, d = load_digits(return_X_y=True)
    rng = np.random.default_rng(0)
    keep = [np.flatnonzero(d <= 5)]
    for digit in (6, 7, 8, 9):
        keep.append(rng.choice(np.flatnonzero(d == digit), 40, replace=False))
    idx = rng.permutation(np.concatenate(keep))
    y = (d[idx] >= 6).astype(np.int64)
    groups = np.where(y == 1, np.char.add("digit", d[idx].astype(str)), "normal").astype(object)
    return X[idx].astype(np.float64), y, groups


#: synthetic data-set names -> builder returning (X, y, groups or None)
SYNTHETIC_DATASETS: dict[str, Callable[[], tuple]] = {
    "blobs": _blobs,
    "rosas_toy": _rosas_toy,
    "synthetic-local": _synthetic_kind("local"),
    "synthetic-global": _synthetic_kind("global"),
    "synthetic-dependency": _synthetic_kind("dependency"),
    "synthetic-clustered": _synthetic_kind("clustered"),
    "synthetic-mixed": _synthetic_mixed,
    "digits-classes": _digits_classes,
}


def local_adbench_datasets() -> list[str]:
    """ADBench names whose file is in ``ADLAB_DATA_DIR`` or the cache (in ADBench's order)."""
    from ..data.adbench import list_adbench

    table = list_adbench()
    return table.loc[table["available_locally"], "name"].tolist()


def resolve_datasets(names) -> list[str]:
    """Canonical names for synthetic or ADBench data sets; ValueError naming the unknown ones."""
    from ..data.adbench import resolve_name

    out, bad = [], []
    for name in names:
        key = str(name).strip()
        if key.lower() in SYNTHETIC_DATASETS:
            out.append(key.lower())
            continue
        try:
            out.append(resolve_name(key))
        except ValueError:
            bad.append(key)
    if bad:
        raise ValueError(f"unknown data set(s) {', '.join(map(repr, bad))}; use a synthetic name "
                         f"({', '.join(SYNTHETIC_DATASETS)}) or an ADBench name (python -m adlab datasets)")
    return list(dict.fromkeys(out))


def load_dataset(name: str, max_samples: int | None = None) -> Dataset:
    """Load a data set by name (synthetic or ADBench). ``max_samples`` keeps a stratified random subset
    (seed 0) of at most that many rows — for quick runs on big files; it is recorded in the results."""
    (key,) = resolve_datasets([name])
    if key in SYNTHETIC_DATASETS:
        X, y, groups = SYNTHETIC_DATASETS[key]()
    else:
        from ..data.adbench import load_adbench

        X, y = load_adbench(key)
        groups = None
    X = np.asarray(X, dtype=np.float64)
    y = np.asarray(y, dtype=np.int64)
    if max_samples is not None and len(y) > max_samples:
        rng = np.random.default_rng(0)
        keep = []
        for label in (0, 1):
            idx = np.flatnonzero(y == label)
            k = max(1, int(round(max_samples * idx.size / len(y))))
            keep.append(rng.choice(idx, min(k, idx.size), replace=False))
        sel = np.sort(np.concatenate(keep))
        X, y = X[sel], y[sel]
        groups = None if groups is None else groups[sel]
    return Dataset(key, X, y, groups)


# =========================================================================== methods
def resolve_methods(names) -> list[str]:
    """Registry names (case-insensitive) of available detectors; ValueError for unknown/unavailable ones."""
    from ..models.registry import DETECTORS, available_detectors

    available = available_detectors()
    lookup = {n.lower(): n for n in DETECTORS}
    out, bad = [], []
    for name in names:
        canon = lookup.get(str(name).strip().lower())
        if canon is None or canon not in available:
            bad.append(str(name))
        else:
            out.append(canon)
    if bad:
        raise ValueError(f"unknown or unavailable method(s) {', '.join(map(repr, bad))}; "
                         f"available: {', '.join(available)}")
    return list(dict.fromkeys(out))


#: FAST-mode overrides per method (only shrink compute); keys a class lacks are ignored.
FAST_PARAMS: dict[str, dict[str, Any]] = {
    "MNPWAD": {"epochs": 5, "pretrain_epochs": 5},
    "RoSAS": {"epochs": 10},
    "MMNet": {"epochs": 10},
    "SyntheticAnomalyClassifier": {"epochs": 40, "batch_size": 256, "hidden_dims": (128, 128)},
    "DevNet": {"epochs": 10},
    "DeepSAD": {"epochs": 10, "pretrain_epochs": 5, "lr": 1e-3},
    "PReNet": {"epochs": 10},
    "FeaWAD": {"epochs": 5, "pretrain_epochs": 5},
    "IsolationForest": {},
}


def _valid_params(method: str) -> dict[str, Any]:
    from ..models.registry import get_detector_class

    return get_detector_class(method)().get_params()


def detector_params(method: str, overrides: dict[str, Any] | None = None, fast: bool = False,
                    where_supported: dict[str, Any] | None = None) -> dict[str, Any]:
    """Hyper-parameters for ``method``: FAST shrinkage (if ``fast``), then ``where_supported`` (run-wide
    settings such as ``max_steps_per_epoch``, given only to detectors that have the parameter), then the
    setting's ``overrides``.

    Raises ValueError when an override names a parameter the detector does not have (an experiment
    that drifted from the model's API)."""
    valid = _valid_params(method)
    params = {k: v for k, v in FAST_PARAMS.get(method, {"epochs": 10}).items() if k in valid} if fast else {}
    params.update({k: v for k, v in (where_supported or {}).items() if k in valid})
    for key, value in (overrides or {}).items():
        if key not in valid:
            raise ValueError(f"{method} has no hyper-parameter {key!r} (asked for by an experiment setting)")
        params[key] = value
    return params


# =========================================================================== experiments
@dataclass(frozen=True)
class Setting:
    """One variation: a name, ``weak_split`` overrides, detector overrides, optional restrictions.

    ``x`` is the numeric value plotted on sweep axes; ``methods``/``datasets`` restrict where the
    setting applies (e.g. an ablation switch of one method, a group split of one data set)."""

    name: str
    split: dict = field(default_factory=dict)
    params: dict = field(default_factory=dict)
    x: float | None = None
    methods: tuple | None = None
    datasets: tuple | None = None


@dataclass(frozen=True)
class Experiment:
    name: str
    description: str
    settings: tuple
    protocol: str = "mnpwad"
    methods: tuple | None = None          # None: every available detector
    exclude_methods: tuple = ()
    datasets: tuple | None = None         # None: every ADBench file available locally
    fast_datasets: tuple = ("blobs", "rosas_toy", "synthetic-global")
    n_seeds: int = 5
    fast_seeds: int = 2
    x_label: str | None = None
    reference: str | None = None          # default arm for the Wilcoxon tests

    def setting(self, name: str) -> Setting:
        for s in self.settings:
            if s.name == name:
                return s
        raise KeyError(name)


_KINDS = ("local", "global", "dependency", "clustered")
_DIGITS = ("digit6", "digit7", "digit8", "digit9")

EXPERIMENTS: dict[str, Experiment] = {e.name: e for e in [
    Experiment("main", "Main table: every method with its paper defaults (MNPWAD protocol, 1 % labeled).",
               (Setting("default"),), reference="MNPWAD"),
    Experiment("labeled-ratio", "Labeled-anomaly ratio sweep, 0.5 %–20 % of the training anomalies (MNPWAD Fig. 3).",
               tuple(Setting(f"ratio={r:g}", split={"labeled_ratio": r}, x=r)
                     for r in (0.005, 0.01, 0.02, 0.05, 0.1, 0.2)),
               exclude_methods=("IsolationForest",), x_label="labeled anomaly ratio", n_seeds=3,
               fast_seeds=1, fast_datasets=("blobs", "synthetic-global"), reference="MNPWAD"),
    Experiment("contamination", "Anomaly contamination of the unlabeled set, 0–10 % (MMNet Fig. 6, MMNet protocol).",
               tuple(Setting(f"contamination={c:g}", split={"contamination": c}, x=c) for c in (0.0, 0.02, 0.05, 0.1)),
               protocol="mmnet", x_label="contamination", n_seeds=3, fast_seeds=1,
               fast_datasets=("blobs", "synthetic-global"), reference="MMNet"),
    Experiment("unseen", "Unseen anomalies: train on one type/class, test on the unseen ones (MNPWAD Table III, "
                         "MMNet §IV-E).",
               tuple(Setting(f"seen={k}", split={"train_groups": [k], "test_groups": "unseen"},
                             datasets=("synthetic-mixed",)) for k in _KINDS)
               + tuple(Setting(f"seen={k}", split={"train_groups": [k], "test_groups": "unseen"},
                               datasets=("digits-classes",)) for k in _DIGITS),
               datasets=("synthetic-mixed", "digits-classes"), fast_datasets=("synthetic-mixed",),
               n_seeds=3, fast_seeds=1, reference="MNPWAD"),
    Experiment("ablation-mnpwad", "MNPWAD ablations (Table IV).",
               (Setting("full"), Setting("w/o pretraining", params={"pretrain": False}),
                Setting("w/o L_recon", params={"recon_loss": False}), Setting("w/o decoder", params={"decoder": False}),
                Setting("w/o w_i", params={"weights": False}), Setting("w/o MNP", params={"n_prototypes": 1})),
               methods=("MNPWAD",), reference="full", n_seeds=3, fast_seeds=1),
    Experiment("ablation-rosas", "RoSAS ablations (§5.6, Table 4).",
               (Setting("full"), Setting("L->L_dis", params={"loss": "discrete"}),
                Setting("L->L_dev", params={"loss": "deviation"}), Setting("L->L_reg", params={"loss": "regression"}),
                Setting("w/o L'", params={"regularizer": False}), Setting("w/o L_c", params={"consistency": False})),
               protocol="rosas", methods=("RoSAS",), reference="full", n_seeds=3, fast_seeds=1),
    Experiment("ablation-mmnet", "MMNet ablations: masking (Table III) and scoring (Table IV) strategies.",
               (Setting("full"), Setting("hard mask", params={"mask": "hard"}),
                Setting("no mask", params={"mask": "none"}), Setting("score=mse", params={"anomaly_score": "mse"}),
                Setting("score=S_sum", params={"anomaly_score": "sum"}),
                Setting("score=S_KL", params={"anomaly_score": "kl"}),
                # "full" uses the default score (log-odds, MMNet Decision 14); the paper's Eq. 19 is its own arm
                Setting("score=Eq.19", params={"anomaly_score": "full"})),
               protocol="mmnet", methods=("MMNet",), reference="full", n_seeds=3, fast_seeds=1),
    Experiment("prototypes", "MNPWAD: number of normal prototypes k (k=auto selects it).",
               (Setting("k=auto", params={"n_prototypes": None}),)
               + tuple(Setting(f"k={k}", params={"n_prototypes": k}, x=k) for k in (1, 2, 3, 4, 6, 8, 10)),
               methods=("MNPWAD",), reference="k=auto", x_label="number of prototypes k", n_seeds=3,
               fast_seeds=1),
]}


def get_experiment(name: str) -> Experiment:
    if name not in EXPERIMENTS:
        raise ValueError(f"unknown experiment {name!r}; choose from {', '.join(EXPERIMENTS)}")
    return EXPERIMENTS[name]
