"""How one fit's cost grows with the number of rows: seconds per fit from 10k to 600k rows, one CPU thread.

The table is UNSW-NB15 Backdoor (196 features, DevNet's file, ``--data``) **resampled with
replacement** to ``n`` rows, stratified (its 2.44 % anomaly share kept; the rows are real, the
duplicates are not — fine for timing, not for accuracy). Each (rows, detector) pair is one fit with the
detector's **defaults** on the weak split of its paper's protocol (``mnpwad`` for MNPWAD, ``mmnet`` for
MMNet, ``rosas`` for every other detector, as in ``benchmarks/speed.py``), in a fresh subprocess
with a wall-clock limit (``--timeout``). Reported: wall seconds of ``fit`` and **CPU seconds** of the
fitting process (``time.process_time``; the machine may be shared, so CPU seconds are the number to
compare), the training rows and the optimizer steps taken (counted by wrapping ``Optimizer.step``).

A detector whose epoch is a pass over the data (MMNet, DeepSAD, the synthetic-anomaly classifier)
has a default step budget (``max_steps_per_epoch``), so above a few ten thousand rows its step count
stays flat and only the linear parts (splitting, scaling, scoring the training rows) still grow.

    OMP_NUM_THREADS=1 python benchmarks/fit_scaling.py --rows 10000 30000 100000 300000 600000
"""
from __future__ import annotations

import argparse
import json
import platform
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

from bench_data import EXTRA_FILES, SHARED  # benchmarks/ is on sys.path when run as a script

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"
DEFAULT_DATA = SHARED / EXTRA_FILES["backdoor"]
PROTOCOL = {"MNPWAD": "mnpwad", "MMNet": "mmnet"}  # every other detector: the RoSAS protocol
DEFAULT_METHODS = ["MMNet", "DeepSAD", "SyntheticAnomalyClassifier", "MNPWAD", "RoSAS"]


def resample(path: str, n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """``n`` rows drawn with replacement, per class, keeping the anomaly share."""
    with np.load(path) as d:
        X, y = np.asarray(d["X"], dtype=np.float64), np.asarray(d["y"], dtype=np.int64)
    rng = np.random.default_rng(seed)
    n_a = max(40, int(round(n * y.mean())))
    idx = np.concatenate([rng.choice(np.flatnonzero(y == 0), n - n_a), rng.choice(np.flatnonzero(y == 1), n_a)])
    idx = rng.permutation(idx)
    return X[idx], y[idx]


def child(method: str, rows: int, seed: int, data: str) -> dict:
    import torch

    from adlab.data.protocol import weak_split
    from adlab.evaluation.metrics import auc_pr
    from adlab.models.registry import make_detector

    torch.set_num_threads(1)
    X, y = resample(data, rows, seed)
    split = weak_split(X, y, protocol=PROTOCOL.get(method, "rosas"), random_state=seed)
    steps = [0]
    for cls in {torch.optim.Adam, torch.optim.AdamW, torch.optim.SGD}:
        orig = cls.step

        def counted(opt, *a, _orig=orig, **kw):
            steps[0] += 1
            return _orig(opt, *a, **kw)

        cls.step = counted
    det = make_detector(method, random_state=seed, device="cpu")
    w0, c0 = time.perf_counter(), time.process_time()
    det.fit(split.X_train, split.y_train)
    w1, c1 = time.perf_counter(), time.process_time()
    return {"method": method, "rows": rows, "n_train": len(split.y_train), "fit_wall_s": w1 - w0,
            "fit_cpu_s": c1 - c0, "optimizer_steps": steps[0],
            "auc_pr_resampled": auc_pr(split.y_test, det.decision_function(split.X_test))}


def report(df: pd.DataFrame, args) -> str:
    ok = df[df["status"] == "ok"]
    rows = sorted(int(r) for r in df["rows"].unique())
    methods = list(dict.fromkeys(df["method"]))
    lines = ["# Fit cost against table size (resampled UNSW-NB15 Backdoor, 196 features, one CPU thread)", "",
             f"Command: `python benchmarks/fit_scaling.py --rows {' '.join(map(str, rows))} --methods {' '.join(methods)} "
             f"--seed {args.seed}` (report written {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, "
             f"{platform.machine()}, shared machine). Each fit is the detector's defaults on its paper protocol's "
             "weak split of the table resampled (with replacement) to the given number of rows. "
             "The machine is shared by several jobs, so wall seconds are inflated; **CPU seconds** "
             "(`time.process_time` of the fitting process) are the comparable number.", ""]
    for col, title in (("fit_cpu_s", "CPU seconds per fit"), ("fit_wall_s", "Wall seconds per fit"),
                       ("optimizer_steps", "Optimizer steps per fit")):
        t = ok.pivot_table(index="method", columns="rows", values=col, aggfunc="median")
        lines += [f"## {title}", "", t.to_markdown(floatfmt=".0f" if col != "optimizer_steps" else ".0f"), ""]
    if getattr(args, "note", ""):
        lines += [f"Note: {args.note}", ""]
    done = set(zip(ok["method"], ok["rows"]))
    redone = np.array([(m, r) in done for m, r in zip(df["method"], df["rows"])], dtype=bool)
    bad = df[(df["status"] != "ok").to_numpy() & ~redone]  # failures not fitted again later
    if not bad.empty:
        lines += ["## Not finished", "", bad[["method", "rows", "status"]].to_markdown(index=False), ""]
    return "\n".join(lines)


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rows", nargs="+", type=int, default=[10_000, 30_000, 100_000, 300_000, 600_000])
    ap.add_argument("--methods", nargs="+", default=DEFAULT_METHODS)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--data", default=str(DEFAULT_DATA))
    ap.add_argument("--timeout", type=float, default=900.0)
    ap.add_argument("--out", default=str(RESULTS / "fit_scaling.csv"))
    ap.add_argument("--report-only", action="store_true")
    ap.add_argument("--note", default="", help="a sentence appended to the report")
    ap.add_argument("--child", nargs=2, metavar=("METHOD", "ROWS"), help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child:
        print("RESULT " + json.dumps(child(args.child[0], int(args.child[1]), args.seed, args.data)), flush=True)
        return 0
    out = Path(args.out)
    done = set()
    if out.exists():
        prev = pd.read_csv(out)
        done = {(m, int(r)) for m, r, s in zip(prev["method"], prev["rows"], prev["status"]) if s == "ok"}
    if not args.report_only:
        for rows in args.rows:
            for method in args.methods:
                if (method, rows) in done:
                    continue
                cmd = [sys.executable, __file__, "--child", method, str(rows), "--seed", str(args.seed),
                       "--data", args.data]
                try:
                    res = subprocess.run(cmd, capture_output=True, text=True, timeout=args.timeout)
                    line = [x for x in res.stdout.splitlines() if x.startswith("RESULT ")]
                    row = json.loads(line[-1][7:]) if line else {"method": method, "rows": rows}
                    row["status"] = "ok" if line else f"error: {res.stderr.strip().splitlines()[-1][:200] if res.stderr.strip() else res.returncode}"
                except subprocess.TimeoutExpired:
                    row = {"method": method, "rows": rows, "status": f"timeout > {args.timeout:.0f} s wall"}
                row["finished_at"] = time.strftime("%Y-%m-%dT%H:%M:%S")
                pd.DataFrame([row]).to_csv(out, mode="a", header=not out.exists(), index=False)
                print(row, flush=True)
    df = pd.read_csv(out)
    out.with_suffix(".md").write_text(report(df, args))
    print(f"wrote {out.with_suffix('.md')}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
