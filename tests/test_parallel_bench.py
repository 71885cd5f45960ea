"""Parallel grids: --jobs (joblib/loky worker processes) and a Dask cluster give the serial rows.

One serial run of the FAST main experiment (every method, data set ``blobs``, seed 0) is the reference;
``--jobs 2`` and a two-worker ``LocalCluster`` must reproduce its rows to the last digit (timings and
``finished_at`` aside).
"""
import os
import platform
import re
import subprocess
import sys

import pandas as pd
import pytest

from adlab.evaluation import bench
from adlab.evaluation.experiments import get_experiment
from adlab.evaluation import grid
from adlab.evaluation.grid import KEY, Task, build_tasks, read_results, run_grid

#: columns that legitimately differ between two runs of the same fit
VOLATILE = ("fit_seconds", "score_seconds", "finished_at")
FAST_MAIN = ["--experiment", "main", "--fast", "--datasets", "blobs", "--seeds", "0", "--device", "cpu", "--no-plots"]


def _comparable(df: pd.DataFrame) -> pd.DataFrame:
    cols = [c for c in df.columns if c not in VOLATILE]
    return df[cols].sort_values(list(KEY)).reset_index(drop=True)


def _table(md: str, title: str) -> str:
    """The markdown table under a ``## title`` heading of a report."""
    section = md.split(f"## {title}", 1)[1].split("\n## ", 1)[0]
    return "\n".join(line for line in section.splitlines() if line.startswith("|"))


@pytest.fixture(scope="module")
def serial(tmp_path_factory):
    out = tmp_path_factory.mktemp("serial") / "main-fast.csv"
    assert bench.main(FAST_MAIN + ["--out", str(out), "--no-progress"]) == 0
    df = read_results(out)
    assert len(df) == 9 and (df["status"] == "ok").all()
    return out


def test_jobs_2_gives_the_serial_rows_and_report_with_one_progress_bar(serial, tmp_path, capsys):
    out = tmp_path / "main-fast.csv"
    assert bench.main(FAST_MAIN + ["--out", str(out), "--jobs", "2"]) == 0
    err = capsys.readouterr().err
    pd.testing.assert_frame_equal(_comparable(read_results(out)), _comparable(read_results(serial)))
    # the report lists data sets/methods in task order although workers finish in any order
    md, ref = out.with_suffix(".md").read_text(), serial.with_suffix(".md").read_text()
    assert _table(md, "AUC-PR") == _table(ref, "AUC-PR") and _table(md, "AUC-ROC") == _table(ref, "AUC-ROC")
    assert "2 loky worker processes" in md
    # the machine line comes from the workers (started before the grid was built), not from the parent
    assert re.search(r"torch threads 1 in each of 2 worker processes\); GPU \S+.*torch \d", md)
    # one bar with finished / failed / running counts
    assert re.search(r"9/9 \[.*ok 9, failed 0, running 0", err)
    assert "running 2" in err
    # the run ended its loky workers itself instead of leaving them to be joined at interpreter exit
    from joblib.externals.loky import reusable_executor
    assert reusable_executor._executor is None or reusable_executor._executor._flags.shutdown
    # resuming finds nothing to do
    assert bench.main(FAST_MAIN + ["--out", str(out), "--jobs", "2", "--no-progress"]) == 0
    assert len(read_results(out)) == 9


def test_a_worker_exception_becomes_a_failed_row_and_is_retried(tmp_path):
    unseen = get_experiment("unseen").settings[0]  # needs anomaly groups, which blobs has none of
    main = get_experiment("main").settings[0]
    tasks = [Task("main", main, "IsolationForest", "blobs", 0, "mnpwad", True),
             Task("unseen", unseen, "IsolationForest", "blobs", 0, "mnpwad", True),
             Task("main", main, "IsolationForest", "blobs", 1, "mnpwad", True)]
    out = tmp_path / "r.csv"
    df = run_grid(tasks, out, device="cpu", progress=False, jobs=2)
    assert sorted(df["status"]) == ["error", "ok", "ok"]
    failed = df[df["status"] == "error"].iloc[0]
    assert failed["setting"] == "seen=local" and "needs anomaly groups" in failed["error"]
    assert failed["error"].startswith("ValueError")
    df = run_grid(tasks, out, device="cpu", progress=False, jobs=2)  # the failed task is tried again
    assert len(df) == 4 and (df["status"] == "error").sum() == 2
    with pytest.raises(ValueError, match="needs anomaly groups"):  # --on-error raise re-raises a worker's error
        run_grid(tasks, out, device="cpu", progress=False, jobs=2, on_error="raise")


