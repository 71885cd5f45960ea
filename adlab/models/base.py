"""The detector contract every adlab model keeps (``docs/ARCHITECTURE.md``, "The contract")::

    det = SomeDetector(random_state=0, device="auto")   # __init__ only stores parameters
    det.fit(X, y)                                       # returns self
    s = det.decision_function(X_test)                   # 1-D float array, higher = more anomalous
    det.predict(X_test)                                 # 0/1 via threshold_

Label convention: ``y == 1`` marks a *labeled anomaly*; ``0`` (or ``-1``, scikit-learn's
semi-supervised convention) marks an *unlabeled* sample, which may itself be a hidden anomaly.
``y=None`` means "all unlabeled"; methods that need labeled anomalies raise a ValueError.

A subclass implements three hooks and lists its hyper-parameters in ``__init__``:

* ``_fit(X, y, X_val, y_val)`` — train on float32 numpy arrays (``y`` in {0, 1});
  must leave every network in ``self._modules()``;
* ``_build_modules()`` — create fresh, untrained ``nn.Module``s (a dict name -> module) from
  the hyper-parameters and the fitted attributes named in ``_fitted_state`` (used by ``load``);
* ``_score_batch(x)`` — anomaly scores for a float tensor on ``self.device_`` (no grad).
"""
from __future__ import annotations

import contextlib
import errno
import hashlib
import io
import math
import random
import warnings
from pathlib import Path
from typing import Any, Iterable

import numpy as np
import torch
from sklearn.base import BaseEstimator
from sklearn.exceptions import NotFittedError

from ..components.training import EarlyStopping, clone_modules, restore_modules, run_epochs, validation_criterion
from ..config import autocast_dtype, get_performance, resolve_device, seed_everything

__all__ = ["WeakDetector", "check_random_state", "check_fraction", "preserved_global_rng", "check_X", "check_X_y", "check_labels", "TorchDetector", "torch_threads",
           "check_choice", "check_int", "check_number"]


# --------------------------------------------------------------------------- validation
def check_X(X, *, name: str = "X", n_features: int | None = None) -> np.ndarray:
    """Validate a feature matrix and return it as a C-contiguous float32 array of shape (n, d).

    Accepts numpy arrays, pandas DataFrames, lists and CPU torch tensors. Raises ValueError for
    1-D / 3-D input, empty input, non-numeric, complex or sparse input, NaN/inf, values that are
    finite in float64 but overflow float32 (|x| > 3.4e38: every detector computes in float32, so
    finiteness is checked *after* the cast), or a feature count that differs from ``n_features``
    (the one seen during ``fit``).
    """
    if _is_sparse(X):
        raise ValueError(f"{name} is a sparse matrix ({type(X).__name__}); adlab's detectors need a dense "
                         f"array: pass {name}.toarray() (or .to_dense() for a torch tensor) if it fits in memory")
    if isinstance(X, torch.Tensor):
        X = X.detach().cpu().numpy() if not X.is_complex() else X.detach().cpu().resolve_conj().numpy()
    elif hasattr(X, "to_numpy"):
        X = X.to_numpy()
    if not isinstance(X, np.ndarray):
        try:
            X = np.asarray(X)
        except (TypeError, ValueError) as exc:
            raise ValueError(f"{name} must be numeric; could not convert it to a float array ({exc})") from exc
    if X.dtype.kind == "c":
        raise ValueError(f"{name} is complex ({X.dtype}); adlab's detectors need real features: pass "
                         f"{name}.real, abs({name}) or both parts as separate columns")
    arr = X
    if arr.dtype.kind != "f":
        # non-float input: convert through float64 (float input is checked as it is, which avoids
        # an 8-byte-per-entry copy of a large table; only the float32 result is allocated)
        try:
            arr = np.asarray(X, dtype=np.float64)
        except (TypeError, ValueError) as exc:
            raise ValueError(f"{name} must be numeric; could not convert it to a float array ({exc})") from exc
    if arr.ndim != 2:
        raise ValueError(
            f"{name} must be 2-D (n_samples, n_features), got an array with shape {arr.shape}; "
            "reshape a single feature with X.reshape(-1, 1) or a single sample with X.reshape(1, -1)"
        )
    if arr.shape[0] == 0 or arr.shape[1] == 0:
        raise ValueError(f"{name} is empty (shape {arr.shape})")
    if n_features is not None and arr.shape[1] != n_features:
        raise ValueError(f"{name} has {arr.shape[1]} features, but the detector was fitted with {n_features}")
    with np.errstate(over="ignore", invalid="ignore"):
        out = np.ascontiguousarray(arr, dtype=np.float32)
    bad = ~np.isfinite(out)
    if bad.any():
        rows = np.unique(np.nonzero(bad)[0])
        original = arr[rows]
        if np.isnan(original).any():
            kind, advice = "NaN", "impute or drop them"
        elif np.isinf(original).any():
            kind, advice = "inf", "impute or drop them"
        else:
            with np.errstate(over="ignore"):
                big = original[np.isfinite(original) & ~np.isfinite(original.astype(np.float32))]
            kind = (f"values that overflow float32 (|x| > {np.finfo(np.float32).max:.3g}, e.g. {float(big[0]):.3g}; "
                    "they are finite in float64 but every detector computes in float32)")
            advice = "rescale the features (e.g. min-max to [0, 1] or standardise)"
        raise ValueError(
            f"{name} contains {kind} ({int(bad.sum())} entries in {rows.size} rows, first row "
            f"{int(rows[0])}); {advice} before fitting or scoring"
        )
    return out


