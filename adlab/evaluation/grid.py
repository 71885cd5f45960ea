"""The grid runner: (setting × data set × seed × method) tasks, resumable results in a CSV.

Each finished task appends one row to the CSV at once, so an interrupted run (Ctrl-C, a crash, a
killed job) loses at most the task in flight; rerunning the same command skips every row already
there with ``status == "ok"`` (matched on :data:`KEY`) and computes only the missing ones.
Tasks that failed are recorded with ``status == "error"`` and the message, and retried on the next run.

Per (data set, setting, seed) the weak split is made once (:func:`adlab.data.protocol.weak_split` with
``random_state=seed``) and shared by every method; the detector gets ``random_state=seed`` too.
"""
from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable

import numpy as np
import pandas as pd

from .experiments import Dataset, Experiment, Setting, detector_params, load_dataset
from .metrics import auc_pr, auc_roc

__all__ = ["Task", "KEY", "COLUMNS", "build_tasks", "run_grid", "read_results", "finished_keys"]

#: columns identifying a task; a row with these values and status "ok" is not recomputed
KEY = ("experiment", "setting", "method", "dataset", "seed", "protocol", "fast")
COLUMNS = (*KEY, "x", "auc_pr", "auc_roc", "fit_seconds", "score_seconds", "n_train", "n_labeled",
           "n_test", "n_test_anomalies", "device", "params", "max_samples", "status", "error", "finished_at")


@dataclass(frozen=True)
class Task:
    experiment: str
    setting: Setting
    method: str
    dataset: str
    seed: int
    protocol: str
    fast: bool

    def key(self) -> tuple:
        return (self.experiment, self.setting.name, self.method, self.dataset, int(self.seed), self.protocol,
                bool(self.fast))


def build_tasks(experiment: Experiment, methods: Iterable[str], datasets: Iterable[str], seeds: Iterable[int],
                protocol: str, fast: bool) -> list[Task]:
    """Every (setting, data set, seed, method) the experiment asks for, honouring each setting's
    ``methods``/``datasets`` restrictions. Ordered setting → seed → data set → method, so one split serves
    consecutive tasks and an interrupted run has every data set for the first seeds."""
    tasks = []
    for setting in experiment.settings:
        for seed in seeds:  # seed-major: a partial run covers every data set with the first seeds
            for dataset in datasets:
                if setting.datasets is not None and dataset not in setting.datasets:
                    continue
                for method in methods:
                    if setting.methods is not None and method not in setting.methods:
                        continue
                    tasks.append(Task(experiment.name, setting, method, dataset, int(seed), protocol, bool(fast)))
    return tasks


def read_results(path: str | Path) -> pd.DataFrame:
    """The results CSV as a DataFrame (empty with :data:`COLUMNS` when the file does not exist)."""
    path = Path(path)
    if not path.exists() or path.stat().st_size == 0:
        return pd.DataFrame(columns=list(COLUMNS))
    df = pd.read_csv(path, keep_default_na=False, na_values=[""])
    for col in COLUMNS:
        if col not in df.columns:
            df[col] = np.nan
    return df


def _norm_key(values) -> tuple:
    exp, setting, method, dataset, seed, protocol, fast = values
    if isinstance(fast, str):
        fast = fast.strip().lower() == "true"
    return (str(exp), str(setting), str(method), str(dataset), int(seed), str(protocol), bool(fast))


def finished_keys(df: pd.DataFrame) -> set[tuple]:
    """Keys of the rows with status "ok"."""
    if df.empty:
        return set()
    ok = df[df["status"] == "ok"]
    return {_norm_key(row) for row in ok[list(KEY)].itertuples(index=False)}


def _append(path: Path, row: dict) -> None:
    frame = pd.DataFrame([row], columns=list(COLUMNS))
    new = not path.exists() or path.stat().st_size == 0
    frame.to_csv(path, mode="a", header=new, index=False)


