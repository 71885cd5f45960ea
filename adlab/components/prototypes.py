"""Multi-normal prototypes (MNPWAD §III-D): similarity, normality weights, deep embedding
clustering (DEC) and the prototype contrastive loss, plus the k-means initialisation.

Shapes: ``z`` (n, H) latent codes, ``prototypes`` (k, H), ``s`` (n, k) similarities,
``s_max`` (n,) the largest similarity of each row. All functions are differentiable torch
code except :func:`init_prototypes_kmeans`, which works on numpy arrays.

Where the paper (Dong et al., "Multi-Normal Prototypes Learning for Weakly Supervised Anomaly
Detection") and the authors' reference code differ, the docstrings say which is which; see
``docs/references/mnpwad.md`` §1.5–1.6 and §3.
"""
from __future__ import annotations

from typing import Sequence

import numpy as np
import torch
import torch.nn.functional as F

__all__ = [
    "student_t_similarity",
    "normality_weights",
    "soft_assignment",
    "target_distribution",
    "clustering_kl_loss",
    "prototype_contrastive_loss",
    "init_prototypes_kmeans",
]

_EPS = 1e-12


def student_t_similarity(z: torch.Tensor, prototypes: torch.Tensor, alpha: float = 1.0,
                         normalize: bool = True) -> torch.Tensor:
    """Student-t kernel between latents and prototypes, Eq. (6).

    ``s_ij = (1 + ||ẑ_i − û_j||² / α)^(−(α+1)/2)``

    Parameters
    ----------
    z : (n, H) latent codes.
    prototypes : (k, H) normal prototypes u_j.
    alpha : degrees of freedom α (> 0); the paper uses α = 1, i.e. ``s = 1 / (1 + d²)``.
    normalize : L2-normalise both ``z`` and the prototypes first (paper: "both ... are normalized";
        reference code: ``F.normalize``). With unit vectors d² ∈ [0, 4], so for α = 1 s ∈ [0.2, 1].

    Returns
    -------
    s : (n, k), values in (0, 1] (1 exactly when z_i coincides with u_j).
    """
    if z.ndim != 2 or prototypes.ndim != 2 or z.shape[1] != prototypes.shape[1]:
        raise ValueError(f"z must be (n, H) and prototypes (k, H) with the same H; got {tuple(z.shape)} "
                         f"and {tuple(prototypes.shape)}")
    if alpha <= 0:
        raise ValueError(f"alpha (degrees of freedom) must be > 0, got {alpha}")
    if normalize:
        z = F.normalize(z, dim=1)
        prototypes = F.normalize(prototypes, dim=1)
    d2 = (z.unsqueeze(1) - prototypes.unsqueeze(0)).pow(2).sum(dim=-1)        # (n, k)
    return (1.0 + d2 / alpha).pow(-(alpha + 1.0) / 2.0)


def normality_weights(s_max: torch.Tensor, beta: float = 1.0, renormalize: bool = False) -> torch.Tensor:
    """Probability-of-being-normal weights of unlabeled rows, Eq. (7): ``w_i = σ(β · max_j s_ij)``.

    Parameters
    ----------
    s_max : (n,) maximum similarity of each unlabeled row to any prototype.
    beta : scaling β (paper: 1). For s ∈ (0, 1] and β > 0, w ∈ (σ(0), σ(β)] = (0.5, 0.731] at β = 1.
    renormalize : divide by the batch mean so the weights average 1 (what the reference code does,
        ``w / Σw · B_u``); the paper's Eq. (7) has no renormalisation (default False).

    Returns
    -------
    w : (n,). Not detached (neither paper nor reference stop the gradient); detach at the call
        site if you want fixed weights.
    """
    w = torch.sigmoid(beta * s_max)
    if renormalize:
        w = w / w.mean().clamp_min(_EPS)
    return w


def soft_assignment(s: torch.Tensor) -> torch.Tensor:
    """Soft cluster assignment Q of Eq. (8): ``q_ij = s_ij / Σ_j' s_ij'``; rows sum to 1. (n, k) -> (n, k)."""
    return s / s.sum(dim=1, keepdim=True).clamp_min(_EPS)


def target_distribution(q: torch.Tensor) -> torch.Tensor:
    """DEC target P of Eq. (8): ``p_ij = (q_ij² / f_j) / Σ_j' (q_ij'² / f_j')`` with ``f_j = Σ_i q_ij``.

    (n, k) -> (n, k); rows sum to 1. Sharpens Q towards confident assignments and divides by the
    cluster frequency f_j so that large clusters do not swallow small ones (Xie et al. 2016).

    The gradient is *not* stopped here: the reference code rebuilds P from the current batch's Q
    and lets gradients flow through it. Textbook DEC holds P fixed: call ``.detach()`` (or compute
    it once over the whole data set) for that variant.
    """
    f = q.sum(dim=0, keepdim=True).clamp_min(_EPS)        # (1, k) soft cluster frequencies
    p = q.pow(2) / f
    return p / p.sum(dim=1, keepdim=True).clamp_min(_EPS)


def clustering_kl_loss(p: torch.Tensor, q: torch.Tensor, reduction: str = "sum") -> torch.Tensor:
    """Clustering loss KL(P ‖ Q) of Eq. (8): ``Σ_i Σ_j p_ij log(p_ij / q_ij)`` (≥ 0).

    Parameters
    ----------
    p, q : (n, k) row-stochastic matrices.
    reduction : ``"sum"`` over rows (Eq. 8 and the reference code, which sums over the 128
        unlabeled rows of a batch) or ``"mean"`` over rows.
    """
    if reduction not in ("sum", "mean"):
        raise ValueError(f"reduction must be 'sum' or 'mean', got {reduction!r}")
    if p.shape != q.shape:
        raise ValueError(f"p and q must have the same shape, got {tuple(p.shape)} and {tuple(q.shape)}")
    kl_rows = (p * (torch.log(p.clamp_min(_EPS)) - torch.log(q.clamp_min(_EPS)))).sum(dim=1)
    return kl_rows.sum() if reduction == "sum" else kl_rows.mean()


