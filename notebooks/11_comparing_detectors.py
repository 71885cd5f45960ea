# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 11 — Comparing detectors: grids, average ranks and paired Wilcoxon tests
#
# [![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/adlab-course/adlab/blob/main/notebooks/11_comparing_detectors.ipynb)
#
# | | |
# |---|---|
# | **You will** | run a small benchmark grid with `adlab`'s runner, rebuild mean ± std, average ranks and paired Wilcoxon p-values by hand, and read the repository's full main table |
# | **Prerequisites** | notebook 00 and at least one detector notebook; the Wilcoxon signed-rank test |
# | **Time** | about 30 min |
# | **Read** | Demšar, *Statistical comparisons of classifiers over multiple data sets* (JMLR 2006), the Wilcoxon signed-rank test and average ranks; MNPWAD §IV-B, RoSAS §5.2, MMNet §IV-B; the course map, notation table and glossary are in [docs/COURSE.md](../docs/COURSE.md) |
#
# Every paper in this course ends with a big table: detectors in columns, data sets in rows, AUC-PR as
# mean ± std over a few seeds, then an "average" row, sometimes an "average rank" row, and p-values of a paired
# Wilcoxon signed-rank test of the proposed method against each competitor. This notebook produces exactly that
# with `adlab`'s benchmark runner — the same code as `python -m adlab bench` — on a small grid, rebuilds the
# summary statistics by hand to see what they mean, and draws the sweep plots and a critical-difference-style
# rank summary. The last section explains how to run the full grid on a GPU and read its results.

# %%
import sys, subprocess
if "google.colab" in sys.modules:  # Colab only: install adlab without touching torch/numpy
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps",
                    "git+https://github.com/adlab-course/adlab.git@main"], check=True)

# %%
import tempfile
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from scipy.stats import wilcoxon

import adlab
from adlab.config import is_fast, resolve_device, seed_everything
from adlab.evaluation.bench import results_table, summary_tables
from adlab.evaluation.experiments import get_experiment, load_dataset
from adlab.evaluation.grid import build_tasks, run_grid
from adlab.models.registry import available_detectors
from adlab.plotting import plot_ranks, plot_sweep

FAST = is_fast()
SEED = 0
rng = seed_everything(SEED)
DEVICE = "cpu" if FAST else str(resolve_device("auto"))
print("adlab", adlab.__version__, "| FAST =", FAST, "| device:", resolve_device("auto"))
print("detectors available:", ", ".join(available_detectors()))

# %% [markdown]
# ## 1. A grid is (setting × data set × seed × method)
#
# An *experiment* (`adlab.evaluation.experiments`) lists settings — variations of the weak-split protocol or of
# hyper-parameters. The runner crosses them with methods, data sets and seeds; for each (data set, setting,
# seed) it makes one weak split (`weak_split(..., random_state=seed)`), fits every method on it with the same
# seed, and appends one row per fit to a CSV. Rerunning skips the rows already there, so a long grid can be
# interrupted and resumed.
#
# Here: the `main` experiment (MNPWAD protocol: 1 % of the training anomalies labeled, the rest contaminate the
# unlabeled set), five quick detectors, four small synthetic data sets, in the benchmark's FAST mode (fewer
# epochs). Outside FAST mode the notebook uses three seeds instead of one.

# %%
OUT = Path(tempfile.mkdtemp(prefix="adlab-bench-"))
methods = [m for m in ["IsolationForest", "DevNet", "DeepSAD", "PReNet", "SyntheticAnomalyClassifier"]
           if m in available_detectors()]
datasets = ["blobs", "rosas_toy", "synthetic-global", "synthetic-local"]
seeds = [0] if FAST else [0, 1, 2]
main = get_experiment("main")
tasks = build_tasks(main, methods, datasets, seeds, protocol="mnpwad", fast=True)
print(len(tasks), "fits; first:", tasks[0])
results = run_grid(tasks, OUT / "main.csv", device=DEVICE, progress=False)
results[["method", "dataset", "seed", "auc_pr", "auc_roc", "fit_seconds", "n_labeled"]].head(8)

# %% [markdown]
# Rerunning the same grid is free — every row is already in the CSV:

