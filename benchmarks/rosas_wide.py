"""RoSAS on the wide UNSW-NB15 Backdoor table (issue 13): one change at a time, RoSAS protocol
(``--protocol mnpwad`` for the main table's 1 %-labeled protocol).

Each ``--variant NAME=PYDICT`` is a set of ``adlab.RoSAS`` overrides (``default={}`` = package defaults);
the key ``_steps_per_rows`` (development only) sets ``n_batches_per_epoch = n_train // value`` (DeepOD's
``int(n / batch_size)`` steps per epoch).
For every seed the same ``weak_split(protocol=<--protocol>, random_state=seed)`` (optionally of a stratified
``--subsample``) feeds every variant, one torch thread; the test AP (and, with ``--trace``, the test AP
every ``--trace-every`` epochs, which shows whether longer training memorises the labeled anomalies) is printed and
written to ``<out>.csv``. Data: ``../shared/data/devnet/unsw_nb15_backdoor.npz`` (or any ADBench name)::

    python benchmarks/rosas_wide.py --seeds 100 --variant default={} --variant l2={'l2_embedding_weight':0.01}
"""
from __future__ import annotations

import argparse
import ast
import time
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from adlab.data.protocol import weak_split
from adlab.evaluation.metrics import auc_pr, auc_roc
from adlab.models.rosas import RoSAS
from bench_data import load_dataset  # benchmarks/ is on sys.path when run as a script


def subsample(X, y, n, seed):
    if not n or n >= len(y):
        return X, y
    rng = np.random.default_rng(seed)
    keep = np.concatenate([rng.choice(np.flatnonzero(y == c), int(round(n * (y == c).mean())), replace=False)
                           for c in (0, 1)])
    return X[np.sort(keep)], y[np.sort(keep)]


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", nargs="+", default=["backdoor"])
    ap.add_argument("--seeds", nargs="+", type=int, default=[100])
    ap.add_argument("--subsample", type=int, default=0)
    ap.add_argument("--protocol", default="rosas", choices=["rosas", "mnpwad", "mmnet"],
                    help="weak-split protocol (default rosas; the main table uses mnpwad)")
    ap.add_argument("--variant", action="append", default=[])
    ap.add_argument("--trace", action="store_true")
    ap.add_argument("--trace-every", type=int, default=20, help="epochs between two trace points (default 20)")
    ap.add_argument("--out", default="/tmp/rosas_wide")
    ap.add_argument("--from-csv", nargs="+", default=None, help="no runs: merge these CSVs into <out>.csv/.md")
    ap.add_argument("--note", default="", help="text appended to the markdown report")
    args = ap.parse_args(argv)
    if args.from_csv:
        df = pd.concat([pd.read_csv(f) for f in args.from_csv], ignore_index=True)
        df.to_csv(Path(args.out).with_suffix(".csv"), index=False)
        Path(args.out).with_suffix(".md").write_text(report(df, args.note))
        return df
    torch.set_num_threads(1)
    variants = dict(v.split("=", 1) for v in (args.variant or ["default={}"]))
    rows = []
    for name in args.data:
        X0, y0 = load_dataset(name)
        for seed in args.seeds:
            X, y = subsample(X0, y0, args.subsample, seed)
            split = weak_split(X, y, protocol=args.protocol, random_state=seed)
            for vname, vtext in variants.items():
                params = ast.literal_eval(vtext)
                per_rows = params.pop("_steps_per_rows", None)
                if per_rows:
                    params["n_batches_per_epoch"] = max(1, len(split.y_train) // int(per_rows))
                det = RoSAS(random_state=seed, device="cpu", **params)
                trace = []
                if args.trace:
                    orig = det._log_epoch

                    def log(_orig=orig, **kw):
                        _orig(**kw)
                        if len(det.history_) % args.trace_every == 0:
                            det.modules_["net"].eval()
                            trace.append(round(auc_pr(split.y_test, det._score_numpy(split.X_test.astype(np.float32))), 3))
                            det.modules_["net"].train()
                    det._log_epoch = log
                t0 = time.perf_counter()
                det.fit(split.X_train, split.y_train)
                fit_s = time.perf_counter() - t0
                s = det.decision_function(split.X_test)
                r = {"data": name, "protocol": args.protocol, "seed": seed, "variant": vname, "params": vtext,
                     "auc_pr": auc_pr(split.y_test, s), "auc_roc": auc_roc(split.y_test, s), "fit_s": fit_s,
                     "trace": " ".join(map(str, trace))}
                rows.append(r)
                print(f"{name} seed={seed} {vname:14s} AP={r['auc_pr']:.3f} ROC={r['auc_roc']:.3f} "
                      f"fit={fit_s:.0f}s {r['trace']}", flush=True)
                pd.DataFrame(rows).to_csv(Path(args.out).with_suffix(".csv"), index=False)
    df = pd.DataFrame(rows)
    summary = df.groupby(["data", "variant"], sort=False).auc_pr.agg(["mean", "std", "count"]).round(3)
    print(summary.to_string(), flush=True)
    Path(args.out).with_suffix(".md").write_text(report(df, args.note))
    return df


def report(df: pd.DataFrame, note: str = "") -> str:
    """Markdown: test AP per seed and the mean per (data set, variant), in the order first seen."""
    if "protocol" not in df:                     # rows written before --protocol existed: RoSAS protocol
        df = df.assign(protocol="rosas")
    protocols = list(dict.fromkeys(df.protocol.fillna("rosas")))
    names = {"rosas": "RoSAS", "mnpwad": "MNPWAD", "mmnet": "MMNet"}
    lines = [f"# RoSAS one change at a time ({' / '.join(names[p] + ' protocol' for p in protocols)}, "
             "test AUC-PR = average precision)", ""]
    label = lambda p: "" if protocols == ["rosas"] else f" ({names[p]} protocol)"  # noqa: E731 - one protocol: bare names
    df = df.assign(data=df.data + df.protocol.fillna("rosas").map(label))
    for name, g in df.groupby("data", sort=False):
        seeds = sorted(g.seed.unique())
        lines += [f"## {name}", "", "| variant | params | " + " | ".join(f"seed {s}" for s in seeds) + " | mean |",
                  "|---|---|" + "---:|" * (len(seeds) + 1)]
        for v, gv in g.groupby("variant", sort=False):
            ap_by_seed = gv.groupby("seed").auc_pr.mean()
            cells = [f"{ap_by_seed[s]:.3f}" if s in ap_by_seed.index else "–" for s in seeds]
            lines.append(f"| {v} | `{gv.params.iloc[0]}` | " + " | ".join(cells) + f" | {ap_by_seed.mean():.3f} |")
        lines.append("")
    if note:
        lines += [note, ""]
    return "\n".join(lines)


if __name__ == "__main__":
    main()
