"""Hardening (#15): estimator state that must not leak between fits, scikit-learn manners."""
import numpy as np
from registry_params import tiny, tiny_data


def test_mnpwad_fixed_dec_refit_with_other_labels_matches_a_fresh_fit():
    # dec="fixed" used to cache the row -> unlabeled-position map on the estimator, keyed by the row
    # count: a refit with the same n but other labels reused wrong DEC targets
    X, y, _ = tiny_data()
    y2 = np.zeros_like(y)
    y2[20:30] = 1
    reused = tiny("MNPWAD", dec="fixed", epochs=2).fit(X, y).fit(X, y2).decision_function(X)
    fresh = tiny("MNPWAD", dec="fixed", epochs=2).fit(X, y2).decision_function(X)
    np.testing.assert_array_equal(reused, fresh)
