"""The benchmark suite: grid runner, resume, name checks, and the markdown report."""
import numpy as np
import pandas as pd
import pytest

from adlab.evaluation import bench
from adlab.evaluation.experiments import (EXPERIMENTS, detector_params, get_experiment, load_dataset,
                                          resolve_datasets, resolve_methods)
from adlab.evaluation.grid import KEY, build_tasks, read_results, run_grid
from adlab.evaluation.metrics import paired_wilcoxon
from adlab.models.registry import available_detectors, make_detector

METHODS = ["IsolationForest", "DevNet"]


def _tasks(seeds=(0, 1)):
    return build_tasks(get_experiment("main"), METHODS, ["blobs"], list(seeds), "custom", fast=True)


class CountingFactory:
    """make_detector hook: counts fits, can fail on the n-th call, and keeps DevNet tiny."""

    def __init__(self, fail_on: int | None = None):
        self.calls = []
        self.fail_on = fail_on

    def __call__(self, name, **params):
        self.calls.append((name, params["random_state"]))
        if self.fail_on is not None and len(self.calls) == self.fail_on:
            raise RuntimeError("simulated crash")
        if name == "DevNet":
            params.update(epochs=2, steps_per_epoch=5, batch_size=64)
        return make_detector(name, **params)


@pytest.fixture(autouse=True)
def _custom_split_has_labels(monkeypatch):
    # protocol "custom" needs a labeled count; give the main setting one for these tiny grids
    from adlab.evaluation import experiments

    monkeypatch.setitem(experiments.EXPERIMENTS, "main", experiments.Experiment(
        "main", "test", (experiments.Setting("default", split={"n_labeled": 5}),), reference="IsolationForest"))


def test_grid_writes_one_ok_row_per_task_with_metrics(tmp_path):
    out = tmp_path / "r.csv"
    df = run_grid(_tasks(), out, device="cpu", progress=False, make_detector=CountingFactory())
    assert len(df) == 4 and (df["status"] == "ok").all()
    assert set(df["method"]) == set(METHODS) and set(df["seed"]) == {0, 1}
    assert df["auc_pr"].between(0, 1 + 1e-9).all() and df["auc_roc"].between(0, 1 + 1e-9).all()
    assert (df["n_labeled"] == 5).all()
    iforest = df[df["method"] == "IsolationForest"]["auc_roc"]
    assert iforest.min() > 0.8  # blobs: scattered anomalies are easy for an isolation forest


def test_rerun_recomputes_only_the_deleted_rows(tmp_path):
    out = tmp_path / "r.csv"
    run_grid(_tasks(), out, device="cpu", progress=False, make_detector=CountingFactory())
    df = read_results(out)
    df.drop(index=[1, 2]).to_csv(out, index=False)
    deleted = {(r.method, int(r.seed)) for r in df.loc[[1, 2]].itertuples()}
    factory = CountingFactory()
    again = run_grid(_tasks(), out, device="cpu", progress=False, make_detector=factory)
    assert set(factory.calls) == deleted
    assert len(again) == 4 and not again.duplicated(list(KEY)).any()


def test_a_crash_mid_grid_keeps_finished_rows_and_the_rerun_resumes(tmp_path):
    out = tmp_path / "r.csv"
    with pytest.raises(RuntimeError, match="simulated crash"):
        run_grid(_tasks(), out, device="cpu", progress=False, on_error="raise", make_detector=CountingFactory(fail_on=3))
    assert len(read_results(out)) == 2
    factory = CountingFactory()
    df = run_grid(_tasks(), out, device="cpu", progress=False, make_detector=factory)
    assert len(factory.calls) == 2
    assert len(df) == 4 and (df["status"] == "ok").all()


def test_failures_are_recorded_then_retried(tmp_path):
    out = tmp_path / "r.csv"
    df = run_grid(_tasks(seeds=(0,)), out, device="cpu", progress=False, make_detector=CountingFactory(fail_on=1))
    assert (df["status"] == "error").sum() == 1 and "simulated crash" in df.loc[df["status"] == "error", "error"].iloc[0]
    factory = CountingFactory()
    df = run_grid(_tasks(seeds=(0,)), out, device="cpu", progress=False, make_detector=factory)
    assert len(factory.calls) == 1 and (df["status"] == "ok").sum() == 2