# %%
again = run_grid(tasks, OUT / "main.csv", device=DEVICE, progress=False, log=print)
assert len(again) == len(tasks)

# %% [markdown]
# ## 2. The summary, by hand
#
# 1. **Per data set**: mean (± std) of the metric over seeds.
# 2. **Average rank**: on each data set rank the methods by their mean (1 = best, ties share the average rank),
#    then average over data sets. Ranks do not let one easy data set dominate the way averaged scores do.
# 3. **Paired Wilcoxon signed-rank test** of a reference method against each other: the pairs are the per-data-set
#    means, so the test asks whether the reference is *consistently* better or worse across data sets. With
#    $n$ data sets the smallest two-sided p-value it can reach is $2/2^n$ — four data sets cannot go below 0.125;
#    the papers use 15–20.

# %%
ok = results[results["status"] == "ok"]
means = ok.pivot_table(index="dataset", columns="method", values="auc_pr", aggfunc="mean").reindex(
    index=datasets, columns=methods)
ranks_by_hand = means.rank(axis=1, ascending=False).mean()
reference = "SyntheticAnomalyClassifier" if "SyntheticAnomalyClassifier" in methods else methods[0]
p_by_hand = {m: wilcoxon(means[reference], means[m]).pvalue for m in methods if m != reference}

summary = summary_tables(results, "auc_pr", reference=reference, experiment=main, method_order=methods)
np.testing.assert_allclose(summary["mean"].to_numpy(), means.to_numpy())
np.testing.assert_allclose(summary["rank"][methods].to_numpy(), ranks_by_hand[methods].to_numpy())
for m, p in p_by_hand.items():
    np.testing.assert_allclose(summary["pvalue"][m], p)
print("hand-made means, ranks and p-values match adlab.evaluation.bench.summary_tables")
print(results_table(summary).to_markdown())

# %% [markdown]
# The same table is what `python -m adlab bench` prints and writes to `benchmarks/results/<experiment>.md`
# (with AUC-ROC too, and the command line, machine and time on top).
#
# ## 3. A critical-difference-style picture
#
# Demšar (2006) draws methods on an average-rank axis and joins those not significantly different. Here the
# comparison is the paired Wilcoxon test against one reference (as in the papers' tables): grey dots are not
# significantly different from the reference at 5 %, blue dots are.

# %%
fig, ax = plt.subplots(figsize=(7, 2.8))
plot_ranks(summary, ax=ax)
plt.show()

# %% [markdown]
# The red bar joins every method to the reference: with four data sets no p-value can go below 0.125, so no
# difference here is significant, however far apart the dots are.

# %% [markdown]
# ## 4. Sweeps
#
# The `labeled-ratio` experiment varies the share of training anomalies that are labeled, 0.5 % to 20 %
# (MNPWAD Fig. 3); `contamination` varies the anomalies hidden in the unlabeled set (MMNet Fig. 6). A sweep is
# the same runner with more settings; `plot_sweep` draws one panel per data set.

# %%
sweep_exp = get_experiment("labeled-ratio")
sweep_methods = [m for m in ["DevNet", "SyntheticAnomalyClassifier"] if m in available_detectors()]
sweep_tasks = build_tasks(sweep_exp, sweep_methods, ["synthetic-global"], seeds, protocol="mnpwad", fast=True)
sweep = run_grid(sweep_tasks, OUT / "labeled-ratio.csv", device=DEVICE, progress=False)
grid = plot_sweep(sweep, x="x", metric="auc_pr", x_label=sweep_exp.x_label, log_x=True)
grid.figure.suptitle("AUC-PR against the share of labeled training anomalies", y=1.05, fontsize=10)
plt.show()
sweep.pivot_table(index="setting", columns="method", values="n_labeled", aggfunc="first")

# %% [markdown]
# Each line is one method across the labeled ratios (one seed in FAST mode, so no confidence band): read the
# *trend* of a line, and the table of how many anomalies each setting actually labels, before comparing points.

# %% [markdown]
# ## 5. Checks
#
# Every data set has at least one method well above chance (AUC-PR's chance level is the anomaly rate of the test
# part), every method has a rank on every data set, and more labels do not make the sweep worse overall.

