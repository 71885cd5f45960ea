"""benchmarks/fidelity_wide.py: one row per fit, resumable, the paper's number beside each mean."""
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from scripts import load_script

SCRIPT = Path(__file__).resolve().parents[1] / "benchmarks" / "fidelity_wide.py"


@pytest.fixture(scope="module")
def fw():
    return load_script(SCRIPT)


@pytest.fixture()
def table(tmp_path):
    rng = np.random.default_rng(0)
    X = rng.random((1000, 6))
    y = np.zeros(1000, dtype=np.int64)
    y[:80] = 1
    X[:80] += 1.5
    path = tmp_path / "tiny.npz"
    np.savez(path, X=X, y=y)
    return path


def test_a_run_writes_one_row_per_fit_and_a_rerun_fits_nothing(fw, table, tmp_path):
    out = tmp_path / "wide.csv"
    argv = ["--data", str(table), "--protocols", "mmnet", "rosas", "--methods", "LogReg floor", "IsolationForest",
            "--seeds", "0", "1", "--out", str(out)]
    assert fw.main(argv) == 0
    df = pd.read_csv(out)
    assert len(df) == 2 * 2 * 2 and set(df["method"]) == {"LogReg floor", "IsolationForest"}
    assert df["auc_pr"].between(0, 1).all() and (df.loc[df["method"] == "LogReg floor", "auc_roc"] > 0.9).all()
    stamps = list(df["finished_at"])
    assert fw.main(argv) == 0
    assert list(pd.read_csv(out)["finished_at"]) == stamps          # resumed: nothing refitted
    md = out.with_suffix(".md").read_text()
    assert "| IsolationForest |" in md and "Coverage: 8 of 8" in md


def test_the_report_puts_each_papers_number_beside_the_mean(fw, table, tmp_path):
    out = tmp_path / "wide.csv"
    fw.main(["--data", str(table), "--protocols", "mnpwad", "--methods", "IsolationForest", "--seeds", "0",
             "--out", str(out)])
    md = out.with_suffix(".md").read_text()
    row = next(line for line in md.splitlines() if line.startswith("| IsolationForest |"))
    assert row.rstrip().endswith("| 0.046 |")          # MNPWAD Table II, IForest on Backdoor


def test_a_missing_data_file_is_named(fw, tmp_path):
    with pytest.raises(FileNotFoundError, match="nope.npz"):
        fw.main(["--data", str(tmp_path / "nope.npz"), "--methods", "IsolationForest", "--seeds", "0",
                 "--out", str(tmp_path / "x.csv")])
