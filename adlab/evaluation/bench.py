"""``python -m adlab bench``: run a named experiment grid and write tidy results + a markdown report.

Examples::

    python -m adlab bench --experiment main --fast                 # < 5 min on 2 CPU cores
    python -m adlab bench --experiment main --device cuda          # the full table (ADLAB_DATA_DIR files)
    python -m adlab bench --experiment labeled-ratio --methods MNPWAD DevNet --datasets pendigits thyroid
    python -m adlab bench --experiment main --jobs 2               # two worker processes, same rows
    python -m adlab bench --experiment main --scheduler tcp://10.0.0.5:8786   # on a Dask cluster
    python -m adlab bench --list                                   # experiments, methods, data sets

Results go to ``benchmarks/results/<experiment>[-fast].csv`` (one row per fit; rerunning the same
command resumes, computing only missing rows) and ``.md`` next to it: mean ± std over seeds per data set,
the average, average ranks (1 = best) and paired Wilcoxon signed-rank p-values of a reference method
against every other, across data sets (:func:`adlab.evaluation.metrics.paired_wilcoxon`). In single-method
experiments (ablations, prototypes) the compared "arms" are the settings instead of the methods.
AUC-PR is average precision (scikit-learn), anomalies positive.
"""
from __future__ import annotations

import argparse
import os
import platform
import shlex
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pandas as pd

from .experiments import (EXPERIMENTS, SYNTHETIC_DATASETS, Experiment, get_experiment, local_adbench_datasets,
                          resolve_datasets, resolve_methods)
from .grid import build_tasks, read_results, run_grid, worker_facts

__all__ = ["main", "build_parser", "summary_tables", "markdown_report", "sweep_table", "DEFAULT_OUT_DIR"]

DEFAULT_OUT_DIR = Path("benchmarks") / "results"
METRIC_NAMES = {"auc_pr": "AUC-PR", "auc_roc": "AUC-ROC"}


# =========================================================================== summaries
def _arms_and_cases(df: pd.DataFrame, experiment: Experiment | None) -> tuple[str, pd.Series, list, list]:
    """Which column is compared (method or setting), the case label of each row, and their orders."""
    settings_order = [s.name for s in experiment.settings] if experiment else list(dict.fromkeys(df["setting"]))
    datasets_order = list(dict.fromkeys(df["dataset"]))
    if df["method"].nunique() == 1 and df["setting"].nunique() > 1:
        arm = "setting"
        cases = df["dataset"].astype(str)
        arms = [s for s in settings_order if s in set(df["setting"])]
        case_order = datasets_order
    else:
        arm = "method"
        arms = list(dict.fromkeys(df["method"]))
        if df["setting"].nunique() == 1:
            cases = df["dataset"].astype(str)
            case_order = datasets_order
        else:
            cases = df["dataset"].astype(str) + " | " + df["setting"].astype(str)
            case_order = [f"{d} | {s}" for s in settings_order for d in datasets_order]
            case_order = [c for c in case_order if c in set(cases)]
    return arm, cases, arms, case_order


def summary_tables(df: pd.DataFrame, metric: str = "auc_pr", reference: str | None = None,
                   experiment: Experiment | None = None, method_order: list | None = None) -> dict:
    """Aggregate finished rows into per-case statistics.

    Returns a dict with ``arm`` ("method" or "setting"), ``mean``/``std``/``count`` DataFrames
    (case × arm), ``avg`` (mean over cases), ``rank`` (average rank over complete cases, 1 = best),
    ``pvalue`` (paired Wilcoxon of ``reference`` vs each arm over complete cases; NaN when fewer
    than two cases), ``reference`` and ``n_complete`` (cases where every arm has a result).
    """
    ok = df[df["status"] == "ok"].copy()
    if ok.empty:
        raise ValueError("no finished results to summarise")
    ok[metric] = ok[metric].astype(float)
    arm, cases, arms, case_order = _arms_and_cases(ok, experiment)
    if method_order and arm == "method":
        arms = [m for m in method_order if m in arms] + [m for m in arms if m not in method_order]
    ok["_case"] = cases.values
    grouped = ok.groupby(["_case", arm])[metric]
    mean = grouped.mean().unstack(arm).reindex(index=case_order, columns=arms)
    std = grouped.std(ddof=1).unstack(arm).reindex(index=case_order, columns=arms).fillna(0.0)
    count = grouped.count().unstack(arm).reindex(index=case_order, columns=arms).fillna(0).astype(int)
    complete = mean.dropna(axis=0, how="any")
    rank = complete.rank(axis=1, ascending=False, method="average").mean(axis=0).reindex(arms)
    if reference is None or reference not in arms:
        reference = experiment.reference if experiment and experiment.reference in arms else arms[0]
    pvalue = pd.Series(np.nan, index=arms, dtype=float)
    if len(complete) >= 2:
        for a in arms:
            if a != reference:
                from .metrics import paired_wilcoxon

                pvalue[a] = paired_wilcoxon(complete[reference].to_numpy(), complete[a].to_numpy())
    return {"arm": arm, "mean": mean, "std": std, "count": count, "avg": mean.mean(axis=0), "rank": rank,
            "pvalue": pvalue, "reference": reference, "n_complete": len(complete), "metric": metric}


