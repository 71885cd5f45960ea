"""RoSAS building blocks (Xu et al. 2023, §4): mass interpolation and the RoSAS losses.

Everything here is a pure function of tensors, so the notebooks can call (and re-derive) each
piece, and :class:`adlab.models.rosas.RoSAS` composes them. Label convention inside RoSAS
(paper §4.1): ``y = -1`` for unlabeled rows, ``y = +1`` for labeled anomalies.

* :func:`sample_mixing_weights` — λ on the simplex: Beta(α, α) for k = 2 (Eq. 3).
* :func:`mass_interpolation`    — Eq. (3): x̃ = Σ λ_i x_i, ỹ = Σ λ_i y_i.
* :func:`smooth_l1`             — the base regression loss ℓ (smooth-ℓ1, β = 1).
* :func:`continuous_scoring_loss` — Eq. (4): ℓ(s̃, ỹ) + ℓ(s̃, Σ λ_i s_i) (the consistency term).
* :func:`discrete_scoring_loss`, :func:`regression_loss` — the L→L_dis and L→L_reg ablations of
  Table 4. L→L_dev is DevNet's deviation loss, the shared
  :func:`adlab.components.losses.deviation_loss` (one definition for DevNet, FeaWAD and RoSAS).
* :func:`feature_regularizer`   — Eq. (5), L′: a triplet margin loss in representation space.
* :func:`l2_embedding_penalty`  — the official code's extra ℓ2 term (not in the paper).

The weighting of L and L′ (Eq. 6–7, dynamic weight averaging) is the shared
:class:`adlab.components.balancing.DynamicWeightAveraging`.
"""
from __future__ import annotations

import torch


__all__ = [
    "MIXING_WEIGHTS",
    "sample_mixing_weights",
    "mass_interpolation",
    "smooth_l1",
    "continuous_scoring_loss",
    "discrete_scoring_loss",
    "regression_loss",
    "feature_regularizer",
    "l2_embedding_penalty",
]

#: how λ is drawn when k > 2 (for k = 2 both give λ_1 ~ Beta(α, α), λ_2 = 1 − λ_1)
MIXING_WEIGHTS = ("beta", "dirichlet")


def _dirichlet(concentration: torch.Tensor, generator: torch.Generator | None) -> torch.Tensor:
    """Dirichlet draws along the last axis of ``concentration`` with an explicit generator.

    ``torch.distributions`` cannot take a generator, so this uses the sampler they call
    (``torch._sample_dirichlet``), which accepts one; it falls back to the distribution (global
    RNG) if a future torch drops the private function.
    """
    sampler = getattr(torch, "_sample_dirichlet", None)
    if sampler is not None:
        return sampler(concentration, generator=generator)
    return torch.distributions.Dirichlet(concentration).sample()  # pragma: no cover


def sample_mixing_weights(n: int, k: int = 2, alpha: float = 0.5, *, weights: str = "beta",
                          generator: torch.Generator | None = None, device=None,
                          dtype: torch.dtype = torch.float32) -> torch.Tensor:
    """Interpolation weights λ, shape (n, k), each row non-negative and summing to 1 (Eq. 3).

    * k = 2: λ_1 ~ Beta(α, α) and λ_2 = 1 − λ_1 — exactly the paper's Beta(α, α) (drawn as
      Dirichlet(α, α), which is what both reference codes do).
    * k > 2, ``weights="beta"`` (default): each λ_i ~ Beta(α, α) independently, then the row is
      divided by its sum. This is the paper's wording ("λ_i sampled from Beta(α, α)" and
      "Σ λ_i = 1") and what the official and DeepOD codes do. It is *not* Dirichlet(α, …, α).
    * k > 2, ``weights="dirichlet"``: λ ~ Dirichlet(α, …, α), the canonical law on the simplex
      (marginals Beta(α, (k−1)α)); it also reduces to Beta(α, α) at k = 2.

    α < 1 puts the mass near the corners (each mix stays close to one original sample, which
    limits "manifold intrusion"); α = 1 is uniform; α > 1 concentrates around the centre.
    """
    if int(k) != k or k < 2:
        raise ValueError(f"k (samples per interpolation) must be an integer >= 2, got {k}")
    if not alpha > 0:
        raise ValueError(f"alpha (Beta concentration) must be > 0, got {alpha}")
    if weights not in MIXING_WEIGHTS:
        raise ValueError(f"weights must be one of {MIXING_WEIGHTS}, got {weights!r}")
    k = int(k)
    if k == 2 or weights == "dirichlet":
        conc = torch.full((n, k), float(alpha), device=device, dtype=dtype)
        return _dirichlet(conc, generator)
    conc = torch.full((n, k, 2), float(alpha), device=device, dtype=dtype)
    lam = _dirichlet(conc, generator)[..., 0]                      # (n, k) independent Beta(α, α)
    return lam / lam.sum(dim=1, keepdim=True).clamp_min(torch.finfo(dtype).tiny)


