"""benchmarks/devlog.py: the development logs' rows round-trip and a tag is paired with its baseline
only on the cells both ran."""
import pandas as pd

from scripts import load_script

devlog = load_script("benchmarks/devlog.py")


def test_appended_rows_are_read_back_in_order(tmp_path):
    log = tmp_path / "sub" / "dev.jsonl"
    assert devlog.read_jsonl(log) == []
    devlog.append_jsonl(log, {"tag": "base", "ap": 0.5})
    devlog.append_jsonl(log, {"tag": "x", "ap": 0.25})
    assert devlog.read_jsonl(log) == [{"tag": "base", "ap": 0.5}, {"tag": "x", "ap": 0.25}]


def test_pairing_uses_only_the_cells_both_tags_ran():
    df = pd.DataFrame({"tag": ["base", "base", "base", "x", "x"], "ds": ["a", "a", "b", "a", "b"],
                       "seed": [0, 1, 0, 0, 0], "ap": [0.5, 0.9, 0.4, 0.6, 0.2]})
    pr = devlog.paired_with_base(df, "x", "base", ["ds", "seed"], "ap")
    assert pr["cells"] == 2  # (a, 1) has no x row
    assert abs(pr["base"] - 0.45) < 1e-12 and abs(pr["mean"] - 0.4) < 1e-12
    assert abs(pr["difference"] + 0.05) < 1e-12 and pr["lower_in"] == 1
    assert devlog.paired_with_base(df, "y", "base", ["ds", "seed"], "ap") is None
