"""Known + synthetic anomalies: the uniform box, the plug-in and the classifier."""
import numpy as np
import pytest
import torch
from contract import ContractBattery, contract_data

from adlab.evaluation.metrics import auc_pr, auc_roc
from adlab.models.baselines import DevNet
from adlab.models.synthetic_classifier import (SyntheticAnomalyClassifier, add_synthetic_anomalies,
                                               classification_loss, sample_uniform_box)


def test_uniform_box_covers_the_widened_range_and_nothing_more():
    rng = np.random.default_rng(0)
    X = rng.uniform([0, 10], [1, 30], size=(200, 2))
    S = sample_uniform_box(X, 5000, margin=0.5, random_state=0)
    lo, hi = X.min(0), X.max(0)
    pad = 0.5 * (hi - lo)
    assert S.shape == (5000, 2) and S.dtype == np.float32
    assert (S >= lo - pad - 1e-4).all() and (S <= hi + pad + 1e-4).all()
    # uniform: about half the draws fall outside the un-widened box along each axis (1 - 1/2)
    outside = ((S < lo) | (S > hi)).mean(0)
    np.testing.assert_allclose(outside, 0.5, atol=0.05)


def test_binary_columns_are_drawn_from_their_two_values():
    rng = np.random.default_rng(0)
    X = np.c_[rng.uniform(size=100), rng.integers(0, 2, 100), np.full(100, 3.0)]
    S = sample_uniform_box(X, 1000, random_state=1)
    assert set(np.unique(S[:, 1])) == {0.0, 1.0}
    assert abs(S[:, 1].mean() - 0.5) < 0.06
    np.testing.assert_array_equal(S[:, 2], 3.0)  # constant column stays constant
    U = sample_uniform_box(X, 1000, random_state=1, binary_columns="uniform")
    assert len(np.unique(U[:, 1])) > 2


def test_uniform_box_is_seeded_and_rejects_bad_options():
    X = np.random.default_rng(0).normal(size=(50, 3))
    np.testing.assert_array_equal(sample_uniform_box(X, 10, random_state=4), sample_uniform_box(X, 10, random_state=4))
    with pytest.raises(ValueError, match="margin"):
        sample_uniform_box(X, 10, margin=-0.1)
    with pytest.raises(ValueError, match="binary_columns"):
        sample_uniform_box(X, 10, binary_columns="nope")


