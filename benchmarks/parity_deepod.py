"""Parity on identical splits: adlab's RoSAS, DevNet, DeepSAD, PReNet and FeaWAD against DeepOD's
implementations of the same methods (issue 12, items 5 and 6).

Protocol: the RoSAS protocol, ``weak_split(X, y, protocol="rosas", random_state=seed)`` (stratified
60/20/20 train/valid/test, 30 labeled anomalies, unlabeled set adjusted to 2 % anomalies, min-max fit on
train), because it is the protocol of the RoSAS paper and of the earlier ``speed.md`` comparison, and
30 labels give every detector enough labeled anomalies to learn from. For one split seed both libraries
get **the same rows, the same labeled anomalies (``y_train``: 1 = labeled anomaly, 0 = unlabeled) and the
same model seed** (DeepOD seeds torch/numpy/random in its constructor, adlab per fit), and the two fits
run interleaved (adlab, DeepOD, next method …) in one process with one torch thread, so machine load
hits both alike (``--libraries`` runs one side only, e.g. to spread a grid over processes; then the
fit seconds of the two sides were taken under different load and only the AP columns compare). Neither side sees the validation part. Score: average precision on the test part
(``auc_pr``, DeepOD's and ADBench's AUC-PR), AUC-ROC, fit seconds.

Methods: each adlab detector with its package defaults against ``deepod.models.tabular.<Method>`` with
DeepOD's defaults (``device="cpu"``, ``verbose=0``, ``random_state=seed``). DeepOD is an optional,
benchmark-only dependency that pins an old torch: install it in its own environment with
``pip install --no-deps deepod==0.4.1`` beside torch, and install adlab there too
(``pip install --no-deps -e .``). Without DeepOD the script stops with a clear message.

Output ``<out>.csv`` (one row per dataset × seed × method × library) and ``<out>.md`` (per-split table,
means, wins). Example (the committed report)::

    OMP_NUM_THREADS=1 /work/ext/venv-deepod/bin/python benchmarks/parity_deepod.py --seeds 0 1 2 3 4
"""
from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from adlab.data.protocol import weak_split
from adlab.evaluation.metrics import auc_pr, auc_roc
from bench_data import EXTRA_FILES, load_dataset  # benchmarks/ is on sys.path when run as a script

METHODS = ("RoSAS", "DevNet", "DeepSAD", "PReNet", "FeaWAD")
DATASETS = ("pendigits", "letter", "magic.gamma", "annthyroid")


def adlab_detector(method: str, seed: int, params: dict | None = None):
    from adlab.models import get_detector_class

    return get_detector_class(method)(random_state=seed, device="cpu", **(params or {}))


def deepod_detector(method: str, seed: int):
    from deepod.models import tabular

    return getattr(tabular, method)(device="cpu", verbose=0, random_state=seed)


def run_one(lib: str, method: str, split, seed: int, params: dict | None = None) -> dict:
    det = adlab_detector(method, seed, params) if lib == "adlab" else deepod_detector(method, seed)
    X_train = split.X_train.astype(np.float32)
    t0 = time.perf_counter()
    det.fit(X_train, split.y_train.astype(np.int64))
    fit_s = time.perf_counter() - t0
    s = np.asarray(det.decision_function(split.X_test.astype(np.float32)), dtype=np.float64).reshape(-1)
    if not np.isfinite(s).all():
        return {"auc_pr": np.nan, "auc_roc": np.nan, "fit_s": fit_s}
    return {"auc_pr": auc_pr(split.y_test, s), "auc_roc": auc_roc(split.y_test, s), "fit_s": fit_s}


def summarise(df: pd.DataFrame, command: str, machine: str, started: str, note: str = "") -> str:
    seeds = sorted(df.seed.unique())
    lines = [f"# Parity with DeepOD on identical splits ({len(seeds)} splits, RoSAS protocol)", "",
             f"- **command**: `{command}`", f"- **machine**: {machine}", f"- **started**: {started}",
             f"- **split seeds**: {', '.join(map(str, seeds))} (split, labeled anomalies and model seed; "
             "both libraries get the same rows and labels, 1 torch thread per process)",
             "- **metric**: average precision on the test part (AUC-ROC in the CSV); each library with its "
             "own defaults" + (", except the adlab overrides given by `--adlab-params` in the command"
                               if df[df.library == "adlab"].command.astype(str).str.contains("--adlab-params").any()
                               else ""), ""]
    piv = df.pivot_table(index=["dataset", "method", "seed"], columns="library", values="auc_pr")
    piv = piv.reindex(columns=["adlab", "deepod"])
    lines += ["## Mean AUC-PR over the splits both libraries finished (adlab − DeepOD)", "",
              "| data set | method | splits | adlab | DeepOD | Δ mean | adlab ≥ DeepOD | worst split Δ |",
              "|---|---|---|---|---|---|---|---|"]
    for (ds, m), g in piv.groupby(level=[0, 1], sort=False):
        g = g.dropna()
        if g.empty:
            continue
        a, d = g["adlab"], g["deepod"]
        delta = a - d
        lines.append(f"| {ds} | {m} | {len(g)} | {a.mean():.3f}±{a.std(ddof=0):.3f} | "
                     f"{d.mean():.3f}±{d.std(ddof=0):.3f} | {delta.mean():+.3f} | "
                     f"{int((delta >= 0).sum())}/{len(delta)} | {delta.min():+.3f} |")
    lines += ["", "## Per split AUC-PR (adlab / DeepOD)", ""]
    head = "| data set | method | " + " | ".join(f"seed {s}" for s in seeds) + " |"
    lines += [head, "|" + "---|" * (2 + len(seeds))]
    for (ds, m), g in piv.groupby(level=[0, 1], sort=False):
        g = g.droplevel([0, 1])
        cells = [" / ".join("–" if s not in g.index or np.isnan(g.loc[s, lib]) else f"{g.loc[s, lib]:.3f}"
                            for lib in ("adlab", "deepod")) for s in seeds]
        lines.append(f"| {ds} | {m} | " + " | ".join(cells) + " |")
    fit = df.groupby(["method", "library"]).fit_s.median().unstack().reindex(columns=["adlab", "deepod"])
    lines += ["", "## Median fit seconds (all data sets and splits)", "", "| method | adlab | DeepOD |", "|---|---|---|"]
    lines += [f"| {m} | {fit.loc[m, 'adlab']:.1f} | {fit.loc[m, 'deepod']:.1f} |" for m in fit.index]
    if note:
        lines += ["", note]
    return "\n".join(lines) + "\n"