def test_bad_parallel_options_are_rejected_with_clear_messages(tmp_path, capsys):
    out = str(tmp_path / "x.csv")
    assert bench.main(FAST_MAIN + ["--out", out, "--jobs", "0"]) == 2
    assert "--jobs must be >= 1" in capsys.readouterr().err
    assert bench.main(FAST_MAIN + ["--out", out, "--jobs", "2", "--jobs-per-gpu", "2"]) == 2
    assert "--jobs-per-gpu" in capsys.readouterr().err
    tasks = build_tasks(get_experiment("main"), ["IsolationForest"], ["blobs"], [0], "mnpwad", True)
    with pytest.raises(ValueError, match="jobs_per_gpu needs device 'cuda'"):
        run_grid(tasks, tmp_path / "y.csv", device="cpu", jobs_per_gpu=2)
    with pytest.raises(ValueError, match="jobs must be a positive integer"):
        run_grid(tasks, tmp_path / "y.csv", device="cpu", jobs=-1)


def test_dask_local_cluster_gives_the_serial_rows(serial, tmp_path, capsys):
    distributed = pytest.importorskip("dask.distributed")
    # processes=True: each worker is its own process, as on a real cluster. A fit seeds torch's
    # process-wide generator, so two fits in threads of one process (processes=False) could interleave.
    import dask

    with dask.config.set({"distributed.worker.profile.enabled": False}), \
            distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                                     dashboard_address=None) as cluster:
        out = tmp_path / "main-fast.csv"
        assert bench.main(FAST_MAIN + ["--out", str(out), "--scheduler", cluster.scheduler_address]) == 0
    err = capsys.readouterr().err
    pd.testing.assert_frame_equal(_comparable(read_results(out)), _comparable(read_results(serial)))
    assert re.search(r"9/9 \[.*ok 9, failed 0, running 0", err)
    md = out.with_suffix(".md").read_text()
    assert f"Dask cluster at {cluster.scheduler_address}" in md
    # the workers were warmed up before the grid and reported the machine facts
    assert "torch threads 1 in each of 2 worker processes" in md
    if platform.libc_ver()[0] == "glibc":  # the Nanny's MALLOC_TRIM_THRESHOLD_ was undone in each worker
        assert "glibc malloc thresholds restored in 2 of them" in md
    # and the run's client was closed afterwards
    assert grid._STARTED == {}


def test_dask_workers_with_several_threads_are_refused(tmp_path):
    distributed = pytest.importorskip("dask.distributed")
    tasks = build_tasks(get_experiment("main"), ["IsolationForest"], ["blobs"], [0], "mnpwad", True)
    with distributed.LocalCluster(n_workers=1, threads_per_worker=2, processes=False,  # in-process, no network
                                  dashboard_address=None) as cluster, distributed.Client(cluster) as client:
        with pytest.raises(ValueError, match="one thread"):
            run_grid(tasks, tmp_path / "r.csv", device="cpu", progress=False, scheduler=client)
    assert not (tmp_path / "r.csv").exists()


def test_gpu_fits_are_dealt_round_robin_and_jobs_per_gpu_counts_workers(monkeypatch):
    monkeypatch.setattr(grid, "_gpu_count", lambda: 2)  # pretend two GPUs are visible
    assert grid.task_devices(5, "cuda", n_jobs=4) == ["cuda:0", "cuda:1", "cuda:0", "cuda:1", "cuda:0"]
    assert grid.task_devices(3, "auto", n_jobs=2) == ["cuda:0", "cuda:1", "cuda:0"]
    assert grid.task_devices(3, "cuda:1", n_jobs=4) == ["cuda:1"] * 3  # an explicit GPU pins every fit
    assert grid.task_devices(3, "cuda", n_jobs=1) == ["cuda"] * 3      # one worker: as before
    assert grid.task_devices(2, "cpu", n_jobs=4) == ["cpu", "cpu"]
    assert grid.n_workers(None, 3, "cuda") == 6 and grid.n_workers(None, 1, "auto") == 2
    assert grid.n_workers(4, None, "cpu") == 4 and grid.n_workers(None, None, "cpu") == 1
    with pytest.raises(ValueError, match="needs device 'cuda'"):
        grid.n_workers(None, 2, "cuda:0")
    with pytest.raises(ValueError, match="not with them"):
        grid.n_workers(2, 2, "cuda")
    monkeypatch.setattr(grid, "_gpu_count", lambda: 0)
    with pytest.raises(ValueError, match="needs a visible GPU"):
        grid.n_workers(None, 2, "cuda")
    monkeypatch.setattr(grid, "_gpu_count", lambda: 1)
    assert grid.task_devices(3, "cuda", n_jobs=2) == ["cuda"] * 3    # one GPU: nothing to deal


