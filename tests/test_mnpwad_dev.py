"""benchmarks/mnpwad_dev.py: the positive-unlabeled validation split of its ``pu_holdout`` configurations."""

import numpy as np
import pytest

from scripts import load_script


def test_pu_validation_split_holds_out_a_share_of_the_labels_and_of_the_unlabeled_rows_disjointly():
    dev = load_script("benchmarks/mnpwad_dev.py")
    X = np.arange(200, dtype=float).reshape(100, 2)
    y = np.zeros(100, dtype=int)
    y[:12] = 1
    X_fit, y_fit, X_val, y_val = dev.pu_validation_split(X, y, 0.25, seed=0)
    assert (y_val == 1).sum() == 3 and (y_fit == 1).sum() == 9          # a quarter of the 12 labels
    assert (y_val == 0).sum() == round(0.1 * 88) and len(y_fit) + len(y_val) == 100
    assert not set(X_fit[:, 0]) & set(X_val[:, 0])                       # no row in both parts


def test_pu_validation_split_keeps_one_label_to_train_on_and_refuses_a_single_label():
    dev = load_script("benchmarks/mnpwad_dev.py")
    X, y = np.zeros((20, 2)), np.zeros(20, dtype=int)
    y[:2] = 1
    _, y_fit, _, y_val = dev.pu_validation_split(X, y, 0.9, seed=0)
    assert (y_fit == 1).sum() == 1 and (y_val == 1).sum() == 1
    y[1] = 0
    with pytest.raises(ValueError, match="at least 2 labeled anomalies"):
        dev.pu_validation_split(X, y, 0.25, seed=0)
