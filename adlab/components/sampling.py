"""Balanced mini-batches of b_u unlabeled rows + b_a labeled anomalies, drawn on the device.

Used by MNPWAD (b_u = 128, b_a configurable; the reference draws 8 anomalies with replacement),
RoSAS, MMNet and the baselines. Everything happens in torch on the training device with Python
integers as the only bookkeeping: no host round-trips (no ``.item()``, ``unique`` or boolean
indexing whose size the host must learn), no per-sample Python loops.

Unlabeled rows are drawn as *shuffled passes*: one permutation of the unlabeled pool is cut into
consecutive slices of b_u rows; when fewer than b_u rows remain, the rest of that pass is dropped
and a fresh permutation starts (``drop_last`` in DataLoader terms). So a batch never repeats a
row, every row is seen once per pass, and a step costs O(b_u) amortised (one ``randperm`` of the
pool every ⌊n/b_u⌋ steps).
"""
from __future__ import annotations

import torch

__all__ = ["sample_without_replacement", "BalancedBatchSampler"]


def sample_without_replacement(n: int, k: int, generator: torch.Generator, device) -> torch.Tensor:
    """k distinct indices in [0, n) (k ≤ n): the first k entries of one random permutation.

    Shape ``(k,)``, dtype int64, on ``device``. Sync-free (``randperm`` never asks the host for a
    data-dependent size); O(n) work, so use :class:`BalancedBatchSampler` for repeated draws.
    """
    if k > n:
        raise ValueError(f"cannot draw {k} distinct rows from {n}")
    return torch.randperm(n, generator=generator, device=device)[:k]


class BalancedBatchSampler:
    """Index sampler for (unlabeled, labeled-anomaly) mini-batches.

    Parameters
    ----------
    unlabeled_idx, anomaly_idx : 1-D LongTensors of row indices (on the device).
    b_u : unlabeled rows per batch, taken as consecutive slices of shuffled passes over the
          unlabeled pool (distinct within a batch; capped at the pool size).
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
        self.n_unlabeled = int(unlabeled_idx.numel())
        self.n_anomalies = int(anomaly_idx.numel())
        self.b_u = min(int(b_u), self.n_unlabeled)
        self.b_a = int(b_a)
        self.generator = generator
        self.device = unlabeled_idx.device
        self._order = None          # current pass: a permutation of the unlabeled pool
        self._pos = 0               # next unread position in it (a Python int: no sync)

    def _next_unlabeled(self) -> torch.Tensor:
        if self._order is None or self._pos + self.b_u > self.n_unlabeled:
            self._order = self.unlabeled_idx[torch.randperm(self.n_unlabeled, generator=self.generator,
                                                            device=self.device)]
            self._pos = 0
        u = self._order[self._pos:self._pos + self.b_u]
        self._pos += self.b_u
        return u

    def sample(self) -> tuple[torch.Tensor, torch.Tensor]:
        """One batch: (unlabeled row indices (b_u,), anomaly row indices (b_a,))."""
        u = self._next_unlabeled()
        if self.b_a > 0:
            a = self.anomaly_idx[torch.randint(self.n_anomalies, (self.b_a,),
                                               generator=self.generator, device=self.device)]
        else:
            a = self.anomaly_idx[:0]
        return u, a
