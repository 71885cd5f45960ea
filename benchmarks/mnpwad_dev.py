"""MNPWAD against the authors' code: the development ablations behind MNPWAD's Decisions (issue 12, item 2).

Each run splits a data set (ADBench, or ``backdoor`` — see ``bench_data.py``) with ``weak_split(protocol="mnpwad-reference", random_state=SPLIT)`` — the
authors' own recipe, on *development* split seeds (100–104 here; the parity report uses 2024/1/2) — fits
``MNPWAD(random_state=SEED, device="cpu", **PARAMS)`` on the weak labels only (no validation data) and records
the test AP and AUC-ROC, the chosen k, the number of joint epochs run and the seconds, one JSON line per fit
in ``results/mnpwad_dev.jsonl`` (appended; a (tag, data set, split, seed) already there is skipped).
``report`` (also written after every ``run``) summarises the log in ``results/mnpwad_dev.md``: mean AP per
tag and data set, and each tag paired with ``base`` on the same (data set, split, seed) cells.

Several configurations run in one process, interleaved per (data set, split, seed), so a run stopped early
still compares every configuration on the same cells::

    python benchmarks/mnpwad_dev.py run --datasets pendigits magic.gamma --splits 100 101 102 103 104 \\
        --seeds 0 --config base='{}' --config renorm='{"renormalize_weights": true}'
    python benchmarks/mnpwad_dev.py report

A configuration's ``"pu_holdout": f`` is read by this script, not by MNPWAD: it holds out a share f of the
labeled anomalies and 10 % of the unlabeled rows and fits with ``early_stopping=True`` on them
(:func:`pu_validation_split`), a weak-label-only imitation of the authors' labelled validation part.
``"use_val": true`` passes the split's labelled validation part itself (``fit(X_train, y_train, X_val, y_val)``;
true labels, the authors' protocol) — which of MNPWAD's validation options then use it is up to the other keys
(``early_stopping``, ``pretrain_early_stopping``, ``init_data``), so the parts of the validation path can be
ablated one at a time against ``base``.

One torch thread per process (the machine is shared).
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

from bench_data import load_dataset  # benchmarks/ is on sys.path when run as a script
from devlog import append_jsonl, paired_with_base, read_jsonl

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"
LOG = RESULTS / "mnpwad_dev.jsonl"
#: script-level keys of a configuration (not MNPWAD arguments)
PU_HOLDOUT = "pu_holdout"
USE_VAL = "use_val"


def pu_validation_split(X, y, fraction: float, seed: int, unlabeled_fraction: float = 0.1):
    """A label-free stand-in for the authors' labelled validation part (positive-unlabeled validation):
    ``fraction`` of the labeled anomalies (at least one, and at least one left to train on) and
    ``unlabeled_fraction`` of the unlabeled rows are held out as ``X_val, y_val`` (1 = held-out labeled
    anomaly, 0 = unlabeled). Under labels selected at random among the anomalies, the AUC-ROC of held-out
    labeled anomalies against unlabeled rows is an increasing affine function of the true AUC-ROC, so it can
    rank epochs without true labels. Returns ``X_fit, y_fit, X_val, y_val``."""
    rng = np.random.default_rng(seed)
    a, u = np.flatnonzero(y == 1), np.flatnonzero(y == 0)
    if len(a) < 2:
        raise ValueError(f"{PU_HOLDOUT} needs at least 2 labeled anomalies, got {len(a)}")
    n_a = min(max(int(round(fraction * len(a))), 1), len(a) - 1)
    hold = np.zeros(len(y), dtype=bool)
    hold[rng.choice(a, n_a, replace=False)] = True
    hold[rng.choice(u, int(round(unlabeled_fraction * len(u))), replace=False)] = True
    return X[~hold], y[~hold], X[hold], y[hold]


def _done() -> set:
    rows = read_jsonl(LOG)
    return {(r["tag"], r["ds"], r["split"], r["seed"]) for r in rows}


def run(datasets, splits, seeds, configs: dict[str, dict]) -> None:
    import torch

    from adlab.data.protocol import weak_split
    from adlab.evaluation.metrics import auc_pr, auc_roc
    from adlab.models.mnpwad import MNPWAD

    torch.set_num_threads(1)
    done = _done()
    for ds in datasets:
        X, y = load_dataset(ds)
        for split in splits:
            sp = weak_split(X, y, protocol="mnpwad-reference", random_state=split)
            for seed in seeds:
                for tag, params in configs.items():
                    if (tag, ds, split, seed) in done:
                        continue
                    t = time.perf_counter()
                    kw = {k: v for k, v in params.items() if k not in (PU_HOLDOUT, USE_VAL)}
                    if params.get(USE_VAL):   # the authors' labelled validation part (true labels)
                        fit_args = (sp.X_train, sp.y_train, sp.X_val, sp.y_val)
                    elif PU_HOLDOUT in params:   # select the epoch on held-out weak labels (see pu_validation_split)
                        fit_args = pu_validation_split(sp.X_train, sp.y_train, params[PU_HOLDOUT], split)
                        kw = {"early_stopping": True, **kw}   # pretraining stays off the held-out rows (the default)
                    else:
                        fit_args = (sp.X_train, sp.y_train)
                    det = MNPWAD(random_state=seed, device="cpu", **kw).fit(*fit_args)
                    s = det.decision_function(sp.X_test)
                    row = {"tag": tag, "params": params, "ds": ds, "split": split, "seed": seed,
                           "ap": round(auc_pr(sp.y_test, s), 4), "roc": round(auc_roc(sp.y_test, s), 4),
                           "k": int(det.n_prototypes_), "epochs": len(det.history_),
                           "s": round(time.perf_counter() - t, 1)}
                    append_jsonl(LOG, row)


def report() -> str:
    rows = read_jsonl(LOG)
    df = pd.DataFrame(rows)
    df["params"] = df["params"].map(lambda p: json.dumps(p, sort_keys=True))
    lines = ["# MNPWAD development ablations against the authors' code (issue 12)", "",
             "Produced by `python benchmarks/mnpwad_dev.py run ...` (each line of `mnpwad_dev.jsonl` is one fit); "
             "`python benchmarks/mnpwad_dev.py report` rewrites this file. Split: `weak_split(protocol="
             "\"mnpwad-reference\", random_state=split)` (the authors' recipe) on development split seeds, weak "
             "labels only unless a tag's params hold `\"use_val\": true` (then the split's labelled validation part "
             "is passed to `fit`); `MNPWAD(random_state=seed, **params)`; test AP (average precision). CPU, one torch "
             "thread, a shared machine (seconds are inflated). `base` is the default of the code that ran it. Read the "
             "paired table: a configuration run on fewer model seeds than `base` is compared with `base` on its own "
             "cells only, while the first and last tables average whatever seeds each configuration ran.", ""]
    t = df.pivot_table(index="tag", columns="ds", values="ap", aggfunc="mean")
    n = df.pivot_table(index="tag", columns="ds", values="ap", aggfunc="count")
    order = list(dict.fromkeys(df["tag"]))
    cell = t.round(3).astype(str) + " (" + n.fillna(0).astype(int).astype(str) + ")"
    lines += ["## Mean test AP per configuration (number of fits in brackets)", "",
              cell.where(t.notna(), "–").reindex(order).to_markdown(), ""]
    if "base" in set(df["tag"]):
        lines += ["## Paired with `base` on the same (data set, split, seed) cells", "",
                  "| tag | data set | cells | mean AP | base | difference | lower in |", "|---|---|---|---|---|---|---|"]
        for tag in order:
            if tag == "base":
                continue
            for ds in dict.fromkeys(df["ds"]):
                pr = paired_with_base(df[df["ds"] == ds], tag, "base", ["ds", "split", "seed"], "ap")
                if pr:
                    lines.append(f"| `{tag}` | {ds} | {pr['cells']} | {pr['mean']:.3f} | {pr['base']:.3f} | "
                                 f"{pr['difference']:+.3f} | {pr['lower_in']} |")
        lines.append("")
    per = df.pivot_table(index=["ds", "split"], columns="tag", values="ap", aggfunc="mean")
    lines += ["## Mean AP per split (over the model seeds run)", "",
              per.reindex(columns=order).round(3).to_markdown(), ""]
    lines += ["Tags: " + "; ".join(f"`{k}` = `{v}`" for k, v in
                                   df.drop_duplicates("tag").set_index("tag")["params"].reindex(order).items()), ""]
    return "\n".join(lines)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("run")
    r.add_argument("--datasets", nargs="+", default=["pendigits", "magic.gamma"])
    r.add_argument("--splits", nargs="+", type=int, default=[100, 101, 102, 103, 104])
    r.add_argument("--seeds", nargs="+", type=int, default=[0])
    r.add_argument("--config", action="append", default=[], metavar="TAG=JSON",
                   help="a configuration: its tag and MNPWAD kwargs as JSON (repeatable)")
    sub.add_parser("report")
    args = ap.parse_args(argv)
    RESULTS.mkdir(parents=True, exist_ok=True)
    if args.cmd == "run":
        configs = {}
        for c in args.config or ["base={}"]:
            tag, _, js = c.partition("=")
            configs[tag] = json.loads(js or "{}")
        run(args.datasets, args.splits, args.seeds, configs)
    (RESULTS / "mnpwad_dev.md").write_text(report())
    print(f"wrote {RESULTS / 'mnpwad_dev.md'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
