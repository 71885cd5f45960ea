"""Specifications of the weak-supervision protocols (MNPWAD, RoSAS, MMNet, custom)."""
import math

import numpy as np
import pytest

from adlab.data.protocol import PROTOCOLS, contamination_target, inject_feature_swap, weak_split
from adlab.data.synthetic import make_base_normals, make_mixed_anomaly_dataset, make_rosas_toy


@pytest.fixture(scope="module")
def data():
    """4000 rows, 8 % anomalies (enough for 30 labeled + 2 % contamination without injection)."""
    return make_rosas_toy(4000, anomaly_ratio=0.08, random_state=0)


def _parts(s):
    return [s.idx_train[s.idx_train >= 0], s.idx_test] + ([s.idx_val] if s.idx_val is not None else [])


def _check_invariants(s, X, y):
    """Properties every split keeps, whatever the protocol."""
    parts = _parts(s)
    joined = np.concatenate(parts)
    assert len(joined) == len(np.unique(joined)), "a row appears in two parts"
    # rows are the original ones (before scaling) and carry their true labels
    raw_train = s.scaler.inverse_transform(s.X_train) if s.scaler is not None else s.X_train
    real = s.idx_train >= 0
    np.testing.assert_allclose(raw_train[real], X[s.idx_train[real]], atol=1e-9)
    np.testing.assert_array_equal(s.y_train_true[real], y[s.idx_train[real]])
    np.testing.assert_array_equal(s.y_test, y[s.idx_test])
    assert (s.y_train_true[~real] == 1).all() and (s.y_train[~real] == 0).all()  # injected: hidden anomalies
    # labeled anomalies are true anomalies; weak labels are 0/1
    assert set(np.unique(s.y_train)) <= {0, 1}
    assert (s.y_train_true[s.y_train == 1] == 1).all()
    assert s.record["n_labeled"] == int(s.y_train.sum())
    unl = s.y_train == 0
    assert s.record["contamination_achieved"] == pytest.approx(s.y_train_true[unl].mean())


@pytest.mark.parametrize("protocol", ["mnpwad", "rosas", "mmnet"])
def test_every_protocol_keeps_parts_disjoint_and_labels_true(data, protocol):
    X, y = data
    s = weak_split(X, y, protocol, random_state=0)
    _check_invariants(s, X, y)
    assert s.record["protocol"] == protocol and s.record["random_state"] == 0


@pytest.mark.parametrize("protocol", ["mnpwad", "rosas", "mmnet"])
def test_splits_have_the_protocol_fractions_and_are_stratified(data, protocol):
    X, y = data
    s = weak_split(X, y, protocol, random_state=1)
    f_train, f_val, f_test = PROTOCOLS[protocol]["split"]
    n_norm, n_anom = int((y == 0).sum()), int(y.sum())
    assert abs((s.y_test == 0).sum() - f_test * n_norm) <= 1
    assert abs(s.y_test.sum() - f_test * n_anom) <= 1
    assert s.record["n_train_normal"] == n_norm - math.ceil((1 - f_train) * n_norm)
    if f_val:
        assert abs((s.y_val == 0).sum() - f_val * n_norm) <= 1 and abs(s.y_val.sum() - f_val * n_anom) <= 1
    else:
        assert s.X_val is None and s.y_val is None and s.idx_val is None


def test_mnpwad_labels_one_percent_of_training_anomalies_and_keeps_the_rest(data):
    X, y = data
    s = weak_split(X, y, "mnpwad", random_state=0)
    n_train_anom = s.record["n_train_anomalies_available"]
    assert s.record["n_labeled"] == math.ceil(0.01 * n_train_anom)
    assert s.record["n_unlabeled_anomalies"] == n_train_anom - s.record["n_labeled"]
    assert s.record["n_injected"] == 0 and s.record["n_removed"] == 0


def test_mnpwad_on_pendigits_reproduces_the_reference_counts(adbench_dir):
    from adlab.data.adbench import load_adbench

    X, y = load_adbench("pendigits")
    s = weak_split(X, y, "mnpwad", random_state=3)
    c = s.counts()
    # MNPWAD reference (notes §1.1): train 4028/93, val 336/8, test 2350/55; 1 labeled anomaly
    assert c.loc["train"].tolist() == [4028, 92, 1, 0]
    assert c.loc["val", ["normal", "anomaly"]].tolist() == [336, 8]
    assert c.loc["test", ["normal", "anomaly"]].tolist() == [2350, 55]
    _check_invariants(s, X, y)