# %%
rates = {d: load_dataset(d).y.mean() for d in datasets}
best = summary["mean"].max(axis=1)
for d in datasets:
    assert best[d] > 2 * rates[d], (d, best[d], rates[d])
assert summary["n_complete"] == len(datasets)
k = len(methods)
assert np.isclose(summary["rank"].sum(), k * (k + 1) / 2)
by_ratio = sweep[sweep["status"] == "ok"].groupby("x")["auc_pr"].mean()
assert by_ratio.iloc[-1] >= by_ratio.iloc[0] - 0.05, by_ratio
print("checks passed")

# %% [markdown]
# ## 6. The full grid on a GPU, and reading the results
#
# The full settings (paper epochs, five seeds, every ADBench file in `ADLAB_DATA_DIR`) are a job for a GPU:
#
# ```bash
# export ADLAB_DATA_DIR=/path/to/adbench        # folder of ADBench .npz files
# python -m adlab bench --experiment main --device cuda
# python -m adlab bench --experiment labeled-ratio --device cuda --datasets pendigits thyroid cardio
# python -m adlab bench --experiment ablation-mnpwad --device cuda
# python -m adlab bench --list                  # experiments, methods, data sets
# ```
#
# * Results go to `benchmarks/results/<experiment>.csv`, one row per fit, and the report to `.md` next to it.
#   Kill the job at any time; the same command resumes where it stopped.
# * `--methods`, `--datasets`, `--seeds 0 1 2`, `--protocol rosas` narrow or change the grid;
#   `--max-samples 20000` subsamples big files (recorded in the CSV) for a quick CPU run;
#   `--max-steps-per-epoch N` overrides the default step budgets of MMNet, DeepSAD and the synthetic-anomaly
#   classifier (100, 100 and 20 steps per epoch; they bind only on large tables such as donors).
# * Next to each report the bench draws `<experiment>-ranks.png` (and `<experiment>-sweep.png` for sweeps).
#   Every full run shipped with the repository is collected in `docs/RESULTS.md`.
# * In the report, look at the **average rank** and the **p-values** before the averages: a method that wins big
#   on one data set and loses on the rest has a good average and a poor rank. A p-value above 0.05 with 4–8 data
#   sets says "not enough evidence", not "equal".
#
# The repository ships the full `main` table when it has been run (`benchmarks/results/main.md`); the next cell
# shows it if it is there.

# %%
shipped = Path(adlab.__file__).resolve().parents[1] / "benchmarks" / "results" / "main.csv"
if shipped.exists():
    full = pd.read_csv(shipped)
    full_summary = summary_tables(full, "auc_pr", experiment=main)
    print(results_table(full_summary).to_markdown())
    fig, ax = plt.subplots(figsize=(7, 3.2))
    plot_ranks(full_summary, ax=ax, title="shipped main table: average ranks")
    plt.show()
    print("the red bar joins the methods not significantly different from the reference (p ≥ 0.05); blue dots differ")
else:
    print("no shipped full results here; run `python -m adlab bench --experiment main` to make them")

# %% [markdown]
# Further left is better; grey dots are not significantly different from MNPWAD. Which methods sit at the left is
# the subject of the next cell.
#
# ### Reading the shipped main table
#
# The cell below picks out what matters for this course: where the three papers' methods (MNPWAD, RoSAS,
# MMNet) rank against the simpler weakly-supervised baselines (DevNet, PReNet, FeaWAD, DeepSAD) and the
# unsupervised Isolation Forest, and how many labeled anomalies each data set actually gives the detectors.

# %%
PAPER_METHODS = ["MNPWAD", "RoSAS", "MMNet"]
BASELINES = ["DevNet", "PReNet", "FeaWAD", "DeepSAD"]
if shipped.exists():
    ranks = full_summary["rank"].sort_values()
    print("average rank (1 = best) over", full_summary["n_complete"], "data sets:")
    print(ranks.round(2).to_string())
    print("\nlabeled anomalies per training set (median over seeds):")
    print(full[full["status"] == "ok"].groupby("dataset")["n_labeled"].median().astype(int).to_string())
    best_paper = ranks.reindex(PAPER_METHODS).dropna().min()
    best_baseline = ranks.reindex(BASELINES).dropna().min()
    print(f"\nbest average rank of a paper's method: {best_paper:.2f}; of a baseline: {best_baseline:.2f}")

