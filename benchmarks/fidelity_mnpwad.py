"""Fidelity benchmark: MNPWAD on the paper's protocol (Pendigits, MAGIC Gamma).

Protocol (``adlab.data.protocol.weak_split(..., protocol="mnpwad")``): stratified 60/5/35
train/val/test, 1 % of the *training anomalies* labeled (Pendigits: 1, Gamma: 41), the other training
anomalies left in the unlabeled set, min-max scaling fit on train. Unlike the paper's reference code
(one fixed split, seeds only), every split seed draws a new split and labeled set, and each split is
run with several model seeds, so the reported std covers both.

Development (choosing adlab's defaults) used split seeds 100–102 only; the reported runs use split
seeds 0…``--splits``−1, which were never looked at while tuning.

The column ``nn_labeled_auc_pr`` is a label-only difficulty indicator of each split: the test AUC-PR of
"minus the distance to the nearest labeled anomaly" (min-max space). With one labeled anomaly (Pendigits)
it shows whether that anomaly is typical of the test anomalies; a split where it is near chance level
cannot be rescued by the few-label part of any method.

By default the validation part is NOT used (adlab's honest default: fixed schedule, k-means on the
unlabeled training data). ``--use-val`` reproduces the reference's early stopping on validation
(1−AUPR)+(1−AUROC) with best-epoch restore.

Usage::

    OMP_NUM_THREADS=1 python benchmarks/fidelity_mnpwad.py --datasets pendigits magic.gamma \
        --seeds 5 --splits 3 --out benchmarks/results/fidelity_mnpwad

Writes ``<out>.csv`` (one row per run) and ``<out>.md`` (summary beside the paper's numbers).
Timings are wall-clock seconds per run (pretraining + k choice + training + test scoring) with
``torch.set_num_threads(--threads)``; on a shared machine they are pessimistic.
"""
from __future__ import annotations

import argparse
import datetime
import json
import os
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import torch

_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(_ROOT))
import bench_data  # noqa: E402,F401 - on sys.path when run as a script; importing it sets the ADLAB_DATA_DIR fallback

from adlab.data.adbench import load_adbench  # noqa: E402
from adlab.data.protocol import weak_split  # noqa: E402
from adlab.evaluation.machine import cpu_name
from adlab.evaluation.metrics import auc_pr, auc_pr_trapezoid, auc_roc  # noqa: E402
from adlab.models.mnpwad import MNPWAD  # noqa: E402

#: Table II of the paper (AUC-PR, AUC-ROC), mean ± std over 5 runs on one fixed split
PAPER = {"pendigits": {"auc_pr": (0.856, 0.042), "auc_roc": (0.986, 0.007)},
         "magic.gamma": {"auc_pr": (0.780, 0.014), "auc_roc": (0.845, 0.008)}}
#: targets of this re-implementation
TARGETS = {"pendigits": 0.86, "magic.gamma": 0.78}


def reference_split(X, y):
    """The reference code's one fixed split: ``weak_split(protocol="mnpwad-reference", random_state=2024)``
    (the authors' ``split_train_test_val`` + ``semi_setting_ratio``, re-implemented in
    :func:`adlab.data.protocol.mnpwad_reference_split`). Pendigits: train 4028/93, val 336/8, test 2350/55,
    one labeled anomaly."""
    return weak_split(X, y, protocol="mnpwad-reference", random_state=2024)


def run_one(X, y, dataset: str, split_seed: int, seed: int, params: dict, use_val: bool,
            reference: bool = False) -> dict:
    sp = reference_split(X, y) if reference else weak_split(X, y, protocol="mnpwad", random_state=split_seed)
    t0 = time.perf_counter()
    # validation labels are opt-in: early_stopping=True is what makes MNPWAD use X_val, y_val
    det = MNPWAD(random_state=seed, device=params.pop("device", "cpu"), **{"early_stopping": use_val, **params})
    if use_val:
        det.fit(sp.X_train, sp.y_train, X_val=sp.X_val, y_val=sp.y_val)
    else:
        det.fit(sp.X_train, sp.y_train)
    s = det.decision_function(sp.X_test)
    wall = time.perf_counter() - t0
    A = sp.X_train[sp.y_train == 1]
    d_nn = ((sp.X_test[:, None, :] - A[None]) ** 2).sum(-1).min(1)
    return {"dataset": dataset, "split": split_seed, "seed": seed, "auc_pr": auc_pr(sp.y_test, s),
            "auc_pr_trapezoid": auc_pr_trapezoid(sp.y_test, s), "auc_roc": auc_roc(sp.y_test, s),
            "k": det.n_prototypes_, "epochs_run": len(det.history_),
            "best_epoch": getattr(det, "best_epoch_", None), "n_labeled": int(sp.y_train.sum()),
            "nn_labeled_auc_pr": auc_pr(sp.y_test, -d_nn), "wall_s": wall}


def _key_defaults(params: dict) -> str:
    keys = ("epochs", "n_batches_per_epoch", "lr", "joint_lr", "batch_size", "n_labeled_per_batch", "dec",
            "dwa_detach", "pretrain_epochs", "score_loss")
    p = {**MNPWAD().get_params(), **params}
    return ", ".join(f"{k}={p[k]!r}" for k in keys)