def _fmt_p(p: float) -> str:
    if not np.isfinite(p):
        return "n/a"
    return "<0.0001" if p < 1e-4 else f"{p:.4f}"


def results_table(summary: dict, digits: int = 3) -> pd.DataFrame:
    """The printable table: mean±std per case (best in bold), then Average, Avg. rank, p-value rows."""
    mean, std = summary["mean"], summary["std"]
    body = pd.DataFrame(index=mean.index, columns=mean.columns, dtype=object)
    for case in mean.index:
        row = mean.loc[case]
        best = row.max()
        for a in mean.columns:
            v = row[a]
            if pd.isna(v):
                body.loc[case, a] = "–"
                continue
            cell = f"{v:.{digits}f}±{std.loc[case, a]:.{digits}f}"
            body.loc[case, a] = f"**{cell}**" if np.isclose(v, best) else cell
    ref = summary["reference"]
    body.loc["Average"] = [f"{v:.{digits}f}" if pd.notna(v) else "–" for v in summary["avg"]]
    body.loc["Avg. rank"] = [f"{v:.2f}" if pd.notna(v) else "–" for v in summary["rank"]]
    body.loc[f"p-value vs {ref}"] = ["–" if a == ref else _fmt_p(summary["pvalue"][a]) for a in mean.columns]
    body.index.name = "data set" if summary["arm"] == "method" and " | " not in "".join(map(str, mean.index)) \
        else "case"
    return body


def sweep_table(df: pd.DataFrame, experiment: Experiment, metric: str = "auc_pr",
                method_order: list | None = None) -> pd.DataFrame:
    """Setting × method: the metric averaged over data sets and seeds (for sweeps)."""
    ok = df[df["status"] == "ok"].copy()
    ok[metric] = ok[metric].astype(float)
    order = [s.name for s in experiment.settings if s.name in set(ok["setting"])]
    table = ok.groupby(["setting", "method"])[metric].mean().unstack("method").reindex(order)
    if method_order:
        table = table[[m for m in method_order if m in table.columns]]
    return table


def save_figures(df: pd.DataFrame, experiment: Experiment, out_base: Path, *, metric: str = "auc_pr",
                 reference: str | None = None, method_order: list | None = None) -> list[Path]:
    """PNG figures next to the report: the sweep plot (one panel per data set) for sweep experiments,
    else the critical-difference-style rank summary. Returns the files written (none without results)."""
    import matplotlib.pyplot as plt

    from ..plotting import plot_ranks, plot_sweep

    ok = df[df["status"] == "ok"] if not df.empty else df
    if ok.empty:
        return []
    written = []
    if experiment.x_label:
        grid = plot_sweep(ok, x="x", metric=metric, x_label=experiment.x_label,
                          log_x=experiment.name == "labeled-ratio")
        path = out_base.with_name(out_base.name + "-sweep.png")
        grid.savefig(path, dpi=110)
        plt.close(grid.figure)
        written.append(path)
    s = summary_tables(df, metric, reference, experiment, method_order)
    if s["n_complete"] >= 2 and s["rank"].notna().sum() >= 2:
        ax = plot_ranks(s)
        path = out_base.with_name(out_base.name + "-ranks.png")
        ax.figure.savefig(path, dpi=110, bbox_inches="tight")
        plt.close(ax.figure)
        written.append(path)
    return written


