"""The detector contract battery (DESIGN §3). Every detector's test module subclasses
``ContractBattery`` and supplies ``make(**params)`` with small, fast settings::

    class TestMNPWADContract(ContractBattery):
        def make(self, **kw):
            return MNPWAD(epochs=2, **kw)

Checks: clone, fit returns self, seeded determinism, save/load exactness, bad-input errors,
fitted attributes, and finite, non-constant scores that rank anomalies above normals.
"""
from __future__ import annotations

import numpy as np
import pytest
from sklearn.base import clone

from adlab.evaluation.metrics import auc_roc


def contract_data(n_normal: int = 400, n_anomaly: int = 40, d: int = 6, n_labeled: int = 10, seed: int = 0):
    """Easy weakly-labeled data: Gaussian normals, shifted anomalies; ``n_labeled`` of the
    anomalies carry y=1, the rest hide in the unlabeled set. Returns X, y_weak, y_true."""
    rng = np.random.default_rng(seed)
    normals = rng.normal(0.0, 1.0, size=(n_normal, d))
    anomalies = rng.normal(4.0, 1.0, size=(n_anomaly, d))
    X = np.vstack([normals, anomalies]).astype(np.float32)
    y_true = np.r_[np.zeros(n_normal), np.ones(n_anomaly)].astype(int)
    y = np.zeros_like(y_true)
    y[n_normal:n_normal + n_labeled] = 1
    perm = rng.permutation(len(X))
    X = (X - X.min(0)) / (X.max(0) - X.min(0))
    return X[perm], y[perm], y_true[perm]


class ContractBattery:
    """Mix-in of contract tests; subclasses define ``make(**params)``."""

    #: set False for unsupervised detectors that accept y=None
    needs_labels: bool = True

    def make(self, **params):  # pragma: no cover - supplied by subclasses
        raise NotImplementedError

    @pytest.fixture(scope="class")
    @classmethod
    def data(cls):
        return contract_data()

    @pytest.fixture(scope="class")
    @classmethod
    def fitted(cls, data):
        X, y, _ = data
        return cls().make(random_state=0, device="cpu").fit(X, y)

    def test_init_only_stores_parameters_and_clone_works(self):
        det = self.make(random_state=3)
        params = det.get_params()
        assert params["random_state"] == 3
        for name in ("device", "verbose", "contamination"):
            assert name in params, f"get_params() lacks {name!r}"
        twin = clone(det)
        assert twin.get_params() == params
        assert not hasattr(twin, "n_features_in_")

    def test_fit_returns_self_and_sets_fitted_attributes(self, data, fitted):
        X, y, _ = data
        assert fitted.n_features_in_ == X.shape[1]
        assert fitted.decision_scores_.shape == (X.shape[0],)
        assert fitted.labels_.shape == (X.shape[0],)
        assert set(np.unique(fitted.labels_)) <= {0, 1}
        assert np.isfinite(fitted.threshold_)
        assert isinstance(fitted.history_, list)
        det = self.make(random_state=0, device="cpu")
        assert det.fit(X, y) is det

    def test_scores_are_finite_not_constant_and_rank_anomalies_higher(self, data, fitted):
        X, _, y_true = data
        s = fitted.decision_function(X)
        assert s.dtype == np.float64 and s.shape == (X.shape[0],)
        assert np.isfinite(s).all()
        assert s.std() > 0, "scores are constant"
        assert auc_roc(y_true, s) > 0.7, "anomalies are not ranked above normals on easy data"
        preds = fitted.predict(X)
        assert set(np.unique(preds)) <= {0, 1}

    def test_same_seed_gives_identical_scores_on_cpu(self, data, fitted):
        X, y, _ = data
        again = self.make(random_state=0, device="cpu").fit(X, y)
        np.testing.assert_allclose(again.decision_function(X), fitted.decision_function(X), rtol=0, atol=1e-6)

    def test_save_load_round_trip_gives_identical_scores(self, data, fitted, tmp_path):
        X, _, _ = data
        path = tmp_path / "det.pt"
        fitted.save(path)
        loaded = type(fitted).load(path)
        assert loaded.get_params() == fitted.get_params()
        np.testing.assert_array_equal(loaded.decision_function(X), fitted.decision_function(X))
        assert loaded.threshold_ == fitted.threshold_
        from adlab.models.base import WeakDetector

        np.testing.assert_array_equal(WeakDetector.load(path).decision_function(X), fitted.decision_function(X))

    def test_accepts_minus_one_as_unlabeled_and_pandas_input(self, data, fitted):
        import pandas as pd

        X, y, _ = data
        y_neg = np.where(y == 1, 1, -1)
        det = self.make(random_state=0, device="cpu").fit(pd.DataFrame(X), y_neg)
        np.testing.assert_allclose(det.decision_function(X), fitted.decision_function(X), atol=1e-6)

    @pytest.mark.parametrize("case", ["nan", "inf", "1d", "length", "label_value", "no_anomaly"])
    def test_bad_training_input_raises_clear_value_error(self, data, case):
        X, y, _ = data
        X = X.copy()
        y = y.copy()
        expected = {"nan": "NaN", "inf": "inf", "1d": "2-D", "length": "labels",
                    "label_value": "only 1", "no_anomaly": "no labeled anomal"}[case]
        if case == "nan":
            X[3, 1] = np.nan
        elif case == "inf":
            X[3, 1] = np.inf
        elif case == "1d":
            X = X[:, 0]
        elif case == "length":
            y = y[:-1]
        elif case == "label_value":
            y[0] = 2
        elif case == "no_anomaly":
            if not self.needs_labels:
                pytest.skip("unsupervised detector: y without anomalies is allowed")
            y[:] = 0
        with pytest.raises(ValueError, match=expected):
            self.make(random_state=0, device="cpu").fit(X, y)

    def test_scoring_checks_feature_count_and_fit_state(self, data, fitted):
        X, y, _ = data
        with pytest.raises(ValueError, match="features"):
            fitted.decision_function(X[:, :-1])
        with pytest.raises(ValueError, match="not fitted"):
            self.make(random_state=0).decision_function(X)
