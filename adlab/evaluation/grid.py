"""The grid runner: (setting × data set × seed × method) tasks, resumable results in a CSV.

Each finished task appends one row to the CSV at once (one ``write``), so an interrupted run (Ctrl-C, a crash, a
killed job) loses at most the task in flight; rerunning the same command skips every row already
there with ``status == "ok"`` (matched on :data:`KEY`) and computes only the missing ones.
Tasks that failed are recorded with ``status == "error"`` and the message, and retried on the next run.

The fits can run in this process, in N worker processes (joblib's loky backend, ``jobs=N``) or on a
Dask cluster (``scheduler=``); the parent process alone appends rows, in the order fits finish, and
the rows are the same whichever executor ran them (:func:`run_grid`, :func:`fit_task`).

Per (data set, setting, seed) the weak split is made once (:func:`adlab.data.protocol.weak_split` with
``random_state=seed``) and shared by every method; the detector gets ``random_state=seed`` too.
"""
from __future__ import annotations

import json
import time
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
import threading
from typing import TYPE_CHECKING, Callable, Iterable

import numpy as np

if TYPE_CHECKING:
    import pandas as pd

from .experiments import Dataset, Experiment, Setting, detector_params, load_dataset

__all__ = ["Task", "KEY", "COLUMNS", "build_tasks", "run_grid", "fit_task", "task_devices", "n_workers",
           "read_results", "finished_keys", "start_workers", "stop_workers", "worker_facts"]

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
    import pandas as pd  # imported here: workers, which only fit, never load pandas

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
    """Append one row to the CSV with a single ``write`` (only the parent process ever writes)."""
    import pandas as pd

    new = not path.exists() or path.stat().st_size == 0
    text = pd.DataFrame([row], columns=list(COLUMNS)).to_csv(header=new, index=False)
    with open(path, "a", encoding="utf-8", newline="") as fh:
        fh.write(text)


def _make_split(data: Dataset, task: Task):
    from ..data.protocol import weak_split

    kwargs = dict(task.setting.split)
    if "train_groups" in kwargs:
        if data.groups is None:
            raise ValueError(f"setting {task.setting.name!r} needs anomaly groups, but {data.name} has none")
        kwargs["unseen"] = data.groups
    return weak_split(data.X, data.y, protocol=task.protocol, random_state=task.seed, **kwargs)


# --------------------------------------------------------------------------- one fit (in any process)
#: per-process caches: the last few data sets loaded and the last split made (a worker keeps its own)
_DATA_CACHE: "OrderedDict[tuple, Dataset]" = OrderedDict()
_DATA_CACHE_SIZE = 4
_SPLIT_CACHE: dict = {}


def _cached_dataset(name: str, max_samples: int | None) -> Dataset:
    key = (name, max_samples)
    if key in _DATA_CACHE:
        _DATA_CACHE.move_to_end(key)
        return _DATA_CACHE[key]
    data = load_dataset(name, max_samples=max_samples)
    _DATA_CACHE[key] = data
    while len(_DATA_CACHE) > _DATA_CACHE_SIZE:
        _DATA_CACHE.popitem(last=False)
    return data


def _cached_split(task: Task, max_samples: int | None):
    key = (task.dataset, max_samples, task.setting.name, json.dumps(task.setting.split, sort_keys=True, default=str),
           task.seed, task.protocol)
    if key not in _SPLIT_CACHE:
        _SPLIT_CACHE.clear()  # tasks are ordered so a split is reused by consecutive tasks
        _SPLIT_CACHE[key] = _make_split(_cached_dataset(task.dataset, max_samples), task)
    return _SPLIT_CACHE[key]


def _set_torch_threads(threads: int | None) -> None:
    if threads:
        import torch

        if torch.get_num_threads() != int(threads):
            torch.set_num_threads(int(threads))


_ALLOCATOR_CHECKED = False


