"""benchmarks/devlog.py: the development logs' rows round-trip and a tag is paired with its baseline
only on the cells both ran."""
import pandas as pd

from scripts import load_script

devlog = load_script("benchmarks/devlog.py")


def test_appended_rows_are_read_back_in_order(tmp_path):
    log = tmp_path / "sub" / "dev.jsonl"
    assert devlog.read_jsonl(log) == []
    devlog.append_jsonl(log, {"tag": "base", "ap": 0.5})
    devlog.append_jsonl(log, {"tag": "x", "ap": 0.25, "machine": "given"})
    rows = devlog.read_jsonl(log)
    assert [(r["tag"], r["ap"]) for r in rows] == [("base", 0.5), ("x", 0.25)]
    # every row says which CPU it ran on (float rounding differs between CPU models); a given one is kept
    assert rows[0]["machine"] and rows[1]["machine"] == "given"


def test_pairing_uses_only_the_cells_both_tags_ran():
    df = pd.DataFrame({"tag": ["base", "base", "base", "x", "x"], "ds": ["a", "a", "b", "a", "b"],
                       "seed": [0, 1, 0, 0, 0], "ap": [0.5, 0.9, 0.4, 0.6, 0.2]})
    pr = devlog.paired_with_base(df, "x", "base", ["ds", "seed"], "ap")
    assert pr["cells"] == 2  # (a, 1) has no x row
    assert abs(pr["base"] - 0.45) < 1e-12 and abs(pr["mean"] - 0.4) < 1e-12
    assert abs(pr["difference"] + 0.05) < 1e-12 and pr["lower_in"] == 1
    assert devlog.paired_with_base(df, "y", "base", ["ds", "seed"], "ap") is None


diag = load_script("benchmarks/mmnet_wide_diag.py")


def test_learning_rate_table_pairs_only_fits_run_at_both_rates_on_one_machine():
    def row(seed, lr, ap, machine="m1", **kw):
        params = {"lr": lr} if lr != 1e-3 else {}
        return {"kind": "small", "ds": "cardio", "seed": seed, "params": params, "protocol": "mnpwad",
                "logodds": ap, "machine": machine, **kw}

    rows = [row(10, 1e-3, 0.5), row(10, 3e-4, 0.7), {**row(11, 1e-3, 0.4), "lr": 1e-3},  # seed 11 only at one rate
            row(10, 3e-4, 0.1, machine="m2"),                                     # another CPU: not paired with m1
            {**row(12, 1e-3, 0.9), "params": {"weight_decay": 0.1}},               # another change: left out
            {**row(12, 3e-4, 0.1), "machine": None}]                               # no machine recorded: left out
    text = "\n".join(diag._lr_section(rows))
    assert "lr 0.0003, main-table sets, mnpwad protocol, 1 paired fits: mean 0.500 → 0.700 (+0.200)" in text
    assert "m2" not in text and "0.900" not in text


def test_epoch_hook_runs_after_every_epoch_and_leaves_the_fit_unchanged():
    from adlab.models.mmnet import MMNet
    from contract import contract_data

    X, y, _ = contract_data(n_normal=200, n_anomaly=20, d=4, n_labeled=5, seed=0)
    kw = dict(epochs=3, memory_size=8, memory_dim=4, hidden_dim=8, label_fit_stop=None, random_state=0, device="cpu")
    seen = []
    hooked = devlog.with_epoch_hook(MMNet, lambda det, epoch: seen.append((epoch, len(det.history_))))(**kw).fit(X, y)
    assert seen == [(0, 0), (1, 1), (2, 2)]     # called at each epoch's end, before its row is logged
    plain = MMNet(**kw).fit(X, y)
    assert (hooked.decision_function(X) == plain.decision_function(X)).all()
