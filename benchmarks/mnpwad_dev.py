"""MNPWAD against the authors' code: the development ablations behind MNPWAD's Decisions (issue 12, item 2).

Each run splits an ADBench set with ``weak_split(protocol="mnpwad-reference", random_state=SPLIT)`` — the
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

One torch thread per process (the machine is shared).
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

from devlog import append_jsonl, paired_with_base, read_jsonl  # noqa: E402 - benchmarks/ is on sys.path when run as a script

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"
LOG = RESULTS / "mnpwad_dev.jsonl"
_SHARED_DATA = ROOT.parent / "shared" / "data" / "adbench"
if not os.environ.get("ADLAB_DATA_DIR") and _SHARED_DATA.is_dir():   # the course machines' local copy
    os.environ["ADLAB_DATA_DIR"] = str(_SHARED_DATA)


def _done() -> set:
    rows = read_jsonl(LOG)
    return {(r["tag"], r["ds"], r["split"], r["seed"]) for r in rows}


def run(datasets, splits, seeds, configs: dict[str, dict]) -> None:
    import torch

    from adlab.data.adbench import load_adbench
    from adlab.data.protocol import weak_split
    from adlab.evaluation.metrics import auc_pr, auc_roc
    from adlab.models.mnpwad import MNPWAD

    torch.set_num_threads(1)
    done = _done()
    for ds in datasets:
        X, y = load_adbench(ds)
        for split in splits:
            sp = weak_split(X, y, protocol="mnpwad-reference", random_state=split)
            for seed in seeds:
                for tag, params in configs.items():
                    if (tag, ds, split, seed) in done:
                        continue
                    t = time.perf_counter()
                    det = MNPWAD(random_state=seed, device="cpu", **params).fit(sp.X_train, sp.y_train)
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
             "labels only; `MNPWAD(random_state=seed, **params)`; test AP (average precision). CPU, one torch "
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