def _make_split(data: Dataset, task: Task):
    from ..data.protocol import weak_split

    kwargs = dict(task.setting.split)
    if "train_groups" in kwargs:
        if data.groups is None:
            raise ValueError(f"setting {task.setting.name!r} needs anomaly groups, but {data.name} has none")
        kwargs["unseen"] = data.groups
    return weak_split(data.X, data.y, protocol=task.protocol, random_state=task.seed, **kwargs)


def run_grid(tasks: list[Task], out_csv: str | Path, *, device: str = "auto", max_samples: int | None = None,
             on_error: str = "record", progress: bool = True, where_supported: dict | None = None,
             make_detector: Callable | None = None, log: Callable[[str], None] | None = None) -> pd.DataFrame:
    """Run the tasks not yet finished in ``out_csv``; return the whole CSV afterwards.

    ``where_supported`` holds run-wide hyper-parameters given to every detector that has them (e.g.
    ``{"max_steps_per_epoch": 200}``); each row's ``params`` column records what its fit used. Resuming
    matches rows on :data:`KEY` only, so rows already in the CSV are kept even if they were computed with
    other run-wide settings — use a new ``out_csv`` when a setting changes results.

    ``on_error="record"`` writes a row with ``status="error"`` and goes on; ``"raise"`` re-raises (the
    rows finished before stay in the CSV, so a rerun resumes). ``make_detector`` defaults to
    :func:`adlab.models.registry.make_detector` (a hook for tests).
    """
    if on_error not in ("record", "raise"):
        raise ValueError(f"on_error must be 'record' or 'raise', got {on_error!r}")
    if make_detector is None:
        from ..models.registry import make_detector
    out_csv = Path(out_csv)
    out_csv.parent.mkdir(parents=True, exist_ok=True)
    done = finished_keys(read_results(out_csv))
    todo = [t for t in tasks if t.key() not in done]
    log = log or (lambda msg: None)
    log(f"{len(tasks)} tasks, {len(tasks) - len(todo)} already in {out_csv}, {len(todo)} to run")

    datasets: dict[str, Dataset] = {}
    splits: dict[tuple, object] = {}
    bar = todo
    if progress and todo:
        from tqdm.auto import tqdm

        bar = tqdm(todo, desc="bench", unit="fit")
    for task in bar:
        if progress and todo:
            bar.set_postfix_str(f"{task.method} | {task.dataset} | {task.setting.name} | seed {task.seed}")
        row = {k: v for k, v in zip(KEY, task.key())}
        row.update(x=task.setting.x, device=device, max_samples=max_samples, status="ok", error="")
        try:
            params = detector_params(task.method, task.setting.params, task.fast, where_supported)
            row["params"] = json.dumps(params, sort_keys=True, default=str)
            if task.dataset not in datasets:
                datasets[task.dataset] = load_dataset(task.dataset, max_samples=max_samples)
            split_key = (task.dataset, task.setting.name, task.seed)
            if split_key not in splits:
                splits.clear()  # tasks are ordered so a split is reused by consecutive tasks only
                splits[split_key] = _make_split(datasets[task.dataset], task)
            sp = splits[split_key]
            det = make_detector(task.method, random_state=task.seed, device=device, **params)
            t0 = time.perf_counter()
            det.fit(sp.X_train, sp.y_train)
            t1 = time.perf_counter()
            scores = det.decision_function(sp.X_test)
            t2 = time.perf_counter()
            row.update(auc_pr=auc_pr(sp.y_test, scores), auc_roc=auc_roc(sp.y_test, scores),
                       fit_seconds=t1 - t0, score_seconds=t2 - t1, n_train=len(sp.y_train),
                       n_labeled=int(sp.y_train.sum()), n_test=len(sp.y_test),
                       n_test_anomalies=int(sp.y_test.sum()))
        except Exception as exc:  # noqa: BLE001 - recorded, or re-raised below
            if on_error == "raise":
                raise
            row.update(status="error", error=f"{type(exc).__name__}: {exc}"[:500])
            log(f"error in {task.method} on {task.dataset} ({task.setting.name}, seed {task.seed}): {row['error']}")
        row["finished_at"] = time.strftime("%Y-%m-%dT%H:%M:%S")
        _append(out_csv, row)
    return read_results(out_csv)
