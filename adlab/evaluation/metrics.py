"""Metrics used by every paper here: AUC-PR first, AUC-ROC second, mean ± std over seeds,
and the paired Wilcoxon signed-rank test across datasets."""
from __future__ import annotations

from typing import Sequence

import numpy as np
from sklearn.metrics import auc, average_precision_score, precision_recall_curve, roc_auc_score

__all__ = ["auc_pr", "auc_pr_trapezoid", "auc_roc", "evaluate", "mean_std", "format_mean_std",
           "paired_wilcoxon"]


def _check(y_true, scores):
    y = np.asarray(y_true).reshape(-1)
    s = np.asarray(scores, dtype=np.float64).reshape(-1)
    if y.shape != s.shape:
        raise ValueError(f"y_true has {y.size} entries but scores has {s.size}")
    if not np.isin(y, (0, 1)).all():
        raise ValueError("y_true must be 0 (normal) / 1 (anomaly) ground truth")
    if y.min() == y.max():
        raise ValueError("y_true holds one class only; AUC-PR/AUC-ROC need both normals and anomalies")
    if not np.isfinite(s).all():
        raise ValueError("scores contain NaN or inf")
    return y, s


def auc_pr(y_true, scores) -> float:
    """Area under the precision-recall curve as average precision (scikit-learn), anomalies positive."""
    y, s = _check(y_true, scores)
    return float(average_precision_score(y, s))


def auc_pr_trapezoid(y_true, scores) -> float:
    """AUC-PR by the trapezoid rule, ``auc(recall, precision)`` — what the MNPWAD and RoSAS
    reference codes report. Usually within 0.001 of :func:`auc_pr`."""
    y, s = _check(y_true, scores)
    precision, recall, _ = precision_recall_curve(y, s)
    return float(auc(recall, precision))


def auc_roc(y_true, scores) -> float:
    """Area under the ROC curve (scikit-learn)."""
    y, s = _check(y_true, scores)
    return float(roc_auc_score(y, s))


def evaluate(y_true, scores) -> dict[str, float]:
    """``{"auc_pr": ..., "auc_roc": ...}`` for ground truth 0/1 and anomaly scores."""
    return {"auc_pr": auc_pr(y_true, scores), "auc_roc": auc_roc(y_true, scores)}


def mean_std(values: Sequence[float], ddof: int = 1) -> tuple[float, float]:
    """Mean and sample std (ddof=1; 0.0 for a single value)."""
    v = np.asarray(values, dtype=np.float64)
    if v.size == 0:
        raise ValueError("mean_std of an empty sequence")
    return float(v.mean()), float(v.std(ddof=ddof)) if v.size > ddof else 0.0


def format_mean_std(values: Sequence[float], digits: int = 3) -> str:
    m, s = mean_std(values)
    return f"{m:.{digits}f}±{s:.{digits}f}"


def paired_wilcoxon(a: Sequence[float], b: Sequence[float], alternative: str = "two-sided") -> float:
    """p-value of the paired Wilcoxon signed-rank test of ``a`` vs ``b`` (e.g. per-dataset AUC-PR).

    Returns 1.0 when every pair is equal (no evidence of a difference)."""
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    if a.shape != b.shape or a.ndim != 1:
        raise ValueError("paired_wilcoxon needs two 1-D sequences of equal length")
    if np.allclose(a, b):
        return 1.0
    from scipy.stats import wilcoxon  # imported here: scipy.stats costs ~0.6 s, and fitting processes never need it

    return float(wilcoxon(a, b, alternative=alternative).pvalue)
