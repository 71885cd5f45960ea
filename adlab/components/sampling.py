"""Balanced mini-batches of b_u unlabeled rows + b_a labeled anomalies, drawn on the device.

Used by MNPWAD (b_u = 128, b_a configurable; the reference draws 8 anomalies with replacement),
RoSAS and MMNet. Everything happens in torch on the training device: no host round-trips and
no per-sample Python loops, so a batch costs O(b) regardless of the data size.
"""
from __future__ import annotations

import torch

__all__ = ["sample_without_replacement", "BalancedBatchSampler"]


def sample_without_replacement(n: int, k: int, generator: torch.Generator, device) -> torch.Tensor:
    """k distinct indices in [0, n) (k ≤ n), O(k) expected work for k ≪ n.

    Uses random keys + top-k for small populations and rejection-free "sort of random keys"
    only over n when n is small; for large n draws k·(1+ε) integers and keeps the first k distinct.
    """
    if k > n:
        raise ValueError(f"cannot draw {k} distinct rows from {n}")
    if n <= 4 * k or n <= 4096:
        return torch.randperm(n, generator=generator, device=device)[:k]
    # draw with replacement, de-duplicate, top up until k distinct (few iterations since k ≪ n)
    idx = torch.randint(n, (k + k // 4 + 8,), generator=generator, device=device)
    uniq = torch.unique(idx)
    while uniq.numel() < k:
        extra = torch.randint(n, (k,), generator=generator, device=device)
        uniq = torch.unique(torch.cat([uniq, extra]))
    # unique() sorts; shuffle so the batch order is random
    perm = torch.randperm(uniq.numel(), generator=generator, device=device)[:k]
    return uniq[perm]


class BalancedBatchSampler:
    """Index sampler for (unlabeled, labeled-anomaly) mini-batches.

    Parameters
    ----------
    unlabeled_idx, anomaly_idx : 1-D LongTensors of row indices (on the device).
    b_u : unlabeled rows per batch, drawn without replacement within a batch
          (capped at the number of unlabeled rows).
    b_a : labeled anomalies per batch, drawn *with* replacement (there may be only one).
    generator : a torch.Generator on the same device (seeded for determinism).
    """

    def __init__(self, unlabeled_idx: torch.Tensor, anomaly_idx: torch.Tensor, b_u: int, b_a: int,
                 generator: torch.Generator):
        if unlabeled_idx.numel() == 0:
            raise ValueError("the unlabeled set is empty")
        if b_a > 0 and anomaly_idx.numel() == 0:
            raise ValueError("no labeled anomalies to sample from (y == 1 nowhere)")
        self.unlabeled_idx = unlabeled_idx
        self.anomaly_idx = anomaly_idx
        self.b_u = min(int(b_u), unlabeled_idx.numel())
        self.b_a = int(b_a)
        self.generator = generator
        self.device = unlabeled_idx.device

    def sample(self) -> tuple[torch.Tensor, torch.Tensor]:
        """One batch: (unlabeled row indices (b_u,), anomaly row indices (b_a,))."""
        u = self.unlabeled_idx[sample_without_replacement(self.unlabeled_idx.numel(), self.b_u,
                                                          self.generator, self.device)]
        if self.b_a > 0:
            a = self.anomaly_idx[torch.randint(self.anomaly_idx.numel(), (self.b_a,),
                                               generator=self.generator, device=self.device)]
        else:
            a = self.anomaly_idx[:0]
        return u, a
