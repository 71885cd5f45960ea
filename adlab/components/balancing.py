"""Dynamic weight averaging (DWA) of several losses — one implementation, used by MNPWAD
(Eq. 13) and RoSAS (Eq. 6–7).

Both reference codes weight loss k on every mini-batch by

    λ_k = exp((L_k^batch / L̄_k^prev) / T) / Σ_j exp((L_j^batch / L̄_j^prev) / T),

where L̄_k^prev is the mean of L_k over the previous epoch (1 in the first epoch) and T = 2.
The λ's sum to 1 (no factor K as in Liu et al. 2019), and in the reference codes the current
batch loss is a live tensor, so the weights are differentiable (``detach=False``). The loss
that descends *slowest* relative to its previous level gets the largest weight.

``mode="epoch"`` gives the textbook Liu et al. variant: weights fixed for a whole epoch from
the ratio of the two previous epoch means L̄(t−1)/L̄(t−2) (uniform for the first two epochs).
"""
from __future__ import annotations

from typing import Sequence

import torch

__all__ = ["dwa_weights", "DynamicWeightAveraging"]


def dwa_weights(ratios: torch.Tensor, temperature: float = 2.0) -> torch.Tensor:
    """Softmax of ``ratios / T``: the DWA weights, shape (K,), summing to 1.

    ``ratios[k]`` is the relative descent rate of loss k (current / previous level).
    """
    return torch.softmax(ratios / temperature, dim=0)


class DynamicWeightAveraging:
    """Stateful DWA combiner.

    Usage per mini-batch: ``total = dwa.combine([l1, l2, l3])``; after each epoch:
    ``dwa.end_epoch()``. ``dwa.last_weights`` holds the weights of the last batch (detached).

    Parameters
    ----------
    n_losses : number of losses K.
    temperature : T in Eq. 13 (MNPWAD) / Eq. 7 (RoSAS); 2 in both papers' code.
    mode : ``"batch"`` (reference codes: current batch loss / previous-epoch mean) or
        ``"epoch"`` (Liu et al.: fixed per epoch from L̄(t−1)/L̄(t−2)).
    detach : stop gradients through the weights (the reference codes do not).
    """

    def __init__(self, n_losses: int, temperature: float = 2.0, mode: str = "batch", detach: bool = False):
        if mode not in ("batch", "epoch"):
            raise ValueError(f"mode must be 'batch' or 'epoch', got {mode!r}")
        if temperature <= 0:
            raise ValueError(f"temperature must be > 0, got {temperature}")
        self.n_losses = int(n_losses)
        self.temperature = float(temperature)
        self.mode = mode
        self.detach = detach
        self.prev_means = [1.0] * self.n_losses        # L̄(t-1)
        self.prev_prev_means = [1.0] * self.n_losses   # L̄(t-2)
        self.epoch = 0
        self._sums = [0.0] * self.n_losses
        self._count = 0
        self.last_weights = torch.full((self.n_losses,), 1.0 / self.n_losses)
        self._epoch_weights: torch.Tensor | None = None   # mode="epoch": this epoch's weights

    def weights(self, losses: Sequence[torch.Tensor]) -> torch.Tensor:
        """DWA weights (K,) for the current batch losses."""
        if len(losses) != self.n_losses:
            raise ValueError(f"expected {self.n_losses} losses, got {len(losses)}")
        ref = losses[0]
        if self.mode == "batch":
            ratios = torch.stack([l / max(p, 1e-12) for l, p in zip(losses, self.prev_means)])
            if self.detach:
                ratios = ratios.detach()
        else:
            # fixed for the whole epoch: built (and copied to the device) once per epoch, not per step
            cached = self._epoch_weights
            if cached is None or cached.device != ref.device or cached.dtype != ref.dtype:
                if self.epoch < 2:
                    ratios = torch.zeros(self.n_losses, device=ref.device, dtype=ref.dtype)
                else:
                    ratios = torch.tensor([a / max(b, 1e-12) for a, b in zip(self.prev_means, self.prev_prev_means)],
                                          dtype=ref.dtype).to(ref.device, non_blocking=True)
                cached = self._epoch_weights = dwa_weights(ratios, self.temperature)
            return cached
        return dwa_weights(ratios, self.temperature)

    def combine(self, losses: Sequence[torch.Tensor]) -> torch.Tensor:
        """Weighted sum Σ λ_k L_k of the batch losses; also records them for the epoch means."""
        w = self.weights(losses)
        self.last_weights = w.detach()
        # accumulate on the device: no host sync per batch (converted once in end_epoch)
        self._sums = [s + l.detach() for s, l in zip(self._sums, losses)]
        self._count += 1
        return sum(wk * lk for wk, lk in zip(w, losses))

    def end_epoch(self) -> list[float]:
        """Close an epoch: the recorded means become L̄(t−1). Returns those means (one host sync)."""
        self._epoch_weights = None
        if self._count:
            means = [float(v) / self._count for v in torch.stack([torch.as_tensor(s) for s in self._sums]).tolist()]
            self.prev_prev_means, self.prev_means = self.prev_means, means
        self.epoch += 1
        self._sums = [0.0] * self.n_losses
        self._count = 0
        return list(self.prev_means)
