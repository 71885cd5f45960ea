"""Known + synthetic anomalies: a classifier of "unlabeled" vs "anomalous" (Lau, Zhou et al., arXiv:2506.13955).

The principle: anomaly detection is binary classification of the normal density against a *background*.
Without labels the background is synthetic — points drawn uniformly on a box around the data — and a
classifier separating the data from it learns where the data is dense (2024 paper, arXiv:2409.08521).
With a few labeled anomalies, they join the synthetic ones in the anomaly class (2025 paper). The
synthetic points matter in *low-density regions*: labeled anomalies only cover the regions where anomalies
happened to be observed, so a plain classifier of unlabeled vs labeled rows happily calls "normal" every
empty region far from the labeled anomalies; uniform background points there teach it otherwise.

* :func:`sample_uniform_box` and :func:`add_synthetic_anomalies` — the plug-in: append synthetic rows
  (label 1) to any training set, so *any* weakly supervised detector can use them (e.g. ``DevNet``).
* :class:`SyntheticAnomalyClassifier` — the paper's detector: an MLP (d → 500 → 500 → 1, LeakyReLU),
  AdamW lr 1e-3, weight decay 1e-2, batch 1024, up to 200 epochs with early stopping (patience 7) on the
  loss of a held-out 20 % of the (real + synthetic) training rows, BCE or hinge loss.

Synthetic anomalies (notes §2.3 item 2): uniform on the min-max box of the training rows widened by
``box_margin`` δ × range on each side (δ = 0 in the authors' code; MADI-style widening for δ > 0);
columns holding only two values (binary) are drawn from those two values with probability 1/2 instead,
as the authors' code does, so the classifier cannot separate them by "non-integer" alone. They are drawn
*once* per fit from the seed (``random_state``), not re-drawn per epoch; ``synthetic_ratio`` synthetic rows
per real training row (1 = as many as real rows).
"""
from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from ..components.networks import mlp, mlp_fp32_head
from ..components.training import EarlyStopping
from .base import TorchDetector, check_labels, check_max_steps, check_X, n_batches

__all__ = ["sample_uniform_box", "add_synthetic_anomalies", "SyntheticAnomalyClassifier", "classification_loss"]


def _binary_columns(X: np.ndarray) -> np.ndarray:
    """Indices of columns that take exactly two distinct values."""
    lo, hi = X.min(0), X.max(0)
    two = (X == lo) | (X == hi)
    return np.flatnonzero(two.all(0) & (hi > lo))


def sample_uniform_box(X: np.ndarray, n: int, margin: float = 0.0, random_state=None,
                       binary_columns: str = "bernoulli") -> np.ndarray:
    """``n`` points uniform on the bounding box of ``X`` (n_rows, d) widened by ``margin`` × range per side.

    ``binary_columns="bernoulli"`` draws each two-valued column from its two values with probability 1/2
    (the authors' code); ``"uniform"`` treats it like any other column. Constant columns stay constant
    (a zero-width box side). Returns (n, d) float32.
    """
    X = np.asarray(X, dtype=np.float64)
    if X.ndim != 2 or X.shape[0] == 0:
        raise ValueError(f"X must be a non-empty 2-D array, got shape {X.shape}")
    if margin < 0:
        raise ValueError(f"box margin must be >= 0, got {margin}")
    if int(n) != n or n < 0:
        raise ValueError(f"n must be a non-negative integer, got {n}")
    if binary_columns not in ("bernoulli", "uniform"):
        raise ValueError(f"binary_columns must be 'bernoulli' or 'uniform', got {binary_columns!r}")
    rng = random_state if isinstance(random_state, np.random.Generator) else np.random.default_rng(random_state)
    lo, hi = X.min(0), X.max(0)
    pad = margin * (hi - lo)
    S = rng.uniform(lo - pad, hi + pad, size=(int(n), X.shape[1]))
    if binary_columns == "bernoulli":
        cols = _binary_columns(X)
        if cols.size:
            pick = rng.integers(0, 2, size=(int(n), cols.size)).astype(bool)
            S[:, cols] = np.where(pick, hi[cols], lo[cols])
    return S.astype(np.float32)


