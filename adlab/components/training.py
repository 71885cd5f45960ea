"""The one epoch loop and the one early-stopping rule every adlab detector trains with.

Before this module the loop "for each epoch: for each step: loss, backward, step; log the epoch
means; maybe validate, maybe stop, restore the best weights" was written five times (MNPWAD, RoSAS,
MMNet, the synthetic-anomaly classifier, the deep baselines, plus the autoencoder pretraining),
each with its own stopping rule. Now:

* :func:`run_epochs` — ``epochs`` × ``steps`` optimizer steps on a ``step()`` closure. The
  per-step statistics are accumulated *on the device*; the host sees them once per epoch (one
  ``tolist()``), so there is no device→host synchronisation inside an epoch. After every epoch it
  logs one row of means, raises :class:`FloatingPointError` if the loss is no longer finite
  (instead of carrying on and returning NaN scores), and asks an optional :class:`EarlyStopping`
  whether to stop.
* :class:`EarlyStopping` — stop after ``patience`` epochs without an improvement of more than
  ``min_delta`` of a monitored value (lower is better); the best state is kept in memory and
  *always* restored at the end (whether stopping fired or the epoch budget ran out).
* :func:`validation_criterion` — the MNPWAD/RoSAS reference codes' model-selection value on
  labelled validation data, ``(1 − AUC-PR) + (1 − AUC-ROC)`` (lower is better).
* :class:`LabelFitStop` — the label-free counterpart (issues 12/13): stop once the labeled
  anomalies are fit, i.e. after the first epoch whose mean score loss is below a fraction of the
  first epoch's (MNPWAD and RoSAS, default fraction 0.25).

Detectors reach these through :meth:`adlab.models.base.TorchDetector._run_epochs`; labelled
validation data is opt-in everywhere (``early_stopping=True`` *and* ``fit(X, y, X_val, y_val)``).
"""
from __future__ import annotations

import copy
import math
from typing import Callable, Iterable, Mapping, Sequence

import numpy as np
import torch

__all__ = ["EarlyStopping", "LabelFitStop", "run_epochs", "validation_criterion", "clone_modules", "restore_modules",
           "weight_decay_groups"]


def clone_modules(modules: Mapping[str, torch.nn.Module]) -> dict[str, dict[str, torch.Tensor]]:
    """Deep copies of the state dicts (a best-epoch checkpoint kept in memory, on the device)."""
    return {k: copy.deepcopy(m.state_dict()) for k, m in modules.items()}


def restore_modules(modules: Mapping[str, torch.nn.Module], states: Mapping[str, dict[str, torch.Tensor]]) -> None:
    """Load the checkpoint of :func:`clone_modules` back into ``modules`` (in place)."""
    for k, m in modules.items():
        m.load_state_dict(states[k])


def weight_decay_groups(params: Iterable[torch.nn.Parameter], own: Sequence[torch.nn.Parameter],
                        weight_decay: float) -> list[dict]:
    """Optimizer parameter groups in which the tensors ``own`` get their own ``weight_decay`` and every other
    tensor of ``params`` keeps the optimizer-wide one (``torch.optim.*(groups, weight_decay=…)``).

    How detectors decay one part of a network differently: DevNet/PReNet's hidden-only decay (the other
    parameters at 0), RoSAS's ``input_weight_decay`` (the first layer), MMNet's ``memory_weight_decay``.
    """
    ids = {id(p) for p in own}
    return [{"params": list(own), "weight_decay": float(weight_decay)},
            {"params": [p for p in params if id(p) not in ids]}]


def validation_criterion(y_val: np.ndarray, scores: np.ndarray) -> float:
    """``(1 − AUC-PR) + (1 − AUC-ROC)`` of ``scores`` (n,) against true 0/1 labels ``y_val`` (n,).

    The model-selection value of the MNPWAD and RoSAS reference codes (lower is better, 0 is
    perfect). Non-finite scores give ``inf`` (never selected). ValueError unless ``y_val`` holds
    both classes.
    """
    from sklearn.metrics import average_precision_score, roc_auc_score

    y_val = np.asarray(y_val)
    if y_val.min() == y_val.max():
        raise ValueError("y_val must contain both normals (0) and anomalies (1) for early stopping")
    scores = np.asarray(scores, dtype=np.float64)
    if not np.isfinite(scores).all():
        return math.inf
    return (1.0 - float(average_precision_score(y_val, scores))) + (1.0 - float(roc_auc_score(y_val, scores)))