def _undo_malloc_trim_threshold() -> bool:
    """Give glibc's allocator back its large-block reuse in a process started with ``MALLOC_TRIM_THRESHOLD_``.

    Dask's Nanny starts every worker with ``MALLOC_TRIM_THRESHOLD_=65536`` (its
    ``distributed.nanny.pre-spawn-environ``), to hand freed memory back to the OS. Setting that variable
    also switches off glibc's adaptive mmap threshold, so every tensor buffer above 128 KiB becomes an
    ``mmap``/``munmap`` pair with fresh page faults at each training step: measured here, a small MLP
    trains 1.7× slower (10× the page faults), and the FAST main grid's fits took 30–40 % longer on Dask
    workers than in loky workers. This sets the two thresholds to the values glibc's own adaptation reaches
    (mmap 32 MiB, trim 64 MiB) with ``mallopt``, once per process; idle memory above 64 MiB is still
    returned to the OS. Only when the variable is set, on glibc, and ``ADLAB_KEEP_MALLOC`` is not set.
    Returns whether it changed anything.
    """
    global _ALLOCATOR_CHECKED
    if _ALLOCATOR_CHECKED:
        return False
    _ALLOCATOR_CHECKED = True
    import os
    import platform

    if "MALLOC_TRIM_THRESHOLD_" not in os.environ or os.environ.get("ADLAB_KEEP_MALLOC"):
        return False
    if platform.system() != "Linux" or platform.libc_ver()[0] != "glibc":
        return False
    import ctypes

    try:
        libc = ctypes.CDLL("libc.so.6")
    except OSError:
        return False
    m_trim_threshold, m_mmap_threshold = -1, -3  # <malloc.h>
    return bool(libc.mallopt(m_mmap_threshold, 32 << 20)) and bool(libc.mallopt(m_trim_threshold, 64 << 20))


def fit_task(task: Task, *, device: str = "auto", max_samples: int | None = None,
             where_supported: dict | None = None, make_detector: Callable | None = None,
             on_error: str = "record", threads: int | None = None) -> dict:
    """Fit and score one task in *this* process and return its CSV row (a dict over :data:`COLUMNS`).

    This is what every worker runs — in the parent (``jobs=1``), in a loky process or on a Dask worker.
    The data set is loaded here by name (``ADLAB_DATA_DIR`` or the cache of the machine that runs it),
    so only the task's names and settings travel to a worker. The weak split is
    :func:`adlab.data.protocol.weak_split` with ``random_state=task.seed`` and the detector gets
    ``random_state=task.seed`` (it seeds python/NumPy/torch at the start of ``fit``), so a row does not
    depend on which process computed it or what that process did before.

    ``threads`` sets torch's intra-op thread count of this process first (``None``: unchanged). With
    ``on_error="record"`` an exception becomes a row with ``status="error"`` and the message;
    ``"raise"`` re-raises it.
    """
    from joblib import parallel_config

    from .metrics import auc_pr, auc_roc

    _undo_malloc_trim_threshold()
    _set_torch_threads(threads)
    if make_detector is None:
        from ..models.registry import make_detector
    row = {k: v for k, v in zip(KEY, task.key())}
    row.update(x=task.setting.x, device=device, max_samples=max_samples, status="ok", error="")
    try:
        params = detector_params(task.method, task.setting.params, task.fast, where_supported)
        row["params"] = json.dumps(params, sort_keys=True, default=str)
        sp = _cached_split(task, max_samples)
        det = make_detector(task.method, random_state=task.seed, device=device, **params)
        # joblib calls *inside* a fit (scikit-learn's IsolationForest, …) run in this process, one after
        # the other: under joblib's Dask backend they would otherwise become cluster tasks of their own
        # (measured: IsolationForest 0.14 → 1.3 s per fit), and a fit is meant to use one worker.
        with parallel_config(backend="sequential"):
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
    row["finished_at"] = time.strftime("%Y-%m-%dT%H:%M:%S")
    return row


def _fit_indexed(index: int, task: Task, **kwargs) -> tuple[int, dict]:
    return index, fit_task(task, **kwargs)


# --------------------------------------------------------------------------- workers started ahead
def _warm_worker(threads: int | None) -> dict:
    """Run in a fresh worker: import what a fit needs (torch, every detector module, the metrics) and
    report the machine facts the run's report prints."""
    import os
    import platform

    import torch

    from . import metrics  # noqa: F401 - imported for its import cost
    from ..models.registry import DETECTORS, get_detector_class

    allocator = _undo_malloc_trim_threshold()
    _set_torch_threads(threads)
    for name in DETECTORS:
        get_detector_class(name)
    gpu = torch.cuda.get_device_name(0) if torch.cuda.is_available() else "none"
    return {"pid": os.getpid(), "torch": str(torch.__version__), "torch_threads": torch.get_num_threads(), "gpu": gpu,
            "python": platform.python_version(), "malloc_thresholds_restored": allocator}


#: (jobs, pending generator or list of facts) of the loky workers started by :func:`start_workers`
_STARTED: dict = {}