def _is_sparse(X) -> bool:
    if isinstance(X, torch.Tensor):
        return X.layout != torch.strided
    try:
        import scipy.sparse as sp
    except ImportError:  # pragma: no cover - scipy is a dependency of scikit-learn
        return False
    return sp.issparse(X)


#: max |x| outside [1e-6, 1e6] gets a warning in ``fit``: float32 networks initialised for inputs of
#: order 1 either overflow (X·1e30 diverges) or see only their biases (X·1e-30 gives constant scores)
SCALE_WARNING_RANGE = (1e-6, 1e6)


def warn_if_badly_scaled(X: np.ndarray, name: str = "X", stacklevel: int = 3) -> None:
    """UserWarning when the largest |x| of a float32 matrix is outside :data:`SCALE_WARNING_RANGE`."""
    amax = float(np.abs(X).max()) if X.size else 0.0
    lo, hi = SCALE_WARNING_RANGE
    if amax > hi or 0.0 < amax < lo:
        warnings.warn(f"{name} is on a scale of {amax:.3g} (max |x|): the neural detectors are built for features "
                      "of order 1 and may diverge or return constant scores; scale the features first (e.g. "
                      "min-max to [0, 1] or standardise)", UserWarning, stacklevel=stacklevel)


def check_labels(y, n_samples: int, *, name: str = "y") -> np.ndarray:
    """Map weak labels to {0 unlabeled, 1 labeled anomaly}; ``None`` gives all zeros.

    Accepted values: 1 (labeled anomaly), 0 and -1 (unlabeled). Anything else, NaN, a 2-D array
    or a length different from ``n_samples`` raises ValueError.
    """
    if y is None:
        return np.zeros(n_samples, dtype=np.int64)
    if isinstance(y, torch.Tensor):
        y = y.detach().cpu().numpy()
    elif hasattr(y, "to_numpy"):
        y = y.to_numpy()
    arr = np.asarray(y)
    if arr.ndim == 2 and 1 in arr.shape:
        arr = arr.reshape(-1)
    if arr.ndim != 1:
        raise ValueError(f"{name} must be 1-D with one label per sample, got shape {arr.shape}")
    if arr.shape[0] != n_samples:
        raise ValueError(f"X has {n_samples} samples but {name} has {arr.shape[0]} labels")
    try:
        arr_f = arr.astype(np.float64)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name} must hold numeric labels in {{0, 1}} (or -1 for unlabeled)") from exc
    if np.isnan(arr_f).any():
        raise ValueError(f"{name} contains NaN; use 0 (or -1) for unlabeled samples and 1 for labeled anomalies")
    allowed = np.isin(arr_f, (-1.0, 0.0, 1.0))
    if not allowed.all():
        bad = np.unique(arr_f[~allowed])[:5]
        raise ValueError(
            f"{name} must contain only 1 (labeled anomaly) and 0 or -1 (unlabeled); found {bad.tolist()}"
        )
    return (arr_f == 1.0).astype(np.int64)


def check_X_y(X, y, *, require_anomalies: bool, min_samples: int = 2):
    """Validate a training pair: returns (float32 X, int64 y in {0, 1})."""
    X = check_X(X)
    y = check_labels(y, X.shape[0])
    if X.shape[0] < min_samples:
        raise ValueError(f"X has {X.shape[0]} samples; at least {min_samples} are needed")
    if require_anomalies and not (y == 1).any():
        raise ValueError(
            "no labeled anomalies: y has no entry equal to 1. This method is weakly supervised and needs "
            "at least one labeled anomaly (y == 1); use an unsupervised detector for y=None"
        )
    if (y == 0).sum() < 2:
        raise ValueError("fewer than two unlabeled samples (y == 0): the unlabeled set cannot be empty")
    return X, y


# --------------------------------------------------------------------------- hyper-parameter checks
def check_choice(name: str, value, allowed) -> None:
    """ValueError unless ``value`` is one of ``allowed`` (for string switches such as ``mask``)."""
    if value not in tuple(allowed):
        raise ValueError(f"{name} must be one of {tuple(allowed)}, got {value!r}")