class EarlyStopping:
    """Stop when a monitored value (lower is better) has not improved by more than ``min_delta``
    for ``patience`` consecutive epochs; keep the best state and restore it at the end.

    Usage (what :func:`run_epochs` does)::

        stopper = EarlyStopping(patience=5)
        for epoch in range(epochs):
            ...train...
            if stopper.update(value, modules, epoch):   # True: stop now
                break
        stopper.restore(modules)                         # best weights back, returns the best epoch

    A non-finite value never counts as an improvement. ``best_epoch`` is ``None`` until a finite
    value was seen. ``stopped`` tells whether patience ran out (False: the budget ended first).
    """

    def __init__(self, patience: int, min_delta: float = 1e-4):
        if isinstance(patience, bool) or int(patience) != patience or patience < 1:
            raise ValueError(f"patience must be a positive integer, got {patience!r}")
        if not min_delta >= 0:
            raise ValueError(f"min_delta must be >= 0, got {min_delta!r}")
        self.patience, self.min_delta = int(patience), float(min_delta)
        self.best = math.inf
        self.best_state: dict | None = None
        self.best_epoch: int | None = None
        self.wait = 0
        self.stopped = False

    def update(self, value: float, modules: Mapping[str, torch.nn.Module], epoch: int) -> bool:
        """Record the epoch's ``value``; checkpoint ``modules`` if it is the best so far. Returns
        True when training should stop (``patience`` epochs without improvement)."""
        value = float(value)
        if math.isfinite(value) and value < self.best - self.min_delta:
            self.best, self.best_state, self.best_epoch, self.wait = value, clone_modules(modules), int(epoch), 0
            return False
        self.wait += 1
        self.stopped = self.wait >= self.patience
        return self.stopped

    def restore(self, modules: Mapping[str, torch.nn.Module]) -> int | None:
        """Load the best checkpoint into ``modules`` (no-op if none); returns ``best_epoch``."""
        if self.best_state is not None:
            restore_modules(modules, self.best_state)
        return self.best_epoch


class LabelFitStop:
    """Label-free stopping rule: end training after the first epoch whose mean of ``key`` (a score
    loss on the labeled anomalies and the unlabeled rows) is below ``ratio`` × the first epoch's mean.

    With a few labeled anomalies, a weakly-supervised detector fits them within a few epochs; every
    step after that only memorises them and pushes the *hidden* anomalies of the unlabeled set (which
    the loss treats as normal) down — the test AUC-PR falls while the training loss keeps falling.
    Where the labels cannot be fit (many labeled anomalies overlapping the normals: the loss stays
    near its first value) the rule never fires and the epoch budget runs. Measured per detector
    (MNPWAD and RoSAS Decisions); no validation labels are used.

    Usage (what :func:`run_epochs` does with ``stop_rule``)::

        rule = LabelFitStop(0.25, key="loss_score")
        for epoch ...:
            row = ...epoch means...
            if rule(row, epoch):                  # True: stop now (rule.stopped_epoch = epoch)
                break
    """

    def __init__(self, ratio: float, key: str):
        if isinstance(ratio, bool) or not 0 < ratio < 1:
            raise ValueError(f"the label-fit stop ratio must be in (0, 1), got {ratio!r}")
        self.ratio, self.key = float(ratio), str(key)
        self.first: float | None = None
        self.stopped_epoch: int | None = None

    def __call__(self, row: Mapping[str, float], epoch: int) -> bool:
        """Record the epoch's row; True (and ``stopped_epoch = epoch``) once ``row[key]`` is below
        ``ratio`` × the first row's value."""
        value = float(row[self.key])
        if self.first is None:
            self.first = value
            return False
        if value < self.ratio * self.first:
            self.stopped_epoch = int(epoch)
            return True
        return False