def machine_details() -> str:
    import deepod

    from adlab.evaluation.machine import cpu_name

    return (f"CPU {cpu_name()} ({os.cpu_count()} logical cores, shared); torch {torch.__version__}; "
            f"deepod {deepod.__version__}; numpy {np.__version__}; Python {platform.python_version()}")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--datasets", nargs="+", default=None, help=f"default: {' '.join(DATASETS)}; also {', '.join(EXTRA_FILES)} (with --from-csv: "
                    "keep only these data sets; default all)")
    ap.add_argument("--methods", nargs="+", default=None, choices=METHODS, help="default: all five (with "
                    "--from-csv: keep only these methods)")
    ap.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2, 3, 4])
    ap.add_argument("--libraries", nargs="+", default=["adlab", "deepod"], choices=["adlab", "deepod"])
    ap.add_argument("--adlab-params", default="", help="development only: python dict of adlab overrides, "
                    "e.g. \"{'DevNet': {'epochs': 100}}\"")
    ap.add_argument("--out", default="benchmarks/results/parity_deepod")
    ap.add_argument("--from-csv", nargs="+", default=None, help="no runs: merge these CSVs into <out> (a row "
                    "for the same dataset/method/library/seed in a later file replaces an earlier one)")
    ap.add_argument("--note", default="", help="free text appended to the markdown (e.g. how runs were split)")
    args = ap.parse_args(argv)
    command = "python benchmarks/parity_deepod.py " + " ".join(sys.argv[1:] if argv is None else argv)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    if args.from_csv:
        df = pd.concat([pd.read_csv(p) for p in args.from_csv], ignore_index=True)
        # a fit run again (new defaults, a missing split filled in) replaces the earlier row: later files win
        df = df.drop_duplicates(subset=["dataset", "method", "library", "seed"], keep="last").reset_index(drop=True)
        if args.datasets:
            df = df[df.dataset.isin(args.datasets)].reset_index(drop=True)
        if args.methods:
            df = df[df.method.isin(args.methods)].reset_index(drop=True)
        if df.empty:
            raise SystemExit("no rows left after the --datasets/--methods filter")
        df.to_csv(out.with_suffix(".csv"), index=False)
        commands = "`; `".join(dict.fromkeys(df.command.astype(str)))
        text = summarise(df, commands, str(df.machine.iloc[0]), str(df.started.min()), args.note)
        out.with_suffix(".md").write_text(text)
        print(text)
        return df
    if "deepod" in args.libraries:
        try:
            import deepod.models.tabular  # noqa: F401
        except Exception as exc:  # noqa: BLE001
            raise SystemExit(f"deepod is not importable ({exc}); install it with pip install --no-deps deepod")
    args.datasets = args.datasets or list(DATASETS)
    args.methods = args.methods or list(METHODS)
    params = eval(args.adlab_params) if args.adlab_params else {}  # noqa: S307 - development switch
    torch.set_num_threads(1)
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    started = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    machine = machine_details() if "deepod" in args.libraries else platform.platform()
    rows = []
    for name in args.datasets:
        X, y = load_dataset(name)
        for seed in args.seeds:
            split = weak_split(X, y, protocol="rosas", random_state=seed)
            for method in args.methods:
                for lib in args.libraries:
                    r = run_one(lib, method, split, seed, params.get(method))
                    rows.append({"dataset": name, "method": method, "library": lib, "seed": seed,
                                 "n_train": len(split.y_train), "n_labeled": int(split.y_train.sum()), **r,
                                 "command": command, "machine": machine, "started": started})
                    print(f"{name:11s} seed={seed} {method:8s} {lib:6s} AP={r['auc_pr']:.3f} "
                          f"ROC={r['auc_roc']:.3f} fit={r['fit_s']:.1f}s", flush=True)
                    pd.DataFrame(rows).to_csv(out.with_suffix(".csv"), index=False)
    df = pd.DataFrame(rows)
    if set(df.library) == {"adlab", "deepod"}:
        text = summarise(df, command, machine, started, args.note)
        out.with_suffix(".md").write_text(text)
        print(text)
    return df


if __name__ == "__main__":
    main()