def add_synthetic_anomalies(X, y=None, ratio: float = 1.0, margin: float = 0.0, random_state=None,
                            binary_columns: str = "bernoulli"):
    """Append ``round(ratio · n)`` synthetic anomalies (label 1) to a training set — a plug-in for any detector.

    Parameters
    ----------
    X : (n, d) training rows; y : (n,) weak labels (1 labeled anomaly, 0/-1 unlabeled) or None.
    ratio : synthetic rows per real row (``synthetic_ratio``); margin : box widening δ.

    Returns
    -------
    (X_aug, y_aug) : (n + m, d) float32 and (n + m,) int64 — the real rows first (labels mapped to {0, 1}),
    then the m synthetic rows, all labeled 1. Example::

        X_aug, y_aug = add_synthetic_anomalies(X_train, y_train, ratio=1.0, random_state=0)
        DevNet(random_state=0).fit(X_aug, y_aug)       # DevNet now also sees background anomalies
    """
    X = check_X(X)
    y = check_labels(y, X.shape[0])
    if not np.isfinite(ratio) or ratio < 0:
        raise ValueError(f"ratio (synthetic rows per real row) must be >= 0, got {ratio}")
    m = int(round(ratio * X.shape[0]))
    S = sample_uniform_box(X, m, margin, random_state, binary_columns)
    return np.concatenate([X, S]), np.concatenate([y, np.ones(m, np.int64)])


def classification_loss(logits: torch.Tensor, target: torch.Tensor, kind: str = "bce") -> torch.Tensor:
    """Per-sample loss of the anomaly logit f(x) (B,) against targets (B,) in {0 unlabeled, 1 anomaly}.

    ``"bce"``: binary cross-entropy with logits; ``"hinge"``: max(0, 1 − t·f(x)) with t = 2·target − 1
    (the loss the paper's theory is stated for). Returns (B,).
    """
    if kind == "bce":
        return F.binary_cross_entropy_with_logits(logits, target, reduction="none")
    if kind == "hinge":
        return torch.relu(1.0 - (2.0 * target - 1.0) * logits)
    raise ValueError(f"loss must be 'bce' or 'hinge', got {kind!r}")