@pytest.mark.parametrize("name, counts", [
    ("pendigits", {"train": (4028, 93), "val": (336, 8), "test": (2350, 55), "labeled": 1}),
    ("magic.gamma", {"train": (7399, 4012), "val": (617, 335), "test": (4316, 2341), "labeled": 41}),
])
def test_mnpwad_reference_protocol_reproduces_the_authors_split_counts(adbench_dir, name, counts):
    from adlab.data.adbench import load_adbench

    X, y = load_adbench(name)
    s = weak_split(X, y, "mnpwad-reference", random_state=2024)
    for part, yy in (("train", s.y_train_true), ("val", s.y_val), ("test", s.y_test)):
        assert (int((yy == 0).sum()), int((yy == 1).sum())) == counts[part], part
    assert s.record["n_labeled"] == int(s.y_train.sum()) == counts["labeled"]
    # train = normals then anomalies; the labeled ones are the FIRST training anomalies in that order
    n_norm = counts["train"][0]
    assert (s.y_train_true[:n_norm] == 0).all() and (s.y_train_true[n_norm:] == 1).all()
    assert s.y_train[n_norm:n_norm + counts["labeled"]].all() and s.y_train.sum() == counts["labeled"]
    _check_invariants(s, X, y)
    # min-max fit on the whole training part
    np.testing.assert_allclose(s.X_train.min(0), 0.0, atol=1e-12)
    np.testing.assert_allclose(s.X_train.max(0), 1.0, atol=1e-12)


def test_mnpwad_reference_protocol_seed_moves_the_split_and_drops_constant_features(data):
    X, y = data
    Xc = np.column_stack([X, np.full(len(X), 3.0)])
    a = weak_split(Xc, y, "mnpwad-reference", random_state=2024)
    b = weak_split(Xc, y, "mnpwad-reference", random_state=1)
    assert a.X_train.shape[1] == X.shape[1] and a.record["dropped_features"] == [X.shape[1]]
    assert not np.array_equal(a.idx_train, b.idx_train)
    np.testing.assert_array_equal(a.idx_test, weak_split(Xc, y, "mnpwad-reference", random_state=2024).idx_test)
    with pytest.raises(ValueError, match="integer random_state"):
        weak_split(X, y, "mnpwad-reference", random_state=None)
    with pytest.raises(ValueError, match="fixed recipe"):
        weak_split(X, y, "mnpwad-reference", random_state=0, contamination=0.02)


@pytest.mark.parametrize("protocol", ["rosas", "mmnet"])
def test_rosas_and_mmnet_label_30_and_contaminate_the_unlabeled_set_at_2_percent(data, protocol):
    X, y = data
    s = weak_split(X, y, protocol, random_state=0)
    n_norm = s.record["n_train_normal"]
    assert s.record["n_labeled"] == 30
    assert s.record["n_unlabeled_anomalies"] == round(n_norm * 0.02 / 0.98)
    assert s.record["contamination_achieved"] == pytest.approx(0.02, abs=0.5 / s.record["n_unlabeled"])
    assert s.record["n_removed"] > 0 and s.record["n_injected"] == 0  # 8 % anomalies: surplus removed


@pytest.mark.parametrize("c", [0.0, 0.05, 0.1])
def test_contamination_levels_are_met_within_rounding(data, c):
    X, y = data
    s = weak_split(X, y, "custom", n_labeled=20, contamination=c, random_state=2)
    n_norm = s.record["n_train_normal"]
    assert s.record["n_unlabeled_anomalies"] == contamination_target(n_norm, c)
    assert abs(s.record["contamination_achieved"] - c) <= 1.0 / s.record["n_unlabeled"]
    _check_invariants(s, X, y)


def test_a_shortfall_is_filled_by_feature_swap_injection_from_training_anomalies(data):
    X, y = data
    s = weak_split(X, y, "custom", n_labeled=30, contamination=0.15, random_state=0)
    inj = s.idx_train < 0
    assert s.record["n_injected"] == inj.sum() > 0
    assert s.record["n_swapped_features"] == 1  # max(1, round(0.05 * 10))
    assert s.record["contamination_achieved"] == pytest.approx(0.15, abs=1.0 / s.record["n_unlabeled"])
    # each injected row equals some training anomaly on all but one feature, and is new
    raw = s.scaler.inverse_transform(s.X_train)
    train_anom = X[s.idx_train[(s.idx_train >= 0) & (s.y_train_true == 1)]]
    test_anom = X[s.idx_test[s.y_test == 1]]
    for row in raw[inj][:20]:
        diff = (~np.isclose(row[None], train_anom)).sum(1)
        assert diff.min() == 1
        assert (~np.isclose(row[None], test_anom)).sum(1).min() >= 1


def test_shortfall_error_and_cap_options(data):
    X, y = data
    with pytest.raises(ValueError, match="contamination"):
        weak_split(X, y, "custom", n_labeled=30, contamination=0.15, shortfall="error")
    s = weak_split(X, y, "custom", n_labeled=30, contamination=0.15, shortfall="cap", random_state=0)
    assert s.record["n_injected"] == 0 and s.record["contamination_achieved"] < 0.15


def test_inject_feature_swap_replaces_exactly_k_features_from_another_donor():
    rng = np.random.default_rng(0)
    donors = np.arange(40, dtype=float).reshape(4, 10) * 100  # every cell distinct
    out = inject_feature_swap(donors, 200, rng, swap_fraction=0.2)
    for row in out:
        same = (row[None] == donors).sum(1)
        assert sorted(same)[-1] == 8  # 8 features from the copied donor, 2 swapped in
        assert np.isin(row, donors).all()