def _machine(workers: list[dict] | None = None) -> str:
    """The machine line of the report: this process's torch, or what the local workers reported
    (:func:`adlab.evaluation.grid.worker_facts`; then the parent need not import torch at all)."""
    from .machine import cpu_name

    cpu = cpu_name()
    if workers:
        threads = sorted({w["torch_threads"] for w in workers})
        gpu, version = workers[0]["gpu"], workers[0]["torch"]
        where = f"torch threads {'/'.join(map(str, threads))} in each of {len(workers)} worker processes"
        restored = sum(bool(w.get("malloc_thresholds_restored")) for w in workers)
        if restored:
            where += (f"; glibc malloc thresholds restored in {restored} of them, started with "
                      "MALLOC_TRIM_THRESHOLD_")
    else:
        import torch

        gpu = torch.cuda.get_device_name(0) if torch.cuda.is_available() else "none"
        version, where = torch.__version__, f"torch threads {torch.get_num_threads()}"
    return (f"{platform.platform()}; CPU {cpu} ({os.cpu_count()} logical cores, {where}); GPU {gpu}; "
            f"Python {platform.python_version()}, torch {version}")


def _workers(args, threads) -> str:
    if args.report_only:
        return "report rebuilt from the CSV"
    per = f"{args.threads or 1} torch thread(s) each"
    if args.scheduler:
        return f"Dask cluster at {args.scheduler} (joblib's Dask backend), {per}"
    if args.jobs_per_gpu is not None:
        return f"{args.jobs_per_gpu} loky worker process(es) per visible GPU, {per}"
    if (args.jobs or 1) > 1:
        return f"{args.jobs} loky worker processes (joblib), {per}"
    return f"this process ({threads or 'default'} torch thread(s))"


def markdown_report(df: pd.DataFrame, experiment: Experiment, *, reference: str | None = None,
                    header: dict | None = None, method_order: list | None = None) -> str:
    """A markdown document: header facts, then one table per metric (and a sweep table for sweeps)."""
    lines = [f"# adlab bench — experiment `{experiment.name}`", "", experiment.description, ""]
    for key, value in (header or {}).items():
        lines.append(f"- **{key}**: {value}")
    ok = df[df["status"] == "ok"]
    errors = df[df["status"] == "error"]
    spent = ok["fit_seconds"].astype(float).sum() + ok["score_seconds"].astype(float).sum() if len(ok) else 0.0
    lines.append(f"- **rows**: {len(ok)} finished ({spent:.0f} s of fitting and scoring in total), {len(errors)} failed")
    lines.append("")
    if ok.empty:
        lines.append("_No finished results yet._")
        return "\n".join(lines) + "\n"
    for metric in ("auc_pr", "auc_roc"):
        s = summary_tables(df, metric, reference, experiment, method_order)
        arm_word = "methods" if s["arm"] == "method" else "settings"
        lines += [f"## {METRIC_NAMES[metric]} (mean ± std over seeds)", "",
                  results_table(s).to_markdown(), "",
                  f"Average ranks over the {s['n_complete']} cases where every one of the {arm_word} has a result "
                  f"(1 = best); two-sided paired Wilcoxon signed-rank p-values of `{s['reference']}` against each "
                  f"of the others across those cases (per-case means over seeds).", ""]
        if experiment.x_label or (len(experiment.settings) > 1 and s["arm"] == "method"):
            lines += [f"### {METRIC_NAMES[metric]} by setting (mean over data sets and seeds)", "",
                      sweep_table(df, experiment, metric, method_order).to_markdown(floatfmt=".3f"), ""]
    if len(errors):
        lines += ["## Failed runs", ""]
        for r in errors.itertuples(index=False):
            lines.append(f"- {r.method} on {r.dataset} ({r.setting}, seed {r.seed}): {r.error}")
        lines.append("")
    fit = ok.groupby("method")["fit_seconds"].mean()
    lines += ["## Mean fit time per method (seconds)", "", fit.to_frame("fit_seconds").to_markdown(floatfmt=".2f"), ""]
    return "\n".join(lines) + "\n"


