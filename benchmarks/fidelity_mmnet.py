"""Fidelity benchmark for MMNet (paper §IV-A-3, §IV-C-2 Table IV, §IV-F Table VI, unseen anomalies).

Three experiments, all under the MMNet protocol (``weak_split(protocol="mmnet")``: stratified 80/20,
30 labeled anomalies, unlabeled set = all training normals + anomalies making up 2 % of it, min-max fit
on the training part), ``--seeds`` runs each (the seed drives the split and the model):

1. ``adbench`` — real data sets from ``ADLAB_DATA_DIR`` (default pendigits, cardio, satimage-2).
2. ``same_type`` — ADBench-style synthetic anomalies of one type (local, global, dependency,
   clustered; :func:`adlab.data.synthetic.make_synthetic_anomaly_dataset`): normals resampled from a
   Gaussian mixture fitted on the normals of ``--synthetic-base`` (the paper used Fraud, which is not
   in our ADBench folder), labeled and test anomalies of the same type (Table VI's setting).
3. ``unseen`` — one mixed data set with all four types
   (:func:`~adlab.data.synthetic.make_mixed_anomaly_dataset`); labeled + contaminating anomalies of one
   *known* type only; the test set holds normals and the *other three* types
   (``test_groups="unseen"``), broken down per unseen type.

For every fit the four scores of Table IV come from one model (``score_components``): ``full``
(Eq. 19), ``sum`` (−S_sum), ``kl`` (−S_KL) and ``mse``. ``--addressing dot cosine`` runs the paper's
dot-product addressing and adlab's cosine option on the synthetic parts (``--adbench-addressing`` on
the real data sets, default dot only). Output: ``<out>.csv`` (one row per fit × score ×
test group) and ``<out>.md`` (mean ± std tables). Example::

    OMP_NUM_THREADS=1 python benchmarks/fidelity_mmnet.py --seeds 0 1 2 3 4
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from adlab.data.adbench import load_adbench
from adlab.data.protocol import weak_split
from adlab.data.synthetic import ANOMALY_KINDS, make_mixed_anomaly_dataset, make_synthetic_anomaly_dataset
from adlab.evaluation.metrics import evaluate
from adlab.models.mmnet import MMNet
import bench_data  # noqa: E402,F401 - on sys.path when run as a script; importing it sets the ADLAB_DATA_DIR fallback

KINDS = list(ANOMALY_KINDS)
SCORES = ("full", "sum", "kl", "mse")


def component_scores(det: MMNet, X) -> dict[str, np.ndarray]:
    c = det.score_components(X)
    return {"full": c["full"], "sum": -c["s_sum"], "kl": -c["s_kl"], "mse": c["reconstruction"]}


def fit_and_score(split, seed: int, epochs: int, addressing: str, device: str, lr: float | None = None,
                  params: dict | None = None):
    extra = {**(params or {}), **({} if lr is None else {"lr": lr})}
    det = MMNet(epochs=epochs, addressing=addressing, random_state=seed, device=device, **extra)
    t0 = time.perf_counter()
    det.fit(split.X_train, split.y_train)
    fit_s = time.perf_counter() - t0
    return det, component_scores(det, split.X_test), fit_s


def rows_for(experiment, dataset, known, seed, addressing, split, scores, fit_s, groups=None):
    out = []
    parts = [("all", np.ones(len(split.y_test), bool))]
    if groups is not None:
        for g in sorted(set(groups[split.y_test == 1])):
            parts.append((g, (groups == "normal") | (groups == g)))
    for test_group, sel in parts:
        for name, s in scores.items():
            m = evaluate(split.y_test[sel], s[sel])
            out.append({"experiment": experiment, "dataset": dataset, "known": known, "test_group": test_group,
                        "addressing": addressing, "score": name, "seed": seed, "auc_pr": m["auc_pr"],
                        "auc_roc": m["auc_roc"], "fit_s": fit_s, "n_train": len(split.y_train),
                        "n_test": int(sel.sum())})
    return out


def run(args) -> pd.DataFrame:
    rows = []
    dev = args.device
    for seed in args.seeds:
        for name in args.datasets:
            X, y = load_adbench(name)
            split = weak_split(X, y, protocol="mmnet", random_state=seed)
            for addressing in args.adbench_addressing:
                _, scores, fit_s = fit_and_score(split, seed, args.epochs, addressing, dev, args.lr, args.params)
                rows += rows_for("adbench", name, "-", seed, addressing, split, scores, fit_s)
                print(f"adbench {name} seed={seed} {addressing}: full AUC-PR {rows[-4]['auc_pr']:.3f} "
                      f"sum {rows[-3]['auc_pr']:.3f} ({fit_s:.1f}s)", flush=True)

        Xb, yb = load_adbench(args.synthetic_base)
        for kind in KINDS:
            X, y = make_synthetic_anomaly_dataset(Xb, yb, kind, random_state=seed)
            split = weak_split(X, y, protocol="mmnet", random_state=seed)
            for addressing in args.addressing:
                _, scores, fit_s = fit_and_score(split, seed, args.epochs, addressing, dev, args.lr, args.params)
                rows += rows_for("same_type", f"{args.synthetic_base}-{kind}", kind, seed, addressing, split,
                                 scores, fit_s)
                print(f"same_type {kind} seed={seed} {addressing}: full AUC-ROC {rows[-4]['auc_roc']:.3f}", flush=True)

        X, y, groups = make_mixed_anomaly_dataset(Xb[yb == 0], n_per_kind=args.n_per_kind, random_state=seed)
        for known in KINDS:
            split = weak_split(X, y, protocol="mmnet", random_state=seed, unseen=groups, train_groups=[known],
                               test_groups="unseen")
            for addressing in args.addressing:
                _, scores, fit_s = fit_and_score(split, seed, args.epochs, addressing, dev, args.lr, args.params)
                rows += rows_for("unseen", f"{args.synthetic_base}-mixed", known, seed, addressing, split, scores,
                                 fit_s, groups=split.groups_test)
                print(f"unseen known={known} seed={seed} {addressing}: done ({fit_s:.1f}s)", flush=True)
    return pd.DataFrame(rows)


def summarise(df: pd.DataFrame) -> str:
    def fmt(v):
        return f"{v.mean():.3f} ± {v.std(ddof=1) if len(v) > 1 else 0.0:.3f}"

    lines = [f"# MMNet fidelity ({df.seed.nunique()} seeds: {sorted(df.seed.unique().tolist())})", ""]
    for exp, title in (("adbench", "ADBench, MMNet protocol (Table II setting)"),
                       ("same_type", "Synthetic anomaly types, labeled and test anomalies of the same type "
                                     "(Table VI setting; paper AUC-ROC 0.97–1.00)"),
                       ("unseen", "Unseen anomaly types: trained with one known type, tested on the other three "
                                  "(all unseen test rows pooled)")):
        sub = df[(df.experiment == exp) & (df.test_group == "all")]
        if sub.empty:
            continue
        lines += [f"## {title}", ""]
        for metric in ("auc_pr", "auc_roc"):
            tab = sub.groupby(["dataset", "known", "addressing", "score"])[metric].apply(fmt).unstack("score")
            tab = tab[[s for s in SCORES if s in tab.columns]]
            lines += [f"**{metric.upper().replace('_', '-')}**", "", tab.reset_index().to_markdown(index=False), ""]
        t = sub.groupby(["dataset", "addressing"]).fit_s.mean().round(2).rename("mean fit seconds")
        lines += [t.reset_index().to_markdown(index=False), ""]
    uns = df[(df.experiment == "unseen") & (df.test_group != "all")]
    if not uns.empty:
        lines += ["## Unseen types, per test type: AUC-PR", ""]
        tab = uns.groupby(["known", "test_group", "addressing", "score"]).auc_pr.apply(fmt).unstack("score")
        lines += [tab[[s for s in SCORES if s in tab.columns]].reset_index().to_markdown(index=False), ""]
        lines += ["## Does S_KL add to S_sum on unseen anomalies? (AUC-PR, full − sum, per seed and known type)", ""]
        piv = df[(df.experiment == "unseen") & (df.test_group == "all")].pivot_table(
            index=["addressing", "known", "seed"], columns="score", values="auc_pr")
        gain = (piv["full"] - piv["sum"]).groupby(level=["addressing", "known"])
        g = pd.DataFrame({"mean gain": gain.mean().round(4), "runs with gain > 0": gain.apply(lambda v: f"{(v > 0).sum()}/{len(v)}")})
        lines += [g.reset_index().to_markdown(index=False), ""]
        tot = (piv["full"] - piv["sum"]).groupby(level="addressing")
        lines += [pd.DataFrame({"mean gain": tot.mean().round(4), "runs with gain > 0":
                                tot.apply(lambda v: f"{(v > 0).sum()}/{len(v)}")}).reset_index().to_markdown(index=False), ""]
    return "\n".join(lines)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--datasets", nargs="+", default=["pendigits", "cardio", "satimage-2"])
    p.add_argument("--synthetic-base", default="cardio", help="ADBench data set whose normals seed the synthetic data")
    p.add_argument("--n-per-kind", type=int, default=150, help="anomalies per type in the unseen experiment")
    p.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2, 3, 4])
    p.add_argument("--epochs", type=int, default=50)
    p.add_argument("--params", type=json.loads, default={},
                   help='other MMNet settings as JSON, e.g. \'{"label_fit_stop": 0.05}\' (default: its defaults)')
    p.add_argument("--lr", type=float, default=None, help="MMNet's learning rate (default: its default; e.g. 1e-3, "
                   "the default before Decision 15, for a same-machine before/after)")
    p.add_argument("--addressing", nargs="+", default=["dot", "cosine"], choices=["dot", "cosine"])
    p.add_argument("--adbench-addressing", nargs="+", default=["dot"], choices=["dot", "cosine"],
                   help="addressing variants for the (slower) ADBench part")
    p.add_argument("--device", default="auto")
    p.add_argument("--out", default="benchmarks/results/fidelity_mmnet")
    args = p.parse_args(argv)
    if "OMP_NUM_THREADS" not in os.environ:
        torch.set_num_threads(1)
    t0 = time.perf_counter()
    df = run(args)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    csv, md = out.with_name(out.name + ".csv"), out.with_name(out.name + ".md")   # "…_0.05" keeps its dot
    df.to_csv(csv, index=False)
    from adlab.evaluation.machine import cpu_name

    lr = args.lr if args.lr is not None else MMNet().lr
    text = (f"Command: `python benchmarks/fidelity_mmnet.py {' '.join(sys.argv[1:] if argv is None else argv)}` "
            f"({time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, CPU {cpu_name()}, torch threads "
            f"{torch.get_num_threads()}; MMNet lr {lr:g}{'; ' + json.dumps(args.params) if args.params else ''}).\n\n"
            + summarise(df) + f"\nTotal wall time {time.perf_counter() - t0:.0f} s, epochs={args.epochs}, device={args.device}.\n")
    md.write_text(text)
    print(text)


if __name__ == "__main__":
    main()
