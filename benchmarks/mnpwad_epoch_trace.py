"""How MNPWAD's test AP moves from one joint-training epoch to the next (issue 13, MNPWAD's Decisions).

For each (data set, split, seed): the authors' split recipe ``weak_split(protocol="mnpwad-reference")``, then
``MNPWAD(random_state=seed, label_fit_stop=None, epochs=e)`` fitted for e = 1 … ``--epochs`` on the weak labels.
Fits with the same seed share their first e epochs (nothing in MNPWAD depends on the epoch budget), so the e-th
fit's test AP is the AP the full run has after e epochs; it is a diagnostic that uses test labels, never a way to
choose a setting. Also recorded from the longest fit's ``history_``: the epoch-mean score loss L_score (Eq. 12)
and the unlabeled rows' mean max-similarity ``s_u``. Writes ``results/mnpwad_epoch_trace.csv`` and ``.md``::

    python benchmarks/mnpwad_epoch_trace.py --runs backdoor:102:0 backdoor:100:0 donors:100:0
"""
from __future__ import annotations

import argparse
from pathlib import Path

import pandas as pd
import torch

from bench_data import load_dataset  # benchmarks/ is on sys.path when run as a script

RESULTS = Path(__file__).resolve().parent / "results"


def trace(dataset: str, split: int, seed: int, epochs: int) -> pd.DataFrame:
    """One row per epoch: test AP after that many epochs, L_score and s_u of that epoch."""
    from adlab.data.protocol import weak_split
    from adlab.evaluation.metrics import auc_pr
    from adlab.models.mnpwad import MNPWAD

    X, y = load_dataset(dataset)
    sp = weak_split(X, y, protocol="mnpwad-reference", random_state=split)
    rows, det = [], None
    for e in range(1, epochs + 1):
        det = MNPWAD(random_state=seed, device="cpu", label_fit_stop=None, epochs=e).fit(sp.X_train, sp.y_train)
        rows.append({"dataset": dataset, "split": split, "seed": seed, "epoch": e,
                     "test_ap": round(auc_pr(sp.y_test, det.decision_function(sp.X_test)), 4)})
    hist = pd.DataFrame(det.history_)
    out = pd.DataFrame(rows)
    out["score_loss"] = hist["score"].round(4).to_numpy()
    out["s_u"] = hist["s_u"].round(4).to_numpy()
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", nargs="+", default=["backdoor:102:0", "backdoor:100:0", "donors:100:0"],
                    metavar="DATA:SPLIT:SEED")
    ap.add_argument("--epochs", type=int, default=10)
    ap.add_argument("--out", default=str(RESULTS / "mnpwad_epoch_trace"))
    args = ap.parse_args(argv)
    torch.set_num_threads(1)
    df = pd.concat([trace(r.split(":")[0], int(r.split(":")[1]), int(r.split(":")[2]), args.epochs)
                    for r in args.runs], ignore_index=True)
    out = Path(args.out)
    df.to_csv(out.with_suffix(".csv"), index=False)
    lines = ["# MNPWAD: test AP after each joint-training epoch (diagnostic, issue 13)", "",
             f"Command: `python benchmarks/mnpwad_epoch_trace.py --runs {' '.join(args.runs)} --epochs {args.epochs}`. "
             "Split: `weak_split(protocol=\"mnpwad-reference\", random_state=split)` (development splits), weak labels "
             "only, `label_fit_stop=None`; the fit with `epochs=e` gives the AP after e epochs. `score_loss` is the "
             "epoch-mean L_score (Eq. 12), `s_u` the unlabeled rows' mean max-similarity to the prototypes.", ""]
    for key, g in df.groupby(["dataset", "split", "seed"], sort=False):
        lines += [f"## {key[0]}, split {key[1]}, seed {key[2]}", "",
                  g.set_index("epoch")[["test_ap", "score_loss", "s_u"]].T.to_markdown(), ""]
    out.with_suffix(".md").write_text("\n".join(lines))
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