def test_unknown_names_raise_value_errors_naming_them():
    with pytest.raises(ValueError, match="'NoSuchNet'"):
        resolve_methods(["DevNet", "NoSuchNet"])
    with pytest.raises(ValueError, match="'no-such-data'"):
        resolve_datasets(["blobs", "no-such-data"])
    with pytest.raises(ValueError, match="unknown experiment"):
        get_experiment("nope")
    assert resolve_methods(["devnet", "DevNet"]) == ["DevNet"]
    assert resolve_datasets(["Blobs", "28_pendigits"]) == ["blobs", "pendigits"]


def test_cli_exits_with_code_2_on_bad_names(tmp_path, capsys):
    assert bench.main(["--methods", "NoSuchNet", "--out", str(tmp_path / "x.csv")]) == 2
    assert "NoSuchNet" in capsys.readouterr().err
    assert bench.main(["--datasets", "nope", "--fast", "--out", str(tmp_path / "x.csv")]) == 2
    assert "nope" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exc:
        bench.main(["--experiment", "nope"])
    assert exc.value.code == 2


def test_cli_runs_a_tiny_grid_and_writes_ranks_and_pvalues(tmp_path, capsys):
    out = tmp_path / "tiny.csv"
    argv = ["--experiment", "main", "--methods", "IsolationForest", "DeepSAD", "--datasets", "blobs",
            "synthetic-global", "--seeds", "0", "--fast", "--device", "cpu", "--out", str(out), "--no-progress",
            "--reference", "IsolationForest"]
    assert bench.main(argv) == 0
    printed = capsys.readouterr().out
    assert "Avg. rank" in printed and "p-value vs IsolationForest" in printed
    md = out.with_suffix(".md").read_text()
    assert "## AUC-PR" in md and "## AUC-ROC" in md and "Avg. rank" in md and "p-value vs IsolationForest" in md
    assert "python -m adlab bench --experiment main" in md and "machine" in md
    assert "![tiny-ranks](tiny-ranks.png)" in md and (tmp_path / "tiny-ranks.png").stat().st_size > 1000
    assert len(read_results(out)) == 4
    assert bench.main(argv) == 0  # resumes: nothing left to fit
    assert len(read_results(out)) == 4


def test_adlab_cli_forwards_bench_arguments(capsys):
    from adlab.cli import main

    assert main(["bench", "--list"]) == 0
    out = capsys.readouterr().out
    assert "labeled-ratio" in out and "DevNet" in out and "blobs" in out


def _fake_results(arms, cases, values, arm_col="method"):
    rows = []
    for (case, arm), v in zip([(c, a) for c in cases for a in arms], values):
        rows.append({"experiment": "main", "setting": "default" if arm_col == "method" else arm,
                     "method": arm if arm_col == "method" else "M", "dataset": case, "seed": 0,
                     "auc_pr": v, "auc_roc": v, "status": "ok", "fit_seconds": 1.0})
    return pd.DataFrame(rows)


def test_summary_ranks_and_wilcoxon_are_computed_across_data_sets():
    cases = ["d1", "d2", "d3", "d4", "d5", "d6"]
    rng = np.random.default_rng(0)
    a = rng.uniform(0.6, 0.9, size=6)
    b = a - rng.uniform(0.05, 0.1, size=6)          # always worse than A
    c = a + 0.02 * np.array([1, -1, 1, -1, 1, -1])  # mixed
    values = np.stack([a, b, c], axis=1).reshape(-1)
    s = bench.summary_tables(_fake_results(["A", "B", "C"], cases, values), reference="A")
    assert s["arm"] == "method" and s["reference"] == "A"
    assert s["rank"]["B"] == 3.0
    assert s["rank"]["A"] == pytest.approx(np.mean([2, 1, 2, 1, 2, 1]))
    assert s["pvalue"]["B"] == pytest.approx(paired_wilcoxon(a, b))
    assert s["pvalue"]["B"] < 0.05 and s["pvalue"]["C"] > 0.5
    table = bench.results_table(s)
    assert list(table.index[-3:]) == ["Average", "Avg. rank", "p-value vs A"]


def test_single_method_experiments_compare_settings():
    df = _fake_results(["full", "w/o X"], ["d1", "d2"], [0.9, 0.8, 0.7, 0.6], arm_col="setting")
    s = bench.summary_tables(df, experiment=get_experiment("ablation-mnpwad"))
    assert s["arm"] == "setting" and s["reference"] == "full"
    assert s["rank"]["full"] == 1.0


