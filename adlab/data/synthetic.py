"""Synthetic data sets: the papers' toy data and ADBench-style anomaly types.

* :func:`make_multimodal_blobs` — MNPWAD Fig. 5: three 2-D Gaussian clusters of normals and
  uniformly scattered anomalies (2-D so a score map can be drawn).
* :func:`make_rosas_toy` — the RoSAS toy case (paper footnote 1): scikit-learn's
  ``make_classification`` with 10 features (3 informative, 5 redundant, 2 noise) and an anomaly class
  made of three clusters.
* :func:`inject_anomalies` — the four anomaly types of ADBench (Han et al., NeurIPS 2022, §3.3) that MMNet
  §IV.F uses: ``"local"``, ``"global"``, ``"dependency"``, ``"clustered"``.
  :func:`make_synthetic_anomaly_dataset` builds a whole labelled data set of one type (ADBench's
  "realistic synthetic" data), :func:`make_mixed_anomaly_dataset` several types at once with a group id
  per row (for unseen-anomaly splits), and :func:`make_base_normals` a synthetic normal population.

Every function takes ``random_state`` (int, ``None`` or a NumPy ``Generator``) and is deterministic for a
fixed integer seed. Arrays are ``float64``; labels are ``int64`` with 1 = anomaly, 0 = normal.
"""
from __future__ import annotations

from typing import Sequence

import numpy as np
from sklearn.datasets import make_classification
from sklearn.mixture import GaussianMixture
from sklearn.neighbors import KernelDensity

__all__ = [
    "ANOMALY_KINDS",
    "make_multimodal_blobs",
    "make_rosas_toy",
    "make_base_normals",
    "fit_normal_gmm",
    "inject_anomalies",
    "make_synthetic_anomaly_dataset",
    "make_mixed_anomaly_dataset",
]

#: The four ADBench anomaly types, with their default strength ``alpha``.
ANOMALY_KINDS = {"local": 5.0, "global": 1.1, "dependency": None, "clustered": 5.0}


def _rng(random_state) -> np.random.Generator:
    if isinstance(random_state, np.random.Generator):
        return random_state
    return np.random.default_rng(random_state)


def _sk_seed(rng: np.random.Generator) -> int:
    """An int seed for scikit-learn drawn from ``rng`` (so one seed drives everything)."""
    return int(rng.integers(0, 2**31 - 1))


def _check_count(value, name: str, minimum: int = 0) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}")
    return int(value)


def _check_normals(X_normal) -> np.ndarray:
    X = np.asarray(X_normal, dtype=np.float64)
    if X.ndim != 2:
        raise ValueError(f"X_normal must be a 2-D array (n_samples, n_features), got shape {X.shape}")
    if X.shape[0] < 2:
        raise ValueError(f"X_normal needs at least 2 rows to fit a model of the normals, got {X.shape[0]}")
    if not np.isfinite(X).all():
        raise ValueError("X_normal contains NaN or inf")
    return X


# ---------------------------------------------------------------------------------------------
# The papers' toy data
# ---------------------------------------------------------------------------------------------

