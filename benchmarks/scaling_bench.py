"""Wall time of benchmark grids at ``--jobs 1`` and ``--jobs 2``, and the overhead of the Dask path.

One command measures everything and writes ``benchmarks/results/scaling_bench.md``::

    python benchmarks/scaling_bench.py            # ADLAB_DATA_DIR must hold the ADBench files (make does it)

1. the FAST main experiment (every method × the FAST data sets × 2 seeds) with ``--jobs 1`` and ``--jobs 2``;
2. one full (non-FAST) experiment: the main experiment with its full settings on small ADBench data
   sets (``--full-datasets``, default cardio and thyroid; ``--full-seeds`` seeds), ``--jobs 1`` and ``2``;
3. the FAST main experiment on a Dask ``LocalCluster`` of two single-threaded worker processes on
   127.0.0.1 (started before the timed command, as a standing cluster would be; the workers' statistical
   profiler off, as docs/CLUSTER.md recommends), against ``--jobs 2``.

Every run is a fresh ``python -m adlab bench`` process into its own temporary CSV, timed from start to
exit (interpreter, imports and worker start-up included), with ``--threads 1``; the FAST runs are interleaved
and the best of ``--repeats`` is kept (noise on a shared machine only adds time). A one-fit run measures the
fixed cost F of a fitting process, from which the report derives the best ratio two workers can reach. The rows of every run
are compared with the ``--jobs 1`` rows (timings aside). The load average before and after each run is
recorded: on a shared machine the numbers are only as good as that load.
"""
from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from adlab.evaluation.grid import KEY, read_results  # noqa: E402
from adlab.evaluation.machine import cpu_name  # noqa: E402
import bench_data  # noqa: E402,F401 - on sys.path when run as a script; importing it sets the ADLAB_DATA_DIR fallback

VOLATILE = ("fit_seconds", "score_seconds", "finished_at")


def _load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"{one:.2f} / {five:.2f} / {fifteen:.2f}"


def run_bench(args: list[str], out: Path) -> dict:
    """Run ``python -m adlab bench`` with ``args`` into ``out``; wall seconds, load before/after, rows."""
    cmd = [sys.executable, "-m", "adlab", "bench", *args, "--threads", "1", "--no-plots", "--no-progress",
           "--device", "cpu", "--out", str(out)]
    before = _load()
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
    df = read_results(out)
    print(f"{wall:8.1f} s  {' '.join(args)}", flush=True)
    return {"wall": wall, "load_before": before, "load_after": _load(), "rows": df,
            "command": "python -m adlab bench " + " ".join(args) + " --threads 1 --device cpu"}


def best_of(repeats: int, args: list[str], stem: Path) -> dict:
    """The fastest of ``repeats`` runs of the same command (each into its own CSV)."""
    runs = [run_bench(args, stem.with_name(f"{stem.name}-{i}.csv")) for i in range(repeats)]
    return min(runs, key=lambda r: r["wall"])


def fit_busy(run: dict) -> float:
    """Seconds the workers spent inside ``fit`` and ``decision_function`` (the rows' own timings)."""
    df = run["rows"]
    return float((df["fit_seconds"] + df["score_seconds"]).sum())


def outside_fits_per_fit(run: dict, workers: int) -> float:
    """Worker time not spent fitting or scoring, per fit: (wall × workers − busy) / fits — start-up,
    imports, dispatch, result transfer and idle tails, spread over the fits. Unlike the wall time it does
    not move when a run's fits happen to compute slower (a noisy neighbour, a slower core)."""
    return (run["wall"] * workers - fit_busy(run)) / len(run["rows"])


