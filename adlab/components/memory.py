"""Memory module of MMNet (Yin et al., "MMNet: Masked Memory Network for semi-supervised anomaly
detection in IoT"): addressing, hard shrinkage, read-out, the soft/hard mask, the margin
reconstruction loss, the attention-to-uniform KL loss and the attention-based anomaly scores.

Notation (paper §III): a memory ``M`` of ``K + L`` items of dimension ``C``; rows ``0..K-1`` form
``M_u`` (prototypes of the unlabeled, mostly normal data), rows ``K..K+L-1`` form ``M_l``
(prototypes of the labeled anomalies). ``z`` (n, C) are encoder outputs used as queries;
``is_labeled`` (n,) is 1 for a labeled anomaly and 0 for an unlabeled sample.

Which attention vector is used where (the paper uses the letter ``w`` loosely):

* the *softmax* weights ``w`` of Eq. (4) feed the mask loss (Eq. 8/14), the KL loss
  (Eq. 15/16) and both scores (Eq. 17/18) — the gradient derivation of Eq. (9) differentiates
  the softmax, and ``log ŵ`` would be ``-inf`` wherever shrinkage switched an item off;
* the *shrunk, renormalised* weights ``ŵ`` of Eq. (6) only form the read-out ``ẑ`` (Eq. 7).

Every log of an attention weight is a ``log_softmax`` of the logits, floored at
``LOG_WEIGHT_FLOOR`` — never ``log(softmax(.))`` — so losses and scores stay finite even when the
softmax underflows to exact zeros (inputs far outside the training range).
"""
from __future__ import annotations

import math

import torch
from torch import nn

from .losses import reconstruction_error

__all__ = [
    "LOG_WEIGHT_FLOOR", "memory_logits", "cosine_memory_logits", "attention_weights", "hard_shrinkage", "l1_renormalise",
    "memory_readout", "hard_mask_allowed", "part_sums", "soft_mask_loss", "margin_reconstruction_loss",
    "uniform_kl_loss", "attention_sum_score", "attention_logodds_score", "attention_kl_score", "mmnet_score",
    "standardised_mmnet_score", "MemoryModule",
]

#: lower bound on log attention weights (finite in float32 even after summing 10^6 of them)
LOG_WEIGHT_FLOOR = -1e30


# --------------------------------------------------------------------------- addressing
def memory_logits(z: torch.Tensor, memory: torch.Tensor) -> torch.Tensor:
    """Eq. (3): similarities ``d_ij = z_i · m_j`` (plain dot product, not cosine).

    z (n, C), memory (K+L, C) -> logits (n, K+L).
    """
    if z.ndim != 2 or memory.ndim != 2 or z.shape[1] != memory.shape[1]:
        raise ValueError(f"z must be (n, C) and memory (K+L, C) with the same C; got {tuple(z.shape)} "
                         f"and {tuple(memory.shape)}")
    return z @ memory.t()


def cosine_memory_logits(z: torch.Tensor, memory: torch.Tensor, temperature: float = 0.1) -> torch.Tensor:
    """Option (not the paper's Eq. 3): cosine similarity divided by a temperature, as in the MemAE
    *paper*. The logits are bounded by ``±1/temperature``, so inputs far outside the training range
    cannot produce arbitrarily peaked attention (with the dot product, ``‖z‖`` grows with the
    distance and such inputs look *more* familiar to ``S_KL``). z (n, C), memory (K+L, C) -> (n, K+L).
    """
    if not temperature > 0:
        raise ValueError(f"temperature must be > 0, got {temperature}")
    z_n = torch.nn.functional.normalize(z, dim=1)
    m_n = torch.nn.functional.normalize(memory, dim=1)
    return memory_logits(z_n, m_n) / temperature


def attention_weights(logits: torch.Tensor, allowed: torch.Tensor | None = None
                      ) -> tuple[torch.Tensor, torch.Tensor]:
    """Eq. (4): ``w = softmax(d)`` and its numerically safe log, ``log_softmax(d)``.

    logits (n, N). ``allowed`` (n, N) bool, optional: items outside it are excluded from the
    softmax (weight exactly 0) — used by the *hard-mask* ablation. Returns ``(w, log_w)``, both
    (n, N); ``log_w`` is floored at ``LOG_WEIGHT_FLOOR`` so it is always finite.
    """
    if allowed is not None:
        if allowed.shape != logits.shape:
            raise ValueError(f"allowed must have the logits' shape {tuple(logits.shape)}, got {tuple(allowed.shape)}")
        keeps_one = allowed.any(dim=1).all()
        if allowed.device.type == "cpu":
            if not bool(keeps_one):
                raise ValueError("every row of `allowed` must keep at least one memory item")
        else:                                   # checked on the device: no host sync per training step
            torch._assert_async(keeps_one, "every row of `allowed` must keep at least one memory item")
        logits = logits.masked_fill(~allowed, float("-inf"))
    log_w = torch.log_softmax(logits, dim=1)
    w = log_w.exp()
    return w, log_w.clamp_min(LOG_WEIGHT_FLOOR)


