"""benchmarks/fidelity_rosas.py: its report, without fitting anything."""

import pandas as pd

from scripts import load_script


def _rows():
    return pd.DataFrame([{"dataset": "backdoor", "method": m, "seed": s, "epochs": 200, "n_features": 196,
                          "auc_pr": ap, "auc_pr_trap": ap, "auc_roc": 0.9, "fit_s": fit}
                         for m, ap, fit in (("adlab", 0.6, 10.0), ("deepod_paper", 0.5, 40.0)) for s in (0, 1)])


def test_the_report_puts_the_papers_backdoor_number_beside_each_implementation_and_times_them():
    text = load_script("benchmarks/fidelity_rosas.py").summarise(_rows(), 200)
    assert "| backdoor | 196 | 0.877 | 0.600" in text and "Table 4's full-RoSAS row" in text
    assert "adlab fit s" in text and "Fit-time ratio adlab / deepod_paper" in text


def test_no_timing_leaves_every_fit_time_out_of_the_report():
    text = load_script("benchmarks/fidelity_rosas.py").summarise(_rows(), 200, timing=False)
    assert "fit s" not in text and "Fit-time ratio" not in text and "Fit times left out" in text
