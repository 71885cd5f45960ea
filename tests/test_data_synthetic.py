"""Specifications of the synthetic data: the papers' toy sets and the four ADBench anomaly types."""
import numpy as np
import pytest

from adlab.data.synthetic import (ANOMALY_KINDS, fit_normal_gmm, inject_anomalies, make_base_normals,
                                  make_mixed_anomaly_dataset, make_multimodal_blobs, make_rosas_toy,
                                  make_synthetic_anomaly_dataset)


@pytest.fixture(scope="module")
def normals():
    return make_base_normals(1500, n_features=6, n_components=2, random_state=0)


@pytest.fixture(scope="module")
def gmm(normals):
    return fit_normal_gmm(normals, n_components=2, random_state=0)


# --- MNPWAD Fig. 5 blobs -----------------------------------------------------------------------

def test_blobs_shapes_labels_and_counts():
    X, y = make_multimodal_blobs(300, 20, random_state=1)
    assert X.shape == (320, 2) and X.dtype == np.float64
    assert y.dtype == np.int64 and set(np.unique(y)) == {0, 1} and y.sum() == 20


def test_blobs_normals_form_three_clusters_around_the_centres():
    X, y = make_multimodal_blobs(600, 0, cluster_std=0.5, random_state=2)
    centres = np.array([[0.0, 4.0], [-3.5, -2.0], [3.5, -2.0]])
    nearest = np.linalg.norm(X[:, None] - centres[None], axis=-1).argmin(1)
    assert np.bincount(nearest).tolist() == [200, 200, 200]
    for k in range(3):
        np.testing.assert_allclose(X[nearest == k].mean(0), centres[k], atol=0.15)


def test_blobs_anomalies_are_scattered_and_kept_away_from_centres():
    X, y = make_multimodal_blobs(300, 200, cluster_std=0.5, min_std_distance=3.0, random_state=3)
    centres = np.array([[0.0, 4.0], [-3.5, -2.0], [3.5, -2.0]])
    A = X[y == 1]
    assert np.linalg.norm(A[:, None] - centres[None], axis=-1).min() >= 1.5
    assert A[:, 0].std() > 2.0 and A[:, 1].std() > 2.0  # spread over the box, not clumped


def test_blobs_are_reproducible_and_seed_dependent():
    a = make_multimodal_blobs(100, 10, random_state=7)
    b = make_multimodal_blobs(100, 10, random_state=7)
    c = make_multimodal_blobs(100, 10, random_state=8)
    np.testing.assert_array_equal(a[0], b[0])
    assert not np.allclose(a[0], c[0])


def test_blobs_reject_bad_arguments():
    with pytest.raises(ValueError, match="n_normal"):
        make_multimodal_blobs(0, 5)
    with pytest.raises(ValueError, match="centers"):
        make_multimodal_blobs(10, 5, centers=[[0, 0, 0]])


# --- RoSAS toy -----------------------------------------------------------------------------------

def test_rosas_toy_has_ten_features_and_the_asked_minority():
    X, y = make_rosas_toy(1000, anomaly_ratio=0.05, random_state=0)
    assert X.shape == (1000, 10)
    assert abs(y.mean() - 0.05) <= 0.01


def test_rosas_toy_informative_columns_come_first():
    X, y = make_rosas_toy(2000, anomaly_ratio=0.1, random_state=0)
    # columns 3..7 are linear combinations of columns 0..2 (redundant), 8..9 are noise
    coef, res, *_ = np.linalg.lstsq(np.c_[X[:, :3], np.ones(len(X))], X[:, 3:8], rcond=None)
    assert np.allclose(res, 0, atol=1e-8)
    _, res_noise, *_ = np.linalg.lstsq(np.c_[X[:, :3], np.ones(len(X))], X[:, 8:], rcond=None)
    assert (res_noise > 100).all()


def test_rosas_toy_rejects_a_majority_of_anomalies():
    with pytest.raises(ValueError, match="anomaly_ratio"):
        make_rosas_toy(100, anomaly_ratio=0.7)


# --- ADBench anomaly types -----------------------------------------------------------------------

@pytest.mark.parametrize("kind", sorted(ANOMALY_KINDS))
def test_every_kind_has_the_asked_shape_and_is_reproducible(normals, gmm, kind):
    a = inject_anomalies(normals, kind, 50, random_state=4, gmm=gmm)
    b = inject_anomalies(normals, kind, 50, random_state=4, gmm=gmm)
    c = inject_anomalies(normals, kind, 50, random_state=5, gmm=gmm)
    assert a.shape == (50, normals.shape[1]) and np.isfinite(a).all()
    np.testing.assert_array_equal(a, b)
    assert not np.allclose(a, c)


