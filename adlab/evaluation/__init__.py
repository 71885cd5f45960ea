"""Metrics, experiment grids and paper tables."""
from .metrics import (auc_pr, auc_pr_trapezoid, auc_roc, evaluate, format_mean_std, mean_std,
                      paired_wilcoxon)

__all__ = ["auc_pr", "auc_pr_trapezoid", "auc_roc", "evaluate", "format_mean_std", "mean_std",
           "paired_wilcoxon"]
