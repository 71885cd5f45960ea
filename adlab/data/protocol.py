"""Weakly-supervised splits: a few labeled anomalies, an unlabeled (contaminated) set, validation and test.

:func:`weak_split` turns a fully labelled data set ``(X, y)`` (y: 1 anomaly, 0 normal) into what a
weakly-supervised detector sees — ``X_train`` with weak labels ``y_train`` (1 = labeled anomaly,
0 = unlabeled, which may hide anomalies) — plus held-out parts with their true labels. Three papers,
three protocols (see ``docs/references/``):

============  ========================  ==========================  ============================
protocol      split train/val/test      labeled anomalies           unlabeled set
============  ========================  ==========================  ============================
``mnpwad``    60 / 5 / 35, stratified   ceil(1 % × train anomalies)  natural: every other train
                                        (capped at their number)     anomaly stays unlabeled
``rosas``     60 / 20 / 20, stratified  30                          adjusted to 2 % anomalies
``mmnet``     80 / – / 20, stratified   30                          all train normals + anomalies
                                                                    making up 2 % of it
============  ========================  ==========================  ============================

``protocol="mnpwad-reference"`` is the MNPWAD authors' code's own split, re-implemented exactly
(:func:`mnpwad_reference_split`): constant features dropped on the full data, normals and anomalies each
split 60/40 and the 40 % split 35/5 into test/validation with ``train_test_split(random_state=...)``,
train = normals then anomalies, MinMax fit on train, and the *first* ``ceil(1 %)`` training anomalies in
that order labeled. ``random_state=2024`` is the authors' fixed split; other integers vary it. It serves
the side-by-side comparison with the authors' code (``benchmarks/parity_mnpwad.py``).

``protocol="custom"`` starts from an 80/20 split with natural contamination and needs ``n_labeled`` or
``labeled_ratio``. Every setting of a preset can be overridden (``split=``, ``n_labeled=``,
``labeled_ratio=``, ``contamination=``), which is how the sweeps in the course are built.

Contamination control (RoSAS §5.1 / MMNet §IV-A-3): the target is
``round(n_train_normals · c / (1 − c))`` unlabeled anomalies, so they make up ``c`` of the unlabeled set.
Surplus unlabeled anomalies are *removed* (dropped from the training data); a shortfall is filled by
*injection* (``shortfall="inject"``, the default): a copy of a random real training anomaly with
``max(1, round(0.05 · d))`` of its features replaced by those of another real training anomaly. (The RoSAS
reference code uses ``int(0.05 · d)``, which is 0 for d < 20 and so injects exact duplicates; adlab replaces
at least one feature.) Injected rows are unlabeled (``y_train = 0``), truly anomalous
(``y_train_true = 1``) and have no original index (``idx_train = -1``). Donors for injection are the
unlabeled training anomalies, or all training anomalies (labeled included) when fewer than two are
unlabeled, as in the reference code; they never come from validation or test rows.
``shortfall="error"`` raises instead, ``shortfall="cap"`` keeps what exists (and records it).

Unseen anomalies: ``unseen`` gives a group id per row (anomaly type or class) and ``train_groups`` the
groups the learner may see. Anomalies of other groups are removed from the training part (unlabeled and
labeled) and from validation (it is training-time knowledge); the test part keeps every group (or, with
``test_groups="unseen"``, only the unseen ones, as in MMNet §IV-E). ``WeakSplit.groups_test`` holds the
group of each test row so results can be broken down.

Differences from the reference codes, all deliberate: the split, the labeled anomalies and the injections
depend on ``random_state`` (the references fix the split seed and take the *first* training anomalies as
labeled); the scaler is fit on the final training rows only; nothing is clipped.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Sequence

import numpy as np
from sklearn.preprocessing import MinMaxScaler

__all__ = ["PROTOCOLS", "WeakSplit", "weak_split", "mnpwad_reference_split", "stratified_indices",
           "inject_feature_swap", "contamination_target"]

#: Preset settings of each protocol: (train, val, test) fractions, labeled count or ratio, contamination.
PROTOCOLS: dict[str, dict[str, Any]] = {
    "mnpwad": {"split": (0.60, 0.05, 0.35), "n_labeled": None, "labeled_ratio": 0.01, "contamination": "natural"},
    "rosas": {"split": (0.60, 0.20, 0.20), "n_labeled": 30, "labeled_ratio": None, "contamination": 0.02},
    "mmnet": {"split": (0.80, 0.00, 0.20), "n_labeled": 30, "labeled_ratio": None, "contamination": 0.02},
    "custom": {"split": (0.80, 0.00, 0.20), "n_labeled": None, "labeled_ratio": None, "contamination": "natural"},
    # the MNPWAD authors' split (mnpwad_reference_split): per-class train_test_split, first anomalies labeled
    "mnpwad-reference": {"split": (0.60, 0.05, 0.35), "n_labeled": None, "labeled_ratio": 0.01,
                         "contamination": "natural"},
}


@dataclass
class WeakSplit:
    """The result of :func:`weak_split`. Shapes: ``X_*`` (n_part, d) float64, labels (n_part,) int64.

    ``y_train`` holds the *weak* labels (1 labeled anomaly, 0 unlabeled); ``y_train_true`` the ground truth
    of the same rows (injected rows are anomalies). ``X_val``/``y_val`` are ``None`` when the protocol has no
    validation part. ``idx_*`` are the rows' indices in the original ``X`` (``-1`` for injected rows), so no
    index appears in two parts. ``scaler`` is the ``MinMaxScaler`` fit on ``X_train`` (``None`` when
    ``scale=False``). ``record`` says what was done (counts, contamination, injected/removed rows, seed).
    """

    X_train: np.ndarray
    y_train: np.ndarray
    y_train_true: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray
    X_val: np.ndarray | None = None
    y_val: np.ndarray | None = None
    idx_train: np.ndarray = field(default_factory=lambda: np.empty(0, np.int64))
    idx_val: np.ndarray | None = None
    idx_test: np.ndarray = field(default_factory=lambda: np.empty(0, np.int64))
    groups_train: np.ndarray | None = None
    groups_val: np.ndarray | None = None
    groups_test: np.ndarray | None = None
    scaler: MinMaxScaler | None = None
    record: dict = field(default_factory=dict)

    @property
    def labeled_mask(self) -> np.ndarray:
        """(n_train,) bool — the labeled anomalies."""
        return self.y_train == 1

    def counts(self):
        """A ``pandas.DataFrame`` with one row per part and columns ``normal``, ``unlabeled anomaly``
        (hidden contamination, train only), ``labeled anomaly`` (train) and ``anomaly`` (val/test)."""
        import pandas as pd

        rows = {"train": {"normal": int((self.y_train_true == 0).sum()),
                          "unlabeled anomaly": int(((self.y_train_true == 1) & (self.y_train == 0)).sum()),
                          "labeled anomaly": int((self.y_train == 1).sum()), "anomaly": 0}}
        for part, yy in (("val", self.y_val), ("test", self.y_test)):
            if yy is not None:
                rows[part] = {"normal": int((yy == 0).sum()), "unlabeled anomaly": 0, "labeled anomaly": 0,
                              "anomaly": int((yy == 1).sum())}
        return pd.DataFrame.from_dict(rows, orient="index")


# ---------------------------------------------------------------------------------------------
# building blocks
# ---------------------------------------------------------------------------------------------

def _rng(random_state) -> np.random.Generator:
    if isinstance(random_state, np.random.Generator):
        return random_state
    return np.random.default_rng(random_state)


def _ceil(x: float) -> int:
    return int(math.ceil(x - 1e-9))  # 0.4 * 6714 = 2685.6000000000004 must not round up twice


def stratified_indices(strata: np.ndarray, fractions: Sequence[float], rng: np.random.Generator):
    """Split row indices into train/val/test with the same share of every stratum in each part.

    Per stratum of size m (as ``train_test_split(test_size=...)`` applied per class, the MNPWAD reference):
    ``n_rest = ceil((1 − f_train)·m)``, ``n_val = ceil(f_val / (f_val + f_test) · n_rest)``, the rest is test.
    Pendigits with (0.6, 0.05, 0.35) gives the reference's 4028/93, 336/8, 2350/55 normal/anomaly counts.

    Returns three int64 index arrays (train, val, test), each shuffled.
    """
    f_train, f_val, f_test = fractions
    parts: list[list[np.ndarray]] = [[], [], []]
    for s in np.unique(strata):
        idx = rng.permutation(np.flatnonzero(strata == s))
        n_rest = _ceil((1.0 - f_train) * len(idx))
        n_val = _ceil(f_val / (f_val + f_test) * n_rest) if f_val > 0 else 0
        n_train = len(idx) - n_rest
        parts[0].append(idx[:n_train])
        parts[1].append(idx[n_train:n_train + n_val])
        parts[2].append(idx[n_train + n_val:])
    return tuple(rng.permutation(np.concatenate(p)).astype(np.int64) for p in parts)


def contamination_target(n_normal: int, contamination: float) -> int:
    """Unlabeled anomalies needed so they make up ``contamination`` of the unlabeled set:
    ``round(n_normal · c / (1 − c))``."""
    return int(round(n_normal * contamination / (1.0 - contamination)))


def inject_feature_swap(donors: np.ndarray, n: int, rng: np.random.Generator, *,
                        swap_fraction: float = 0.05, min_swapped: int = 1) -> np.ndarray:
    """RoSAS/DevNet contamination: ``n`` copies of random ``donors`` rows (m, d), each with
    ``max(min_swapped, round(swap_fraction · d))`` random features replaced by those of another random donor.

    Vectorised (no per-row loop). With a single donor the result is that donor repeated.
    Returns (n, d).
    """
    m, d = donors.shape
    if m == 0:
        raise ValueError("no anomalies to inject from (the training part holds no anomaly)")
    k = min(d, max(int(min_swapped), int(round(swap_fraction * d))))
    a = rng.integers(0, m, size=n)
    if m > 1:  # a different partner for every row
        b = (a + rng.integers(1, m, size=n)) % m
    else:
        b = a
    out = donors[a].copy()
    cols = np.argsort(rng.random((n, d)), axis=1)[:, :k]  # k distinct features per row
    rows = np.repeat(np.arange(n), k)
    out[rows, cols.ravel()] = donors[b][rows, cols.ravel()]
    return out


def _check_inputs(X, y, unseen):
    X = np.asarray(X, dtype=np.float64)
    if X.ndim != 2:
        raise ValueError(f"X must be a 2-D array (n_samples, n_features), got shape {X.shape}")
    if not np.isfinite(X).all():
        raise ValueError("X contains NaN or inf; clean or impute it before splitting")
    y_arr = np.asarray(y).reshape(-1)
    if len(y_arr) != len(X):
        raise ValueError(f"X has {len(X)} rows but y has {len(y_arr)} labels")
    if y_arr.dtype == bool:
        y_arr = y_arr.astype(np.int64)
    try:
        ok = np.isin(y_arr.astype(np.float64), (0.0, 1.0)).all()
    except (TypeError, ValueError):
        ok = False
    if not ok:
        raise ValueError("y must be the ground truth with 0 (normal) and 1 (anomaly) only; "
                         f"found values {np.unique(y_arr)[:10].tolist()}")
    y_arr = y_arr.astype(np.int64)
    if (y_arr == 1).sum() == 0 or (y_arr == 0).sum() == 0:
        raise ValueError("y must contain both normals (0) and anomalies (1)")
    groups = None
    if unseen is not None:
        groups = np.asarray(unseen).reshape(-1)
        if len(groups) != len(X):
            raise ValueError(f"unseen must give one group id per row: {len(groups)} ids for {len(X)} rows")
    return X, y_arr, groups


def _resolve_settings(protocol, split, n_labeled, labeled_ratio, contamination):
    if protocol not in PROTOCOLS:
        raise ValueError(f"protocol must be one of {sorted(PROTOCOLS)}, got {protocol!r}")
    preset = PROTOCOLS[protocol]
    if n_labeled is not None and labeled_ratio is not None:
        raise ValueError("give n_labeled or labeled_ratio, not both")
    if n_labeled is None and labeled_ratio is None:
        n_labeled, labeled_ratio = preset["n_labeled"], preset["labeled_ratio"]
        if n_labeled is None and labeled_ratio is None:
            raise ValueError(f"protocol={protocol!r} needs n_labeled= or labeled_ratio=")
    if n_labeled is not None and (isinstance(n_labeled, bool) or not isinstance(n_labeled, (int, np.integer))
                                  or n_labeled < 0):
        raise ValueError(f"n_labeled must be an integer >= 0, got {n_labeled!r}")
    if labeled_ratio is not None and not 0.0 <= float(labeled_ratio) <= 1.0:
        raise ValueError(f"labeled_ratio must lie in [0, 1] (share of training anomalies), got {labeled_ratio!r}")
    split = preset["split"] if split is None else tuple(float(f) for f in split)
    if len(split) == 2:
        split = (split[0], 0.0, split[1])
    if len(split) != 3 or any(f < 0 for f in split) or abs(sum(split) - 1.0) > 1e-6 \
            or split[0] <= 0 or split[2] <= 0:
        raise ValueError("split must be (train, val, test) or (train, test) fractions >= 0 summing to 1, "
                         f"with train and test > 0; got {split}")
    contamination = preset["contamination"] if contamination is None else contamination
    if contamination != "natural":
        if isinstance(contamination, str) or not 0.0 <= float(contamination) < 1.0:
            raise ValueError(f"contamination must be 'natural' or a number in [0, 1), got {contamination!r}")
        contamination = float(contamination)
    return split, (None if n_labeled is None else int(n_labeled)), labeled_ratio, contamination


# ---------------------------------------------------------------------------------------------
# the protocol
# ---------------------------------------------------------------------------------------------

def weak_split(X, y, protocol: str = "mnpwad", random_state=0, *, n_labeled: int | None = None,
               labeled_ratio: float | None = None, contamination: float | str | None = None,
               split: Sequence[float] | None = None, scale: bool = True, unseen=None,
               train_groups: Sequence | None = None, test_groups: str = "all", shortfall: str = "inject",
               swap_fraction: float = 0.05, min_test_anomalies: int = 1) -> WeakSplit:
    """Split a labelled data set into a weakly-supervised training set, validation and test parts.

    Parameters
    ----------
    X : (n, d) features. y : (n,) ground truth, 1 = anomaly, 0 = normal.
    protocol : ``"mnpwad" | "rosas" | "mmnet" | "custom" | "mnpwad-reference"`` — the preset (table in the
        module docstring; ``"mnpwad-reference"`` is :func:`mnpwad_reference_split`, which needs an int seed).
    random_state : seed for the split, the labeled anomalies and injection (int, None or Generator).
    n_labeled / labeled_ratio : labeled anomalies as a count, or as the share of *training anomalies*
        (``min(ceil(ratio · n), n)``, MNPWAD). Chosen at random among the training anomalies.
    contamination : ``"natural"`` (every other training anomaly stays unlabeled) or the share ``c`` in [0, 1)
        of anomalies in the unlabeled set (0 = clean unlabeled set).
    split : (train, val, test) or (train, test) fractions; stratified by label (and group with ``unseen``).
    scale : min-max scale, fit on ``X_train`` only, applied to every part (values may leave [0, 1]).
    unseen, train_groups, test_groups : unseen-anomaly split (module docstring).
    shortfall : ``"inject" | "error" | "cap"`` — what to do when too few real anomalies remain for the
        contamination target.
    swap_fraction : share of features replaced in an injected anomaly (at least one).
    min_test_anomalies : the test part must hold at least this many anomalies and one normal.

    Returns
    -------
    WeakSplit

    Raises ``ValueError`` on bad labels or options, too few training anomalies for ``n_labeled``, a data set
    too small for the split, or a contamination shortfall with ``shortfall="error"``.
    """
    if protocol == "mnpwad-reference":
        if unseen is not None or train_groups is not None or contamination not in (None, "natural") \
                or not scale:
            raise ValueError("protocol='mnpwad-reference' is the authors' fixed recipe: it takes no unseen/"
                             "train_groups, contamination or scale=False (use protocol='mnpwad' to vary them)")
        return mnpwad_reference_split(X, y, random_state=random_state, labeled_ratio=labeled_ratio,
                                      n_labeled=n_labeled, split=split)
    X, y, groups = _check_inputs(X, y, unseen)
    split, n_lab, lab_ratio, contamination = _resolve_settings(protocol, split, n_labeled, labeled_ratio,
                                                              contamination)
    if shortfall not in ("inject", "error", "cap"):
        raise ValueError(f"shortfall must be 'inject', 'error' or 'cap', got {shortfall!r}")
    if test_groups not in ("all", "unseen"):
        raise ValueError(f"test_groups must be 'all' or 'unseen', got {test_groups!r}")
    if (groups is None) != (train_groups is None):
        raise ValueError("unseen (a group per row) and train_groups go together")
    rng = _rng(random_state)
    n, d = X.shape

    # 1. which anomalies are "seen" (allowed in training)?
    seen = np.ones(n, bool)
    if groups is not None:
        train_groups = list(train_groups)
        anomaly_groups = set(groups[y == 1].tolist())
        unknown = [g for g in train_groups if g not in anomaly_groups]
        if not train_groups or unknown:
            raise ValueError(f"train_groups {train_groups} must name anomaly groups present in unseen; "
                             f"anomaly groups: {sorted(map(str, anomaly_groups))}")
        seen = (y == 0) | np.isin(groups, train_groups)
        if seen.all():
            raise ValueError("every anomaly group is in train_groups: nothing is unseen")

    # 2. stratified split (by label, and by group for anomalies when groups are given)
    if groups is None:
        strata = y
    else:
        _, codes = np.unique(groups.astype(str), return_inverse=True)
        strata = np.where(y == 1, codes + 1, 0)
    idx_tr, idx_va, idx_te = stratified_indices(strata, split, rng)
    if split[1] > 0 and len(idx_va) == 0:
        raise ValueError(f"data set too small for the split {split}: the validation part is empty")

    # 3. unseen anomalies leave training and validation; optionally seen ones leave test
    n_removed_unseen = int((~seen[idx_tr]).sum())
    idx_tr = idx_tr[seen[idx_tr]]
    n_removed_unseen_val = int((~seen[idx_va]).sum())
    idx_va = idx_va[seen[idx_va]]
    n_removed_seen_test = 0
    if groups is not None and test_groups == "unseen":
        keep = (y[idx_te] == 0) | ~seen[idx_te]
        n_removed_seen_test = int((~keep).sum())
        idx_te = idx_te[keep]

    if (y[idx_te] == 1).sum() < min_test_anomalies or (y[idx_te] == 0).sum() < 1:
        raise ValueError(f"data set too small for the split {split}: the test part has "
                         f"{(y[idx_te] == 1).sum()} anomalies and {(y[idx_te] == 0).sum()} normals "
                         f"(needs >= {min_test_anomalies} and >= 1)")

    # 4. labeled anomalies, chosen at random among the (seen) training anomalies
    train_anom = idx_tr[y[idx_tr] == 1]
    train_norm = idx_tr[y[idx_tr] == 0]
    n_train_anom = len(train_anom)
    if lab_ratio is not None:
        n_lab = min(_ceil(float(lab_ratio) * n_train_anom), n_train_anom)
    if n_lab > n_train_anom:
        raise ValueError(f"n_labeled={n_lab} but the training part holds only {n_train_anom} anomalies "
                         f"(data set has {int(y.sum())}); lower n_labeled or use labeled_ratio")
    if len(train_norm) < 1:
        raise ValueError("data set too small for the split: the training part has no normal row")
    perm = rng.permutation(train_anom)
    labeled, unlabeled_anom = np.sort(perm[:n_lab]), perm[n_lab:]

    # 5. contamination of the unlabeled set
    n_removed, n_injected, injected = 0, 0, np.empty((0, d))
    if contamination == "natural":
        target = len(unlabeled_anom)
    else:
        target = contamination_target(len(train_norm), contamination)
        if len(unlabeled_anom) >= target:
            n_removed = len(unlabeled_anom) - target
            unlabeled_anom = unlabeled_anom[:target]  # already in random order
        else:
            missing = target - len(unlabeled_anom)
            if shortfall == "error":
                raise ValueError(f"contamination={contamination} needs {target} unlabeled anomalies but only "
                                 f"{len(unlabeled_anom)} training anomalies are left after labeling {n_lab}; "
                                 "use shortfall='inject' or 'cap', or lower contamination/n_labeled")
            if shortfall == "inject":
                donors = unlabeled_anom if len(unlabeled_anom) > 2 else train_anom
                if len(donors) == 0:
                    raise ValueError("contamination > 0 needs at least one training anomaly to inject from")
                injected = inject_feature_swap(X[donors], missing, rng, swap_fraction=swap_fraction)
                n_injected = missing

    # 6. assemble the training set (rows shuffled so order carries no label information)
    parts_idx = np.concatenate([train_norm, unlabeled_anom, labeled]).astype(np.int64)
    X_train = np.concatenate([X[parts_idx], injected])
    y_weak = np.concatenate([np.zeros(len(train_norm) + len(unlabeled_anom), np.int64),
                             np.ones(len(labeled), np.int64), np.zeros(n_injected, np.int64)])
    y_true = np.concatenate([y[parts_idx], np.ones(n_injected, np.int64)])
    idx_train = np.concatenate([parts_idx, np.full(n_injected, -1, np.int64)])
    order = rng.permutation(len(y_weak))
    X_train, y_weak, y_true, idx_train = X_train[order], y_weak[order], y_true[order], idx_train[order]
    if (y_weak == 0).sum() < 2:
        raise ValueError("data set too small for the split: fewer than two unlabeled training rows")

    has_val = split[1] > 0
    X_val = X[idx_va] if has_val else None
    X_test = X[idx_te]
    scaler = None
    if scale:
        scaler = MinMaxScaler().fit(X_train)
        X_train = scaler.transform(X_train)
        X_test = scaler.transform(X_test)
        X_val = scaler.transform(X_val) if has_val and len(idx_va) else X_val

    def grp(idx):
        if groups is None:
            return None
        return np.where(idx >= 0, groups[np.maximum(idx, 0)], "injected")

    n_unl = int((y_weak == 0).sum())
    n_unl_anom = int(((y_weak == 0) & (y_true == 1)).sum())
    record = {
        "protocol": protocol,
        "random_state": random_state if not isinstance(random_state, np.random.Generator) else "Generator",
        "split": tuple(split),
        "n_samples": n, "n_features": d,
        "n_train": len(y_weak), "n_val": int(len(idx_va)) if has_val else 0, "n_test": len(idx_te),
        "n_train_normal": len(train_norm),
        "n_train_anomalies_available": n_train_anom,
        "n_labeled": int(len(labeled)),
        "labeled_ratio": lab_ratio,
        "n_unlabeled": n_unl,
        "n_unlabeled_anomalies": n_unl_anom,
        "contamination_target": contamination,
        "contamination_achieved": n_unl_anom / n_unl,
        "n_removed": n_removed,
        "n_injected": n_injected,
        "n_swapped_features": min(d, max(1, int(round(swap_fraction * d)))) if n_injected else 0,
        "shortfall": shortfall,
        "n_val_anomalies": int((y[idx_va] == 1).sum()) if has_val else 0,
        "n_test_anomalies": int((y[idx_te] == 1).sum()),
        "train_groups": None if groups is None else list(train_groups),
        "n_removed_unseen_train": n_removed_unseen,
        "n_removed_unseen_val": n_removed_unseen_val,
        "n_removed_seen_test": n_removed_seen_test,
        "scaled": bool(scale),
    }
    return WeakSplit(
        X_train=X_train, y_train=y_weak, y_train_true=y_true, X_test=X_test, y_test=y[idx_te].copy(),
        X_val=X_val, y_val=y[idx_va].copy() if has_val else None,
        idx_train=idx_train, idx_val=idx_va if has_val else None, idx_test=idx_te,
        groups_train=grp(idx_train), groups_val=grp(idx_va) if has_val else None, groups_test=grp(idx_te),
        scaler=scaler, record=record)


def mnpwad_reference_split(X, y, random_state: int = 2024, *, labeled_ratio: float | None = None,
                           n_labeled: int | None = None, split: Sequence[float] | None = None) -> WeakSplit:
    """The MNPWAD authors' split (``utils.split_train_test_val`` + ``semi_setting_ratio`` in
    Dongzhijin/MNPWAD at a999d3d, re-implemented; notes §1.1), with its hard-coded ``random_state=2024``
    made a parameter.

    1. Features with ``std == 0`` on the *full* data are dropped (``record["dropped_features"]``).
    2. Normals and anomalies are split separately: ``train_test_split(test_size=0.35 + 0.05)``, then the
       rest into test/validation with ``test_size=0.05 / (0.35 + 0.05)``, all with ``random_state``.
    3. Train = train normals then train anomalies (in that order); test and validation likewise.
    4. ``MinMaxScaler`` fit on the whole training part (its unlabeled anomalies included).
    5. The *first* ``min(ceil(labeled_ratio · n_train_anomalies), n)`` training anomalies in that order are
       labeled (``n_labeled`` gives the count directly); the others stay unlabeled.

    Counts with ``random_state=2024``: Pendigits train 4028/93, val 336/8, test 2350/55, 1 labeled;
    MAGIC Gamma 7399/4012, 617/335, 4316/2341, 41 labeled. ``split`` = (train, val, test) fractions
    (default 0.60/0.05/0.35). Rows are *not* shuffled (the reference's order is part of the recipe).
    Returns a :class:`WeakSplit` whose ``X_*`` have the constant features removed.
    """
    from sklearn.model_selection import train_test_split

    X, y, _ = _check_inputs(X, y, None)
    if isinstance(random_state, (bool, np.random.Generator)) or not isinstance(random_state, (int, np.integer)):
        raise ValueError(f"protocol='mnpwad-reference' needs an integer random_state (2024 = the authors' "
                         f"split), got {random_state!r}")
    random_state = int(random_state)
    if n_labeled is not None and labeled_ratio is not None:
        raise ValueError("give n_labeled or labeled_ratio, not both")
    if labeled_ratio is None and n_labeled is None:
        labeled_ratio = 0.01
    if labeled_ratio is not None and not 0.0 <= float(labeled_ratio) <= 1.0:
        raise ValueError(f"labeled_ratio must lie in [0, 1] (share of training anomalies), got {labeled_ratio!r}")
    if n_labeled is not None and (isinstance(n_labeled, bool) or not isinstance(n_labeled, (int, np.integer))
                                  or n_labeled < 0):
        raise ValueError(f"n_labeled must be an integer >= 0, got {n_labeled!r}")
    f_train, f_val, f_test = (0.60, 0.05, 0.35) if split is None else tuple(float(f) for f in split)
    if min(f_train, f_val, f_test) <= 0 or abs(f_train + f_val + f_test - 1.0) > 1e-6:
        raise ValueError(f"split must be (train, val, test) fractions > 0 summing to 1, got {split}")
    n, d = X.shape
    keep = np.flatnonzero(np.std(X, axis=0) != 0)
    dropped = [int(j) for j in np.setdiff1d(np.arange(d), keep)]
    Xk = X[:, keep]
    held_out = f_test + f_val            # the reference's test_ratio + val_ratio (0.35 + 0.05 in float)
    parts = {"train": [], "test": [], "val": []}
    for cls in (0, 1):                   # normals first, then anomalies
        idx = np.flatnonzero(y == cls)
        if len(idx) < 3:
            raise ValueError(f"protocol='mnpwad-reference' needs >= 3 rows of class {cls}, got {len(idx)}")
        tr, rest = train_test_split(idx, test_size=held_out, random_state=random_state)
        te, va = train_test_split(rest, test_size=f_val / held_out, random_state=random_state)
        parts["train"].append(tr)
        parts["test"].append(te)
        parts["val"].append(va)
    idx_tr, idx_te, idx_va = (np.concatenate(parts[k]).astype(np.int64) for k in ("train", "test", "val"))
    n_train_anom = len(parts["train"][1])
    n_lab = int(n_labeled) if n_labeled is not None else min(_ceil(float(labeled_ratio) * n_train_anom),
                                                               n_train_anom)
    if n_lab > n_train_anom:
        raise ValueError(f"n_labeled={n_lab} but the training part holds only {n_train_anom} anomalies")
    y_true = y[idx_tr].copy()
    y_weak = np.zeros(len(idx_tr), np.int64)
    first = len(parts["train"][0])
    y_weak[first:first + n_lab] = 1     # the first n_lab training anomalies, in the reference's order
    scaler = MinMaxScaler().fit(Xk[idx_tr])
    X_train, X_test, X_val = (scaler.transform(Xk[i]) for i in (idx_tr, idx_te, idx_va))
    n_unl = int((y_weak == 0).sum())
    n_unl_anom = int(((y_weak == 0) & (y_true == 1)).sum())
    record = {
        "protocol": "mnpwad-reference", "random_state": random_state, "split": (f_train, f_val, f_test),
        "n_samples": n, "n_features": int(len(keep)), "dropped_features": dropped,
        "n_train": len(idx_tr), "n_val": len(idx_va), "n_test": len(idx_te),
        "n_train_normal": first, "n_train_anomalies_available": n_train_anom,
        "n_labeled": n_lab, "labeled_ratio": labeled_ratio, "n_unlabeled": n_unl,
        "n_unlabeled_anomalies": n_unl_anom, "contamination_target": "natural",
        "contamination_achieved": n_unl_anom / n_unl, "n_removed": 0, "n_injected": 0,
        "n_swapped_features": 0, "shortfall": "cap",
        "n_val_anomalies": int(y[idx_va].sum()), "n_test_anomalies": int(y[idx_te].sum()),
        "train_groups": None, "n_removed_unseen_train": 0, "n_removed_unseen_val": 0,
        "n_removed_seen_test": 0, "scaled": True,
    }
    return WeakSplit(X_train=X_train, y_train=y_weak, y_train_true=y_true, X_test=X_test,
                     y_test=y[idx_te].copy(), X_val=X_val, y_val=y[idx_va].copy(), idx_train=idx_tr,
                     idx_val=idx_va, idx_test=idx_te, scaler=scaler, record=record)
