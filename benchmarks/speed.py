"""Speed benchmark: fit time and scoring throughput of every registered detector.

    python benchmarks/speed.py                                  # all detectors, pendigits + magic.gamma + donors
    python benchmarks/speed.py --methods MNPWAD RoSAS --datasets pendigits --devices cpu cuda
    python benchmarks/speed.py --score-rows 1000000             # also the 1M-row scoring / memory test

For each (detector, dataset, device): the paper protocol's weak split, one fit with the detector's
default (paper) settings, fit seconds, scoring throughput (rows/s) on the test part, and, when
``--score-rows`` is given, the time and the peak host memory (RSS, measured in a fresh subprocess
that loads the saved model and scores that many rows) for scoring a table of that size. When
``deepod`` is importable (an optional benchmark-only dependency: ``pip install --no-deps deepod``),
DeepOD's RoSAS / DevNet / DeepSAD / PReNet / FeaWAD run on the same split in the same process and the
ratio adlab/DeepOD is printed. Results: ``benchmarks/results/speed.csv`` and ``speed.md`` with the
machine details.
"""
from __future__ import annotations

import argparse
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from adlab.config import resolve_device
from adlab.data.adbench import load_adbench
from adlab.data.protocol import weak_split
from adlab.evaluation.metrics import evaluate
from adlab.models.registry import available_detectors, make_detector

RESULTS = Path(__file__).resolve().parent / "results"
PROTOCOL = {"MNPWAD": "mnpwad", "MMNet": "mmnet"}  # every other detector: the RoSAS protocol
DEEPOD = {"RoSAS": "RoSAS", "DevNet": "DevNet", "DeepSAD": "DeepSAD", "PReNet": "PReNet", "FeaWAD": "FeaWAD"}


def machine_details() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as fh:
            names = [l.split(":", 1)[1].strip() for l in fh if l.startswith("model name")]
        cpu = names[0] if names else cpu
    except OSError:
        pass
    gpu = torch.cuda.get_device_name(0) if torch.cuda.is_available() else "none"
    return (f"CPU: {cpu} ({os.cpu_count()} logical cores, torch threads {torch.get_num_threads()}); GPU: {gpu}; "
            f"torch {torch.__version__}; Python {platform.python_version()}")


def _score_subprocess(model_path: str, n_rows: int, n_features: int) -> tuple[float, float]:
    """Score ``n_rows`` random rows in a fresh process; return (seconds, peak RSS in MB)."""
    code = (
        "import sys, time, resource, numpy as np\n"
        "from adlab.models.base import WeakDetector\n"
        f"det = WeakDetector.load({model_path!r})\n"
        f"X = np.random.default_rng(0).random(({n_rows}, {n_features}), dtype=np.float32)\n"
        "t = time.perf_counter(); s = det.decision_function(X); t = time.perf_counter() - t\n"
        "assert s.shape == (X.shape[0],) and np.isfinite(s).all()\n"
        "print(t, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    return float(out[0]), float(out[1])


def run_deepod(name: str, split, device: str, seed: int):
    try:
        from deepod.models import tabular as deepod_tabular  # noqa: F401
    except Exception:  # deepod absent or incompatible
        return None
    cls = getattr(deepod_tabular, DEEPOD[name], None)
    if cls is None:
        return None
    model = cls(device=device, random_state=seed, verbose=0)
    t0 = time.perf_counter()
    model.fit(split.X_train, split.y_train)
    fit_s = time.perf_counter() - t0
    scores = model.decision_function(split.X_test)
    return fit_s, evaluate(split.y_test, scores)["auc_pr"]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--methods", nargs="*", default=None, help="registry names (default: every available detector)")
    parser.add_argument("--datasets", nargs="*", default=["pendigits", "magic.gamma", "donors"])
    parser.add_argument("--devices", nargs="*", default=["cpu", "cuda"], help="devices to try (cuda skipped when absent)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=None, help="torch.set_num_threads for the CPU runs")
    parser.add_argument("--score-rows", type=int, default=0, help="also score a table of this many rows (e.g. 1000000)")
    parser.add_argument("--no-deepod", action="store_true")
    parser.add_argument("--out", default=str(RESULTS / "speed"))
    args = parser.parse_args(argv)

    if args.threads:
        torch.set_num_threads(args.threads)
    methods = args.methods or available_detectors()
    devices = [d for d in args.devices if d != "cuda" or torch.cuda.is_available()]
    rows = []
    for dataset in args.datasets:
        X, y = load_adbench(dataset)
        for method in methods:
            split = weak_split(X, y, protocol=PROTOCOL.get(method, "rosas"), random_state=args.seed)
            for device in devices:
                det = make_detector(method, random_state=args.seed, device=device)
                t0 = time.perf_counter()
                det.fit(split.X_train, split.y_train)
                if device == "cuda":
                    torch.cuda.synchronize()
                fit_s = time.perf_counter() - t0
                t0 = time.perf_counter()
                scores = det.decision_function(split.X_test)
                score_s = time.perf_counter() - t0
                row = {"dataset": dataset, "method": method, "device": str(resolve_device(device)),
                       "n_train": len(split.y_train), "fit_s": fit_s,
                       "score_rows_per_s": len(scores) / max(score_s, 1e-9),
                       "auc_pr": evaluate(split.y_test, scores)["auc_pr"]}
                if args.score_rows:
                    with tempfile.TemporaryDirectory() as tmp:
                        path = os.path.join(tmp, "model.pt")
                        det.save(path)
                        secs, peak_mb = _score_subprocess(path, args.score_rows, X.shape[1])
                    row.update({"score_big_rows": args.score_rows, "score_big_s": secs, "score_big_peak_rss_mb": peak_mb})
                if method in DEEPOD and not args.no_deepod:
                    ref = run_deepod(method, split, device, args.seed)
                    if ref is not None:
                        row.update({"deepod_fit_s": ref[0], "deepod_auc_pr": ref[1], "fit_ratio_vs_deepod": fit_s / ref[0]})
                rows.append(row)
                print({k: (round(v, 3) if isinstance(v, float) else v) for k, v in row.items()}, flush=True)

    table = pd.DataFrame(rows)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    table.to_csv(out.with_suffix(".csv"), index=False)
    header = (f"# Speed benchmark\n\nCommand: `python benchmarks/speed.py {' '.join(argv if argv is not None else sys.argv[1:])}`\n\n"
              f"Machine: {machine_details()}\n\nDate: {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}\n\n")
    out.with_suffix(".md").write_text(header + table.to_markdown(index=False, floatfmt=".3f") + "\n")
    print(table.to_string(index=False, float_format=lambda v: f"{v:.3f}"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