def start_workers(jobs: int, threads: int | None = None, scheduler=None):
    """Start the workers of a run now and let each import torch and the detectors in the background, so
    that this start-up overlaps the caller's own work (parsing, task building) instead of delaying the
    first fit. Returns at once.

    - local (``scheduler=None``): ``jobs`` loky worker processes (a no-op for ``jobs < 2``);
      :func:`run_grid` with the same ``jobs`` then reuses them (joblib keeps one reusable loky executor
      per process).
    - Dask (``scheduler`` an address or a ``Client``): connects and sends one warm-up call to every
      worker; returns the ``Client``, to be passed to :func:`run_grid` as ``scheduler``
      (ValueError if the scheduler cannot be reached).
    """
    if scheduler is not None:
        client, owned = _connect(scheduler)
        workers = list(client.scheduler_info().get("workers", {}))
        futures = [client.submit(_warm_worker, threads or 1, workers=[w], allow_other_workers=False, pure=False)
                   for w in workers]
        with _STARTED_LOCK:
            _STARTED.clear()
            _STARTED.update(jobs="dask", pending=futures, facts=None, client=client, owned=owned)
        return client
    if jobs < 2:
        return None
    from joblib import Parallel, delayed

    # return_as="generator_unordered" dispatches the calls before returning; the results are read later
    gen = Parallel(n_jobs=jobs, backend="loky", return_as="generator_unordered", batch_size=1,
                   pre_dispatch="all")(delayed(_warm_worker)(threads) for _ in range(jobs))
    with _STARTED_LOCK:
        _STARTED.clear()
        _STARTED.update(jobs=jobs, pending=gen, facts=None)
    return None


def stop_workers() -> None:
    """Forget the workers of :func:`start_workers`; closes a Dask client it opened and ends this process's
    loky workers (if any) without waiting for them.

    At interpreter exit loky would otherwise join every idle worker while each tears torch down
    (measured: 0.7–1.5 s of a two-worker run's wall time spent after its report was printed). Every
    row is in the CSV by the time this runs (rows are written by this process as results arrive), so
    nothing is lost; the next ``Parallel`` call starts fresh workers.
    """
    with _STARTED_LOCK:
        if _STARTED.get("owned"):
            _STARTED["client"].close()
        _STARTED.clear()
    from joblib.externals.loky import reusable_executor

    executor = getattr(reusable_executor, "_executor", None)  # loky's module-level reusable executor
    if executor is not None:
        executor.shutdown(wait=False, kill_workers=True)


_STARTED_LOCK = threading.Lock()


def _dask_facts(futures, timeout: float = 120.0) -> list[dict]:
    """Results of the Dask warm-up calls that finished within ``timeout`` (a worker that left the
    cluster must not hang the report); the others are cancelled."""
    from dask.distributed import wait

    try:
        wait(futures, timeout=timeout)
    except TimeoutError:  # dask raises it when some calls are still pending
        pass
    for f in futures:
        if f.status not in ("finished", "error"):
            f.cancel()
    return [f.result() for f in futures if f.status == "finished"]


def worker_facts() -> list[dict] | None:
    """What the workers started by :func:`start_workers` reported (waits for them); ``None`` if none."""
    with _STARTED_LOCK:
        if not _STARTED:
            return None
        if _STARTED["facts"] is None:
            pending = _STARTED.pop("pending")
            _STARTED["facts"] = _dask_facts(pending) if _STARTED["jobs"] == "dask" else list(pending)
        return _STARTED["facts"]


# --------------------------------------------------------------------------- executors
def _gpu_count() -> int:
    import torch

    return torch.cuda.device_count() if torch.cuda.is_available() else 0


def _uses_cuda(device: str) -> bool:
    return device == "cuda" or (device == "auto" and _gpu_count() > 0)


def task_devices(n_tasks: int, device: str, n_jobs: int) -> list[str]:
    """The device string of each task: ``device`` itself, except that ``cuda``/``auto`` with several
    workers and several visible GPUs deals the tasks round-robin to ``cuda:0``, ``cuda:1``, …
    (an explicit ``cuda:N`` pins every task to that GPU)."""
    n_gpus = _gpu_count() if n_jobs > 1 and _uses_cuda(device) else 0
    if n_gpus < 2:
        return [device] * n_tasks
    return [f"cuda:{i % n_gpus}" for i in range(n_tasks)]


