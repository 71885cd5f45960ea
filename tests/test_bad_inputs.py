"""Bad input, as a scikit-learn user would pass it, for every registered detector: one table, so a
newly registered detector inherits every case. Each case names the expected exception and the words
its message must contain (or the warning that must be issued)."""
import warnings

import numpy as np
import pytest
import torch
from registry_params import NAMES, tiny, tiny_data

from adlab.models.registry import get_detector_class


def _put(X, value, row=7):
    X = X.astype(np.float64)
    X[row, 2] = value
    return X


def _sparse(X):
    import scipy.sparse as sp

    return sp.csr_matrix(X)


#: case -> (call(det, X, y), exception type, message regex)
ERRORS = {
    "1e39 in X (inf in float32)": (lambda d, X, y: d.fit(_put(X, 1e39), y), ValueError, "overflow float32"),
    "1e39 row at scoring": (lambda d, X, y: d.fit(X, y).decision_function(_put(X, -1e39, row=0)), ValueError,
                            "overflow float32.*first row 0"),
    "complex X": (lambda d, X, y: d.fit(X + 1j, y), ValueError, "complex"),
    "complex torch X": (lambda d, X, y: d.fit(torch.from_numpy(X) + 0j, y), ValueError, "complex"),
    "scipy sparse X": (lambda d, X, y: d.fit(_sparse(X), y), ValueError, "sparse.*toarray"),
    "torch sparse X": (lambda d, X, y: d.fit(torch.from_numpy(X).to_sparse(), y), ValueError, "sparse"),
    "complex X at scoring": (lambda d, X, y: d.fit(X, y).decision_function(X + 1j), ValueError, "complex"),
    "NaN in X": (lambda d, X, y: d.fit(_put(X, np.nan), y), ValueError, "NaN"),
    "ragged list X": (lambda d, X, y: d.fit([[1.0, 2.0], [3.0]] * 50, y[:100]), ValueError, "numeric"),
}


@pytest.mark.parametrize("case", list(ERRORS))
@pytest.mark.parametrize("name", NAMES)
def test_bad_input_raises_a_value_error_naming_the_problem(name, case):
    call, exc, match = ERRORS[case]
    X, y, _ = tiny_data()
    with pytest.raises(exc, match=match):
        call(tiny(name), X.astype(np.float64), y)


SCALE_SENSITIVE = [n for n in NAMES if get_detector_class(n)._scale_sensitive]


@pytest.mark.parametrize("factor", [1e30, 1e-30])
@pytest.mark.parametrize("name", SCALE_SENSITIVE)
def test_extreme_feature_scale_warns_and_never_returns_nan_scores(name, factor):
    X, y, _ = tiny_data()
    Xs = X.astype(np.float64) * factor
    with pytest.warns(UserWarning, match="scale"):
        try:
            det = tiny(name).fit(Xs, y)
        except FloatingPointError as err:        # diverged: the error names the cause
            assert "scale" in str(err)
            return
    scores = det.decision_function(Xs)
    assert np.isfinite(scores).all() and np.isfinite(det.threshold_)


@pytest.mark.parametrize("name", NAMES)
def test_well_scaled_input_gives_no_scale_warning(name):
    X, y, _ = tiny_data()
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        tiny(name).fit(X, y)


@pytest.mark.parametrize("name", NAMES)
def test_non_finite_scores_at_scoring_time_raise_naming_the_rows(name, monkeypatch):
    X, y, _ = tiny_data()
    det = tiny(name).fit(X, y)
    real = type(det)._score_numpy

    def with_nan(self, Xb):
        out = real(self, Xb)
        out[3] = np.nan
        return out

    monkeypatch.setattr(type(det), "_score_numpy", with_nan)
    with pytest.raises(ValueError, match="non-finite scores for 1 of .* rows .first row 3"):
        det.decision_function(X)