def mass_interpolation(x: torch.Tensor, y: torch.Tensor, k: int = 2, alpha: float = 0.5,
                       generator: torch.Generator | None = None, *, weights: str = "beta"):
    """Mass interpolation, Eq. (3): mix every row of a mini-batch with k − 1 random partners.

    Parameters
    ----------
    x : (n, D) the pooled mini-batch (RoSAS: anchors, unlabeled rows and labeled anomalies).
    y : (n,) targets, −1 for unlabeled and +1 for labeled anomalies (any reals are mixed alike).
    k : samples per interpolation; alpha : Beta concentration; weights : see
        :func:`sample_mixing_weights`.
    generator : torch.Generator on ``x.device`` (``None`` = torch's global RNG).

    Returns
    -------
    x_mix : (n, D) = Σ_j λ[:, j] · x[idx[:, j]]
    y_mix : (n,)   = Σ_j λ[:, j] · y[idx[:, j]]   (in [−1, 1] for y ∈ {−1, +1})
    lam   : (n, k) the weights, rows summing to 1
    idx   : (n, k) long; column 0 is the row itself, columns 1..k−1 are independent random
            permutations of the batch, so unlabeled–unlabeled, unlabeled–anomaly and
            anomaly–anomaly mixes all occur (as in the reference codes).
    """
    if x.dim() != 2 or y.dim() != 1 or x.shape[0] != y.shape[0]:
        raise ValueError(f"x must be (n, D) and y (n,), got {tuple(x.shape)} and {tuple(y.shape)}")
    n = x.shape[0]
    lam = sample_mixing_weights(n, k, alpha, weights=weights, generator=generator, device=x.device,
                                dtype=x.dtype)
    cols = [torch.arange(n, device=x.device)]
    cols += [torch.randperm(n, generator=generator, device=x.device) for _ in range(int(k) - 1)]
    idx = torch.stack(cols, dim=1)                                 # (n, k)
    x_mix = torch.einsum("nk,nkd->nd", lam, x[idx])
    y = y.to(x.dtype)
    # a convex combination stays in [min y, max y]; the clamp only removes float rounding
    y_mix = (lam * y[idx]).sum(dim=1).clamp(y.min(), y.max())
    return x_mix, y_mix, lam, idx


def smooth_l1(pred: torch.Tensor, target: torch.Tensor, beta: float = 1.0) -> torch.Tensor:
    """Mean smooth-ℓ1 (Huber with threshold β): 0.5·r²/β if ``|r| < β`` else ``|r| − 0.5·β``. Scalar."""
    return torch.nn.functional.smooth_l1_loss(pred, target, reduction="mean", beta=beta)