def same_rows(a: pd.DataFrame, b: pd.DataFrame) -> bool:
    cols = [c for c in a.columns if c not in VOLATILE]
    a = a[cols].sort_values(list(KEY)).reset_index(drop=True)
    b = b[cols].sort_values(list(KEY)).reset_index(drop=True)
    return len(a) > 0 and (a["status"] == "ok").all() and a.equals(b)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--full-datasets", nargs="+", default=["cardio", "thyroid"])
    p.add_argument("--full-seeds", type=int, default=2)
    p.add_argument("--methods", nargs="+", help="restrict every run to these methods (default: all; for a smoke test)")
    p.add_argument("--fast-datasets", nargs="+", help="data sets of the FAST runs (default: the experiment's)")
    p.add_argument("--repeats", type=int, default=3, help="FAST runs: best of this many interleaved runs")
    p.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / "scaling_bench.md"))
    args = p.parse_args(argv)
    os.environ.pop("ADLAB_FAST", None)  # FAST is chosen per run by --fast
    os.environ.pop("ADLAB_DASK_SCHEDULER", None)
    import dask
    from distributed import LocalCluster

    extra = ["--methods", *args.methods] if args.methods else []
    fast = ["--experiment", "main", "--fast", *extra] + (["--datasets", *args.fast_datasets] if args.fast_datasets else [])
    full = ["--experiment", "main", "--datasets", *args.full_datasets, "--n-seeds", str(args.full_seeds), *extra]
    started = time.strftime("%Y-%m-%d %H:%M:%S %Z")
    uptime_before = subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()
    runs = {}
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        # fixed cost of one fitting process: interpreter, imports (torch, scikit-learn, the detectors), the
        # first fit's one-off costs (torch._dynamo is imported by the first optimiser step), exit
        runs["one"] = best_of(args.repeats, ["--experiment", "main", "--fast", "--methods", "DevNet", "--datasets",
                                             "blobs", "--seeds", "0", "--jobs", "1"], tmp / "one")
        walls = {"fast1": [], "fast2": [], "dask": []}

        def keep(name, run):
            walls[name].append(run["wall"])
            if name not in runs or run["wall"] < runs[name]["wall"]:
                runs[name] = run

        # interleaved (jobs 1, jobs 2, Dask in each round), best of the rounds (timeit's rule: noise only adds
        # time); a fresh LocalCluster each round: its workers start cold, like loky's
        for i in range(args.repeats):
            for jobs in ("1", "2"):
                keep(f"fast{jobs}", run_bench(fast + ["--jobs", jobs], tmp / f"fast{jobs}-{i}.csv"))
            t0 = time.perf_counter()
            with dask.config.set({"distributed.worker.profile.enabled": False}), \
                    LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                                 dashboard_address=None) as cluster:
                cluster_start = time.perf_counter() - t0
                keep("dask", run_bench(fast + ["--scheduler", cluster.scheduler_address], tmp / f"dask-{i}.csv"))
        runs["full1"] = run_bench(full + ["--jobs", "1"], tmp / "full1.csv")
        runs["full2"] = run_bench(full + ["--jobs", "2"], tmp / "full2.csv")
    uptime_after = subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()

    def ratio(a, b):
        return runs[b]["wall"] / runs[a]["wall"]

    fast_ratio, full_ratio = ratio("fast1", "fast2"), ratio("full1", "full2")
    F = runs["one"]["wall"]
    fast_work = runs["fast1"]["wall"] - F
    floor = (F + fast_work / 2) / runs["fast1"]["wall"]
    overhead = ratio("fast2", "dask") - 1.0
    n_fast = len(runs["fast1"]["rows"])
    per_fit = (runs["dask"]["wall"] - runs["fast2"]["wall"]) * 2 / n_fast  # 2 workers
    import torch

    lines = [
        "# Scaling of benchmark grids: `--jobs` and the Dask path",
        "",
        f"- command: `{' '.join(['python benchmarks/scaling_bench.py', *(sys.argv[1:] if argv is None else argv)])}`",
        f"- date: {started}; machine: {platform.platform()}, CPU {cpu_name()} ({os.cpu_count()} logical cores); "
        f"Python {platform.python_version()}, torch {torch.__version__}",
        f"- load before: `{uptime_before}`",
        f"- load after: `{uptime_after}`",
        "- each run: a fresh `python -m adlab bench` process, `--threads 1 --device cpu`, timed from start to exit "
        "(imports and worker start-up included), into its own temporary CSV",
        "",
        "## `--jobs 1` vs `--jobs 2`",
        "",
        f"FAST: best of {args.repeats} interleaved rounds (rounds listed, `--jobs 1` then `--jobs 2`); full "
        "settings: one run each.",
        "",
        "| experiment | fits | `--jobs 1` (s) | `--jobs 2` (s) | ratio | rounds `--jobs 1` / `--jobs 2` (s) | "
        "rows identical | load 1/5/15 min before → after |",
        "|---|---:|---:|---:|---:|---|---|---|",
    ]
    fast_name = "FAST main (`--fast`" + (f", {', '.join(args.fast_datasets)}" if args.fast_datasets else "") + ")"
    for name, a, b, r in ((fast_name, "fast1", "fast2", fast_ratio),
                          (f"main, full settings, {', '.join(args.full_datasets)} × {args.full_seeds} seeds",
                           "full1", "full2", full_ratio)):
        rounds = (f"{' / '.join(f'{w:.1f}' for w in walls[a])} ‖ {' / '.join(f'{w:.1f}' for w in walls[b])}"
                  if a in walls else "–")
        lines.append(f"| {name} | {len(runs[a]['rows'])} | {runs[a]['wall']:.1f} | {runs[b]['wall']:.1f} | "
                     f"{r:.2f} | {rounds} | {'yes' if same_rows(runs[a]['rows'], runs[b]['rows']) else 'NO'} | "
                     f"{runs[a]['load_before']} → {runs[b]['load_after']} |")
    lines += [
        "",
        "### Why the FAST ratio has a floor",
        "",
        f"One fitting process has a fixed cost F whatever it fits: a run of a single tiny fit (DevNet on blobs, "
        f"`{runs['one']['command']}`) takes **F = {F:.1f} s** — interpreter start, importing torch, scikit-learn "
        f"and the detectors, the first optimiser step (which imports `torch._dynamo`), interpreter exit. The "
        f"serial FAST run is F plus {fast_work:.1f} s of fitting work W; with two workers each worker still pays "
        f"F (concurrently), so the best possible wall time is F + W/2 = {F + fast_work / 2:.1f} s, a ratio of "
        f"**{floor:.2f}** (Amdahl's law with F as the serial part). The measured ratio is {fast_ratio:.2f}; "
        f"the full-settings run, where W dwarfs F, shows what the workers do once start-up is amortised.",
        "",
        "## Dask overhead (FAST main experiment)",
        "",
        f"Best of {args.repeats} interleaved rounds (every wall time listed). *Outside fits* is the worker time "
        "not spent inside `fit`/`decision_function`, per fit: (wall × 2 workers − Σ fit and score seconds of the "
        "rows) / fits — start-up, imports, dispatch, transfers and idle tails. It separates what the executor "
        "costs from fits that happened to compute slower in that run.",
        "",
        "| executor | wall (s), best | every round (s) | Σ fit+score (s) | outside fits per fit (ms) | "
        "rows identical to `--jobs 1` | load before → after (best) |",
        "|---|---:|---|---:|---:|---|---|",
    ]
    for name, label in (("fast2", "`--jobs 2` (loky)"),
                        ("dask", "`--scheduler` (LocalCluster, 2 worker processes × 1 thread, profiler off, "
                                 "127.0.0.1)")):
        r = runs[name]
        lines.append(f"| {label} | {r['wall']:.1f} | {' / '.join(f'{w:.1f}' for w in walls[name])} | "
                     f"{fit_busy(r):.1f} | {1000 * outside_fits_per_fit(r, 2):.0f} | "
                     f"{'yes' if same_rows(runs['fast1']['rows'], r['rows']) else 'NO'} | "
                     f"{r['load_before']} → {r['load_after']} |")
    outside = outside_fits_per_fit(runs["dask"], 2) - outside_fits_per_fit(runs["fast2"], 2)
    lines += [
        "",
        f"Dask overhead over `--jobs 2`: **{100 * overhead:+.1f} %** of the best wall time "
        f"({1000 * per_fit:+.0f} ms per fit: the wall-time difference × 2 workers / {n_fast} fits); "
        f"medians of the rounds {statistics.median(walls['fast2']):.1f} s vs {statistics.median(walls['dask']):.1f} s "
        f"({100 * (statistics.median(walls['dask']) / statistics.median(walls['fast2']) - 1):+.1f} %); "
        f"time outside fits {1000 * outside:+.0f} ms per fit. Starting the LocalCluster itself (not timed above, as "
        f"with a standing cluster) took {cluster_start:.1f} s.",
        "",
        "## Targets",
        "",
        f"- `--jobs 2` ≤ 0.6 × `--jobs 1` on the FAST main experiment: {fast_ratio:.2f} — "
        f"**{'met' if fast_ratio <= 0.6 else 'NOT met'}**",
        f"- Dask overhead ≤ 10 % over `--jobs 2`: {100 * overhead:+.1f} % — "
        f"**{'met' if overhead <= 0.10 else 'NOT met'}**",
        "",
        "Wall times include each worker's start-up (a spawned process importing torch and adlab), paid once per "
        "worker and overlapped with the parent's own start (`adlab bench` starts or warms its workers, loky or Dask, before it builds the "
        "grid); on a machine whose cores are shared with other jobs (load average above the core count) the "
        "second worker competes for a core and the ratios are pessimistic.",
        "",
    ]
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text("\n".join(lines), encoding="utf-8")
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