def check_int(name: str, value, minimum: int = 1) -> None:
    """ValueError unless ``value`` is an integer (Python or NumPy, not bool) ``>= minimum``."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        kind = "a positive integer" if minimum == 1 else (
            "a non-negative integer" if minimum == 0 else f"an integer >= {minimum}")
        raise ValueError(f"{name} must be {kind}, got {value!r}")


def check_fraction(name: str, value, *, optional: bool = False) -> None:
    """ValueError unless ``value`` is a real number (not bool) strictly between 0 and 1; ``optional``
    also accepts ``None`` (the setting is off), e.g. ``label_fit_stop`` and ``pretrain_holdout``."""
    if optional and value is None:
        return
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)) or not 0 < value < 1:
        raise ValueError(f"{name} must be {'None (off) or ' if optional else ''}in (0, 1), got {value!r}")


def check_number(name: str, value, minimum: float = 0.0, strict: bool = False) -> None:
    """ValueError unless ``value`` is a finite number ``>= minimum`` (``> minimum`` when ``strict``)."""
    try:
        v = float(value)
    except (TypeError, ValueError):
        v = float("nan")
    ok = np.isfinite(v) and (v > minimum if strict else v >= minimum)
    if not ok:
        raise ValueError(f"{name} must be {'>' if strict else '>='} {minimum:g}, got {value!r}")


def check_random_state(value) -> None:
    """ValueError unless ``random_state`` is None or an integer in [0, 2**32 − 1] (adlab seeds Python,
    NumPy and torch from it, so a ``np.random.RandomState`` or ``Generator`` cannot be used)."""
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or not 0 <= int(value) < 2**32:
        kind = type(value).__name__
        raise ValueError(f"random_state must be None or an integer in [0, 2**32 - 1] (it seeds Python, NumPy and "
                         f"torch), got {value!r} ({kind})")


@contextlib.contextmanager
def preserved_global_rng(device: torch.device | str = "cpu", enabled: bool = True):
    """Run the block, then restore the global Python, NumPy and torch generators (CPU, and the CUDA
    device the detector uses) to their state before it — ``fit`` may seed them for its own use but
    leaves the caller's random streams untouched."""
    if not enabled:
        yield
        return
    device = torch.device(device)
    py_state, np_state = random.getstate(), np.random.get_state()
    cuda = [device.index if device.index is not None else torch.cuda.current_device()] \
        if device.type == "cuda" else []
    try:
        with torch.random.fork_rng(devices=cuda):
            yield
    finally:
        random.setstate(py_state)
        np.random.set_state(np_state)


# --------------------------------------------------------------------------- (de)serialisation
def _to_saveable(value: Any) -> Any:
    """Convert fitted attributes into what ``torch.load(weights_only=True)`` accepts."""
    if isinstance(value, np.ndarray):
        return {"__ndarray__": torch.from_numpy(np.ascontiguousarray(value)), "dtype": str(value.dtype)}
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, dict):
        return {str(k): _to_saveable(v) for k, v in value.items()}
    if isinstance(value, tuple):
        return {"__tuple__": [_to_saveable(v) for v in value]}
    if isinstance(value, list):
        return [_to_saveable(v) for v in value]
    if isinstance(value, torch.device):
        return str(value)
    return value


def _from_saveable(value: Any) -> Any:
    if isinstance(value, dict):
        if "__ndarray__" in value:
            return value["__ndarray__"].numpy().astype(value["dtype"])
        if "__tuple__" in value:
            return tuple(_from_saveable(v) for v in value["__tuple__"])
        return {k: _from_saveable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_from_saveable(v) for v in value]
    return value


_FORMAT = "adlab-detector-v2"


def _wants_cuda(device) -> bool:
    try:
        return device is not None and device != "auto" and torch.device(device).type == "cuda"
    except (RuntimeError, TypeError):
        return False


def _read_torch_file(source, path) -> Any:
    """``torch.load(weights_only=True)`` with one clear ValueError for anything unreadable (torch's own
    messages are not passed on: some advise ``weights_only=False``, which would run arbitrary code)."""
    try:
        return torch.load(source if isinstance(source, io.BytesIO) else str(source), map_location="cpu",
                          weights_only=True)
    except (OSError, MemoryError) as exc:
        if isinstance(exc, (FileNotFoundError, IsADirectoryError, PermissionError)):
            raise
        reason = type(exc).__name__
    except Exception as exc:  # noqa: BLE001 - torch/pickle/zip raise many types for a broken file
        reason = type(exc).__name__
    raise ValueError(f"{path} is not a readable adlab detector file: it is truncated, corrupted or not a file "
                     f"written by WeakDetector.save ({reason} while reading it); re-save the detector")


# --------------------------------------------------------------------------- performance helpers
@contextlib.contextmanager
def torch_threads(n: int | None, device: torch.device | str = "cpu"):
    """Run the block with ``n`` torch intra-op threads on the CPU, restoring the previous count.

    ``None`` or a non-CPU device leaves torch alone (CUDA kernels do not use these threads).
    """
    if n is None or torch.device(device).type != "cpu" or torch.get_num_threads() == int(n):
        yield
        return
    previous = torch.get_num_threads()
    torch.set_num_threads(int(n))
    try:
        yield
    finally:
        torch.set_num_threads(previous)