def hard_shrinkage(w: torch.Tensor, threshold: float, eps: float = 1e-12) -> torch.Tensor:
    """Eq. (5) (MemAE Eq. 7): ``w̃_j = max(w_j − γ, 0) · w_j / (|w_j − γ| + ε)``.

    Entries ``w_j ≤ γ`` become exactly 0 (zero gradient); entries above ``γ`` stay ≈ ``w_j``.
    w (n, N) -> (n, N).
    """
    if threshold < 0:
        raise ValueError(f"shrink threshold γ must be ≥ 0, got {threshold}")
    return torch.relu(w - threshold) * w / ((w - threshold).abs() + eps)


def l1_renormalise(w_tilde: torch.Tensor, fallback: torch.Tensor | None = None, eps: float = 1e-12) -> torch.Tensor:
    """Eq. (6): ``ŵ = w̃ / ‖w̃‖₁`` row by row.

    A row whose shrunk weights are all zero (every ``w_j ≤ γ``, possible only for near-uniform
    attention) would give ``ŵ = 0`` and ``ẑ = 0``; adlab then uses that row of ``fallback`` (the
    un-shrunk softmax ``w``) unchanged. Without a fallback the row stays 0 (MemAE's code).
    (n, N) -> (n, N).
    """
    total = w_tilde.sum(dim=1, keepdim=True)
    w_hat = w_tilde / total.clamp_min(eps)
    if fallback is not None:
        w_hat = torch.where(total > 0, w_hat, fallback)
    return w_hat


def memory_readout(w_hat: torch.Tensor, memory: torch.Tensor) -> torch.Tensor:
    """Eq. (7): ``ẑ = Σ_j ŵ_j m_j``. w_hat (n, K+L), memory (K+L, C) -> (n, C)."""
    return w_hat @ memory


def hard_mask_allowed(is_labeled: torch.Tensor, n_normal: int, n_anomaly: int) -> torch.Tensor:
    """Hard masking (ablation of §IV-C-1, Table III): unlabeled queries address only ``M_u``,
    labeled anomalies only ``M_l``. is_labeled (n,) -> allowed (n, K+L) bool."""
    lab = is_labeled.reshape(-1, 1).bool()
    part_l = torch.arange(n_normal + n_anomaly, device=is_labeled.device).reshape(1, -1) >= n_normal
    return torch.where(lab, part_l, ~part_l)


# --------------------------------------------------------------------------- losses
def part_sums(w: torch.Tensor, n_normal: int) -> tuple[torch.Tensor, torch.Tensor]:
    """``(w_u, w_l)`` of Eq. (8): attention on ``M_u`` (first K items) and on ``M_l``. (n, N) -> 2 × (n,)."""
    return w[:, :n_normal].sum(dim=1), w[:, n_normal:].sum(dim=1)


def soft_mask_loss(w: torch.Tensor, is_labeled: torch.Tensor, n_normal: int) -> torch.Tensor:
    """Eq. (8)/(14), per sample: ``(1 − l) w_l + l w_u`` on the softmax weights ``w`` (n, N).

    Unlabeled samples are pushed to attend to ``M_u``, labeled anomalies to ``M_l``; by Eq. (9)–(10)
    the gradient pulls ``M_u`` items toward unlabeled queries and pushes ``M_l`` items away.
    Returns (n,); the estimator averages it over the batch (the paper sums).
    """
    w_u, w_l = part_sums(w, n_normal)
    lab = is_labeled.to(w.dtype)
    return (1.0 - lab) * w_l + lab * w_u


def margin_reconstruction_loss(x: torch.Tensor, x_hat: torch.Tensor, is_labeled: torch.Tensor,
                               margin: float = 5.0) -> torch.Tensor:
    """Eq. (12), per sample: ``(1 − l) e + l max(0, a − e)`` with ``e = ‖x_i − x̂_i‖₂`` (Eq. 13, the L2
    norm, not squared: :func:`adlab.components.losses.reconstruction_error` with ``kind="l2"``).

    Arguments in the order of every adlab reconstruction function: input ``x`` (n, D) first, its
    reconstruction ``x_hat`` (n, D) second. Unlabeled samples are reconstructed; labeled anomalies
    are pushed to an error of at least ``a``. Note: in [0, 1]^D the largest error *inside* the box is
    √D, so for D < a² = 25 the hinge can only be met by reconstructions outside the data box (the
    linear decoder allows it). Returns (n,).
    """
    e = reconstruction_error(x, x_hat, "l2")
    lab = is_labeled.to(e.dtype)
    return (1.0 - lab) * e + lab * torch.relu(margin - e)