# %% [markdown]
# **Reading.** In the shipped table a simple weakly-supervised baseline holds the best average rank, ahead of
# all three papers' methods (the check below fails if a regenerated table changes that). Read the p-values
# against MNPWAD in the table before the averages: with this few data sets a p-value above 0.05 is "not enough
# evidence", in either direction. Why do the baselines do so well here, when each paper reports beating them?
#
# * **The protocol gives almost no labels.** Under the MNPWAD protocol 1 % of the training anomalies are
#   labeled: the counts above are a handful, often a *single* anomaly. DevNet's deviation loss, PReNet's pairwise
#   relations and FeaWAD need little more than "these few rows score high"; the papers' models have more parts
#   (prototypes, memories, interpolation) to fit from the same scrap of supervision.
# * **Each paper tuned for its own protocol.** RoSAS and MMNet were designed and tuned with 30 labeled anomalies and
#   a controlled 2 % contamination (notebook 00); here they run off-protocol with their paper defaults.
#   MNPWAD's reference code chose its epoch on labeled validation data, which adlab's label-free fixed schedule
#   does not use.
# * **One split decides a lot.** With one labeled anomaly, how typical that row is can move AUC-PR by 0.5
#   (notebook 04); seeds average over that, but a handful of data sets is little for a ranking.
#
# So the table does not say the papers' ideas are useless — it says that under *this* protocol their advantage is
# not measurable. `docs/RESULTS.md` has the other protocols and sweeps (e.g. more labeled anomalies).

# %%
if shipped.exists():
    assert best_baseline < best_paper, "a paper's method now ranks best: update the reading above"


# %% [markdown]
# ## Takeaways
#
# * A benchmark is a grid (setting × data set × seed × method); adlab's runner writes one CSV row per fit and resumes.
# * Read average ranks and paired Wilcoxon p-values before averages; with 8 data sets a p-value cannot go below
#   $2/2^8 \approx 0.008$, and "not significant" means "not enough evidence".
# * Under the MNPWAD protocol (1 % labeled, often a single anomaly) simple baselines such as DevNet and PReNet rank
#   well: the labels carry little information, and the elaborate models have more to fit with it.
#
# **Further reading.** Demšar 2006; the main table and the sweeps in docs/RESULTS.md.
#
# **Next:** [notebook 12](12_baselines_by_hand.ipynb) builds DevNet, Deep SAD, PReNet and FeaWAD by hand; or back to
# [docs/COURSE.md](../docs/COURSE.md) for the course map and the suggested paths.

# %% [markdown]
# <!-- BEGIN section: wide tables (issue 13) -->
# ## Appendix: a large, wide table under three papers' protocols
#
# All three papers report UNSW-NB15 Backdoor (95,329 × 196). `benchmarks/fidelity_wide.py` runs the nine
# detectors with their defaults under each paper's protocol (MNPWAD: 1 % of the training anomalies labeled;
# RoSAS and MMNet: 30 labeled, 2 % contamination) and puts the number each paper prints beside each mean.
# Two things to read in it. First, **where a paper's number is reached and where not**: the same split, the
# same labels, so a detector far below its paper while others reach theirs points at the detector, not the
# data. Second, the `LogReg floor` row — a logistic regression of labeled vs unlabeled rows — is what the weak
# labels give with no deep model at all; a detector below it is not using them well. The companion
# `benchmarks/fit_scaling.py` measures the price: CPU seconds per fit from 10k to 600k rows, flat above a few ten
# thousand rows for every detector with a step budget.

# %%
results_dir = Path(adlab.__file__).resolve().parents[1] / "benchmarks" / "results"
wide_csv = results_dir / "fidelity_wide.csv"
if wide_csv.exists():
    wide = pd.read_csv(wide_csv)
    wide = wide[(wide["max_rows"].astype(str) == "full") & (wide["fast"].astype(str) == "False")]
    print(wide.pivot_table(index="method", columns="protocol", values="auc_pr", aggfunc="mean").round(3).to_markdown())
