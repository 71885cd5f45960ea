"""Generic, reusable losses for weakly supervised detectors (per-sample reconstruction
error, the weighted reconstruction loss with an anomaly hinge, the weighted score loss, and
DevNet's deviation loss).

First used by MNPWAD (Eq. 3–5 and Eq. 12); the deviation loss (Pang et al. 2019) serves DevNet,
FeaWAD and RoSAS's L_dev ablation. Method-specific losses live in each method's own component file.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F

__all__ = ["reconstruction_error", "weighted_reconstruction_loss", "weighted_score_loss",
           "gaussian_reference", "deviation", "deviation_loss"]


def reconstruction_error(x: torch.Tensor, x_hat: torch.Tensor, kind: str = "mse") -> torch.Tensor:
    """Per-sample reconstruction error e_i = l(x_i, x̂_i) — the one definition every detector uses.

    Parameters
    ----------
    x, x_hat : (n, D), the input first and its reconstruction second (every adlab function that
        takes both keeps this order).
    kind : ``"mse"`` — squared error averaged over features (the MNPWAD paper: "a regression loss
        function like MSE", Eq. 3); ``"smooth_l1"`` — Huber with β = 1 averaged over features, what
        the MNPWAD reference code uses (for ``|x − x̂| < 1``, e.g. min-max scaled data, it equals
        0.5 · squared error); ``"l2"`` — the Euclidean norm ‖x_i − x̂_i‖₂, not squared, not averaged
        (MMNet Eq. 13).

    Returns
    -------
    e : (n,), ≥ 0.
    """
    if x.shape != x_hat.shape:
        raise ValueError(f"x and x_hat must have the same shape, got {tuple(x.shape)} and {tuple(x_hat.shape)}")
    if kind == "mse":
        return (x - x_hat).pow(2).mean(dim=1)
    if kind == "smooth_l1":
        return F.smooth_l1_loss(x_hat, x, reduction="none", beta=1.0).mean(dim=1)
    if kind == "l2":
        return torch.linalg.vector_norm(x - x_hat, ord=2, dim=1)
    raise ValueError(f"kind must be 'mse', 'smooth_l1' or 'l2', got {kind!r}")


def weighted_reconstruction_loss(e_unlabeled: torch.Tensor, e_anomaly: torch.Tensor,
                                 weights: torch.Tensor | None = None, margin: float = 0.02):
    """Weighted reconstruction loss with an anomaly hinge, MNPWAD Eq. (3)–(5).

    ``L_u = mean_U(w_i · e_i)``                                   (Eq. 3)
    ``L_a = mean_A(max(0, m_1 − (e_i − L_u)))``                   (Eq. 4)
    ``L_recon = L_u + L_a``                                       (Eq. 5)

    Unlabeled rows are reconstructed (weighted by their normality w_i), while labeled anomalies
    are pushed to reconstruct at least ``margin`` worse than the unlabeled average. L_u is not
    detached inside the hinge (paper and reference code alike).

    Parameters
    ----------
    e_unlabeled : (b_u,) errors of the unlabeled rows.
    e_anomaly : (b_a,) errors of the labeled anomalies (empty: L_a = 0).
    weights : (b_u,) normality weights, or None for all ones.
    margin : m_1 (paper: 0.02).

    Returns
    -------
    (loss, l_u, l_a) : three scalars.
    """
    if weights is None:
        l_u = e_unlabeled.mean()
    else:
        if weights.shape != e_unlabeled.shape:
            raise ValueError(f"weights {tuple(weights.shape)} must match e_unlabeled {tuple(e_unlabeled.shape)}")
        l_u = (weights * e_unlabeled).mean()
    if e_anomaly.numel():
        l_a = F.relu(margin - (e_anomaly - l_u)).mean()
    else:
        l_a = l_u.new_zeros(())
    return l_u + l_a, l_u, l_a


def _elementwise(pred: torch.Tensor, target: float, kind: str) -> torch.Tensor:
    t = torch.full_like(pred, float(target))
    if kind == "smooth_l1":
        return F.smooth_l1_loss(pred, t, reduction="none", beta=1.0)
    if kind == "mse":
        return (pred - t).pow(2)
    if kind == "bce":
        return F.binary_cross_entropy(pred.clamp(1e-7, 1 - 1e-7), t, reduction="none")
    raise ValueError(f"kind must be 'smooth_l1', 'mse' or 'bce', got {kind!r}")


def weighted_score_loss(score_unlabeled: torch.Tensor, score_anomaly: torch.Tensor,
                        weights: torch.Tensor | None = None, kind: str = "smooth_l1") -> torch.Tensor:
    """Score regression loss, MNPWAD Eq. (12):
    ``L_score = mean_U(w_i · l(score_i, 0)) + mean_A(l(score_i, 1))``.

    Parameters
    ----------
    score_unlabeled : (b_u,) scores in [0, 1] (sigmoid outputs) of the unlabeled rows.
    score_anomaly : (b_a,) scores of the labeled anomalies (empty: no anomaly term).
    weights : (b_u,) normality weights, or None for all ones.
    kind : the regression loss l: ``"smooth_l1"`` (reference code; on [0, 1] outputs it equals
        0.5 · squared error), ``"mse"``, or ``"bce"`` (binary cross-entropy, a common alternative;
        not in the paper).
    """
    l_u = _elementwise(score_unlabeled, 0.0, kind)
    l_u = l_u.mean() if weights is None else (weights * l_u).mean()
    if score_anomaly.numel():
        return l_u + _elementwise(score_anomaly, 1.0, kind).mean()
    return l_u


def gaussian_reference(n_reference: int, generator: torch.Generator | None, device,
                       dtype: torch.dtype | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """Mean and std of ``n_reference`` reference scores r ~ N(0, 1) (DevNet §3.2, l = 5000).

    Returns two 0-d tensors (μ_R, σ_R) on ``device`` (``dtype``, default torch's default float).
    """
    r = torch.randn(int(n_reference), generator=generator, device=device, dtype=dtype)
    return r.mean(), r.std()


def deviation(scores: torch.Tensor, mu_r: torch.Tensor, sigma_r: torch.Tensor) -> torch.Tensor:
    """Z-score deviation dev(x) = (φ(x) − μ_R) / σ_R (DevNet Eq. 2). scores (B,) -> (B,)."""
    return (scores - mu_r) / sigma_r


def deviation_loss(dev: torch.Tensor, y: torch.Tensor, margin: float = 5.0) -> torch.Tensor:
    """Per-sample deviation loss (DevNet Eq. 3): (1 − y)|dev| + y · max(0, a − dev).

    dev : (B,) deviations; y : (B,) 0/1 labels (1 = labeled anomaly); returns (B,) losses.
    Unlabeled rows are pulled to the reference mean, labeled anomalies pushed ≥ a deviations above it.
    """
    if dev.shape != y.shape:
        raise ValueError(f"dev {tuple(dev.shape)} and y {tuple(y.shape)} must have the same 1-D shape")
    y = y.to(dev.dtype)
    return (1.0 - y) * dev.abs() + y * torch.relu(margin - dev)