# =========================================================================== CLI
def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m adlab bench", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--experiment", default="main", choices=list(EXPERIMENTS), help="named experiment (default: main)")
    p.add_argument("--methods", nargs="+", help="detector names (default: the experiment's / every available one)")
    p.add_argument("--datasets", nargs="+", help="ADBench or synthetic names (default: the experiment's; "
                                                  "for main every ADBench file in ADLAB_DATA_DIR)")
    p.add_argument("--protocol", choices=["mnpwad", "rosas", "mmnet", "custom"],
                   help="weak-split protocol (default: the experiment's)")
    p.add_argument("--seeds", nargs="+", type=int, help="explicit seeds (default: 0..n-1)")
    p.add_argument("--n-seeds", type=int, help="number of seeds 0..n-1 (default: the experiment's)")
    p.add_argument("--device", default="auto", help="auto | cpu | cuda | cuda:N (default: auto)")
    p.add_argument("--fast", action="store_true", help="FAST mode: fewer epochs, small data sets, fewer seeds "
                                                         "(also on when ADLAB_FAST=1)")
    p.add_argument("--out", help="results CSV (default: benchmarks/results/<experiment>[-fast].csv); "
                                 "the markdown report goes next to it (.md)")
    p.add_argument("--reference", help="arm (method, or setting in ablations) for the Wilcoxon tests")
    p.add_argument("--max-samples", type=int, help="stratified subsample of each data set to at most this many rows")
    p.add_argument("--max-steps-per-epoch", type=int, metavar="N",
                   help="cap the steps of a one-pass epoch at N for the detectors with a max_steps_per_epoch "
                        "parameter (MMNet, DeepSAD, SyntheticAnomalyClassifier); no effect on tables smaller "
                        "than N batches; for large tables such as donors on a CPU (default: no cap)")
    p.add_argument("--threads", type=int, help="torch.set_num_threads of each process that fits (default: 1 in "
                                               "FAST mode and in every worker of --jobs/--scheduler, torch's default "
                                               "otherwise; 1 also helps on a shared 2-core machine)")
    p.add_argument("--jobs", type=int, metavar="N", help="fit in N worker processes (joblib/loky); rows are the same "
                                                         "as with one (default: 1, in this process)")
    p.add_argument("--jobs-per-gpu", type=int, metavar="K",
                   help="with --device cuda: K worker processes per visible GPU, fits dealt round-robin to the "
                        "GPUs (instead of --jobs)")
    p.add_argument("--scheduler", metavar="ADDRESS", default=os.environ.get("ADLAB_DASK_SCHEDULER") or None,
                   help="run the fits on a Dask cluster, e.g. tcp://10.0.0.5:8786 (default: $ADLAB_DASK_SCHEDULER; "
                        "needs pip install 'adlab[cluster]'; workers with --nthreads 1 and the data in their "
                        "ADLAB_DATA_DIR or cache; see docs/CLUSTER.md)")
    p.add_argument("--metric", default="auc_pr", choices=list(METRIC_NAMES), help="metric of the printed table")
    p.add_argument("--on-error", default="record", choices=["record", "raise"],
                   help="record a failed fit and go on (default), or stop")
    p.add_argument("--report-only", action="store_true", help="do not fit; rebuild the report from the CSV")
    p.add_argument("--note", help="a sentence added to the report header (e.g. why a data set was left out)")
    p.add_argument("--no-progress", action="store_true", help="no tqdm progress bar")
    p.add_argument("--no-plots", action="store_true", help="do not write the PNG figures (sweep plot, rank "
                                                           "summary) next to the report")
    p.add_argument("--list", action="store_true", help="list experiments, methods and data sets, then exit")
    return p


def _split_names(values):
    if not values:
        return values
    return [v for item in values for v in str(item).split(",") if v.strip()]


def _list(out) -> None:
    from ..models.registry import available_detectors

    print("experiments:", file=out)
    for e in EXPERIMENTS.values():
        print(f"  {e.name:16s} {e.description}", file=out)
    print("methods:", ", ".join(available_detectors()), file=out)
    print("synthetic data sets:", ", ".join(SYNTHETIC_DATASETS), file=out)
    local = local_adbench_datasets()
    print("ADBench data sets available locally:", ", ".join(local) if local else "none (set ADLAB_DATA_DIR)", file=out)


