"""Does ``--max-steps-per-epoch`` change the main table anywhere but on the large table it was meant for?

The main table is fitted with each detector's default step budget (issue 13: 100 steps per epoch for MMNet
and DeepSAD, 20 batches of 1,024 for the synthetic-anomaly classifier), which binds on donors. This script
refits the detectors that have the option (MMNet, DeepSAD, SyntheticAnomalyClassifier) on the same weak
splits of the seven small ADBench files with an explicit ``max_steps_per_epoch`` and compares their test
AUC-PR/AUC-ROC with the rows in ``benchmarks/results/main.csv``: equal to the last digit means neither
budget binds there (one pass over those tables is at most 89 steps), so the main table's small-set rows
are those of uncapped training.

    python benchmarks/check_step_cap.py --cap 100 --seeds 0        # writes results/check_step_cap.md
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import pandas as pd
import torch

RESULTS = Path(__file__).resolve().parent / "results"
CAPPED = ("MMNet", "DeepSAD", "SyntheticAnomalyClassifier")


def main(argv=None) -> int:
    from adlab.data.protocol import weak_split
    from adlab.evaluation.experiments import detector_params, load_dataset
    from adlab.evaluation.grid import read_results
    from adlab.evaluation.metrics import auc_pr, auc_roc
    from adlab.models.registry import make_detector

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cap", type=int, default=100)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0])
    parser.add_argument("--csv", default=str(RESULTS / "main.csv"))
    parser.add_argument("--out", default=str(RESULTS / "check_step_cap.md"))
    parser.add_argument("--methods", nargs="+", default=list(CAPPED), choices=CAPPED,
                        help="refit only these (e.g. the one whose main-table rows were refitted on this machine: "
                             "float rounding differs between CPU models, so compare rows of one machine)")
    parser.add_argument("--note", default="", help="a sentence appended to the report")
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    table = read_results(args.csv)
    table = table[(table["status"] == "ok") & (table["setting"] == "default") & table["method"].isin(args.methods)]
    datasets = [d for d in dict.fromkeys(table["dataset"]) if d != "donors"]
    rows = []
    for dataset in datasets:
        data = load_dataset(dataset)
        for seed in args.seeds:
            split = weak_split(data.X, data.y, protocol="mnpwad", random_state=seed)
            for method in args.methods:
                ref = table[(table["dataset"] == dataset) & (table["seed"] == seed) & (table["method"] == method)]
                if ref.empty:
                    continue
                params = detector_params(method, where_supported={"max_steps_per_epoch": args.cap})
                det = make_detector(method, random_state=seed, device="cpu", **params)
                det.fit(split.X_train, split.y_train)
                s = det.decision_function(split.X_test)
                new_pr, new_roc = auc_pr(split.y_test, s), auc_roc(split.y_test, s)
                old_pr, old_roc = float(ref["auc_pr"].iloc[0]), float(ref["auc_roc"].iloc[0])
                rows.append(dict(dataset=dataset, seed=seed, method=method, auc_pr_main_csv=old_pr,
                                 auc_pr_capped=new_pr, auc_roc_main_csv=old_roc, auc_roc_capped=new_roc,
                                 identical=(new_pr == old_pr and new_roc == old_roc)))
                print(rows[-1], flush=True)
    df = pd.DataFrame(rows)
    methods = "" if list(args.methods) == list(CAPPED) else " --methods " + " ".join(args.methods)
    text = (f"# Step budget check: `--max-steps-per-epoch {args.cap}` on the main table's small data sets\n\n"
            f"Command: `python benchmarks/check_step_cap.py --cap {args.cap} --seeds {' '.join(map(str, args.seeds))}"
            f"{methods}`"
            f" ({time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, CPU, 1 thread). Refits with an explicit cap, "
            f"compared with `{Path(args.csv).name}` (fitted with each detector's default step budget): on these "
            f"small tables an epoch is shorter than the cap, so it must change nothing.\n\n"
            f"**{int(df['identical'].sum())} of {len(df)} refits identical to the last digit.**\n\n"
            + df.to_markdown(index=False, floatfmt=".6f") + "\n" + (f"\n{args.note}\n" if args.note else ""))
    Path(args.out).write_text(text)
    print(text)
    return 0 if df["identical"].all() else 1


if __name__ == "__main__":
    sys.exit(main())