else:
    print("not produced yet: python benchmarks/fidelity_wide.py")
scaling_csv = results_dir / "fit_scaling.csv"
if scaling_csv.exists():
    sc = pd.read_csv(scaling_csv)
    print(sc[sc["status"] == "ok"].pivot_table(index="method", columns="rows", values="fit_cpu_s").round(0).to_markdown())

# %% [markdown]
# A third reading needs the authors' own code on the same splits (`benchmarks/parity_mnpwad.py` and
# `benchmarks/parity_deepod.py` run it interleaved with adlab; docs/RESULTS.md, "The authors' own implementations
# on Backdoor"). The cell below puts each public implementation beside adlab's, with the paper's number.

# %%
PAPER_BACKDOOR = {"MNPWAD": 0.870, "RoSAS": 0.877}


def authors_vs_adlab(results_dir: Path) -> pd.DataFrame:
    """Mean test AUC-PR on Backdoor of each public implementation and adlab's, on identical splits."""
    rows = []

    def add(method, implementation, ap, splits="report"):
        rows.append({"method": method, "implementation": implementation, "splits": splits, "fits": len(ap),
                     "AUC-PR": round(float(ap.mean()), 3), "paper": PAPER_BACKDOOR[method]})

    # the report splits (the authors' 2024 and seeds 1, 2) and, as a second sample, three development splits
    for csv, splits in [("parity_mnpwad_backdoor.csv", "report"), ("parity_mnpwad_dev.csv", "development")]:
        if (results_dir / csv).exists():
            d = pd.read_csv(results_dir / csv)
            d = d[d["dataset"] == "unsw_nb15_backdoor"]
            for impl, name in [("official", "the authors' code"), ("adlab", "adlab, weak labels only"),
                               ("adlab+val", "adlab, + the same validation labels")]:
                add("MNPWAD", name, d[d["impl"] == impl]["ap"], splits)
    deepod = results_dir / "parity_deepod.csv"
    if deepod.exists():
        d = pd.read_csv(deepod)
        d = d[(d["dataset"] == "backdoor") & (d["method"] == "RoSAS")]
        add("RoSAS", "DeepOD (the authors' library), its defaults", d[d["library"] == "deepod"]["auc_pr"])
        add("RoSAS", "adlab", d[d["library"] == "adlab"]["auc_pr"])
    paper_cfg = results_dir / "fidelity_rosas_backdoor.csv"
    if paper_cfg.exists():
        d = pd.read_csv(paper_cfg)
        add("RoSAS", "DeepOD, the paper's settings", d[d["method"] == "deepod_paper"]["auc_pr"])
        es = d[d["method"] == "adlab_es"]["auc_pr"]
        if len(es):
            add("RoSAS", "adlab, epoch selected on validation labels (the official code's rule)", es)
    return pd.DataFrame(rows)


side_by_side = authors_vs_adlab(results_dir)
print(side_by_side.to_markdown(index=False) if len(side_by_side) else "not produced yet: benchmarks/parity_*.py")

# %% [markdown]
# Reading: **MNPWAD** — the authors' code reaches its paper where adlab's does not. Its training is no steadier
# than adlab's (its validation AP falls by up to 0.48 from one epoch to the next, see docs/RESULTS.md); it keeps
# the best epoch on labeled validation data. adlab given the same data to pick its epoch with trails by 0.03 on
# the report splits and is level on three other (development) splits: what is left is small and depends on the
# split — an open gap in adlab's weak-label path, not a claim that fails. **RoSAS** — without validation labels
# no implementation reaches the paper, and the authors' own library stays further from it than adlab, with its
# defaults and with the paper's settings. With the official code's hidden rule — keep the epoch that scores best
# on a labelled validation split — adlab's RoSAS comes within 0.01 of the paper on the same splits: RoSAS learns
# Backdoor within its first epochs and then memorises its 30 labels, so the paper's 0.877 is a *selected* epoch.
# **MMNet** has no public code; its Backdoor gap can only be read against the paper. A gap to a paper means little
# until the authors' code has been run beside it.
# <!-- END section: wide tables (issue 13) -->