def test_every_experiment_setting_names_real_hyperparameters():
    available = set(available_detectors())
    for exp in EXPERIMENTS.values():
        methods = exp.methods or available
        for setting in exp.settings:
            for method in (setting.methods or methods):
                if method in available:
                    detector_params(method, setting.params, fast=True)  # raises on an unknown parameter


def test_detector_params_rejects_unknown_overrides():
    with pytest.raises(ValueError, match="no hyper-parameter 'wings'"):
        detector_params("DevNet", {"wings": 2})
    assert detector_params("DevNet", None, fast=True) == {"epochs": 10}
    assert detector_params("IsolationForest", None, fast=False) == {}


def test_setting_restrictions_limit_the_tasks():
    exp = get_experiment("unseen")
    tasks = build_tasks(exp, ["DevNet"], ["synthetic-mixed", "digits-classes"], [0], "mnpwad", fast=True)
    by_data = {t.dataset: {x.setting.name for x in tasks if x.dataset == t.dataset} for t in tasks}
    assert by_data["synthetic-mixed"] == {"seen=local", "seen=global", "seen=dependency", "seen=clustered"}
    assert all(name.startswith("seen=digit") for name in by_data["digits-classes"])


def test_synthetic_datasets_load_and_subsample_stratified():
    d = load_dataset("digits-classes")
    assert d.groups is not None and set(d.groups[d.y == 1]) == {"digit6", "digit7", "digit8", "digit9"}
    full = load_dataset("rosas_toy")
    small = load_dataset("rosas_toy", max_samples=500)
    assert len(small.y) <= 501
    assert abs(small.y.mean() - full.y.mean()) < 0.01


# ----------------------------------------------------------------------------- plotting
def test_plots_draw_score_maps_pr_curves_sweeps_and_ranks():
    import matplotlib.pyplot as plt

    from adlab import plotting
    from adlab.models.baselines import IsolationForest

    d = load_dataset("blobs")
    det = IsolationForest(n_estimators=20, random_state=0).fit(d.X)
    ax, cs = plotting.plot_score_map(det, d.X, d.y, y_weak=d.y * 0, resolution=30)
    assert len(ax.collections) >= 2
    xx, yy, zz = plotting.score_grid(det.decision_function, d.X, resolution=20)
    assert zz.shape == (20, 20) and np.isfinite(zz).all()
    with pytest.raises(ValueError, match="2-D data"):
        plotting.score_grid(det.decision_function, np.zeros((5, 3)))
    fig = plotting.plot_score_maps({"a": det, "b": (det, None, d.X[:5])}, d.X, d.y, resolution=20)
    assert len(fig.axes) >= 2
    ax = plotting.plot_pr_curves(d.y, {"iforest": det.decision_function(d.X)})
    assert "AP" in ax.get_legend().get_texts()[0].get_text()
    sweep = pd.DataFrame({"x": [0.01, 0.1] * 4, "auc_pr": np.linspace(0.2, 0.9, 8), "method": ["A"] * 4 + ["B"] * 4,
                          "dataset": ["d1", "d1", "d2", "d2"] * 2, "status": "ok"})
    grid = plotting.plot_sweep(sweep, x_label="ratio", log_x=True)
    assert len(grid.axes.ravel()) == 2
    s = bench.summary_tables(_fake_results(["A", "B", "C"], ["d1", "d2", "d3"], np.arange(9) / 10.0), reference="A")
    ax = plotting.plot_ranks(s)
    assert "reference" in " ".join(t.get_text() for t in ax.texts)
    plt.close("all")


def test_sweep_experiments_save_a_sweep_plot_next_to_the_report(tmp_path):
    exp = get_experiment("labeled-ratio")
    rows = [dict(experiment=exp.name, setting=st.name, method=m, dataset=d, seed=seed, protocol="mnpwad", fast=True,
                 x=st.x, auc_pr=0.1 + st.x + 0.05 * (m == "MNPWAD") + 0.01 * seed, auc_roc=0.6, fit_seconds=1.0,
                 score_seconds=0.1, status="ok")
            for st in exp.settings for m in ("MNPWAD", "DevNet") for d in ("blobs", "synthetic-global")
            for seed in (0, 1)]
    written = bench.save_figures(pd.DataFrame(rows), exp, tmp_path / "labeled-ratio")
    assert [p.name for p in written] == ["labeled-ratio-sweep.png", "labeled-ratio-ranks.png"]
    assert all(p.stat().st_size > 1000 for p in written)
    assert bench.save_figures(pd.DataFrame(rows).assign(status="error"), exp, tmp_path / "none") == []
