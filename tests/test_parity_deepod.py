"""benchmarks/parity_deepod.py --from-csv: merging result files into a report without fitting."""

import pandas as pd
import pytest

from scripts import load_script


def _parity():
    return load_script("benchmarks/parity_deepod.py")


def _rows(method, library, aps, command="python benchmarks/parity_deepod.py", dataset="letter"):
    return [{"dataset": dataset, "method": method, "library": library, "seed": s, "n_train": 10, "n_labeled": 3,
             "auc_pr": ap, "auc_roc": 0.9, "fit_s": 1.0, "command": command, "machine": "m",
             "started": "2026-12-01 00:00 UTC"} for s, ap in enumerate(aps)]


def test_from_csv_keeps_only_the_requested_methods_and_later_files_replace_earlier_rows(tmp_path):
    old = tmp_path / "old.csv"
    new = tmp_path / "new.csv"
    pd.DataFrame(_rows("PReNet", "adlab", [0.1, 0.2]) + _rows("PReNet", "deepod", [0.5, 0.6])
                 + _rows("DevNet", "adlab", [0.3, 0.3]) + _rows("DevNet", "deepod", [0.4, 0.4])).to_csv(old, index=False)
    pd.DataFrame(_rows("PReNet", "adlab", [0.7, 0.8], command="python benchmarks/parity_deepod.py "
                       "--adlab-params {}")).to_csv(new, index=False)
    df = _parity().main(["--from-csv", str(old), str(new), "--methods", "PReNet", "--out", str(tmp_path / "r")])
    assert set(df.method) == {"PReNet"} and len(df) == 4
    assert sorted(df[df.library == "adlab"].auc_pr) == [0.7, 0.8]
    text = (tmp_path / "r.md").read_text()
    assert "| letter | PReNet | 2 | 0.750" in text and "DevNet" not in text
    assert "except the adlab overrides given by `--adlab-params`" in text


def test_from_csv_without_filters_keeps_every_data_set_and_says_defaults(tmp_path):
    src = tmp_path / "all.csv"
    pd.DataFrame(_rows("PReNet", "adlab", [0.1]) + _rows("PReNet", "deepod", [0.2])
                 + _rows("PReNet", "adlab", [0.3], dataset="thyroid-21f")
                 + _rows("PReNet", "deepod", [0.4], dataset="thyroid-21f")).to_csv(src, index=False)
    df = _parity().main(["--from-csv", str(src), "--out", str(tmp_path / "r")])
    assert set(df.dataset) == {"letter", "thyroid-21f"}
    assert "except the adlab overrides" not in (tmp_path / "r.md").read_text()


def test_from_csv_filter_that_leaves_nothing_stops_with_a_message(tmp_path):
    src = tmp_path / "all.csv"
    pd.DataFrame(_rows("PReNet", "adlab", [0.1]) + _rows("PReNet", "deepod", [0.2])).to_csv(src, index=False)
    with pytest.raises(SystemExit, match="no rows left"):
        _parity().main(["--from-csv", str(src), "--datasets", "pendigits", "--out", str(tmp_path / "r")])
