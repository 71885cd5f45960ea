"""RoSAS on the wide UNSW-NB15 Backdoor table (issue 13): one change at a time, RoSAS protocol.

Each ``--variant NAME=PYDICT`` is a set of ``adlab.RoSAS`` overrides (``default={}`` = package defaults).
For every seed the same ``weak_split(protocol="rosas", random_state=seed)`` (optionally of a stratified
``--subsample``) feeds every variant, one torch thread; the test AP (and, with ``--trace``, the test AP
every 20 epochs, which shows whether longer training memorises the labeled anomalies) is printed and
written to ``<out>.csv``. Data: ``../shared/data/devnet/unsw_nb15_backdoor.npz`` (or any ADBench name)::

    python benchmarks/rosas_wide.py --seeds 100 --variant default={} --variant l2={'l2_embedding_weight':0.01}
"""
from __future__ import annotations

import argparse
import ast
import os
import time
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from adlab.data.adbench import load_adbench
from adlab.data.protocol import weak_split
from adlab.evaluation.metrics import auc_pr, auc_roc
from adlab.models.rosas import RoSAS

SHARED = Path(os.environ.get("ADLAB_SHARED_DATA", Path(__file__).resolve().parents[1].parent / "shared" / "data"))
FILES = {"backdoor": "devnet/unsw_nb15_backdoor.npz", "thyroid-21f": "devnet/annthyroid_21feat.npz"}


def load(name: str):
    if name in FILES:
        with np.load(SHARED / FILES[name]) as d:
            return np.asarray(d["X"], dtype=np.float64), np.asarray(d["y"], dtype=np.int64)
    return load_adbench(name)


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
    ap.add_argument("--variant", action="append", default=[])
    ap.add_argument("--trace", action="store_true")
    ap.add_argument("--out", default="/tmp/rosas_wide")
    args = ap.parse_args(argv)
    torch.set_num_threads(1)
    variants = dict(v.split("=", 1) for v in (args.variant or ["default={}"]))
    rows = []
    for name in args.data:
        X0, y0 = load(name)
        for seed in args.seeds:
            X, y = subsample(X0, y0, args.subsample, seed)
            split = weak_split(X, y, protocol="rosas", random_state=seed)
            for vname, vtext in variants.items():
                params = ast.literal_eval(vtext)
                det = RoSAS(random_state=seed, device="cpu", **params)
                trace = []
                if args.trace:
                    orig = det._log_epoch

                    def log(_orig=orig, **kw):
                        _orig(**kw)
                        if len(det.history_) % 20 == 0:
                            det.modules_["net"].eval()
                            trace.append(round(auc_pr(split.y_test, det._score_numpy(split.X_test.astype(np.float32))), 3))
                            det.modules_["net"].train()
                    det._log_epoch = log
                t0 = time.perf_counter()
                det.fit(split.X_train, split.y_train)
                fit_s = time.perf_counter() - t0
                s = det.decision_function(split.X_test)
                r = {"data": name, "seed": seed, "variant": vname, "params": vtext,
                     "auc_pr": auc_pr(split.y_test, s), "auc_roc": auc_roc(split.y_test, s), "fit_s": fit_s,
                     "trace_every_20_epochs": " ".join(map(str, trace))}
                rows.append(r)
                print(f"{name} seed={seed} {vname:14s} AP={r['auc_pr']:.3f} ROC={r['auc_roc']:.3f} "
                      f"fit={fit_s:.0f}s {r['trace_every_20_epochs']}", flush=True)
                pd.DataFrame(rows).to_csv(Path(args.out).with_suffix(".csv"), index=False)


if __name__ == "__main__":
    main()
