"""Fidelity on a wide, large table: UNSW-NB15 Backdoor (95,329 × 196) under each paper's protocol.

All three papers report this data set (AUC-PR: MNPWAD 0.870, RoSAS 0.877, MMNet 0.875). The file is
DevNet's published version (``../shared/data/devnet/unsw_nb15_backdoor.npz``; ``--data`` to point
elsewhere). For every protocol in ``--protocols`` (``weak_split`` presets: ``mnpwad`` = 60/5/35,
1 % of the training anomalies labeled, natural contamination; ``rosas`` = 60/20/20, 30 labeled, 2 %
contamination; ``mmnet`` = 80/20, 30 labeled, 2 % contamination; min-max scaling fit on the training
rows) and every seed (the seed drives the split and the model), each detector in ``--methods`` (all
nine by default) is fit with its **defaults** and scored on the test part. Beside each mean stands the
number the paper of that protocol reports for that detector, where it reports one (MNPWAD's and
MMNet's Table II list several baselines; of RoSAS's paper only the RoSAS row survives in our text copy,
Table 4). A ``LogReg floor`` row (scikit-learn logistic regression, labeled vs unlabeled, balanced
class weights) is the weakest sensible use of the same weak labels.

Results append to ``<out>.csv`` one fit at a time (a rerun skips finished rows, keyed on protocol,
method, seed, ``--max-rows`` and ``--fast``); ``<out>.md`` is rewritten from the CSV at the end
(``--report-only`` rewrites it without fitting). One torch thread per process. Example::

    OMP_NUM_THREADS=1 python benchmarks/fidelity_wide.py --seeds 0 1 2 3 4
"""
from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from adlab.data.protocol import weak_split
from adlab.evaluation.experiments import detector_params
from adlab.evaluation.metrics import auc_pr, auc_roc
from adlab.models.registry import DETECTORS, make_detector
from bench_data import EXTRA_FILES, SHARED  # benchmarks/ is on sys.path when run as a script

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DATA = SHARED / EXTRA_FILES["backdoor"]
DEFAULT_OUT = ROOT / "benchmarks" / "results" / "fidelity_wide.csv"
FLOOR = "LogReg floor"
KEY = ["protocol", "method", "seed", "max_rows", "fast"]

#: (AUC-PR, AUC-ROC) on Backdoor as printed in the paper whose protocol it is (None = not reported)
PAPER = {
    "mnpwad": {"MNPWAD": (0.870, 0.976), "RoSAS": (0.543, 0.882), "PReNet": (0.461, 0.751),
               "DevNet": (0.878, 0.972), "DeepSAD": (0.509, 0.660), "FeaWAD": (0.221, 0.717),
               "IsolationForest": (0.046, 0.727)},
    "rosas": {"RoSAS": (0.877, None)},
    "mmnet": {"MMNet": (0.875, 0.971), "PReNet": (0.870, 0.951), "FeaWAD": (0.773, 0.962),
              "DeepSAD": (0.570, 0.938), "DevNet": (0.879, 0.970)},
}
SOURCE = {"mnpwad": "MNPWAD Table II (10 runs)", "rosas": "RoSAS Table 4 (full RoSAS; Table 3 is an image)",
          "mmnet": "MMNet Table II (10 runs)"}