def prototype_contrastive_loss(s_max_unlabeled: torch.Tensor, s_max_anomaly: torch.Tensor,
                               weights: torch.Tensor | None = None) -> torch.Tensor:
    """Prototype contrastive loss, Eq. (9):
    ``L_con = −log σ( mean_U(w_i · s_i) − mean_A(s_i) )`` with ``s_i = max_j s_ij``.

    It falls as unlabeled (normal-looking) rows move towards a prototype and as labeled
    anomalies move away from all of them. Same in paper and reference code.

    Parameters
    ----------
    s_max_unlabeled : (b_u,) max similarities of the unlabeled rows.
    s_max_anomaly : (b_a,) max similarities of the labeled anomalies (an empty tensor counts as 0).
    weights : (b_u,) normality weights w_i (None = all ones, the "w/o w_i" ablation).
    """
    if weights is None:
        pos = s_max_unlabeled.mean()
    else:
        pos = (weights * s_max_unlabeled).mean()
    neg = s_max_anomaly.mean() if s_max_anomaly.numel() else s_max_unlabeled.new_zeros(())
    return -F.logsigmoid(pos - neg)


def init_prototypes_kmeans(embeddings: np.ndarray, n_prototypes: int | None = None,
                           k_range: Sequence[int] = (2, 10), random_state: int | None = None,
                           n_init: int = 10, max_kmeans_samples: int = 20000,
                           max_selection_samples: int = 2000, selection_n_init: int = 3):
    """k-means prototypes on latent codes (§III-F "Pre-training and Initialization").

    Parameters
    ----------
    embeddings : (n, H) numpy array, the pretrained encoder's (unnormalised) codes of the
        data to cluster. The paper clusters the *unlabeled* data; the reference code clusters the
        encoder codes of the *validation normals* (true labels) — the caller decides what to pass.
    n_prototypes : fixed k (1 allowed, e.g. the "w/o MNP" ablation), or None to choose k by the
        silhouette score over ``k_range`` (inclusive), as the reference code does (it never tries k=1
        since the silhouette is undefined there). k is capped at n − 1.
    random_state : seed of k-means and of the subsamples.
    n_init : k-means restarts, set explicitly (scikit-learn's default changed from 10 to 'auto' = 1
        in 1.4, which made the reference's k choice version dependent).
    max_kmeans_samples : random subsample size for fitting the final centres.
    max_selection_samples, selection_n_init : when k is chosen by silhouette (O(n²)), every candidate
        k is clustered and scored on one random subsample of this size with ``selection_n_init``
        restarts; the chosen k is then refit with ``n_init`` restarts on (up to) ``max_kmeans_samples``
        rows. This keeps the k choice well under a second on 2 CPU cores.

    Returns
    -------
    centers : (k, H) float32 numpy array.
    k : the number of prototypes.
    scores : dict {k: silhouette score} for the candidates tried (empty when k is fixed).
    """
    from sklearn.cluster import KMeans
    from sklearn.metrics import silhouette_score

    emb = np.asarray(embeddings, dtype=np.float64)
    if emb.ndim != 2 or emb.shape[0] < 1:
        raise ValueError(f"embeddings must be a non-empty (n, H) array, got shape {emb.shape}")
    if not np.isfinite(emb).all():
        raise ValueError("embeddings contain NaN or inf")
    rng = np.random.default_rng(random_state)
    if emb.shape[0] > max_kmeans_samples:
        emb = emb[rng.choice(emb.shape[0], max_kmeans_samples, replace=False)]
    n = emb.shape[0]

    def fit(k: int) -> KMeans:
        return KMeans(n_clusters=k, n_init=n_init, random_state=random_state).fit(emb)

    scores: dict[int, float] = {}
    if n_prototypes is not None:
        k = int(n_prototypes)
        if k < 1:
            raise ValueError(f"n_prototypes must be >= 1 (or None to choose k by silhouette), got {n_prototypes}")
        if k > n:
            raise ValueError(f"n_prototypes={k} exceeds the number of embeddings ({n})")
        km = fit(k)
        return km.cluster_centers_.astype(np.float32), k, scores

    lo, hi = int(k_range[0]), int(k_range[1])
    if lo < 2 or hi < lo:
        raise ValueError(f"k_range must be (lo, hi) with 2 <= lo <= hi, got {tuple(k_range)}")
    sel = emb if n <= max_selection_samples else emb[rng.choice(n, max_selection_samples, replace=False)]
    hi = min(hi, sel.shape[0] - 1)
    if hi < lo:
        raise ValueError(f"too few embeddings ({n}) to choose k by silhouette over {tuple(k_range)}")
    best_k = None
    for k in range(lo, hi + 1):
        labels = KMeans(n_clusters=k, n_init=selection_n_init, random_state=random_state).fit_predict(sel)
        if np.unique(labels).size < 2:          # degenerate (duplicated points): no silhouette
            scores[k] = -1.0
            continue
        scores[k] = float(silhouette_score(sel, labels))
        if best_k is None or scores[k] > scores[best_k]:
            best_k = k
    k = lo if best_k is None else best_k
    km = fit(min(k, n))
    return km.cluster_centers_.astype(np.float32), int(k), scores
