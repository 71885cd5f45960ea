"""Speed benchmark: fit time and scoring throughput of every registered detector, side by side
with DeepOD's implementations when ``deepod`` is importable.

    python benchmarks/speed.py                                   # all detectors, pendigits + magic.gamma + donors
    python benchmarks/speed.py --methods MNPWAD RoSAS --datasets pendigits --devices cpu cuda
    python benchmarks/speed.py --datasets donors --score-rows 1000000 --timeout 600

Protocol. For each (dataset, detector, device): the paper protocol's weak split (``mnpwad`` for
MNPWAD, ``mmnet`` for MMNet, ``rosas`` otherwise; seed ``--seed``), one fit with the detector's
default (paper) settings, fit seconds (including the base class's scoring of the training set,
as DeepOD's ``fit`` also does), scoring throughput on the test part, test AUC-PR (average
precision). Every run is a fresh subprocess with a wall-clock limit (``--timeout``); a run that
exceeds it is recorded as such. With ``--score-rows N`` the fitted model is saved and a *further*
subprocess loads it and scores N random rows (uniform in [0, 1), the scale of the min-max scaled data): seconds and peak host memory (``ru_maxrss``, which
includes the ≈0.3–0.4 GB of an imported torch; the RSS before scoring is reported too).

``--repeats R`` fits each detector (and each DeepOD model) R times, each in a fresh process, and
reports the median (all fit times are listed): the machine may be shared and single runs are noisy.
Fit times of both libraries include a one-off ≈1.5–2 s per process, torch importing ``torch._dynamo``
the first time an optimiser is built.

DeepOD (an optional benchmark-only dependency: ``pip install --no-deps deepod``): its RoSAS, DevNet,
DeepSAD, PReNet and FeaWAD run on the same split with their own defaults, with the same torch
thread count, and ``fit_ratio_vs_deepod = adlab fit s / DeepOD fit s`` is reported. DeepOD is
skipped above ``--deepod-max-rows`` training rows (its samplers are O(n) per batch, hours on donors).

``--max-steps-per-epoch N`` gives MMNet, DeepSAD and the synthetic-anomaly classifier (whose epoch is one
pass over the data: ≈ 2,900 steps on donors) a budget of N steps per epoch; the command line in the report
says whether it was used.

Threads: adlab's default (``adlab.config``: one torch thread while training on the CPU, torch's
own count while scoring); ``--threads N`` sets ``torch.set_num_threads`` for the whole run, both
libraries. Results go to ``benchmarks/results/<out>.csv`` and ``.md`` with the machine details and
the load average (the benchmark machine may be shared).
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from adlab.evaluation.machine import cpu_name

RESULTS = Path(__file__).resolve().parent / "results"
PROTOCOL = {"MNPWAD": "mnpwad", "MMNet": "mmnet"}  # every other detector: the RoSAS protocol
DEEPOD = {"RoSAS": "RoSAS", "DevNet": "DevNet", "DeepSAD": "DeepSAD", "PReNet": "PReNet", "FeaWAD": "FeaWAD"}


def machine_details() -> str:
    cpu = cpu_name()
    gpu = torch.cuda.get_device_name(0) if torch.cuda.is_available() else "none (GPU not measured)"
    try:
        import deepod

        deepod_version = deepod.__version__
    except Exception:  # pragma: no cover - optional
        deepod_version = "not installed"
    return (f"CPU: {cpu} ({os.cpu_count()} logical cores); GPU: {gpu}; torch {torch.__version__}; "
            f"numpy {np.__version__}; deepod {deepod_version}; Python {platform.python_version()}")


def load_average() -> str:
    try:
        return "/".join(f"{v:.2f}" for v in os.getloadavg())
    except OSError:  # pragma: no cover
        return "n/a"


# --------------------------------------------------------------------------- one run (in a subprocess)
def _split(dataset: str, method: str, seed: int):
    from adlab.data.adbench import load_adbench
    from adlab.data.protocol import weak_split

    X, y = load_adbench(dataset)
    return weak_split(X, y, protocol=PROTOCOL.get(method, "rosas"), random_state=seed)


def _sync(device: str) -> None:
    if device.startswith("cuda"):
        torch.cuda.synchronize()


def run_adlab(method: str, dataset: str, device: str, seed: int, threads: int | None, save_to: str | None,
              max_steps_per_epoch: int | None = None) -> dict:
    import adlab.config
    from adlab.evaluation.experiments import detector_params
    from adlab.evaluation.metrics import evaluate
    from adlab.models.registry import make_detector

    if threads:
        torch.set_num_threads(threads)
        adlab.config.set_performance(num_threads=threads, score_threads=threads)
    split = _split(dataset, method, seed)
    budget = {"max_steps_per_epoch": max_steps_per_epoch} if max_steps_per_epoch is not None else None
    det = make_detector(method, random_state=seed, device=device,
                        **detector_params(method, where_supported=budget))
    t0 = time.perf_counter()
    det.fit(split.X_train, split.y_train)
    _sync(device)
    fit_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    scores = det.decision_function(split.X_test)
    _sync(device)
    score_s = time.perf_counter() - t0
    if save_to:
        det.save(save_to)
    return {"n_train": int(len(split.y_train)), "n_features": int(split.X_train.shape[1]),
            "n_test": int(len(scores)), "fit_s": fit_s, "score_rows_per_s": len(scores) / max(score_s, 1e-9),
            "auc_pr": float(evaluate(split.y_test, scores)["auc_pr"]),
            "train_threads": threads or adlab.config.get_performance().num_threads}


def run_deepod(method: str, dataset: str, device: str, seed: int, threads: int | None) -> dict:
    from deepod.models import tabular as deepod_tabular

    from adlab.evaluation.metrics import evaluate

    torch.set_num_threads(threads or 1)
    split = _split(dataset, method, seed)
    model = getattr(deepod_tabular, DEEPOD[method])(device=device, random_state=seed, verbose=0)
    X_train = split.X_train.astype(np.float32)
    t0 = time.perf_counter()
    model.fit(X_train, split.y_train)
    _sync(device)
    fit_s = time.perf_counter() - t0
    scores = model.decision_function(split.X_test.astype(np.float32))
    return {"deepod_fit_s": fit_s, "deepod_auc_pr": float(evaluate(split.y_test, scores)["auc_pr"])}


def score_big(model_path: str, n_rows: int, n_features: int, threads: int | None) -> dict:
    import resource

    import adlab.config
    from adlab.models.base import WeakDetector

    if threads:
        torch.set_num_threads(threads)
        adlab.config.set_performance(score_threads=threads)
    det = WeakDetector.load(model_path)
    X = np.random.default_rng(0).random((n_rows, n_features), dtype=np.float32)
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    t0 = time.perf_counter()
    s = det.decision_function(X)
    _sync(str(det.device_))
    secs = time.perf_counter() - t0
    assert s.shape == (n_rows,) and np.isfinite(s).all()
    return {"score_big_rows": n_rows, "score_big_s": secs,
            "score_big_rss_before_mb": rss_before,
            "score_big_peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


def _child(args) -> int:
    job = json.loads(args.child)
    kind = job.pop("kind")
    fn = {"adlab": run_adlab, "deepod": run_deepod, "score_big": score_big}[kind]
    print("RESULT " + json.dumps(fn(**job)), flush=True)
    return 0


def _spawn(job: dict, timeout: float) -> dict:
    """Run one job in a fresh interpreter; returns its result dict or {"error": ...}."""
    cmd = [sys.executable, os.path.abspath(__file__), "--child", json.dumps(job)]
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return {"error": f"timeout > {timeout:.0f} s"}
    for line in proc.stdout.splitlines():
        if line.startswith("RESULT "):
            return json.loads(line[len("RESULT "):])
    tail = (proc.stderr or proc.stdout).strip().splitlines()[-1:] or ["no output"]
    return {"error": tail[0][:200]}


def _median_run(runs: list[dict], key: str = "fit_s") -> dict:
    """The run with the median fit time (an error if any run failed); all fit times are listed."""
    failed = [r for r in runs if "error" in r]
    if failed:
        return failed[0]
    runs = sorted(runs, key=lambda r: r[key])
    chosen = dict(runs[(len(runs) - 1) // 2])
    if len(runs) > 1:
        chosen[f"{key}_all"] = " ".join(f"{r[key]:.2f}" for r in runs)
    return chosen


# --------------------------------------------------------------------------- driver
def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--methods", nargs="*", default=None, help="registry names (default: every available detector)")
    parser.add_argument("--datasets", nargs="*", default=["pendigits", "magic.gamma", "donors"])
    parser.add_argument("--devices", nargs="*", default=["cpu", "cuda"], help="devices to try (cuda skipped when absent)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=None,
                        help="torch threads for training and scoring, both libraries (default: adlab's defaults, "
                             "DeepOD with 1 thread like adlab's training)")
    parser.add_argument("--score-rows", type=int, default=0, help="also score a table of this many rows (e.g. 1000000)")
    parser.add_argument("--timeout", type=float, default=900.0, help="wall-clock limit per run, seconds")
    parser.add_argument("--repeats", type=int, default=1,
                        help="fresh-process fits per detector (and per DeepOD model); the median is reported")
    parser.add_argument("--max-steps-per-epoch", type=int, default=None,
                        help="step budget for the detectors with one-pass epochs (MMNet, DeepSAD, "
                             "SyntheticAnomalyClassifier); default: none, their paper epochs")
    parser.add_argument("--no-deepod", action="store_true")
    parser.add_argument("--deepod-max-rows", type=int, default=100_000)
    parser.add_argument("--out", default="speed", help="file stem under benchmarks/results/")
    parser.add_argument("--child", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        return _child(args)

    from adlab.models.registry import available_detectors

    methods = args.methods or available_detectors()
    devices = [d for d in args.devices if d != "cuda" or torch.cuda.is_available()]
    try:
        import deepod.models.tabular  # noqa: F401
        have_deepod = not args.no_deepod
    except Exception:
        have_deepod = False
    out = RESULTS / args.out
    out.parent.mkdir(parents=True, exist_ok=True)
    rows, started = [], time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    for dataset in args.datasets:
        for method in methods:
            for device in devices:
                row = {"dataset": dataset, "method": method, "device": device, "load_before": load_average()}
                model_path = str(out.parent / f".speed_model_{os.getpid()}.pt") if args.score_rows else None
                fits = []
                for _ in range(args.repeats):
                    fits.append(_spawn({"kind": "adlab", "method": method, "dataset": dataset, "device": device,
                                        "seed": args.seed, "threads": args.threads, "save_to": model_path,
                                        "max_steps_per_epoch": args.max_steps_per_epoch},
                                       args.timeout))
                row.update(_median_run(fits))
                if args.score_rows and "error" not in row:
                    big = _spawn({"kind": "score_big", "model_path": model_path, "n_rows": args.score_rows,
                                  "n_features": row["n_features"], "threads": args.threads}, args.timeout)
                    row.update(big if "error" not in big else {"score_big_error": big["error"]})
                if model_path and os.path.exists(model_path):
                    os.remove(model_path)
                if have_deepod and method in DEEPOD and row.get("n_train", 0) <= args.deepod_max_rows:
                    ref = _median_run([_spawn({"kind": "deepod", "method": method, "dataset": dataset,
                                               "device": device, "seed": args.seed, "threads": args.threads},
                                              args.timeout) for _ in range(args.repeats)], key="deepod_fit_s")
                    if "error" in ref:
                        row["deepod_error"] = ref["error"]
                    else:
                        row.update(ref)
                        if "fit_s" in row:
                            row["fit_ratio_vs_deepod"] = row["fit_s"] / ref["deepod_fit_s"]
                row["load_after"] = load_average()
                rows.append(row)
                print({k: (round(v, 3) if isinstance(v, float) else v) for k, v in row.items()}, flush=True)
                _write(rows, out, argv, started)
    print(pd.DataFrame(rows).to_string(index=False, float_format=lambda v: f"{v:.3f}"))
    return 0


def _write(rows, out: Path, argv, started: str) -> None:
    table = pd.DataFrame(rows)
    table.to_csv(out.with_suffix(".csv"), index=False)
    cmd = " ".join(argv if argv is not None else sys.argv[1:])
    header = (f"# Speed benchmark\n\nCommand: `python benchmarks/speed.py {cmd}`\n\n"
              f"Machine: {machine_details()}\n\nStarted: {started}; load average (1/5/15 min) before and after "
              f"each run is in the table (the machine may be shared).\n\n")
    out.with_suffix(".md").write_text(header + table.to_markdown(index=False, floatfmt=".3f") + "\n")


if __name__ == "__main__":
    sys.exit(main())