def amp_context(device: torch.device | str, enabled: bool | None = None):
    """bf16 autocast on ``device`` when ``enabled`` (default: the ``amp`` performance switch) and
    the device supports it; a no-op context otherwise."""
    if enabled is None:
        enabled = get_performance().amp
    dtype = autocast_dtype(device) if enabled else None
    if dtype is None:
        return contextlib.nullcontext()
    return torch.autocast(device_type=torch.device(device).type, dtype=dtype)


def compile_module(module, enabled: bool | None = None):
    """``torch.compile(module)`` with the configured backend/mode when ``enabled`` (default: the
    ``compile`` switch); the module itself otherwise. The compiled wrapper shares the parameters,
    so optimisers, ``state_dict`` and ``save`` keep working on the original module."""
    opts = get_performance()
    if not (opts.compile if enabled is None else enabled):
        return module
    return torch.compile(module, backend=opts.compile_backend, mode=opts.compile_mode)


#: instance attribute holding the compiled scoring function (dropped when pickling or copying)
_COMPILED_ATTR = "_compiled_scorer"


# --------------------------------------------------------------------------- the contract
class WeakDetector(BaseEstimator):
    """Base class of every adlab detector: validation, seeding, thresholds, save/load.

    Subclasses define ``__init__`` with explicit keyword parameters (scikit-learn style: store them
    unchanged) and must include ``contamination``, ``random_state``, ``device`` and ``verbose``.
    """

    #: whether ``fit`` needs at least one labeled anomaly (y == 1)
    requires_labeled_anomalies: bool = True
    #: extra fitted attributes (besides the standard ones) saved by ``save`` and needed by
    #: ``_build_modules`` / scoring after ``load``
    _fitted_state: tuple[str, ...] = ()
    #: minimum number of training samples
    _min_samples: int = 2
    _standard_state = ("n_features_in_", "threshold_", "decision_scores_", "labels_", "history_")
    #: whether ``fit`` warns about features far from order 1 (neural networks; not tree ensembles)
    _scale_sensitive: bool = True

    # -- hooks -------------------------------------------------------------------------
    def _fit(self, X: np.ndarray, y: np.ndarray, X_val, y_val) -> None:  # pragma: no cover
        raise NotImplementedError

    def _build_modules(self) -> dict[str, torch.nn.Module]:
        return {}

    def _score_batch(self, x: torch.Tensor) -> torch.Tensor:  # pragma: no cover
        raise NotImplementedError

    def _score_numpy(self, X: np.ndarray) -> np.ndarray:
        """Score a validated float32 array; default: batches of ``_score_batch`` on the device.

        Memory stays bounded for any number of rows: one batch of at most
        ``min(score_batch_size, score_batch_rows)`` rows is on the device at a time and the
        float64 result is written into one preallocated array.
        """
        out = np.empty(X.shape[0], dtype=np.float64)
        for start, stop, scores in self._map_score_batches(X, self._scoring_function()):
            out[start:stop] = scores.reshape(-1).float().cpu().numpy()
        return out

    def _score_batch_rows(self) -> int:
        own = int(getattr(self, "score_batch_size", 65536) or 65536)
        return max(1, min(own, int(get_performance().score_batch_rows)))

    def _map_score_batches(self, X: np.ndarray | torch.Tensor, fn):
        """Yield ``(start, stop, fn(x_batch))`` over row blocks of ``X`` moved to ``self.device_``,
        in eval mode, under ``no_grad``, the scoring thread count and (if switched on) bf16
        autocast. ``fn`` gets a float32 tensor (m, d) and returns a tensor or a dict of tensors.
        ``X`` may also be a float32 tensor already on ``self.device_`` (validation data uploaded
        once per fit); its blocks are then views, not copies."""
        batch = self._score_batch_rows()
        for module in self._modules().values():
            module.eval()
        opts = get_performance()
        with torch_threads(opts.score_threads, self.device_), torch.no_grad(), amp_context(self.device_):
            for start in range(0, X.shape[0], batch):
                stop = min(start + batch, X.shape[0])
                if isinstance(X, torch.Tensor):
                    xb = X[start:stop]
                else:
                    xb = torch.from_numpy(X[start:stop]).to(self.device_, non_blocking=True)
                yield start, stop, fn(xb)

    def _scoring_function(self):
        """``_score_batch``, or its ``torch.compile``d version when the ``compile`` switch is on
        (cached per detector and per set of fitted modules)."""
        opts = get_performance()
        if not opts.compile:
            return self._score_batch
        key = (id(self._modules()), opts.compile_backend, opts.compile_mode)
        cached = self.__dict__.get(_COMPILED_ATTR)
        if cached is None or cached[0] != key:
            # kept on the instance (a reference cycle the garbage collector frees with the detector), not
            # in a module-level table whose bound method would keep every detector and its weights alive
            cached = (key, torch.compile(self._score_batch, backend=opts.compile_backend, mode=opts.compile_mode))
            self.__dict__[_COMPILED_ATTR] = cached
        return cached[1]

    def __getstate__(self):
        state = super().__getstate__()
        state = dict(state) if isinstance(state, dict) else state
        if isinstance(state, dict):
            state.pop(_COMPILED_ATTR, None)      # compiled code is neither picklable nor worth copying
        return state

    # -- public API --------------------------------------------------------------------
    def fit(self, X, y=None, X_val=None, y_val=None):
        """Fit on ``X`` (n, d) with weak labels ``y`` (n,) in {0/-1 unlabeled, 1 labeled anomaly}.

        ``X_val``/``y_val`` (true 0/1 labels) are optional; only methods that document it use them
        (e.g. MNPWAD's reference-style early stopping). Returns ``self``.
        """
        X, y = check_X_y(X, y, require_anomalies=self.requires_labeled_anomalies, min_samples=self._min_samples)
        if X_val is not None:
            X_val = check_X(X_val, name="X_val", n_features=X.shape[1])
            if y_val is None:
                raise ValueError("X_val was given without y_val (true 0/1 labels of the validation samples)")
            y_val = check_labels(y_val, X_val.shape[0], name="y_val")
        elif y_val is not None:
            raise ValueError("y_val was given without X_val")
        self._check_params()
        self._check_validation_use(X_val, y_val)
        if self._scale_sensitive:
            warn_if_badly_scaled(X)
        self.n_features_in_ = X.shape[1]
        self.device_ = resolve_device(getattr(self, "device", "auto"))
        self.history_ = []
        seed = getattr(self, "random_state", None)
        # a seeded fit seeds Python, NumPy and torch for its own use and then puts the caller's global
        # generators back as they were (an unseeded fit draws from them, as scikit-learn's estimators do)
        with preserved_global_rng(self.device_, enabled=seed is not None), \
                torch_threads(get_performance().num_threads, self.device_):
            self._rng = seed_everything(seed)
            self._fit(X, y, X_val, y_val)
        self.decision_scores_ = self._score_numpy(X)
        self._check_scores(self.decision_scores_, X, training=True)
        self._set_threshold()
        return self

    def decision_function(self, X) -> np.ndarray:
        """Anomaly scores, shape (n,), float64; higher means more anomalous."""
        self._check_fitted()
        X = check_X(X, n_features=self.n_features_in_)
        scores = self._score_numpy(X)
        self._check_scores(scores, X, training=False)
        return scores

    def score_samples(self, X) -> np.ndarray:
        """Alias of ``decision_function`` (higher = more anomalous, unlike scikit-learn's sign)."""
        return self.decision_function(X)

    def predict(self, X) -> np.ndarray:
        """0/1 predictions: 1 where the score exceeds ``threshold_`` (the training-score quantile
        at ``1 - contamination``)."""
        return (self.decision_function(X) > self.threshold_).astype(np.int64)

    def fit_predict(self, X, y=None):
        return self.fit(X, y).labels_

    def score(self, X, y) -> float:
        """AUC-PR (average precision) of ``decision_function(X)`` against labels ``y`` (1 = anomaly;
        0 and -1 count as normal) — higher is better, so ``cross_val_score`` and ``GridSearchCV`` can
        select hyper-parameters with a detector directly. With weak labels as ``y`` it measures how
        high the *labeled* anomalies rank; with true labels it is the usual AUC-PR."""
        from sklearn.metrics import average_precision_score

        scores = self.decision_function(X)
        target = check_labels(y, scores.shape[0])
        if not target.any():
            raise ValueError("score needs at least one anomaly (y == 1) to compute AUC-PR")
        return float(average_precision_score(target, scores))

    # -- scikit-learn tags: an outlier detector (``sklearn.base.is_outlier_detector``) ---------------
    _estimator_type = "outlier_detector"          # scikit-learn < 1.6

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.estimator_type = "outlier_detector"
        tags.target_tags.required = False          # y is optional (None = all unlabeled)
        tags.requires_fit = True
        return tags

    # -- helpers -----------------------------------------------------------------------
    def _check_params(self) -> None:
        c = getattr(self, "contamination", 0.1)
        try:
            ok = 0.0 < float(c) < 0.5
        except (TypeError, ValueError):
            ok = False
        if not ok:
            raise ValueError(f"contamination must be in (0, 0.5), got {c!r}")
        check_random_state(getattr(self, "random_state", None))

    def _check_scores(self, scores: np.ndarray, X: np.ndarray, training: bool) -> None:
        """No silent NaN: non-finite scores raise, naming the rows and the input scale; constant
        training scores (nothing is ranked) give a warning."""
        bad = ~np.isfinite(scores)
        name = type(self).__name__
        if bad.any():
            rows = np.flatnonzero(bad)
            amax = float(np.abs(X[rows]).max())
            what = ("training diverged or the features are badly scaled" if training else
                    "these rows are far outside the range the detector was trained on")
            error = FloatingPointError if training else ValueError
            raise error(f"{name} produced non-finite scores for {rows.size} of {scores.size} rows (first row "
                        f"{int(rows[0])}, max |x| in them = {amax:.3g}): {what}; scale the features (e.g. min-max "
                        "to [0, 1] or standardise) and check for extreme values")
        if training and scores.size > 1 and np.ptp(scores) == 0:
            warnings.warn(f"{name}: every training row got the same score ({scores[0]:.6g}), so nothing is ranked. "
                          f"Usual cause: features on a tiny or huge scale (max |x| = {float(np.abs(X).max()):.3g}); "
                          "scale them to order 1", UserWarning, stacklevel=3)

    def _uses_validation(self) -> bool:
        """Whether ``fit`` will use ``X_val, y_val`` with these hyper-parameters: only when the
        detector has an ``early_stopping`` switch and it is on (labelled validation data is extra
        supervision, so it is never used just because it was passed)."""
        return bool(getattr(self, "early_stopping", False))

    def _check_validation_use(self, X_val, y_val) -> None:
        """One rule for validation data across detectors: ``early_stopping=True`` needs ``X_val,
        y_val`` with both classes; ``X_val`` passed to a detector that will not use it gives a
        warning (it is ignored, never silently turned into label use); a ``patience`` that cannot
        fire within ``epochs`` gives a warning."""
        name = type(self).__name__
        if getattr(self, "early_stopping", False):
            if X_val is None:
                raise ValueError(f"{name}(early_stopping=True) needs labelled validation data: "
                                 "call fit(X, y, X_val, y_val)")
            epochs, patience = getattr(self, "epochs", None), getattr(self, "patience", None)
            if epochs is not None and patience is not None and int(patience) >= int(epochs):
                warnings.warn(f"{name}: patience={patience} >= epochs={epochs}, so early stopping can never "
                              "fire; only the best epoch is restored. Lower patience or raise epochs.",
                              UserWarning, stacklevel=3)
        if X_val is not None:
            if not self._uses_validation():
                hint = ("pass early_stopping=True to early-stop on it" if hasattr(self, "early_stopping")
                        else f"{name} does not use validation data")
                warnings.warn(f"X_val/y_val are ignored: {hint}", UserWarning, stacklevel=3)
            elif getattr(self, "early_stopping", False) and np.unique(y_val).size < 2:
                raise ValueError("y_val must contain both normals (0) and anomalies (1) for early stopping")

    def _set_threshold(self) -> None:
        c = float(getattr(self, "contamination", 0.1))
        self.threshold_ = float(np.quantile(self.decision_scores_, 1.0 - c))
        self.labels_ = (self.decision_scores_ > self.threshold_).astype(np.int64)

    def _check_fitted(self) -> None:
        """``sklearn.exceptions.NotFittedError`` (a ValueError and an AttributeError) before ``fit``."""
        if not hasattr(self, "n_features_in_"):
            raise NotFittedError(f"this {type(self).__name__} is not fitted yet; call fit(X, y) first")

    def _modules(self) -> dict[str, torch.nn.Module]:
        return getattr(self, "modules_", {})

    def _log_epoch(self, **losses: float) -> None:
        """Append one row of per-epoch losses to ``history_``."""
        self.history_.append({k: float(v) for k, v in losses.items()})

    def _progress(self, iterable: Iterable, desc: str, total: int | None = None):
        if getattr(self, "verbose", 0) and int(self.verbose) > 0:
            from tqdm.auto import tqdm

            return tqdm(iterable, desc=f"{type(self).__name__} {desc}", total=total, leave=False)
        return iterable

    # -- persistence -------------------------------------------------------------------
    def save(self, path: str | Path) -> None:
        """Save hyper-parameters, fitted attributes and network weights with ``torch.save``.

        The file holds one ``torch.save`` payload (format ``adlab-detector-v2``) wrapping the detector's
        own payload as bytes together with its SHA-256, so :meth:`load` detects any corrupted byte.
        Raises ``FileNotFoundError`` (an ``OSError``) when the folder of ``path`` does not exist.
        """
        self._check_fitted()
        path = Path(path)
        if not path.parent.is_dir():
            raise FileNotFoundError(errno.ENOENT, f"cannot save the {type(self).__name__}: the folder "
                                    f"{str(path.parent)!r} does not exist (create it first)", str(path.parent))
        fitted = {
            name: _to_saveable(getattr(self, name))
            for name in (*self._standard_state, *self._fitted_state)
            if hasattr(self, name)
        }
        modules = {name: {k: v.detach().cpu() for k, v in m.state_dict().items()}
                   for name, m in self._modules().items()}
        params = _to_saveable(self.get_params(deep=False))
        inner = {"format": "adlab-detector-v1", "class": type(self).__name__,
                 "params": params, "fitted": fitted, "modules": modules}
        buffer = io.BytesIO()
        torch.save(inner, buffer)
        blob = buffer.getvalue()
        outer = {"format": _FORMAT, "class": type(self).__name__, "sha256": hashlib.sha256(blob).hexdigest(),
                 "payload": torch.frombuffer(bytearray(blob), dtype=torch.uint8)}
        torch.save(outer, str(path))

    @classmethod
    def load(cls, path: str | Path, device: str | None = None):
        """Load a detector saved by ``save`` (``torch.load(weights_only=True)``: no code is executed).

        Called on ``WeakDetector`` it dispatches to the saved class via the model registry.
        ``device`` overrides the saved device setting. Without it, a model saved with a CUDA device
        loads on the CPU, with a warning, when this machine has no CUDA (trained on a GPU, graded on a
        laptop). A truncated, corrupted or foreign file raises ``ValueError`` saying so (the SHA-256
        stored by ``save`` catches changed bytes); a missing file ``FileNotFoundError``.
        """
        path = Path(path)
        if not path.exists():
            raise FileNotFoundError(errno.ENOENT, f"no saved detector at {str(path)!r}", str(path))
        payload = _read_torch_file(path, path)
        if isinstance(payload, dict) and payload.get("format") == _FORMAT:
            data = payload.get("payload")
            if not isinstance(data, torch.Tensor) or data.dtype != torch.uint8:
                raise ValueError(f"{path} is not a valid adlab detector file (no payload)")
            blob = data.numpy().tobytes()
            if hashlib.sha256(blob).hexdigest() != payload.get("sha256"):
                raise ValueError(f"{path} is corrupted: its contents do not match the SHA-256 checksum written by "
                                 "save (changed or damaged bytes); re-save the detector")
            payload = _read_torch_file(io.BytesIO(blob), path)
        elif isinstance(payload, dict) and payload.get("format") == "adlab-detector-v1":
            warnings.warn(f"{path} was saved by an older adlab without a checksum; its integrity cannot be "
                          "verified (save it again to add one)", UserWarning, stacklevel=2)
        if not isinstance(payload, dict) or payload.get("format") != "adlab-detector-v1" or not {
                "class", "params", "fitted", "modules"} <= set(payload):
            raise ValueError(f"{path} is not an adlab detector file")
        target = cls
        if payload["class"] != cls.__name__:
            from .registry import get_detector_class

            target = get_detector_class(payload["class"])
            if not issubclass(target, cls):
                raise ValueError(f"{path} holds a {payload['class']}, not a {cls.__name__}")
        params = _from_saveable(payload["params"])
        known = set(target().get_params(deep=False))
        unknown = sorted(set(params) - known)
        if unknown:
            raise ValueError(f"{path} sets parameters {unknown} that {target.__name__} does not have "
                             "(saved by another adlab version?)")
        if device is not None:
            params["device"] = device
        elif _wants_cuda(params.get("device")) and not torch.cuda.is_available():
            warnings.warn(f"{path} was saved with device={params['device']!r} but CUDA is not available here: "
                          "loading it on the CPU (pass device= to choose)", UserWarning, stacklevel=2)
            params["device"] = "cpu"
        det = target(**params)
        allowed = {*target._standard_state, *target._fitted_state}
        for name, value in payload["fitted"].items():
            if name not in allowed:
                raise ValueError(f"{path} sets the attribute {name!r}, which is not a fitted attribute of "
                                 f"{target.__name__} (allowed: {sorted(allowed)})")
            setattr(det, name, _from_saveable(value))
        if not hasattr(det, "n_features_in_"):
            raise ValueError(f"{path} has no n_features_in_: not a fitted detector")
        det.device_ = resolve_device(det.device)
        modules = det._build_modules()
        for name, state in payload["modules"].items():
            if name not in modules:
                raise ValueError(f"saved module {name!r} is unknown to {target.__name__}")
            try:
                modules[name].load_state_dict(state)
            except (RuntimeError, TypeError, AttributeError) as exc:
                raise ValueError(f"{path}: the saved weights of {name!r} do not fit {target.__name__}'s network "
                                 f"({str(exc).splitlines()[0][:200]})") from None
        det.modules_ = {k: m.to(det.device_).eval() for k, m in modules.items()}
        det._after_load()
        return det

    def _after_load(self) -> None:
        """Hook for subclasses that cache derived tensors from their modules."""