def n_workers(jobs: int | None, jobs_per_gpu: int | None, device: str, scheduler=None) -> int:
    """Worker processes of a local run: ``jobs`` (default 1), or ``jobs_per_gpu`` × the visible GPUs.

    ValueError when ``jobs_per_gpu`` comes with ``jobs``/``scheduler``, or without ``device`` ``cuda``/
    ``auto`` and a visible GPU."""
    for name, value in (("jobs", jobs), ("jobs_per_gpu", jobs_per_gpu)):
        if value is not None and (isinstance(value, bool) or int(value) != value or value < 1):
            raise ValueError(f"{name} must be a positive integer, got {value!r}")
    if jobs_per_gpu is None:
        return int(jobs or 1)
    if jobs not in (None, 1) or scheduler is not None:
        raise ValueError("give jobs_per_gpu (workers per visible GPU) instead of jobs or a scheduler, not with them")
    if not _uses_cuda(device) or device.startswith("cuda:"):
        raise ValueError(f"jobs_per_gpu needs device 'cuda' (or 'auto') with a visible GPU, got device={device!r}")
    if _gpu_count() == 0:
        raise ValueError("jobs_per_gpu needs a visible GPU, and torch sees none")
    return int(jobs_per_gpu) * _gpu_count()


def _connect(scheduler):
    """A ``dask.distributed.Client`` for an address (or the client itself) and whether we own it."""
    try:
        from dask.distributed import Client
    except ImportError as exc:
        raise ValueError("a Dask scheduler was given but dask.distributed is not installed: "
                         "pip install 'adlab[cluster]'") from exc
    if isinstance(scheduler, Client):
        return scheduler, False
    try:
        return Client(str(scheduler), timeout="20s"), True
    except (OSError, TimeoutError) as exc:
        raise ValueError(f"could not connect to the Dask scheduler at {scheduler!r}: {exc}") from exc


class _Progress:
    """One tqdm bar over the whole grid: finished / failed / running counts and tqdm's ETA."""

    def __init__(self, total: int, already: int, enabled: bool):
        self.ok = self.failed = 0
        self.running = 0
        self.bar = None
        if enabled and total > already:
            from tqdm.auto import tqdm

            self.bar = tqdm(total=total, initial=already, desc="bench", unit="fit")

    def _show(self, last: str = "") -> None:
        if self.bar is not None:
            self.bar.set_postfix_str(f"ok {self.ok}, failed {self.failed}, running {self.running}"
                                     + (f" | {last}" if last else ""), refresh=False)

    def set_running(self, running: int, task: Task | None = None) -> None:
        self.running = running
        self._show(f"{task.method} | {task.dataset} | {task.setting.name} | seed {task.seed}" if task else "")
        if self.bar is not None:
            self.bar.refresh()

    def finished(self, row: dict, running: int) -> None:
        if row["status"] == "ok":
            self.ok += 1
        else:
            self.failed += 1
        self.running = running
        self._show(f"done {row['method']} | {row['dataset']} | seed {row['seed']}")
        if self.bar is not None:
            self.bar.update(1)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