def make_multimodal_blobs(n_normal: int = 900, n_anomaly: int = 45, *, centers=None,
                          cluster_std: float = 0.6, margin: float = 0.15,
                          min_std_distance: float = 3.0, shuffle: bool = True, random_state=None):
    """Three 2-D Gaussian clusters of normals plus uniformly scattered anomalies (MNPWAD Fig. 5a).

    Parameters
    ----------
    n_normal, n_anomaly : number of normal rows (split as evenly as possible over the clusters) and
        of anomalies.
    centers : (k, 2) cluster centres; default three points on a triangle, ``(0, 4), (-3.5, -2), (3.5, -2)``,
        so the middle of the plane (where a single prototype would sit) holds anomalies, not normals.
    cluster_std : isotropic standard deviation of every cluster.
    margin : the anomalies are uniform on the normals' bounding box widened by ``margin`` × its size on
        every side.
    min_std_distance : an anomaly closer than ``min_std_distance × cluster_std`` to a centre is redrawn
        (so "anomalies" are not normal points in disguise); 0 keeps every uniform draw, as in the paper.
    shuffle : shuffle the rows (else normals come first).

    Returns
    -------
    X : (n_normal + n_anomaly, 2) float64
    y : (n_normal + n_anomaly,) int64, 1 = anomaly
    """
    n_normal = _check_count(n_normal, "n_normal", 1)
    n_anomaly = _check_count(n_anomaly, "n_anomaly")
    if cluster_std <= 0 or margin < 0 or min_std_distance < 0:
        raise ValueError("cluster_std must be > 0, margin and min_std_distance >= 0")
    rng = _rng(random_state)
    c = np.array([[0.0, 4.0], [-3.5, -2.0], [3.5, -2.0]]) if centers is None else np.asarray(centers, float)
    if c.ndim != 2 or c.shape[1] != 2 or len(c) < 1:
        raise ValueError(f"centers must have shape (k, 2), got {c.shape}")
    k = len(c)
    sizes = np.full(k, n_normal // k)
    sizes[: n_normal % k] += 1
    normals = np.concatenate([ci + cluster_std * rng.standard_normal((m, 2)) for ci, m in zip(c, sizes)])

    lo, hi = normals.min(0), normals.max(0)
    pad = margin * (hi - lo)
    lo, hi = lo - pad, hi + pad
    anomalies = np.empty((0, 2))
    for _ in range(1000):  # rejection sampling; the accepted area is most of the box
        if len(anomalies) >= n_anomaly:
            break
        cand = rng.uniform(lo, hi, size=(max(2 * (n_anomaly - len(anomalies)), 16), 2))
        dist = np.linalg.norm(cand[:, None, :] - c[None], axis=-1).min(1)
        anomalies = np.concatenate([anomalies, cand[dist >= min_std_distance * cluster_std]])
    if len(anomalies) < n_anomaly:
        raise ValueError("min_std_distance leaves no room for anomalies in the box; lower it or raise margin")
    anomalies = anomalies[:n_anomaly]

    X = np.concatenate([normals, anomalies])
    y = np.concatenate([np.zeros(n_normal, np.int64), np.ones(n_anomaly, np.int64)])
    if shuffle:
        perm = rng.permutation(len(y))
        X, y = X[perm], y[perm]
    return X, y


def make_rosas_toy(n_samples: int = 2000, anomaly_ratio: float = 0.05, *, n_features: int = 10,
                   n_informative: int = 3, n_redundant: int = 5, n_clusters_per_class: int = 3,
                   class_sep: float = 1.0, random_state=None):
    """The RoSAS toy data (RoSAS paper, Fig. 1 and footnote 1) via ``sklearn.datasets.make_classification``.

    Ten features: three informative, five redundant (random linear combinations of the informative ones),
    two noise; the anomaly class (the minority, ``weights=[1 - anomaly_ratio, anomaly_ratio]``) is made of
    ``n_clusters_per_class = 3`` clusters (so is the normal class — ``make_classification`` uses one count for
    both). No label noise (``flip_y=0``). Columns are *not* shuffled: columns 0–2 are the informative ones,
    so ``X[:, :2]`` is the 2-D view the paper plots. Rows are shuffled.

    Returns
    -------
    X : (n_samples, n_features) float64
    y : (n_samples,) int64, 1 = anomaly
    """
    n_samples = _check_count(n_samples, "n_samples", 10)
    if not 0.0 < anomaly_ratio < 0.5:
        raise ValueError(f"anomaly_ratio must lie in (0, 0.5) (anomalies are the minority), got {anomaly_ratio}")
    if 2 * n_clusters_per_class > 2**n_informative:
        raise ValueError("make_classification needs 2 * n_clusters_per_class <= 2 ** n_informative")
    rng = _rng(random_state)
    X, y = make_classification(
        n_samples=n_samples, n_features=n_features, n_informative=n_informative, n_redundant=n_redundant,
        n_repeated=0, n_classes=2, n_clusters_per_class=n_clusters_per_class,
        weights=[1.0 - anomaly_ratio, anomaly_ratio], flip_y=0.0, class_sep=class_sep, shuffle=False,
        random_state=_sk_seed(rng))
    perm = rng.permutation(n_samples)
    return X[perm].astype(np.float64), y[perm].astype(np.int64)


# ---------------------------------------------------------------------------------------------
# ADBench-style anomaly types
# ---------------------------------------------------------------------------------------------

def make_base_normals(n_samples: int = 2000, n_features: int = 8, n_components: int = 3, *,
                      correlation: float = 0.8, spread: float = 0.05, random_state=None) -> np.ndarray:
    """A synthetic "normal" population for anomaly-type experiments: a Gaussian mixture with correlated features.

    Component means are uniform in ``[0.2, 0.8]^d`` (positive, away from the origin, so ADBench's clustered
    anomalies — means × alpha — land elsewhere). Each component's covariance is ``spread² · C`` with
    ``C`` a random correlation matrix whose features are strongly dependent (``correlation`` of the variance
    comes from shared latent factors), so dependency anomalies are distinguishable from normals.

    Returns
    -------
    X : (n_samples, n_features) float64 (normals only; no labels)
    """
    n_samples = _check_count(n_samples, "n_samples", 2)
    n_features = _check_count(n_features, "n_features", 2)
    n_components = _check_count(n_components, "n_components", 1)
    if not 0.0 <= correlation < 1.0 or spread <= 0:
        raise ValueError("correlation must lie in [0, 1) and spread > 0")
    rng = _rng(random_state)
    means = rng.uniform(0.2, 0.8, size=(n_components, n_features))
    comp = rng.integers(0, n_components, size=n_samples)
    n_latent = max(1, n_features // 4)
    X = np.empty((n_samples, n_features))
    for k in range(n_components):
        loadings = rng.standard_normal((n_latent, n_features))
        loadings /= np.linalg.norm(loadings, axis=0, keepdims=True)  # unit variance from the latents
        rows = np.flatnonzero(comp == k)
        z = rng.standard_normal((len(rows), n_latent))
        e = rng.standard_normal((len(rows), n_features))
        X[rows] = means[k] + spread * (np.sqrt(correlation) * z @ loadings + np.sqrt(1 - correlation) * e)
    return X


def fit_normal_gmm(X_normal, n_components: int | str = "bic", *, max_components: int = 9,
                   random_state=None) -> GaussianMixture:
    """Fit the Gaussian mixture ADBench uses as "the distribution of the normals".

    ``n_components="bic"`` picks the number of components in ``1..max_components`` with the lowest BIC,
    as ADBench's data generator does; an int fixes it. Full covariances.
    """
    X = _check_normals(X_normal)
    rng = _rng(random_state)
    seed = _sk_seed(rng)
    if n_components == "bic":
        upper = max(1, min(max_components, X.shape[0] // 2))
        best, best_bic = None, np.inf
        for k in range(1, upper + 1):
            gm = GaussianMixture(n_components=k, covariance_type="full", random_state=seed,
                                 reg_covar=1e-6).fit(X)
            bic = gm.bic(X)
            if bic < best_bic:
                best, best_bic = gm, bic
        return best
    k = _check_count(n_components, "n_components", 1)
    return GaussianMixture(n_components=k, covariance_type="full", random_state=seed, reg_covar=1e-6).fit(X)


def _sample_gmm(weights, means, covariances, n: int, rng: np.random.Generator) -> np.ndarray:
    """Draw ``n`` rows from a Gaussian mixture with (k,), (k, d), (k, d, d) parameters, using ``rng``."""
    counts = rng.multinomial(n, np.asarray(weights) / np.sum(weights))
    parts = [rng.multivariate_normal(means[k], covariances[k], size=m, method="cholesky")
             if m else np.empty((0, means.shape[1])) for k, m in enumerate(counts)]
    out = np.concatenate(parts)
    return out[rng.permutation(n)]


def _bandwidth_1d(x: np.ndarray, rule: float | str) -> float:
    """Gaussian-KDE bandwidth of one feature: a number, or Scott's / Silverman's rule *in data units*
    (``σ · n^(-1/5)`` and ``σ · (3n/4)^(-1/5)``, as ``scipy.stats.gaussian_kde``; scikit-learn's own
    ``"scott"`` omits σ, i.e. assumes standardised data)."""
    if isinstance(rule, str):
        sigma, n = float(np.std(x, ddof=1)), len(x)
        if rule == "scott":
            return sigma * n ** (-1 / 5)
        if rule == "silverman":
            return sigma * (0.75 * n) ** (-1 / 5)
        raise ValueError(f"bandwidth must be a positive number, 'scott' or 'silverman', got {rule!r}")
    if not rule > 0:
        raise ValueError(f"bandwidth must be > 0, got {rule!r}")
    return float(rule)


def inject_anomalies(X_normal, kind: str = "global", n_anomalies: int = 100, *, random_state=None,
                     alpha: float | None = None, gmm: GaussianMixture | None = None,
                     n_components: int | str = "bic", bandwidth: float | str = "scott") -> np.ndarray:
    """Generate anomalies of one ADBench type relative to the normals ``X_normal`` (n, d).

    Definitions (ADBench, Han et al. 2022, §3.3 and its data generator; MMNet §IV.F):

    * ``"local"`` — deviate from their local neighbourhood: draw from the Gaussian mixture fitted on the
      normals with every covariance scaled by ``alpha`` (default 5). Many fall near the normals: hard.
    * ``"global"`` — scattered over the whole space: uniform on the normals' bounding box, each side
      scaled by ``alpha`` (default 1.1) about its midpoint. (ADBench writes ``[min·(1+p), max·(1+p)]`` with
      p = 0.1, which depends on where the origin is; scaling about the midpoint keeps the intent — a box 10 %
      larger than the data range — and is translation-invariant.)
    * ``"dependency"`` — break the correlation structure: every feature is drawn *independently* from a
      1-D Gaussian kernel density estimate of that feature (``KernelDensity``; ``bandwidth`` by Scott's rule
      σ·n^(-1/5) per feature),
      so marginals match the normals and dependencies vanish. (ADBench draws its *normals* from a vine copula
      and the anomalies from independent per-feature KDEs; no copula here — see
      :func:`make_synthetic_anomaly_dataset` for the normals.) ``alpha`` is unused.
    * ``"clustered"`` — a group of similar anomalies: the fitted mixture with its means multiplied by
      ``alpha`` (default 5), covariances unchanged. The scaling is about the origin, as in ADBench, so use
      data whose means are away from 0 (raw or min-max scaled features, not standardised ones).

    Parameters
    ----------
    X_normal : (n, d) normal rows.
    kind : one of ``"local" | "global" | "dependency" | "clustered"``.
    n_anomalies : number of rows to generate.
    alpha : strength (see above); ``None`` = the ADBench default of the kind.
    gmm : an already fitted ``GaussianMixture`` (e.g. from :func:`fit_normal_gmm`) to reuse.
    n_components : components when the mixture is fitted here (``"bic"`` = ADBench's choice in 1..9).
    bandwidth : KDE bandwidth for ``"dependency"`` (float or ``"scott"``/``"silverman"``).

    Returns
    -------
    anomalies : (n_anomalies, d) float64
    """
    if kind not in ANOMALY_KINDS:
        raise ValueError(f"kind must be one of {sorted(ANOMALY_KINDS)}, got {kind!r}")
    X = _check_normals(X_normal)
    n = _check_count(n_anomalies, "n_anomalies")
    alpha = ANOMALY_KINDS[kind] if alpha is None else float(alpha)
    if alpha is not None and alpha <= 0:
        raise ValueError(f"alpha must be > 0, got {alpha}")
    rng = _rng(random_state)
    d = X.shape[1]
    if n == 0:
        return np.empty((0, d))

    if kind == "global":
        lo, hi = X.min(0), X.max(0)
        mid, half = (lo + hi) / 2, (hi - lo) / 2
        return rng.uniform(mid - alpha * half, mid + alpha * half, size=(n, d))

    if kind == "dependency":
        out = np.empty((n, d))
        for j in range(d):
            col = X[:, j : j + 1]
            if np.ptp(col) == 0:  # constant feature: its KDE would have zero bandwidth
                out[:, j] = col[0, 0]
                continue
            kde = KernelDensity(kernel="gaussian", bandwidth=_bandwidth_1d(col[:, 0], bandwidth)).fit(col)
            out[:, j] = kde.sample(n, random_state=_sk_seed(rng))[:, 0]
        return out

    gm = gmm if gmm is not None else fit_normal_gmm(X, n_components, random_state=rng)
    if gm.covariance_type != "full":
        raise ValueError("inject_anomalies needs a GaussianMixture with covariance_type='full'")
    if kind == "local":
        return _sample_gmm(gm.weights_, gm.means_, alpha * gm.covariances_, n, rng)
    return _sample_gmm(gm.weights_, alpha * gm.means_, gm.covariances_, n, rng)  # clustered


def _normals_from(X, y) -> np.ndarray:
    X = np.asarray(X, dtype=np.float64)
    if y is None:
        return X
    y = np.asarray(y).reshape(-1)
    if len(y) != len(X):
        raise ValueError(f"X has {len(X)} rows but y has {len(y)}")
    if not np.isin(y, (0, 1)).all():
        raise ValueError("y must be 0 (normal) / 1 (anomaly)")
    return X[y == 0]


def make_synthetic_anomaly_dataset(X, y=None, kind: str = "global", *, n_normal: int | None = None,
                                   n_anomalies: int | None = None, anomaly_ratio: float = 0.05,
                                   resample_normals: bool = True, random_state=None, **knobs):
    """A labelled data set whose anomalies are all of one ADBench type (ADBench "realistic synthetic" data).

    ``X`` is the base data: with ``y`` given only its normals (``y == 0``) are used, else every row is taken
    as normal (e.g. :func:`make_base_normals`, or ``X[y == 0]`` of :func:`adlab.data.adbench.load_adbench`).

    As in ADBench, the normals of the new data set are *resampled* from the Gaussian mixture fitted on the
    base normals (``resample_normals=True``; the MMNet Table VI caption: "normal samples generated are directly
    sampled from this distribution"), so normals and anomalies come from known distributions. With
    ``resample_normals=False`` the real normals are kept (sub-sampled to ``n_normal``).

    Counts: ``n_normal`` defaults to the number of base normals; ``n_anomalies`` defaults to the base
    data's anomaly count when ``y`` is given, else ``round(anomaly_ratio / (1 - anomaly_ratio) · n_normal)``.
    ``knobs`` go to :func:`inject_anomalies` (``alpha``, ``n_components``, ``bandwidth``).

    Returns
    -------
    X : (n_normal + n_anomalies, d) float64, rows shuffled
    y : (n_normal + n_anomalies,) int64, 1 = anomaly
    """
    if kind not in ANOMALY_KINDS:
        raise ValueError(f"kind must be one of {sorted(ANOMALY_KINDS)}, got {kind!r}")
    normals = _check_normals(_normals_from(X, y))
    rng = _rng(random_state)
    n_norm = len(normals) if n_normal is None else _check_count(n_normal, "n_normal", 1)
    if n_anomalies is None:
        if y is not None and int(np.sum(np.asarray(y) == 1)) > 0:
            n_anomalies = int(np.sum(np.asarray(y) == 1))
        else:
            if not 0.0 < anomaly_ratio < 1.0:
                raise ValueError(f"anomaly_ratio must lie in (0, 1), got {anomaly_ratio}")
            n_anomalies = max(1, int(round(anomaly_ratio / (1 - anomaly_ratio) * n_norm)))
    n_anomalies = _check_count(n_anomalies, "n_anomalies")

    gm = knobs.pop("gmm", None)
    if gm is None and (resample_normals or kind in ("local", "clustered")):
        gm = fit_normal_gmm(normals, knobs.pop("n_components", "bic"), random_state=rng)
    if resample_normals:
        new_normals = _sample_gmm(gm.weights_, gm.means_, gm.covariances_, n_norm, rng)
    else:
        if n_norm > len(normals):
            raise ValueError(f"n_normal={n_norm} exceeds the {len(normals)} base normals "
                             "(use resample_normals=True to draw more)")
        new_normals = normals[rng.choice(len(normals), n_norm, replace=False)]
    anomalies = inject_anomalies(normals, kind, n_anomalies, random_state=rng, gmm=gm, **knobs)
    Xo = np.concatenate([new_normals, anomalies])
    yo = np.concatenate([np.zeros(n_norm, np.int64), np.ones(n_anomalies, np.int64)])
    perm = rng.permutation(len(yo))
    return Xo[perm], yo[perm]


def make_mixed_anomaly_dataset(X_normal, kinds: Sequence[str] = ("local", "global", "dependency", "clustered"),
                               n_per_kind: int = 50, *, random_state=None, **knobs):
    """Real normals plus ``n_per_kind`` anomalies of each type in ``kinds``, with a group id per row.

    Meant for unseen-anomaly experiments: pass ``groups`` as ``unseen=`` to
    :func:`adlab.data.protocol.weak_split` with ``train_groups=["clustered"]`` (say) to train on one type and
    test on the others. The normals are kept as given (not resampled), one Gaussian mixture is fitted once
    and shared by the GMM-based kinds.

    Returns
    -------
    X : (n + len(kinds)·n_per_kind, d) float64, rows shuffled
    y : int64, 1 = anomaly
    groups : object array of str, ``"normal"`` or the anomaly kind of each row
    """
    normals = _check_normals(X_normal)
    kinds = list(kinds)
    bad = [k for k in kinds if k not in ANOMALY_KINDS]
    if not kinds or bad:
        raise ValueError(f"kinds must be a non-empty subset of {sorted(ANOMALY_KINDS)}; bad: {bad}")
    if len(set(kinds)) != len(kinds):
        raise ValueError(f"kinds must not repeat: {kinds}")
    n_per_kind = _check_count(n_per_kind, "n_per_kind", 1)
    rng = _rng(random_state)
    gm = knobs.pop("gmm", None)
    if gm is None and {"local", "clustered"} & set(kinds):
        gm = fit_normal_gmm(normals, knobs.pop("n_components", "bic"), random_state=rng)
    alphas = knobs.pop("alpha", None)
    parts, groups = [normals], [np.full(len(normals), "normal", dtype=object)]
    for kind in kinds:
        a = alphas.get(kind) if isinstance(alphas, dict) else alphas
        parts.append(inject_anomalies(normals, kind, n_per_kind, random_state=rng, gmm=gm, alpha=a, **knobs))
        groups.append(np.full(n_per_kind, kind, dtype=object))
    X = np.concatenate(parts)
    g = np.concatenate(groups)
    y = (g != "normal").astype(np.int64)
    perm = rng.permutation(len(y))
    return X[perm], y[perm], g[perm]