def test_the_parent_of_a_parallel_run_lists_and_resolves_detectors_without_importing_torch():
    """What the parent does before its workers start must stay light (workers start ~3 s sooner)."""
    import subprocess
    import sys

    code = ("import sys\n"
            "from adlab.evaluation import bench, grid\n"
            "from adlab.evaluation.experiments import resolve_methods\n"
            "from adlab.config import is_fast\n"
            "assert len(resolve_methods(['mnpwad', 'IsolationForest'])) == 2\n"
            "heavy = sorted(m for m in ('torch', 'sklearn', 'scipy.stats') if m in sys.modules)\n"
            "assert not heavy, heavy\n")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr[-2000:]


def test_worker_facts_unpickle_without_torch_so_the_parent_never_imports_it():
    """The warm-up's facts travel back to the parent; a ``torch.__version__`` (a ``TorchVersion``) among them
    made the parent import torch (~2 s of CPU) before the grid could start."""
    import pickle

    facts = grid._warm_worker(1)
    assert all(type(v) in (str, int, float, bool) for v in facts.values()), {k: type(v) for k, v in facts.items()}
    assert b"torch_version" not in pickle.dumps(facts)


def test_joblib_calls_inside_a_fit_run_sequentially_whatever_the_outer_backend():
    """Under joblib's Dask backend a nested Parallel (e.g. scikit-learn's IsolationForest) would become
    cluster tasks; inside fit_task it must run in the worker itself."""
    from joblib import parallel_config
    from joblib.parallel import get_active_backend

    from adlab.models.registry import make_detector

    seen = []

    def probing_make_detector(name, **params):
        det = make_detector(name, **params)
        fit = det.fit

        def fit_and_probe(X, y=None, *args, **kwargs):
            seen.append(type(get_active_backend()[0]).__name__)
            return fit(X, y, *args, **kwargs)

        det.fit = fit_and_probe
        return det

    task = build_tasks(get_experiment("main"), ["IsolationForest"], ["blobs"], [0], "mnpwad", True)[0]
    with parallel_config(backend="threading", n_jobs=2):
        row = grid.fit_task(task, device="cpu", make_detector=probing_make_detector, on_error="raise")
    assert row["status"] == "ok" and seen == ["SequentialBackend"]


_PAGE_FAULTS = """
import resource, sys
import numpy as np
from adlab.evaluation.grid import _undo_malloc_trim_threshold
changed = _undo_malloc_trim_threshold()
again = _undo_malloc_trim_threshold()
before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
for _ in range(300):
    np.ones(1 << 18)  # 2 MiB, allocated and freed: a training step's temporary tensor
print(changed, again, resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)
"""


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="glibc's allocator only")
def test_a_worker_started_with_malloc_trim_threshold_reuses_large_buffers_again():
    def run(**env):
        out = subprocess.run([sys.executable, "-c", _PAGE_FAULTS], capture_output=True, text=True, check=True,
                             env={k: v for k, v in {**os.environ, **env}.items() if v is not None})
        changed, again, faults = out.stdout.split()
        return changed == "True", again == "True", int(faults)

    changed, again, faults = run(MALLOC_TRIM_THRESHOLD_="65536")  # what Dask's Nanny sets
    assert changed and not again  # once per process
    kept, _, faults_kept = run(MALLOC_TRIM_THRESHOLD_="65536", ADLAB_KEEP_MALLOC="1")
    assert not kept
    # with the thresholds restored the 2 MiB buffers are reused; with Dask's setting each one is a fresh mmap
    assert faults_kept > 20 * max(faults, 1) and faults_kept > 300 * 100
    untouched, _, _ = run(MALLOC_TRIM_THRESHOLD_=None)
    assert not untouched