class SyntheticAnomalyClassifier(TorchDetector):
    """Classifier of unlabeled rows (0) vs labeled + synthetic anomalies (1); the score is the logit.

    Works with ``y=None`` (no labeled anomalies: the unsupervised special case, synthetic anomalies
    only; ``requires_labeled_anomalies = False`` — a documented choice, see the notes §2.5).

    Parameters (paper / authors' code defaults)
    ----------
    synthetic_ratio : synthetic anomalies per real training row (1.0). 0 gives a plain
        unlabeled-vs-labeled classifier (then at least one labeled anomaly is needed).
    box_margin : δ, widening of the min-max box on each side, in units of the feature range (0.0).
    loss : ``"bce"`` (default; the sigmoid-head path of the code) or ``"hinge"`` (the theory's loss).
    hidden_dims : (500, 500). epochs : 200 (maximum). batch_size : 1024. lr : 1e-3. weight_decay : 1e-2.
    validation_fraction : share of real and of synthetic rows held out for early stopping on the
        *training loss* (weak labels only; no ground truth). 0 disables early stopping. Labeled anomalies
        are held out only when there are at least 5 of them.
    patience : epochs without improvement of the validation loss before stopping (7); the best epoch's
        weights are restored (``best_epoch_``; ``None`` when nothing is held out).
    early_stopping : False (default). True early-stops on *labelled* validation data instead —
        ``fit(X, y, X_val, y_val)``, criterion (1 − AUC-PR) + (1 − AUC-ROC), the rule shared with MNPWAD
        and RoSAS (:class:`adlab.components.training.EarlyStopping`); the held-out loss is then only
        logged. ``X_val`` passed without it is ignored (with a warning), never used silently.
    max_steps_per_epoch : cap on the steps of an epoch (default 20; ``None``: an epoch is one pass over the
        training rows). When it binds, each epoch trains on that many batches of a fresh permutation — an
        adlab budget so that a fit's cost does not grow with the table: 20 × 1024 rows per epoch changes
        nothing on tables whose training part (real + synthetic) is under ≈ 20k rows, which holds for the
        main table's small ADBench sets (at most 17 steps there) but not for Donors (score-moving there).
    max_validation_rows : at most this many held-out rows (default 8192; ``None``: no limit); when
        ``validation_fraction`` would hold out more, each group's share is scaled down and the surplus
        stays in training, so the per-epoch validation pass does not grow with the table either.
    binary_columns : ``"bernoulli"`` or ``"uniform"`` (see :func:`sample_uniform_box`).

    Inputs are mapped to the training box ([0, 1] per feature) before the network; rows outside it are
    scored normally (not clipped).
    """

    requires_labeled_anomalies = False
    _fitted_state = ("feature_min_", "feature_scale_")

    def __init__(self, synthetic_ratio: float = 1.0, box_margin: float = 0.0, loss: str = "bce",
                 hidden_dims: tuple = (500, 500), epochs: int = 200, batch_size: int = 1024, lr: float = 1e-3,
                 weight_decay: float = 1e-2, validation_fraction: float = 0.2, patience: int = 7,
                 early_stopping: bool = False, binary_columns: str = "bernoulli", max_steps_per_epoch: int | None = 20,
                 max_validation_rows: int | None = 8192, contamination: float = 0.1,
                 random_state: int | None = None, device: str = "auto", verbose: int = 0):
        self.synthetic_ratio = synthetic_ratio
        self.box_margin = box_margin
        self.loss = loss
        self.hidden_dims = hidden_dims
        self.epochs = epochs
        self.batch_size = batch_size
        self.lr = lr
        self.weight_decay = weight_decay
        self.validation_fraction = validation_fraction
        self.patience = patience
        self.early_stopping = early_stopping
        self.binary_columns = binary_columns
        self.max_steps_per_epoch = max_steps_per_epoch
        self.max_validation_rows = max_validation_rows
        self.contamination = contamination
        self.random_state = random_state
        self.device = device
        self.verbose = verbose

    def _build_modules(self):
        return {"classifier": mlp([self.n_features_in_, *self.hidden_dims, 1], activation="leaky_relu",
                                  final_activation="identity")}

    def _check(self, y: np.ndarray) -> None:
        if self.loss not in ("bce", "hinge"):
            raise ValueError(f"loss must be 'bce' or 'hinge', got {self.loss!r}")
        if not np.isfinite(self.synthetic_ratio) or self.synthetic_ratio < 0:
            raise ValueError(f"synthetic_ratio must be >= 0, got {self.synthetic_ratio}")
        if self.box_margin < 0:
            raise ValueError(f"box_margin must be >= 0, got {self.box_margin}")
        if not 0.0 <= self.validation_fraction < 1.0:
            raise ValueError(f"validation_fraction must lie in [0, 1), got {self.validation_fraction}")
        for name in ("epochs", "batch_size", "patience"):
            v = getattr(self, name)
            if int(v) != v or v < 1:
                raise ValueError(f"{name} must be a positive integer, got {v!r}")
        check_max_steps(self.max_steps_per_epoch)
        if self.max_validation_rows is not None:
            v = self.max_validation_rows
            if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < 1:
                raise ValueError(f"max_validation_rows must be a positive integer or None, got {v!r}")
        if self.synthetic_ratio == 0 and not (y == 1).any():
            raise ValueError("no labeled anomalies and synthetic_ratio=0: the anomaly class would be empty")

    def _split(self, n_real: int, y_real: np.ndarray, n_syn: int) -> tuple[np.ndarray, np.ndarray]:
        """Train/validation row indices into [real rows, synthetic rows], stratified by group."""
        f = float(self.validation_fraction)
        if self.max_validation_rows is not None and f * (n_real + n_syn) > int(self.max_validation_rows):
            f = int(self.max_validation_rows) / (n_real + n_syn)   # the surplus stays in training
        groups = [np.flatnonzero(y_real == 0), np.flatnonzero(y_real == 1), n_real + np.arange(n_syn)]
        train, val = [], []
        for k, idx in enumerate(groups):
            idx = self._rng.permutation(idx)
            n_val = int(round(f * idx.size))
            if k == 1 and idx.size < 5:
                n_val = 0
            val.append(idx[:n_val])
            train.append(idx[n_val:])
        return np.concatenate(train), np.concatenate(val)

    def _fit(self, X, y, X_val, y_val) -> None:
        self._check(y)
        n_syn = int(round(self.synthetic_ratio * X.shape[0]))
        S = sample_uniform_box(X, n_syn, self.box_margin, self._rng, self.binary_columns)
        lo, hi = X.min(0), X.max(0)
        self.feature_min_ = lo.astype(np.float32)
        self.feature_scale_ = np.where(hi > lo, hi - lo, 1.0).astype(np.float32)
        X_all = np.concatenate([X, S])
        t_all = np.concatenate([y, np.ones(n_syn, np.int64)]).astype(np.float32)
        if self.validation_fraction > 0:
            tr, va = self._split(X.shape[0], y, n_syn)
        else:
            tr, va = np.arange(len(X_all)), np.empty(0, np.int64)
        dev = self.device_
        Xt = self._normalise(torch.from_numpy(X_all).to(dev))
        Tt = torch.from_numpy(t_all).to(dev)
        tr_t = torch.from_numpy(tr).to(dev)
        va_t = torch.from_numpy(va).to(dev)
        self.modules_ = {k: m.to(dev) for k, m in self._build_modules().items()}
        net = self.modules_["classifier"]
        opt = torch.optim.AdamW(net.parameters(), lr=self.lr, weight_decay=self.weight_decay)
        gen = self._torch_generator()
        b = min(int(self.batch_size), tr.size)
        n_steps = n_batches(tr.size, b, self.max_steps_per_epoch, drop_last=True)  # no incomplete last batch
        order = {"idx": None}

        def start_epoch(epoch):
            net.train()
            order["idx"] = tr_t[torch.randperm(tr.size, generator=gen, device=dev)]
            order["next"] = 0

        def step():
            s = order["next"]
            idx = order["idx"][s:s + b]
            order["next"] = s + b
            return classification_loss(net(Xt[idx]).reshape(-1), Tt[idx], self.loss).mean()

        labelled = self._validation_early_stopping(X_val, y_val)

        def validate(epoch):
            row = {}
            if va.size:
                net.eval()
                with torch.no_grad():
                    val_sum = sum(classification_loss(net(Xt[c]).reshape(-1), Tt[c], self.loss).sum()
                                  for c in va_t.split(65536))
                    row["val_loss"] = (val_sum / va.size).item()
            if labelled:
                row.update(labelled["validate"](epoch))
            return row

        if labelled:          # opt-in: labelled validation data decides (reference-code criterion)
            early = dict(validate=validate, monitor="val_criterion", stopper=labelled["stopper"],
                         modules=self.modules_)
        elif va.size:         # the paper's rule: the loss of held-out (weakly labelled) training rows
            early = dict(validate=validate, monitor="val_loss",
                         stopper=EarlyStopping(int(self.patience), min_delta=1e-6), modules=self.modules_)
        else:
            early = {}
        self._run_epochs(opt, step, epochs=self.epochs, steps=n_steps, desc="train",
                         on_epoch_start=start_epoch, **early)
        self.best_epoch_ = early["stopper"].best_epoch if early else None
        self.n_synthetic_ = n_syn

    def _normalise(self, x: torch.Tensor) -> torch.Tensor:
        lo = torch.as_tensor(self.feature_min_, device=x.device)
        sc = torch.as_tensor(self.feature_scale_, device=x.device)
        return (x - lo) / sc

    def _score_batch(self, x):
        return mlp_fp32_head(self.modules_["classifier"], self._normalise(x)).reshape(-1)  # last layer fp32 under amp