def run_grid(tasks: list[Task], out_csv: str | Path, *, device: str = "auto", max_samples: int | None = None,
             on_error: str = "record", progress: bool = True, where_supported: dict | None = None,
             make_detector: Callable | None = None, log: Callable[[str], None] | None = None,
             jobs: int | None = 1, jobs_per_gpu: int | None = None, threads: int | None = None,
             scheduler=None) -> pd.DataFrame:
    """Run the tasks not yet finished in ``out_csv``; return the whole CSV afterwards.

    Where the fits run:

    - ``jobs=1`` (default, no ``scheduler``): one after the other in this process.
    - ``jobs=N > 1``: in N worker processes through joblib's ``loky`` backend, each with ``threads``
      torch threads (default 1). With ``device`` ``cuda``/``auto`` and several visible GPUs the tasks are
      dealt round-robin to them (:func:`task_devices`); ``jobs_per_gpu=K`` (instead of ``jobs``) starts
      K workers per visible GPU, so several small fits share a GPU.
    - ``scheduler``: a Dask scheduler address (``tcp://host:8786``) or a ``dask.distributed.Client``; the
      fits run on its workers through joblib's Dask backend (optional extra ``adlab[cluster]``). Every
      worker must run one thread (``dask worker --nthreads 1``; ValueError otherwise), because a fit seeds
      torch's process-wide generator. The workers load the data themselves (their ``ADLAB_DATA_DIR`` or
      cache); only task names and settings go through the scheduler.

    Whatever the executor, each fit is :func:`fit_task`, so rows are identical to a ``jobs=1`` run (same
    seeds, same scores on the CPU; timings and ``finished_at`` differ). Rows are appended by this
    (parent) process only, one ``write`` per finished fit, in the order fits finish — a crash or Ctrl-C
    never leaves a torn row, and rerunning skips every finished row (matched on :data:`KEY`).

    ``where_supported`` holds run-wide hyper-parameters given to every detector that has them (e.g.
    ``{"max_steps_per_epoch": 200}``); each row's ``params`` column records what its fit used. Resuming
    matches rows on :data:`KEY` only, so rows already in the CSV are kept even if they were computed with
    other run-wide settings — use a new ``out_csv`` when a setting changes results.

    ``on_error="record"`` writes a row with ``status="error"`` and the exception message (also a worker's)
    and goes on; ``"raise"`` re-raises it (the rows finished before stay in the CSV, so a rerun resumes).
    ``make_detector`` defaults to :func:`adlab.models.registry.make_detector` (a hook for tests; it must be
    picklable for workers).
    """
    if on_error not in ("record", "raise"):
        raise ValueError(f"on_error must be 'record' or 'raise', got {on_error!r}")
    if threads is not None and (isinstance(threads, bool) or int(threads) != threads or threads < 1):
        raise ValueError(f"threads must be a positive integer, got {threads!r}")
    jobs = n_workers(jobs, jobs_per_gpu, device, scheduler)
    out_csv = Path(out_csv)
    out_csv.parent.mkdir(parents=True, exist_ok=True)
    done = finished_keys(read_results(out_csv))
    todo = [t for t in tasks if t.key() not in done]
    log = log or (lambda msg: None)
    log(f"{len(tasks)} tasks, {len(tasks) - len(todo)} already in {out_csv}, {len(todo)} to run")
    if not todo:
        return read_results(out_csv)

    kwargs = dict(max_samples=max_samples, where_supported=where_supported, make_detector=make_detector,
                  on_error=on_error)
    bar = _Progress(len(tasks), len(tasks) - len(todo), progress)
    client = owned = None
    try:
        if scheduler is None and jobs == 1:
            def results():
                for i, task in enumerate(todo):
                    bar.set_running(1, task)
                    yield i, fit_task(task, device=device, threads=threads, **kwargs)
            capacity = 1
        else:
            from joblib import Parallel, delayed, parallel_config

            if scheduler is not None:
                client, owned = _connect(scheduler)
                nthreads = client.nthreads()
                if not nthreads:
                    raise ValueError(f"the Dask cluster at {client.scheduler.address} has no workers")
                if max(nthreads.values()) > 1:
                    raise ValueError("every Dask worker must run one thread (dask worker --nthreads 1 --nworkers N): "
                                     "a fit seeds torch's process-wide generator, so two fits in threads of one "
                                     f"process would not be reproducible; workers have {sorted(set(nthreads.values()))}")
                capacity = sum(nthreads.values())
                config = parallel_config(backend="dask", client=client)
                devices = [device] * len(todo)  # each Dask worker uses its own (visible) GPU
                log(f"Dask cluster {client.scheduler.address}: {len(nthreads)} workers"
                    + (f" (jobs={jobs} ignored: the cluster's workers set the parallelism)" if jobs > 1 else ""))
            else:
                capacity = jobs
                if _STARTED.get("jobs") == jobs:
                    worker_facts()  # the warm-up calls must finish before the grid's Parallel call starts
                config = parallel_config(backend="loky", n_jobs=jobs)
                devices = task_devices(len(todo), device, jobs)
            worker_threads = threads or 1

            def results():
                calls = (delayed(_fit_indexed)(i, task, device=devices[i], threads=worker_threads, **kwargs)
                         for i, task in enumerate(todo))
                with config:
                    yield from Parallel(n_jobs=min(capacity, len(todo)), return_as="generator_unordered",
                                        batch_size=1, pre_dispatch="2*n_jobs")(calls)
            bar.set_running(min(capacity, len(todo)))
        finished = 0
        for i, row in results():
            _append(out_csv, row)
            finished += 1
            if row["status"] != "ok":
                log(f"error in {row['method']} on {row['dataset']} ({row['setting']}, seed {row['seed']}): "
                    f"{row['error']}")
            bar.finished(row, min(capacity, len(todo) - finished))
    finally:
        bar.close()
        if owned:
            client.close()
    return read_results(out_csv)