def uniform_kl_loss(log_w: torch.Tensor, reduction: str = "mean", allowed: torch.Tensor | None = None
                    ) -> torch.Tensor:
    """KL loss, per sample: Eq. (15) ``−D_KL(u ‖ w) = (1/N) Σ_j log w_j + log N`` (``reduction="mean"``,
    adlab's default) or the literal Eq. (16) ``Σ_j log w_j`` (``reduction="sum"``, the constant
    and the 1/N dropped — which multiplies the loss weight by N).

    log_w (n, N) must come from :func:`attention_weights` (log-softmax, floored), so the result is
    finite even when some ``w_j`` underflow to 0. Minimising it *maximises* ``D_KL(u ‖ w)``: it makes the
    attention of training data peaked (far from uniform), so that at test time only unfamiliar
    inputs keep near-uniform attention (small ``S_KL``, Eq. 18). It is unbounded below (some ``w_j → 0``
    as ``‖z‖·‖m‖`` grows): log it during training. ``allowed`` (n, N), for the hard mask:
    the uniform distribution is over the allowed items of each row only. Returns (n,).
    """
    if reduction not in ("mean", "sum"):
        raise ValueError(f"reduction must be 'mean' (Eq. 15) or 'sum' (Eq. 16), got {reduction!r}")
    if allowed is None:
        total = log_w.sum(dim=1)
        count = torch.full_like(total, float(log_w.shape[1]))
    else:
        total = torch.where(allowed, log_w, torch.zeros_like(log_w)).sum(dim=1)
        count = allowed.sum(dim=1).to(log_w.dtype)
    if reduction == "sum":
        return total
    return total / count + torch.log(count)


# --------------------------------------------------------------------------- scores
def attention_sum_score(w: torch.Tensor, n_normal: int) -> torch.Tensor:
    """Eq. (17): ``S_sum = Σ_{j<K} w_j`` ∈ [0, 1] — attention on the normal memory; *high = normal*.
    (n, N) -> (n,)."""
    return w[:, :n_normal].sum(dim=1)


def attention_logodds_score(logits: torch.Tensor, n_normal: int) -> torch.Tensor:
    """``−logit(S_sum) = log(w_l / w_u) = logsumexp(d_{j≥K}) − logsumexp(d_{j<K})`` from the logits ``d``
    (n, N) -> (n,); *high = anomalous*.

    A strictly decreasing function of ``S_sum`` (Eq. 17), so in exact arithmetic it ranks rows exactly like
    ``−S_sum``; but ``S_sum`` rounds to 1.0 in float32 once ``w_l < 6·10⁻⁸`` (a logit gap of ≈ 17), and
    then ties every such row — most normals and, on UNSW-NB15 Backdoor, 11–18 % of the anomalies (issue
    13). Computed from the logits it keeps ordering them. (adlab's default MMNet score, Decision 14.)
    """
    return torch.logsumexp(logits[:, n_normal:], dim=1) - torch.logsumexp(logits[:, :n_normal], dim=1)


def attention_kl_score(log_w: torch.Tensor) -> torch.Tensor:
    """Eq. (18): ``S_KL = −(1/N) Σ_j log w_j − H(u) = D_KL(u ‖ w) ≥ 0``, with ``H(u) = log N``.

    Large for peaked attention (a query that matches some prototype: normals and known
    anomalies), small for near-uniform attention (unknown anomalies, §III-G); *high = familiar*.
    log_w (n, N) from :func:`attention_weights` -> (n,), always finite.
    """
    n_items = log_w.shape[1]
    return -log_w.mean(dim=1) - math.log(n_items)


def mmnet_score(s_sum: torch.Tensor, s_kl: torch.Tensor, score_lambda: float = 0.1) -> torch.Tensor:
    """Eq. (19): ``S = −(S_sum + λ S_KL)`` — higher = more anomalous.

    Both terms are "high = familiar/normal", hence the minus sign: low attention on ``M_u`` and
    near-uniform attention both raise ``S``. Note the scale mismatch: ``S_sum ∈ [0, 1]`` while
    ``S_KL`` is in nats and unbounded. (n,) × 2 -> (n,).
    """
    return -(s_sum + score_lambda * s_kl)