def test_global_anomalies_are_uniform_in_the_box_scaled_by_alpha(normals):
    A = inject_anomalies(normals, "global", 4000, random_state=0)  # alpha = 1.1
    lo, hi = normals.min(0), normals.max(0)
    mid, half = (lo + hi) / 2, (hi - lo) / 2
    assert (A >= mid - 1.1 * half).all() and (A <= mid + 1.1 * half).all()
    assert (A.min(0) < lo).all() and (A.max(0) > hi).all()  # the box is wider than the data
    np.testing.assert_allclose(A.std(0), 2.2 * half / np.sqrt(12), rtol=0.06)  # uniform's std


def test_local_anomalies_have_alpha_times_the_covariance(normals):
    one = fit_normal_gmm(normals, n_components=1, random_state=0)  # one component: moments are exact
    A = inject_anomalies(normals, "local", 20000, random_state=0, gmm=one, alpha=5.0)
    np.testing.assert_allclose(A.mean(0), one.means_[0], atol=0.02)
    np.testing.assert_allclose(np.cov(A.T), 5.0 * one.covariances_[0], atol=0.01, rtol=0.05)


def test_clustered_anomalies_have_alpha_times_the_means_and_the_same_covariance(normals):
    one = fit_normal_gmm(normals, n_components=1, random_state=0)
    A = inject_anomalies(normals, "clustered", 20000, random_state=0, gmm=one, alpha=5.0)
    np.testing.assert_allclose(A.mean(0), 5.0 * one.means_[0], atol=0.01)
    np.testing.assert_allclose(np.cov(A.T), one.covariances_[0], atol=0.002, rtol=0.05)
    assert np.linalg.norm(A.mean(0) - normals.mean(0)) > 1.0  # far from the normals


def test_dependency_anomalies_keep_marginals_and_break_correlations(normals):
    A = inject_anomalies(normals, "dependency", 6000, random_state=0)
    np.testing.assert_allclose(A.mean(0), normals.mean(0), atol=0.01)
    np.testing.assert_allclose(A.std(0), normals.std(0), rtol=0.1)
    cn = np.corrcoef(normals.T)[np.triu_indices(normals.shape[1], 1)]
    ca = np.corrcoef(A.T)[np.triu_indices(normals.shape[1], 1)]
    assert np.abs(cn).max() > 0.3  # the base normals are dependent
    assert np.abs(ca).max() < 0.05  # the anomalies are not


def test_inject_rejects_bad_kind_and_counts(normals):
    with pytest.raises(ValueError, match="kind"):
        inject_anomalies(normals, "weird", 5)
    with pytest.raises(ValueError, match="n_anomalies"):
        inject_anomalies(normals, "global", -1)
    with pytest.raises(ValueError, match="2-D"):
        inject_anomalies(normals[:, 0], "global", 5)
    assert inject_anomalies(normals, "global", 0).shape == (0, normals.shape[1])


def test_bic_picks_the_number_of_components_of_a_clear_mixture():
    rng = np.random.default_rng(0)
    X = np.concatenate([rng.normal(c, 0.1, size=(300, 2)) for c in ([0, 0], [3, 3], [0, 3])])
    assert fit_normal_gmm(X, "bic", max_components=5, random_state=0).n_components == 3


def test_synthetic_dataset_keeps_adbench_counts_from_a_labelled_base(normals, gmm):
    y_base = np.r_[np.zeros(len(normals) - 40, int), np.ones(40, int)]
    X, y = make_synthetic_anomaly_dataset(normals, y_base, "clustered", gmm=gmm, random_state=0)
    assert X.shape == (len(normals), normals.shape[1])
    assert y.sum() == 40 and (y == 0).sum() == len(normals) - 40


def test_synthetic_dataset_real_normals_option_keeps_real_rows(normals):
    X, y = make_synthetic_anomaly_dataset(normals, kind="global", n_normal=500, anomaly_ratio=0.1,
                                          resample_normals=False, random_state=0)
    assert (y == 0).sum() == 500 and y.sum() == round(0.1 / 0.9 * 500)
    real = {tuple(r) for r in normals.round(12)}
    assert all(tuple(r) in real for r in X[y == 0].round(12))


def test_mixed_dataset_labels_each_anomaly_with_its_kind(normals, gmm):
    X, y, g = make_mixed_anomaly_dataset(normals, ("global", "clustered"), 30, gmm=gmm, random_state=0)
    assert X.shape == (len(normals) + 60, normals.shape[1])
    assert (g[y == 0] == "normal").all()
    assert sorted(np.unique(g[y == 1])) == ["clustered", "global"]
    assert (g == "global").sum() == 30
    with pytest.raises(ValueError, match="repeat"):
        make_mixed_anomaly_dataset(normals, ("global", "global"), 5)
