"""Where RoSAS's label-free stop fires, and what each ratio would have given (``adlab.RoSAS`` Decisions 4).

For each (data set, protocol, seed): ``weak_split(protocol=..., random_state=seed)``, then one RoSAS fit with the
whole budget (``label_fit_stop=None``) that logs, after every epoch, the epoch-mean scoring loss L (``history_``)
and the **test** AP. The test AP is logged through the public validation hook — ``early_stopping=True`` with the
test part passed as ``X_val``/``y_val`` and a patience as long as the budget — so it is a diagnostic that uses
test labels, never a way to choose a setting for a report. From each trace the script then simulates
``LabelFitStop(ratio)``: the first epoch e ≥ 1 with L[e] < ratio · L[0]; the stopped model *is* the traced model
after epoch e (RoSAS's training does not depend on the budget or on the stop), so the AP at e is what
``RoSAS(label_fit_stop=ratio)`` gives. Writes ``<out>.jsonl`` (one trace per line) and ``<out>.md``::

    python benchmarks/rosas_stop_ratios.py --protocol rosas --data backdoor thyroid-21f letter annthyroid pendigits \\
        --seeds 10 11 12 13 14
    python benchmarks/rosas_stop_ratios.py --protocol mnpwad --data letter magic.gamma pendigits annthyroid \\
        satimage-2 thyroid cardio donors --seeds 10 11 12 13 14
    python benchmarks/rosas_stop_ratios.py --report-only
"""
from __future__ import annotations

import argparse
import json
import time
import warnings
from pathlib import Path

import pandas as pd
import torch

from bench_data import load_dataset  # benchmarks/ is on sys.path when run as a script
from devlog import label_fit_stop_epoch

RESULTS = Path(__file__).resolve().parent / "results"
RATIOS = (0.2, 0.25, 0.3, 0.35, 0.4, 0.5)


def trace(name: str, protocol: str, seed: int, epochs: int) -> dict:
    """One whole-budget fit: per-epoch L and test AP (see the module docstring)."""
    from adlab.data.protocol import weak_split
    from adlab.models.rosas import RoSAS

    X, y = load_dataset(name)
    sp = weak_split(X, y, protocol=protocol, random_state=seed)
    det = RoSAS(epochs=epochs, label_fit_stop=None, early_stopping=True, patience=epochs, random_state=seed,
                device="cpu")
    t0 = time.perf_counter()
    with warnings.catch_warnings():          # "patience can never fire": intended, every epoch is wanted
        warnings.simplefilter("ignore")
        det.fit(sp.X_train, sp.y_train, X_val=sp.X_test, y_val=sp.y_test)
    return {"data": name, "protocol": protocol, "seed": seed, "n_labeled": int(sp.y_train.sum()),
            "fit_s": round(time.perf_counter() - t0, 2),
            "loss_score": [float(h["loss_score"]) for h in det.history_],
            "test_ap": [float(h["val_auc_pr"]) for h in det.history_]}


def stop_epoch(loss_score, ratio: float) -> int:
    """The epoch after which ``LabelFitStop(ratio)`` ends training, fed the logged L (the last if never)."""
    return label_fit_stop_epoch(loss_score, ratio)


def report(traces: list[dict], note: str = "") -> str:
    rows, epochs = [], []
    for t in traces:
        ap, key = t["test_ap"], {"protocol": t["protocol"], "data": t["data"]}
        stops = {f"stop {q}": stop_epoch(t["loss_score"], q) for q in RATIOS}
        rows.append({**key, "seed": t["seed"], "whole budget": ap[-1], "epoch 0": ap[0],
                     **{k: ap[e] for k, e in stops.items()},
                     "min L/L0": min(t["loss_score"][1:]) / t["loss_score"][0]})
        epochs.append({**key, **stops})
    df = pd.DataFrame(rows)
    cols = ["whole budget", "epoch 0"] + [f"stop {q}" for q in RATIOS]
    means = df.groupby(["protocol", "data"], sort=False)[cols + ["min L/L0"]].mean().round(3)
    med = pd.DataFrame(epochs).groupby(["protocol", "data"], sort=False).median().astype(int)
    lines = ["# RoSAS's label-free stop: test AP at the simulated stop, per ratio (diagnostic)", "",
             "Mean test AUC-PR (average precision) over the seeds of each row; `whole budget` = 200 × 16 steps "
             "(no stop), `epoch 0` = after the first 16 steps, `stop q` = after the epoch `LabelFitStop(q)` ends "
             "training; `min L/L0` = the lowest epoch-mean scoring loss relative to the first epoch's (the rule "
             "with ratio q fires iff it is below q). Test labels are used to *draw* these curves only.", "",
             means.reset_index().to_markdown(index=False), "",
             "Mean over the data sets of each protocol:", "",
             df.groupby(["protocol", "data"], sort=False)[cols].mean().groupby("protocol", sort=False).mean()
             .round(3).reset_index().to_markdown(index=False), "",
             "Median epoch at which each ratio stops (199 = never fires):", "",
             med.reset_index().to_markdown(index=False), ""]
    if note:
        lines += [note, ""]
    return "\n".join(lines)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", nargs="+", default=["backdoor"])
    ap.add_argument("--protocol", default="rosas", choices=["rosas", "mnpwad", "mmnet"])
    ap.add_argument("--seeds", nargs="+", type=int, default=[10, 11, 12, 13, 14])
    ap.add_argument("--epochs", type=int, default=200)
    ap.add_argument("--out", default=str(RESULTS / "rosas_stop_ratios"))
    ap.add_argument("--report-only", action="store_true", help="rewrite <out>.md from <out>.jsonl, fit nothing")
    ap.add_argument("--note", default="")
    args = ap.parse_args(argv)
    out = Path(args.out)
    if not args.report_only:
        torch.set_num_threads(1)
        done = set()
        if out.with_suffix(".jsonl").exists():
            done = {(t["data"], t["protocol"], t["seed"]) for t in map(json.loads, out.with_suffix(".jsonl").open())}
        for name in args.data:
            for seed in args.seeds:
                if (name, args.protocol, seed) in done:
                    continue
                t = trace(name, args.protocol, seed, args.epochs)
                with out.with_suffix(".jsonl").open("a") as f:
                    f.write(json.dumps(t) + "\n")
                print(f"{name} {args.protocol} seed {seed}: whole budget {t['test_ap'][-1]:.3f}, stop 0.25 "
                      f"{t['test_ap'][stop_epoch(t['loss_score'], 0.25)]:.3f} ({t['fit_s']:.0f} s)", flush=True)
    traces = [json.loads(line) for line in out.with_suffix(".jsonl").open()]
    out.with_suffix(".md").write_text(report(traces, args.note))
    print(f"wrote {out.with_suffix('.md')}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