def standardised_mmnet_score(s_sum: torch.Tensor, s_kl: torch.Tensor, stats, score_lambda: float = 0.1
                             ) -> torch.Tensor:
    """Eq. (19) on standardised components: ``S = −(z(S_sum) + λ z(S_KL))`` with
    ``z(s) = (s − mean) / std`` and ``stats = (mean_sum, std_sum, mean_kl, std_kl)`` measured on the
    training rows (never on test labels). A std of 0 (a constant component) makes that term 0.

    Why: ``S_sum ∈ [0, 1]`` and ``S_KL`` (nats) live on different scales, so with the raw Eq. (19) the
    weight ``λ`` means nothing by itself and ``λ S_KL`` can swamp ``S_sum``; the first author's public
    code (MCM's ``find_best_lambda``) standardises both scores before weighting them with λ. On
    standardised scores λ = 0.1 gives ``S_KL`` a tenth of ``S_sum``'s weight. (n,) × 2 -> (n,).
    """
    m_sum, sd_sum, m_kl, sd_kl = (float(v) for v in stats)
    z_sum = (s_sum - m_sum) / sd_sum if sd_sum > 0 else torch.zeros_like(s_sum)
    z_kl = (s_kl - m_kl) / sd_kl if sd_kl > 0 else torch.zeros_like(s_kl)
    return -(z_sum + score_lambda * z_kl)


# --------------------------------------------------------------------------- module
class MemoryModule(nn.Module):
    """The learnable memory ``M ∈ R^{(K+L)×C}`` (Xavier-uniform init, §III-D) and its addressing.

    ``forward(z, allowed=None)`` -> dict with ``logits`` (Eq. 3), ``w`` and ``log_w`` (Eq. 4),
    ``w_hat`` (Eq. 5–6, shrunk and renormalised, falling back to ``w`` for an all-zero row) and
    ``z_hat`` (Eq. 7). z (n, C); every entry of the dict is (n, K+L) except ``z_hat`` (n, C).

    ``shrink_threshold=None`` means γ = 1/(K+L) (the lower end of MemAE's recommended [1/N, 3/N];
    MemAE's code default 0.0025 was chosen for N = 2000 items). ``0`` disables shrinkage.
    ``addressing="dot"`` is Eq. (3); ``"cosine"`` uses :func:`cosine_memory_logits` with ``temperature``.
    """

    def __init__(self, n_normal: int, n_anomaly: int, dim: int, shrink_threshold: float | None = None,
                 eps: float = 1e-12, addressing: str = "dot", temperature: float = 0.1):
        super().__init__()
        if addressing not in ("dot", "cosine"):
            raise ValueError(f"addressing must be 'dot' (Eq. 3) or 'cosine', got {addressing!r}")
        if not temperature > 0:
            raise ValueError(f"temperature must be > 0, got {temperature}")
        self.addressing = addressing
        self.temperature = float(temperature)
        if n_normal < 1 or n_anomaly < 0 or dim < 1:
            raise ValueError(f"need n_normal ≥ 1, n_anomaly ≥ 0, dim ≥ 1; got {n_normal}, {n_anomaly}, {dim}")
        self.n_normal = int(n_normal)
        self.n_anomaly = int(n_anomaly)
        self.size = self.n_normal + self.n_anomaly
        self.dim = int(dim)
        self.shrink_threshold = 1.0 / self.size if shrink_threshold is None else float(shrink_threshold)
        if not 0.0 <= self.shrink_threshold < 1.0:
            raise ValueError(f"shrink_threshold must be in [0, 1), got {shrink_threshold}")
        self.eps = float(eps)
        self.weight = nn.Parameter(torch.empty(self.size, self.dim))
        nn.init.xavier_uniform_(self.weight)

    def forward(self, z: torch.Tensor, allowed: torch.Tensor | None = None) -> dict[str, torch.Tensor]:
        if self.addressing == "dot":
            logits = memory_logits(z, self.weight)
        else:
            logits = cosine_memory_logits(z, self.weight, self.temperature)
        w, log_w = attention_weights(logits, allowed)
        if self.shrink_threshold > 0:
            w_hat = l1_renormalise(hard_shrinkage(w, self.shrink_threshold, self.eps), fallback=w, eps=self.eps)
        else:
            w_hat = w
        return {"logits": logits, "w": w, "log_w": log_w, "w_hat": w_hat,
                "z_hat": memory_readout(w_hat, self.weight)}

    def extra_repr(self) -> str:
        return (f"K={self.n_normal}, L={self.n_anomaly}, C={self.dim}, "
                f"shrink_threshold={self.shrink_threshold:.4g}, addressing={self.addressing}")