def summarise(df: pd.DataFrame) -> pd.DataFrame:
    rows = []
    for ds, g in df.groupby("dataset", sort=False):
        paper = PAPER.get(ds, {})
        per_split = g.groupby("split")["auc_pr"].mean()
        seed_std = g.groupby("split")["auc_pr"].std(ddof=1).mean() if g["seed"].nunique() > 1 else float("nan")
        rows.append({
            "dataset": ds, "runs": len(g), "splits": g["split"].nunique(), "seeds": g["seed"].nunique(),
            "auc_pr": f"{g.auc_pr.mean():.3f} ± {g.auc_pr.std(ddof=1):.3f}",
            "auc_pr_paper": "{:.3f} ± {:.3f}".format(*paper["auc_pr"]) if paper else "",
            "auc_roc": f"{g.auc_roc.mean():.3f} ± {g.auc_roc.std(ddof=1):.3f}",
            "auc_roc_paper": "{:.3f} ± {:.3f}".format(*paper["auc_roc"]) if paper else "",
            "min_auc_pr": f"{g.auc_pr.min():.3f}",
            "std_between_splits": f"{per_split.std(ddof=1):.3f}" if len(per_split) > 1 else "",
            "std_over_seeds (mean within split)": "" if np.isnan(seed_std) else f"{seed_std:.3f}",
            "auc_pr per split": " / ".join(f"{v:.3f}" for v in per_split.values),
            "nn_labeled_auc_pr per split": " / ".join(
                f"{v:.3f}" for v in g.groupby("split")["nn_labeled_auc_pr"].first().values),
            "target_auc_pr": TARGETS.get(ds, ""),
            "k (median, range)": f"{int(g.k.median())} ({g.k.min()}–{g.k.max()})",
            "wall_s (median, max)": f"{g.wall_s.median():.1f} ({g.wall_s.max():.1f})",
        })
    return pd.DataFrame(rows)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--datasets", nargs="+", default=["pendigits", "magic.gamma"])
    ap.add_argument("--seeds", type=int, default=5, help="model seeds per split (0..seeds-1)")
    ap.add_argument("--splits", type=int, default=3, help="split seeds (0..splits-1); development used 100-102")
    ap.add_argument("--epochs", type=int, default=None, help="override MNPWAD(epochs=...)")
    ap.add_argument("--params", type=str, default="{}", help="extra MNPWAD kwargs as JSON")
    ap.add_argument("--use-val", action="store_true", help="reference-style early stopping on the val part")
    ap.add_argument("--reference-split", action="store_true",
                    help="the reference code's single fixed split (random_state=2024, first anomaly labeled) "
                         "instead of --splits random weak_split draws")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--out", type=str, default="benchmarks/results/fidelity_mnpwad")
    args = ap.parse_args(argv)

    torch.set_num_threads(args.threads)
    params = json.loads(args.params)
    if args.epochs is not None:
        params["epochs"] = args.epochs
    if args.reference_split:
        args.splits = 1
    torch.optim.Adam([torch.zeros(1, requires_grad=True)])   # first Adam imports torch._dynamo: not timed
    records = []
    for ds in args.datasets:
        X, y = load_adbench(ds)
        for split_seed in range(args.splits):
            for seed in range(args.seeds):
                rec = run_one(X, y, ds, split_seed, seed, dict(params), args.use_val, args.reference_split)
                records.append(rec)
                print(f"{ds:12s} split={split_seed} seed={seed} AUC-PR={rec['auc_pr']:.3f} "
                      f"AUC-ROC={rec['auc_roc']:.3f} k={rec['k']} epochs={rec['epochs_run']} "
                      f"{rec['wall_s']:.1f}s", flush=True)
    df = pd.DataFrame.from_records(records)
    summary = summarise(df)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    df.to_csv(out.with_suffix(".csv"), index=False)
    with pd.option_context("display.width", 200, "display.max_columns", 20):
        print(summary.to_string(index=False))
    header = (f"# MNPWAD fidelity (paper protocol)\n\n"
              f"- command: `OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS', '')} python benchmarks/"
              f"{' '.join([Path(sys.argv[0]).name, *(argv if argv is not None else sys.argv[1:])])}`\n"
              f"- date: {datetime.datetime.now().strftime('%Y-%m-%d %H:%M')}; torch {torch.__version__}\n"
              f"- split: {'the reference code fixed split (random_state=2024, first training anomaly labeled)' if args.reference_split else 'adlab.data.protocol.weak_split(protocol=mnpwad, random_state=split)'}\n"
              + ("" if args.reference_split else
                 "- development: adlab's defaults were chosen on split seeds 100–102 (see the MNPWAD docstring, "
                 "'Decisions'); the split seeds reported here were not used for tuning\n")
              + f"- model selection: {'reference early stopping on the labeled val part' if args.use_val else 'none (fixed schedule, val part unused)'}\n"
              f"- params: `{json.dumps(params)}`; the other settings are MNPWAD's defaults: `{_key_defaults(params)}`\n"
              f"- runs: {args.splits} split seeds × {args.seeds} model seeds; std is over all runs (ddof=1); "
              f"the paper's ± is over 5 seeds on one fixed split (ddof=0)\n"
              f"- AUC-PR = average precision (the trapezoid value the reference reports is in the CSV)\n"
              f"- machine: {cpu_name()}, torch threads={args.threads}, "
              f"{os.cpu_count()} logical CPUs (shared with other jobs: timings are pessimistic)\n\n")
    out.with_suffix(".md").write_text(header + summary.to_markdown(index=False) + "\n")
    print(f"wrote {out.with_suffix('.csv')} and {out.with_suffix('.md')}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