def continuous_scoring_loss(score_mix: torch.Tensor, y_mix: torch.Tensor, score_parts: torch.Tensor,
                            lam: torch.Tensor, consistency: bool = True, beta: float = 1.0):
    """The RoSAS scoring loss L, Eq. (4).

        L = mean[ ℓ(s̃, ỹ) ] + mean[ ℓ(s̃, Σ_i λ_i s_i) ]      (second term: consistency L_c)

    score_mix : (n,) s̃ = ψ(φ(x̃)); y_mix : (n,) ỹ; score_parts : (n, k) s_i = ψ(φ(x_i)) of the
    samples each x̃ was mixed from; lam : (n, k). ``consistency=False`` drops L_c (the "w/o L_c"
    ablation). The interpolated score Σ λ_i s_i is *not* detached (as in both reference codes),
    so L_c moves the scores of the originals too. Returns (L, target_term, consistency_term).
    """
    target_term = smooth_l1(score_mix, y_mix, beta)
    if not consistency:
        return target_term, target_term, torch.zeros_like(target_term)
    consistency_term = smooth_l1(score_mix, (lam * score_parts).sum(dim=1), beta)
    return target_term + consistency_term, target_term, consistency_term


def discrete_scoring_loss(score_mix: torch.Tensor, y_mix: torch.Tensor, score_parts: torch.Tensor,
                          lam: torch.Tensor, consistency: bool = True, beta: float = 1.0):
    """Ablation L→L_dis (Table 4): Eq. (4) with the mixed targets discretised back to ±1.

    ỹ_dis = +1 where ỹ > 0 else −1 (the label of the dominant component for k = 2); the
    augmented samples and the consistency term are kept. Same returns as
    :func:`continuous_scoring_loss`.
    """
    y_dis = torch.where(y_mix > 0, torch.ones_like(y_mix), -torch.ones_like(y_mix))
    return continuous_scoring_loss(score_mix, y_dis, score_parts, lam, consistency, beta)


def regression_loss(scores: torch.Tensor, y: torch.Tensor, beta: float = 1.0) -> torch.Tensor:
    """Ablation L→L_reg (Table 4): bare smooth-ℓ1 of the original samples' scores (n,) against
    their discrete targets y ∈ {−1, +1} (n,) — no interpolation, no consistency. Scalar."""
    return smooth_l1(scores, y.to(scores.dtype), beta)


def feature_regularizer(emb_anchor: torch.Tensor, emb_unlabeled: torch.Tensor, emb_anomaly: torch.Tensor,
                        margin: float = 1.0, eps: float = 1e-6) -> torch.Tensor:
    """The feature-learning regulariser L′, Eq. (5): a triplet margin loss.

        L′ = mean_j max( d(φ(x⁻_j), φ(q_j)) − d(φ(x⁺_j), φ(q_j)) + e, 0 )

    emb_anchor (b, H) = φ(q), anchors drawn from the unlabeled set; emb_unlabeled (b, H) = φ(x⁻),
    other unlabeled rows ("positives"); emb_anomaly (b, H) = φ(x⁺), labeled anomalies
    ("negatives"); d = Euclidean distance computed as ‖u − v + eps‖₂, exactly like
    ``torch.nn.TripletMarginLoss`` (which the reference codes call). Zero once every anomaly is
    more than ``margin`` farther from its anchor than the unlabeled partner. Scalar.
    """
    if margin < 0:
        raise ValueError(f"margin must be >= 0, got {margin}")
    d_pos = torch.linalg.vector_norm(emb_anchor - emb_unlabeled + eps, dim=1)
    d_neg = torch.linalg.vector_norm(emb_anchor - emb_anomaly + eps, dim=1)
    return torch.clamp(d_pos - d_neg + margin, min=0.0).mean()


def l2_embedding_penalty(emb_anchor: torch.Tensor, emb_unlabeled: torch.Tensor,
                         emb_anomaly: torch.Tensor) -> torch.Tensor:
    """The official RoSAS code's extra term (absent from the paper and from DeepOD):
    ‖φ(q) + φ(x⁻) + φ(x⁺)‖_F, the Frobenius norm (not squared) of the *sum* of the three
    (b, H) embedding batches. The official code adds it with weight 1e-2. Scalar."""
    return torch.linalg.vector_norm(emb_anchor + emb_unlabeled + emb_anomaly)