class TorchDetector(WeakDetector):
    """A WeakDetector with helpers shared by the PyTorch methods (tensors on the device once)."""

    def _to_device(self, X: np.ndarray) -> torch.Tensor:
        return torch.from_numpy(X).to(self.device_)

    def _make_optimizer(self, params, lr: float, weight_decay: float) -> torch.optim.Optimizer:
        return torch.optim.Adam(params, lr=lr, weight_decay=weight_decay)

    def _autocast(self):
        """Context for a training forward pass + loss: bf16 autocast when the ``amp`` switch is on
        (``adlab.config.set_performance``), else a no-op. Detectors that use it document it."""
        return amp_context(self.device_)

    def _compiled(self, module: torch.nn.Module):
        """``module`` or its ``torch.compile``d wrapper when the ``compile`` switch is on."""
        return compile_module(module)

    # -- the one training loop and the one early-stopping rule (adlab.components.training) ----------
    def _run_epochs(self, optimizer: torch.optim.Optimizer, step, *, epochs: int, steps: int,
                    names=("loss",), desc: str = "epochs", **kwargs) -> list[dict]:
        """:func:`~adlab.components.training.run_epochs` with this detector's progress bar, its
        ``history_`` as the log and its name in the divergence error. ``kwargs``: the hooks
        (``on_epoch_start``, ``on_epoch_end``, ``validate``/``monitor``/``stopper``/``modules``)."""
        return run_epochs(optimizer, step, epochs=int(epochs), steps=int(steps), names=tuple(names),
                          log=lambda row: self._log_epoch(**row), progress=lambda it: self._progress(it, desc, total=int(epochs)),
                          owner=f"{type(self).__name__} training", **kwargs)

    def _validation_early_stopping(self, X_val: np.ndarray | None, y_val: np.ndarray | None,
                                   min_delta: float = 1e-4) -> dict:
        """Keyword arguments for :meth:`_run_epochs` that early-stop on labelled validation data, or
        ``{}`` when ``early_stopping`` is off.

        ``X_val`` is uploaded to the device once; after every epoch the detector's own scoring
        function scores it (eval mode, then each module's training mode is restored) and the row
        gets ``val_auc_pr``, ``val_auc_roc`` and ``val_criterion`` = (1 − AUC-PR) + (1 − AUC-ROC),
        the reference codes' rule; :class:`~adlab.components.training.EarlyStopping` stops after
        ``patience`` epochs without a ``min_delta`` improvement and restores the best epoch's
        weights (``best_epoch_``). ``fit`` has already checked that ``X_val``/``y_val`` are present.
        """
        if not getattr(self, "early_stopping", False):
            return {}
        from sklearn.metrics import average_precision_score, roc_auc_score

        Xv = self._to_device(X_val)
        fn = self._score_batch

        def validate(epoch: int) -> dict:
            modes = {k: m.training for k, m in self._modules().items()}
            s = np.empty(Xv.shape[0], dtype=np.float64)
            for start, stop, out in self._map_score_batches(Xv, fn):
                s[start:stop] = out.reshape(-1).float().cpu().numpy()
            for k, m in self._modules().items():
                m.train(modes[k])
            crit = validation_criterion(y_val, s)
            if np.isfinite(crit):
                pr, roc = float(average_precision_score(y_val, s)), float(roc_auc_score(y_val, s))
            else:
                pr = roc = float("nan")
            return {"val_auc_pr": pr, "val_auc_roc": roc, "val_criterion": crit}

        return {"validate": validate, "monitor": "val_criterion", "modules": self._modules(),
                "stopper": EarlyStopping(int(self.patience), min_delta)}

    def _torch_generator(self) -> torch.Generator:
        """A generator on the training device, seeded from ``random_state`` (for batch sampling)."""
        g = torch.Generator(device=self.device_)
        seed = getattr(self, "random_state", None)
        if seed is not None:
            g.manual_seed(int(seed))
        else:
            g.seed()                      # non-deterministic, without touching torch's global generator
        return g


def n_batches(n: int, batch_size: int, max_steps: int | None = None, drop_last: bool = False) -> int:
    """Optimizer steps in one epoch that passes over ``n`` rows in batches of ``batch_size``:
    ``ceil(n / batch_size)`` (``floor`` with ``drop_last``; at least 1), at most ``max_steps`` when given.

    ``max_steps`` is the large-table budget of the detectors whose epoch is one pass over the data
    (MMNet, DeepSAD, the synthetic-anomaly classifier: their ``max_steps_per_epoch`` parameter). On
    a table with fewer than ``max_steps · batch_size`` rows it changes nothing; on Donors (≈ 370k
    training rows) it turns a 3,000-step epoch into ``max_steps`` randomly drawn batches.
    """
    steps = max(1, n // batch_size if drop_last else math.ceil(n / batch_size))
    return steps if max_steps is None else min(steps, int(max_steps))


def check_max_steps(value) -> None:
    """ValueError unless ``max_steps_per_epoch`` is None or a positive integer."""
    if value is not None:
        check_int("max_steps_per_epoch (None for no cap)", value)
