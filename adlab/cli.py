"""Command line: ``python -m adlab demo | datasets | bench ...``."""
from __future__ import annotations

import argparse
import sys
import time

__all__ = ["main"]

#: detectors shown by the demo, in order; ones whose module has not landed are skipped
DEMO_DETECTORS = ("IsolationForest", "MNPWAD", "RoSAS", "MMNet", "SyntheticAnomalyClassifier", "DevNet", "DeepSAD")


def _demo_table(title: str, split, names, seed: int, device: str, fast: bool) -> "pandas.DataFrame":
    import pandas as pd

    from .evaluation.experiments import detector_params
    from .evaluation.metrics import evaluate
    from .models.registry import make_detector

    print(f"\n== {title}: train {len(split.y_train)} rows ({int(split.y_train.sum())} labeled anomalies), "
          f"test {len(split.y_test)} rows ({int(split.y_test.sum())} anomalies)")
    rows = []
    for name in names:
        det = make_detector(name, random_state=seed, device=device, **detector_params(name, fast=fast))
        t0 = time.perf_counter()
        det.fit(split.X_train, split.y_train)
        fit_s = time.perf_counter() - t0
        scores = det.decision_function(split.X_test)
        rows.append({"detector": name, **evaluate(split.y_test, scores), "fit_seconds": fit_s})
    table = pd.DataFrame(rows).set_index("detector")
    print(table.to_string(float_format=lambda v: f"{v:.3f}"), flush=True)
    return table


def _fig5_reading() -> str | None:
    """One line on how the MNPWAD authors' own code does on this kind of data, from the committed
    ``benchmarks/results/parity_mnpwad_fig5.csv`` (``benchmarks/parity_mnpwad.py --datasets blobs``);
    None when the file is not there (e.g. an installed package without the repository)."""
    from pathlib import Path

    import pandas as pd

    path = Path(__file__).resolve().parents[1] / "benchmarks" / "results" / "parity_mnpwad_fig5.csv"
    if not path.exists():
        return None
    ap = pd.read_csv(path).astype({"prototypes": str}).groupby(["impl", "prototypes"]).ap.mean()
    try:
        return (f"Reading: MNPWAD is weak on this toy with its authors' own code too (notebook 06's version of "
                f"it, identical split): AP {ap['official', 'auto']:.2f} with k by silhouette, "
                f"{ap['official', '1']:.2f} with one prototype; adlab {ap['adlab', 'auto']:.2f} / "
                f"{ap['adlab', '1']:.2f} (benchmarks/results/parity_mnpwad_fig5.md).")
    except KeyError:
        return None


def run_demo(seed: int = 0, device: str = "auto", fast: bool | None = None) -> "pandas.DataFrame":
    """Fit every available detector under a weak split and print AUC-PR / AUC-ROC tables.

    1. The built-in 2-D data of MNPWAD Fig. 5 (three Gaussian clusters of normals, anomalies scattered
       uniformly, 10 labeled): scattered anomalies are where labels generalise worst — the point of
       notebooks 06 and 10.
    2. Outside FAST mode, real data: ADBench Pendigits under the RoSAS protocol (30 labeled anomalies,
       2 % contamination), read from ``ADLAB_DATA_DIR`` (or the cache / a download); skipped with a
       message when it cannot be loaded.
    Returns the tables concatenated, with a ``data`` column.
    """
    import pandas as pd

    from .config import is_fast
    from .data.protocol import weak_split
    from .data.synthetic import make_multimodal_blobs
    from .models.registry import available_detectors

    fast = is_fast() if fast is None else fast
    names = [n for n in DEMO_DETECTORS if n in available_detectors()]
    X, y = make_multimodal_blobs(random_state=seed)
    split = weak_split(X, y, protocol="custom", n_labeled=10, random_state=seed)
    tables = [_demo_table("3-cluster 2-D data, scattered anomalies (MNPWAD Fig. 5)", split, names, seed, device,
                          fast).assign(data="blobs")]
    reading = _fig5_reading()
    if reading:
        print(reading)
    if not fast:
        from .data.adbench import load_adbench

        try:
            X, y = load_adbench("pendigits")
        except (OSError, ValueError) as exc:
            print(f"\n(skipping ADBench Pendigits: {exc})")
        else:
            split = weak_split(X, y, protocol="rosas", random_state=seed)
            tables.append(_demo_table("ADBench Pendigits, RoSAS protocol", split, names, seed, device,
                                      fast).assign(data="pendigits"))
    return pd.concat(tables)


def _cmd_demo(args) -> int:
    run_demo(seed=args.seed, device=args.device, fast=True if args.fast else None)
    return 0


def _cmd_datasets(args) -> int:
    from .data.adbench import list_adbench

    table = list_adbench()
    print(table.to_string(index=False))
    return 0


def _cmd_bench(args, rest: list[str]) -> int:
    try:
        from .evaluation.bench import main as bench_main
    except ModuleNotFoundError as exc:  # pragma: no cover - until the bench module lands
        print(f"adlab bench is not available in this version ({exc})", file=sys.stderr)
        return 2
    return int(bench_main(rest) or 0)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m adlab", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    p_demo = sub.add_parser("demo", help="fit every available detector on the 3-cluster data and print a table")
    p_demo.add_argument("--seed", type=int, default=0)
    p_demo.add_argument("--device", default="auto")
    p_demo.add_argument("--fast", action="store_true", help="small epochs (also set by ADLAB_FAST=1)")
    sub.add_parser("datasets", help="list the ADBench registry and what is available locally")
    sub.add_parser("bench", help="run an experiment grid (see `python -m adlab bench --help`)", add_help=False)
    args, rest = parser.parse_known_args(argv)
    if args.command == "bench":
        return _cmd_bench(args, rest)
    if rest:
        parser.error(f"unrecognised arguments: {' '.join(rest)}")
    if args.command == "demo":
        from .config import resolve_device

        try:
            resolve_device(args.device)
        except ValueError as exc:            # a usage error: message and exit status 2, no traceback
            p_demo.error(str(exc))
    return {"demo": _cmd_demo, "datasets": _cmd_datasets}[args.command](args)