def _resolve(args, experiment: Experiment, fast: bool):
    from ..models.registry import available_detectors

    if args.methods:
        methods = resolve_methods(_split_names(args.methods))
    elif experiment.methods is not None:
        methods = resolve_methods(experiment.methods)
    else:
        methods = [m for m in available_detectors() if m not in experiment.exclude_methods]
    if args.datasets:
        datasets = resolve_datasets(_split_names(args.datasets))
    elif fast:
        datasets = list(experiment.fast_datasets)
    elif experiment.datasets is not None:
        datasets = list(experiment.datasets)
    else:
        datasets = local_adbench_datasets()
        if not datasets:
            raise ValueError("no ADBench files found: set ADLAB_DATA_DIR to a folder of ADBench .npz files, "
                             "or pass --datasets (e.g. --datasets blobs rosas_toy)")
    if args.seeds:
        seeds = list(dict.fromkeys(args.seeds))
    else:
        n = args.n_seeds if args.n_seeds is not None else (experiment.fast_seeds if fast else experiment.n_seeds)
        if n < 1:
            raise ValueError(f"--n-seeds must be >= 1, got {n}")
        seeds = list(range(n))
    return methods, datasets, seeds


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``python -m adlab bench``; returns the exit code (2 for bad names/options)."""
    from .grid import stop_workers

    try:
        return _main(argv)
    finally:
        stop_workers()  # closes a Dask client opened for the run


def _main(argv: list[str] | None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.list:
        _list(sys.stdout)
        return 0
    local_jobs = (args.jobs or 1) if not (args.scheduler or args.jobs_per_gpu is not None) else 1
    warm = not args.report_only and (local_jobs > 1 or bool(args.scheduler))
    scheduler = args.scheduler
    if warm:
        # start the workers first: their start-up (a fresh interpreter importing torch and the
        # detectors, ~4 s of CPU) then overlaps everything this process does before the first fit
        from .grid import start_workers

        try:
            scheduler = start_workers(local_jobs, args.threads or 1, scheduler=args.scheduler) or args.scheduler
        except ValueError as exc:
            print(f"adlab bench: error: {exc}", file=sys.stderr)
            return 2

        def preload_report_modules():  # the report's imports (~1 s), done while this process waits for fits
            worker_facts()  # ... but not while the workers are starting: they need the cores then
            from . import metrics  # noqa: F401
            import scipy.stats  # noqa: F401

        threading.Thread(target=preload_report_modules, daemon=True, name="adlab-preload").start()
    from ..config import is_fast

    fast = bool(args.fast or is_fast())
    try:
        experiment = get_experiment(args.experiment)
        methods, datasets, seeds = _resolve(args, experiment, fast)
        if args.max_samples is not None and args.max_samples < 10:
            raise ValueError(f"--max-samples must be >= 10, got {args.max_samples}")
        if args.max_steps_per_epoch is not None and args.max_steps_per_epoch < 1:
            raise ValueError(f"--max-steps-per-epoch must be >= 1, got {args.max_steps_per_epoch}")
        if args.device not in ("auto", "cpu"):  # "cpu" is always valid: no need to import torch here
            from ..config import resolve_device

            resolve_device(args.device)
        for flag, value in (("--jobs", args.jobs), ("--jobs-per-gpu", args.jobs_per_gpu), ("--threads", args.threads)):
            if value is not None and value < 1:
                raise ValueError(f"{flag} must be >= 1, got {value}")
        if args.jobs_per_gpu is not None and (args.jobs is not None or args.scheduler):
            raise ValueError("give --jobs-per-gpu instead of --jobs/--scheduler, not with them")
    except ValueError as exc:
        print(f"adlab bench: error: {exc}", file=sys.stderr)
        return 2
    parallel = bool(args.scheduler) or (args.jobs or 1) > 1 or args.jobs_per_gpu is not None
    threads = args.threads or (1 if fast else None)  # tiny FAST networks run fastest on one thread
    if threads and not parallel:
        import torch

        torch.set_num_threads(int(threads))
    protocol = args.protocol or experiment.protocol
    out_csv = Path(args.out) if args.out else DEFAULT_OUT_DIR / f"{experiment.name}{'-fast' if fast else ''}.csv"
    out_md = out_csv.with_suffix(".md")
    tasks = build_tasks(experiment, methods, datasets, seeds, protocol, fast)
    if not tasks:
        print("adlab bench: error: the selection leaves no task (check --methods/--datasets against the "
              "experiment's settings)", file=sys.stderr)
        return 2
    started = time.strftime("%Y-%m-%d %H:%M:%S %Z")
    t0 = time.perf_counter()
    if not args.report_only:
        try:
            where_supported = ({"max_steps_per_epoch": args.max_steps_per_epoch}
                               if args.max_steps_per_epoch is not None else None)
            run_grid(tasks, out_csv, device=args.device, max_samples=args.max_samples, on_error=args.on_error,
                     progress=not args.no_progress, where_supported=where_supported,
                     log=lambda m: print(m, file=sys.stderr), jobs=args.jobs, jobs_per_gpu=args.jobs_per_gpu,
                     threads=args.threads if parallel else threads, scheduler=scheduler)
        except ValueError as exc:
            print(f"adlab bench: error: {exc}", file=sys.stderr)
            return 2
    elapsed = time.perf_counter() - t0
    keys = {t.key() for t in tasks}
    from .grid import KEY, _norm_key

    df = read_results(out_csv)
    if not df.empty:  # the planned rows, in task order (workers append them in the order they finish)
        order = {t.key(): i for i, t in enumerate(tasks)}
        position = [order.get(_norm_key(r), -1) for r in df[list(KEY)].itertuples(index=False)]
        df = df.assign(_order=position)
        df = df[df["_order"] >= 0].sort_values("_order", kind="stable").drop(columns="_order")
    given = list(argv if argv is not None else sys.argv[1:])
    for flag, takes_value in (("--report-only", False), ("--note", True)):
        if flag in given:
            i = given.index(flag)
            del given[i:i + 1 + takes_value]
    n_ok = int((df["status"] == "ok").sum()) if not df.empty else 0
    coverage = f"{n_ok} of {len(tasks)} planned fits finished"
    if n_ok < len(tasks):
        coverage += " — PARTIAL run: rerun the same command to resume (finished rows are kept)"
    header = {
        "command": "python -m adlab bench " + " ".join(shlex.quote(a) for a in given)
                   + ("  (this report rebuilt from the CSV with --report-only)" if args.report_only else ""),
        "coverage": coverage,
        "machine": _machine(worker_facts() if warm else None),
        "run": f"started {started}; this invocation took {elapsed:.1f} s "
               f"(fits resumed from the CSV are not re-timed; see fit times below)",
        "protocol": protocol + (" (FAST mode: reduced epochs/data/seeds)" if fast else " (full settings)"),
        "seeds": ", ".join(map(str, seeds)),
        "data sets": ", ".join(datasets) + (f" (subsampled to ≤ {args.max_samples} rows)" if args.max_samples else ""),
        "methods": ", ".join(methods),
        "device": args.device,
        "workers": _workers(args, threads),
        **({"steps per epoch": f"at most {args.max_steps_per_epoch} for detectors whose epoch is one pass over "
                               f"the data (max_steps_per_epoch; binds only on tables larger than "
                               f"{args.max_steps_per_epoch} batches)"}
           if args.max_steps_per_epoch is not None else {}),
        "results": f"`{out_csv.as_posix()}`",
    }
    if args.note:
        header["note"] = args.note
    report = markdown_report(df, experiment, reference=args.reference, header=header, method_order=methods)
    if not args.no_plots:
        figures = save_figures(df, experiment, out_csv.with_suffix(""), metric=args.metric,
                               reference=args.reference, method_order=methods)
        if figures:
            report += "\n## Figures\n\n" + "\n".join(f"![{f.stem}]({f.name})" for f in figures) + "\n"
    out_md.write_text(report, encoding="utf-8")
    ok = df[df["status"] == "ok"] if not df.empty else df
    if ok.empty:
        print("no finished results", file=sys.stderr)
        return 1
    s = summary_tables(df, args.metric, args.reference, experiment, methods)
    print(f"\n{METRIC_NAMES[args.metric]} — experiment {experiment.name} ({protocol}{', FAST' if fast else ''}); "
          f"seeds {seeds}")
    print(results_table(s).to_markdown())
    print(f"\nresults: {out_csv}  report: {out_md}  ({elapsed:.1f} s)")
    return 0