def test_add_synthetic_anomalies_appends_ratio_times_n_labeled_rows():
    X, y, _ = contract_data()
    X_aug, y_aug = add_synthetic_anomalies(X, np.where(y == 1, 1, -1), ratio=0.5, margin=0.1, random_state=0)
    n = len(X)
    assert X_aug.shape == (n + n // 2, X.shape[1]) and y_aug.shape == (n + n // 2,)
    np.testing.assert_array_equal(X_aug[:n], X.astype(np.float32))
    np.testing.assert_array_equal(y_aug[:n], y)          # -1 mapped to 0
    assert (y_aug[n:] == 1).all()
    X0, y0 = add_synthetic_anomalies(X, None, ratio=0.0)
    assert len(X0) == n and y0.sum() == 0
    with pytest.raises(ValueError, match="ratio"):
        add_synthetic_anomalies(X, y, ratio=-1)


def test_devnet_fits_on_the_augmented_set_even_without_labeled_anomalies():
    X, _, y_true = contract_data(seed=2)
    X_aug, y_aug = add_synthetic_anomalies(X, None, ratio=1.0, random_state=0)
    det = DevNet(epochs=5, steps_per_epoch=10, batch_size=128, random_state=0, device="cpu").fit(X_aug, y_aug)
    assert auc_roc(y_true, det.decision_function(X)) > 0.8


def test_classification_losses():
    f = torch.tensor([2.0, -1.0, 0.5])
    t = torch.tensor([1.0, 0.0, 0.0])
    torch.testing.assert_close(classification_loss(f, t, "hinge"), torch.tensor([0.0, 0.0, 1.5]))
    torch.testing.assert_close(classification_loss(f, t, "bce"),
                               torch.nn.functional.binary_cross_entropy(torch.sigmoid(f), t, reduction="none"))
    with pytest.raises(ValueError, match="bce"):
        classification_loss(f, t, "mse")


def _blobs():
    """Normals in one tight 2-D cluster, anomalies everywhere else; labeled anomalies in one corner only."""
    rng = np.random.default_rng(0)
    normals = rng.normal(0.0, 0.5, size=(600, 2))
    anomalies = rng.uniform(-6, 6, size=(400, 2))
    anomalies = anomalies[np.linalg.norm(anomalies, axis=1) > 2.5][:60]
    X = np.vstack([normals, anomalies]).astype(np.float32)
    y_true = np.r_[np.zeros(600), np.ones(len(anomalies))].astype(int)
    y = np.zeros_like(y_true)
    corner = np.flatnonzero((y_true == 1) & (X[:, 0] > 2) & (X[:, 1] > 2))[:5]
    y[corner] = 1
    return X, y, y_true


def test_synthetic_anomalies_rescue_a_classifier_with_few_labeled_anomalies():
    # 3 clusters of normals, anomalies scattered over the plane, only 5 of them labeled: the plain
    # unlabeled-vs-labeled classifier misses the low-density regions the labels do not cover
    from adlab.data.protocol import weak_split
    from adlab.data.synthetic import make_multimodal_blobs

    X, y = make_multimodal_blobs(random_state=0)
    sp = weak_split(X, y, protocol="custom", n_labeled=5, random_state=0)
    kw = dict(hidden_dims=(64, 64), epochs=60, batch_size=256, validation_fraction=0.0, random_state=0, device="cpu")
    with_syn = SyntheticAnomalyClassifier(synthetic_ratio=1.0, **kw).fit(sp.X_train, sp.y_train)
    without = SyntheticAnomalyClassifier(synthetic_ratio=0.0, **kw).fit(sp.X_train, sp.y_train)
    ap_with = auc_pr(sp.y_test, with_syn.decision_function(sp.X_test))
    ap_without = auc_pr(sp.y_test, without.decision_function(sp.X_test))
    assert ap_with > 0.6 and ap_with > ap_without + 0.3


def test_pure_synthetic_classifier_works_with_y_none():
    X, _, y_true = _blobs()
    det = SyntheticAnomalyClassifier(hidden_dims=(64, 64), epochs=60, batch_size=256, random_state=0,
                                     device="cpu").fit(X, None)
    assert auc_roc(y_true, det.decision_function(X)) > 0.9
    assert det.n_synthetic_ == len(X)


def test_early_stopping_keeps_the_best_epoch_and_logs_validation_loss():
    X, y, _ = _blobs()
    det = SyntheticAnomalyClassifier(hidden_dims=(16,), epochs=40, patience=2, batch_size=128, lr=5e-2,
                                     random_state=0, device="cpu").fit(X, y)
    vals = [h["val_loss"] for h in det.history_]
    assert det.best_epoch_ == int(np.argmin(vals))
    assert len(vals) <= det.best_epoch_ + 1 + 2


@pytest.mark.parametrize("bad", [{"loss": "mse"}, {"synthetic_ratio": -1}, {"box_margin": -0.1},
                                 {"validation_fraction": 1.0}, {"epochs": 0}])
def test_bad_options_raise_value_error(bad):
    X, y, _ = contract_data()
    with pytest.raises(ValueError):
        SyntheticAnomalyClassifier(device="cpu", **bad).fit(X, y)


def test_no_anomaly_class_at_all_is_an_error():
    X, _, _ = contract_data()
    with pytest.raises(ValueError, match="anomaly class would be empty"):
        SyntheticAnomalyClassifier(synthetic_ratio=0.0, device="cpu").fit(X, None)


class TestSyntheticAnomalyClassifierContract(ContractBattery):
    needs_labels = False

    def make(self, **kw):
        return SyntheticAnomalyClassifier(hidden_dims=(32, 32), epochs=15, batch_size=256, **kw)