def test_same_seed_same_split_and_different_seed_different_split(data):
    X, y = data
    a = weak_split(X, y, "rosas", random_state=5)
    b = weak_split(X, y, "rosas", random_state=5)
    c = weak_split(X, y, "rosas", random_state=6)
    np.testing.assert_array_equal(a.X_train, b.X_train)
    np.testing.assert_array_equal(a.y_train, b.y_train)
    np.testing.assert_array_equal(a.idx_test, b.idx_test)
    assert not np.array_equal(np.sort(a.idx_test), np.sort(c.idx_test))
    assert set(a.idx_train[a.y_train == 1]) != set(c.idx_train[c.y_train == 1])


def test_scaler_is_fit_on_the_training_rows_only(data):
    X, y = data
    s = weak_split(X, y, "rosas", random_state=0)
    np.testing.assert_allclose(s.X_train.min(0), 0.0, atol=1e-12)
    np.testing.assert_allclose(s.X_train.max(0), 1.0, atol=1e-12)
    raw_train = X[s.idx_train[s.idx_train >= 0]]
    np.testing.assert_allclose(s.scaler.data_min_, raw_train.min(0))  # no injection here: rows are real
    np.testing.assert_allclose(s.X_test, s.scaler.transform(X[s.idx_test]))
    np.testing.assert_allclose(s.X_val, s.scaler.transform(X[s.idx_val]))
    assert s.X_test.min() < 0 or s.X_test.max() > 1  # not clipped: test rows may leave [0, 1]


def test_scale_false_keeps_raw_values(data):
    X, y = data
    s = weak_split(X, y, "mmnet", scale=False, random_state=0)
    assert s.scaler is None
    np.testing.assert_array_equal(s.X_test, X[s.idx_test])


def test_labeled_ratio_and_count_overrides(data):
    X, y = data
    s = weak_split(X, y, "rosas", labeled_ratio=0.5, random_state=0)
    assert s.record["n_labeled"] == math.ceil(0.5 * s.record["n_train_anomalies_available"])
    s0 = weak_split(X, y, "mmnet", n_labeled=0, random_state=0)
    assert s0.record["n_labeled"] == 0
    s1 = weak_split(X, y, "mnpwad", labeled_ratio=1.0, contamination=0.0, random_state=0)
    assert s1.record["n_unlabeled_anomalies"] == 0
    assert s1.record["n_labeled"] == s1.record["n_train_anomalies_available"]


def test_unseen_anomaly_groups_leave_training_and_stay_in_test():
    normals = make_base_normals(1200, n_features=5, n_components=2, random_state=0)
    X, y, g = make_mixed_anomaly_dataset(normals, ("global", "clustered", "dependency"), 40,
                                         n_components=2, random_state=0)
    s = weak_split(X, y, "rosas", n_labeled=10, contamination="natural", unseen=g,
                   train_groups=["clustered"], random_state=0)
    train_anom_groups = set(g[s.idx_train[(s.idx_train >= 0) & (s.y_train_true == 1)]])
    assert train_anom_groups == {"clustered"}
    assert set(s.groups_val[s.y_val == 1]) == {"clustered"}
    assert set(s.groups_test[s.y_test == 1]) == {"global", "clustered", "dependency"}
    assert s.record["n_removed_unseen_train"] == 2 * (40 - math.ceil(0.4 * 40))
    only = weak_split(X, y, "mmnet", n_labeled=10, contamination=0.01, unseen=g, train_groups=["clustered"],
                      test_groups="unseen", random_state=0)
    assert set(only.groups_test[only.y_test == 1]) == {"global", "dependency"}
    assert set(only.groups_train[only.y_train_true == 1]) <= {"clustered", "injected"}


@pytest.mark.parametrize("kwargs, match", [
    ({"protocol": "nope"}, "protocol"),
    ({"protocol": "custom"}, "n_labeled= or labeled_ratio="),
    ({"n_labeled": 5, "labeled_ratio": 0.1}, "not both"),
    ({"n_labeled": 10_000}, "only"),
    ({"contamination": 1.0}, "contamination"),
    ({"contamination": "lots"}, "contamination"),
    ({"split": (0.5, 0.2, 0.2)}, "split"),
    ({"shortfall": "maybe"}, "shortfall"),
])
def test_bad_options_raise_clear_errors(data, kwargs, match):
    X, y = data
    with pytest.raises(ValueError, match=match):
        weak_split(X, y, **kwargs)


def test_bad_labels_and_tiny_data_raise(data):
    X, y = data
    with pytest.raises(ValueError, match="0 \\(normal\\) and 1"):
        weak_split(X, np.where(y == 1, 2, 0))
    with pytest.raises(ValueError, match="both"):
        weak_split(X, np.zeros(len(X), int))
    with pytest.raises(ValueError, match="rows"):
        weak_split(X, y[:-1])
    with pytest.raises(ValueError, match="too small"):
        weak_split(X[:3], np.r_[0, 0, 1], "custom", n_labeled=0)
    with pytest.raises(ValueError, match="only"):  # 30 labeled from a data set with few anomalies
        weak_split(X[:300], y[:300], "rosas")