def run_epochs(optimizer: torch.optim.Optimizer, step: Callable[[], torch.Tensor | tuple], *, epochs: int,
               steps: int, names: Sequence[str] = ("loss",), log: Callable[[dict], None] | None = None,
               progress: Callable[[Iterable], Iterable] | None = None,
               on_epoch_start: Callable[[int], None] | None = None,
               on_epoch_end: Callable[[int], dict | None] | None = None,
               validate: Callable[[int], dict] | None = None, monitor: str | None = None,
               stopper: EarlyStopping | None = None, modules: Mapping[str, torch.nn.Module] | None = None,
               stop_rule: Callable[[dict, int], bool] | None = None,
               owner: str = "training", device=None) -> list[dict]:
    """Train ``epochs`` × ``steps`` optimizer steps; returns the per-epoch rows it logged.

    Parameters
    ----------
    optimizer : the optimizer stepped after each ``step()``.
    step : closure for one mini-batch. Returns the scalar loss to minimise, or ``(loss, stats)``
        with ``stats`` a 1-D tensor of ``len(names)`` per-step statistics (kept on the device; the
        first is usually the loss itself). A bare loss is logged as ``names[0]``.
    names : keys of the per-epoch means in the logged row.
    log : called with each epoch's row (e.g. ``WeakDetector._log_epoch``).
    progress : wraps ``range(epochs)`` (a tqdm bar when the detector is verbose).
    on_epoch_start : ``f(epoch)`` before the first step of an epoch (reshuffle, ``train()``…).
    on_epoch_end : ``f(epoch) -> dict | None`` after the last step (DWA / LR-schedule updates); a
        returned dict is added to the row.
    validate : ``f(epoch) -> dict`` of validation values added to the row; ``monitor`` names the one
        ``stopper`` watches (lower is better). Without a stopper the values are only logged.
    stopper, modules : :class:`EarlyStopping` and the modules it checkpoints and restores; the best
        state is restored after the loop.
    stop_rule : ``f(row, epoch) -> bool`` asked after every logged epoch (e.g. :class:`LabelFitStop`);
        True ends training after that epoch, keeping its weights.
    owner : name used in the divergence error ("RoSAS training").

    Raises
    ------
    FloatingPointError : when an epoch's mean of ``names[0]`` is NaN or infinite (training diverged).
    """
    if stopper is not None and (monitor is None or validate is None or modules is None):
        raise ValueError("early stopping needs validate, monitor and modules")
    steps = int(steps)
    rows: list[dict] = []
    epoch_iter: Iterable = range(int(epochs))
    if progress is not None:
        epoch_iter = progress(epoch_iter)
    for epoch in epoch_iter:
        if on_epoch_start is not None:
            on_epoch_start(epoch)
        acc = None
        for _ in range(steps):
            out = step()
            loss, stats = (out if isinstance(out, tuple) else (out, None))
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            stats = (loss if stats is None else stats).detach().reshape(-1)
            acc = stats.clone() if acc is None else acc.add_(stats)
        if acc is None:                                  # steps == 0: nothing trained
            means = [math.nan] * len(names)
        else:
            means = (acc / steps).tolist()                # the epoch's one host sync
        row = dict(zip(names, means))
        if on_epoch_end is not None:
            row.update(on_epoch_end(epoch) or {})
        if validate is not None:
            row.update(validate(epoch))
        if log is not None:
            log(row)
        rows.append(row)
        first = means[0] if means else math.nan
        if not math.isfinite(first):
            raise FloatingPointError(
                f"{owner} diverged at epoch {epoch}: the mean {names[0]} is {first}. The weights are no longer "
                "finite, so every score would be NaN. Usual causes: features on a huge scale (scale X, e.g. "
                "min-max to [0, 1] or standardise) or a learning rate that is too high.")
        if stopper is not None and stopper.update(row[monitor], modules, epoch):
            break
        if stop_rule is not None and stop_rule(row, epoch):
            break
    if stopper is not None:
        stopper.restore(modules)
    return rows