def load(path: Path, max_rows: int | None, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """X (n, 196) float64 and y (n,) int64; ``max_rows`` keeps a stratified random subset."""
    if not path.exists():
        raise FileNotFoundError(f"{path} not found; pass --data (DevNet's unsw_nb15_backdoor.npz)")
    with np.load(path) as d:
        X, y = np.asarray(d["X"], dtype=np.float64), np.asarray(d["y"], dtype=np.int64)
    if max_rows is not None and max_rows < len(y):
        rng = np.random.default_rng(seed)
        keep = [rng.choice(np.flatnonzero(y == c), max(1, int(round(max_rows * np.mean(y == c)))), replace=False)
                for c in (0, 1)]
        sel = np.sort(np.concatenate(keep))
        X, y = X[sel], y[sel]
    return X, y


def fit_one(method: str, split, seed: int, fast: bool, device: str, extra: dict | None = None) -> dict:
    t0 = time.perf_counter()
    if method == FLOOR:
        from sklearn.linear_model import LogisticRegression

        clf = LogisticRegression(class_weight="balanced", max_iter=2000).fit(split.X_train, split.y_train)
        t1 = time.perf_counter()
        scores = clf.decision_function(split.X_test)
        params = {"class_weight": "balanced", "max_iter": 2000}
    else:
        params = {**detector_params(method, None, fast), **(extra or {})}
        det = make_detector(method, random_state=seed, device=device, **params)
        det.fit(split.X_train, split.y_train)
        t1 = time.perf_counter()
        scores = det.decision_function(split.X_test)
    return {"auc_pr": auc_pr(split.y_test, scores), "auc_roc": auc_roc(split.y_test, scores),
            "fit_seconds": t1 - t0, "params": json.dumps(params, sort_keys=True, default=str)}


def run(args) -> pd.DataFrame:
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    done = set()
    if out.exists():
        prev = pd.read_csv(out)
        done = {tuple(r) for r in prev[KEY].astype(str).itertuples(index=False)}
    X, y = load(Path(args.data), args.max_rows)
    for seed in args.seeds:           # seed-major: a partial run covers every protocol for the first seeds
        for protocol in args.protocols:
            todo = [m for m in args.methods
                    if (protocol, m, str(seed), str(args.max_rows or "full"), str(args.fast)) not in done]
            if not todo:
                continue
            split = weak_split(X, y, protocol=protocol, random_state=seed)
            for method in todo:
                row = {"protocol": protocol, "method": method, "seed": seed, "max_rows": args.max_rows or "full",
                       "fast": args.fast, "n_train": len(split.y_train), "n_labeled": int(split.y_train.sum()),
                       "n_test": len(split.y_test), "n_test_anomalies": int(split.y_test.sum())}
                row.update(fit_one(method, split, seed, args.fast, args.device, args.params))
                row["finished_at"] = time.strftime("%Y-%m-%dT%H:%M:%S")
                pd.DataFrame([row]).to_csv(out, mode="a", header=not out.exists(), index=False)
                print(f"{protocol:7s} seed {seed} {method:27s} AUC-PR {row['auc_pr']:.3f} "
                      f"AUC-ROC {row['auc_roc']:.3f} fit {row['fit_seconds']:.0f}s", flush=True)
    return pd.read_csv(out)


def _cell(values: pd.Series) -> str:
    if values.empty:
        return "–"
    return f"{values.mean():.3f} ± {values.std(ddof=1):.3f} ({len(values)})" if len(values) > 1 \
        else f"{values.mean():.3f} (1)"


def _paper(protocol: str, method: str, i: int) -> str:
    val = PAPER.get(protocol, {}).get(method)
    return "–" if val is None or val[i] is None else f"{val[i]:.3f}"


def report(df: pd.DataFrame, args, argv: list[str]) -> str:
    df = df[(df["max_rows"].astype(str) == str(args.max_rows or "full")) & (df["fast"].astype(str) == str(args.fast))]
    protocols = [p for p in args.protocols if p in set(df["protocol"])]
    methods = [m for m in [*DETECTORS, FLOOR] if m in set(df["method"])]
    shown = [a for i, a in enumerate(argv) if a != "--note" and (i == 0 or argv[i - 1] != "--note")]
    lines = ["# Fidelity on a wide, large table: UNSW-NB15 Backdoor under each paper's protocol", "",
             f"Command: `python benchmarks/fidelity_wide.py {' '.join(shown)}` "
             f"({time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, {platform.machine()} CPU, "
             f"{args.device}, 1 torch thread).", "",
             f"Data: DevNet's UNSW-NB15 Backdoor, {'all 95,329' if not args.max_rows else f'a {args.max_rows:,}-row stratified subset of the 95,329'} "
             "rows × 196 features (158 one-hot), 2.44 % anomalies. Every detector with its adlab defaults; "
             "the seed drives the split and the model. Cells: mean ± std (number of seeds) of the test "
             "AUC-PR (average precision) or AUC-ROC; `paper` is the number the paper of that protocol prints "
             "for that detector (– where it reports none). Sources: "
             + "; ".join(f"`{p}`: {SOURCE[p]}" for p in protocols) + ".", ""]
    for metric, i in (("AUC-PR", 0), ("AUC-ROC", 1)):
        lines += [f"## {metric}", "", "| detector | " + " | ".join(f"{p} protocol | paper" for p in protocols) + " |",
                  "|---|" + "---:|---:|" * len(protocols)]
        for m in methods:
            cells = []
            for p in protocols:
                sel = df[(df["protocol"] == p) & (df["method"] == m)]
                cells += [_cell(sel["auc_pr" if i == 0 else "auc_roc"]), _paper(p, m, i)]
            lines.append(f"| {m} | " + " | ".join(cells) + " |")
        lines.append("")
    fit = df.groupby(["method", "protocol"])["fit_seconds"].mean().unstack()
    lines += ["## Mean fit time (seconds, one CPU thread)", "",
              "| detector | " + " | ".join(protocols) + " |", "|---|" + "---:|" * len(protocols)]
    for m in methods:
        lines.append(f"| {m} | " + " | ".join(f"{fit.loc[m, p]:.0f}" if p in fit.columns and m in fit.index
                                               and pd.notna(fit.loc[m, p]) else "–" for p in protocols) + " |")
    expected = len(args.methods) * len(args.seeds) * len(args.protocols)
    got = len(df[df["method"].isin(args.methods) & df["protocol"].isin(args.protocols)
                 & df["seed"].isin(args.seeds)])
    lines += ["", f"Coverage: {got} of {expected} fits requested by this command"
              + ("." if got >= expected else " (PARTIAL)."), ""]
    if args.note:
        lines += [f"Note: {args.note}", ""]
    return "\n".join(lines)


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", default=str(DEFAULT_DATA))
    ap.add_argument("--protocols", nargs="+", default=["mnpwad", "rosas", "mmnet"], choices=list(PAPER))
    ap.add_argument("--methods", nargs="+", default=[*DETECTORS, FLOOR], choices=[*DETECTORS, FLOOR])
    ap.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2, 3, 4])
    ap.add_argument("--max-rows", type=int, default=None, help="stratified subset (seed 0) for quick runs")
    ap.add_argument("--fast", action="store_true", help="FAST_PARAMS (fewer epochs): smoke tests only")
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--out", default=str(DEFAULT_OUT))
    ap.add_argument("--report-only", action="store_true", help="rewrite <out>.md from <out>.csv, fit nothing")
    ap.add_argument("--params", type=json.loads, default={},
                    help='settings for every detector fitted, as JSON (e.g. \'{"label_fit_stop": null}\'); use with '
                         '--out, since the resume key does not include them')
    ap.add_argument("--note", default="", help="a sentence appended to the report (e.g. what a partial run left out)")
    args = ap.parse_args(argv)
    if args.max_rows is not None and args.max_rows < 100:
        ap.error("--max-rows must be at least 100")
    torch.set_num_threads(1)
    out = Path(args.out)
    df = pd.read_csv(out) if args.report_only else run(args)
    out.with_suffix(".md").write_text(report(df, args, argv))
    print(f"wrote {out} and {out.with_suffix('.md')}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
