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
# # 00 — The weakly-supervised setting: a few labeled anomalies and a contaminated unlabeled set
#
# [![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/adlab-course/adlab/blob/main/notebooks/00_weak_supervision.ipynb)
#
# | | |
# |---|---|
# | **You will** | build a weak split by hand and check it against `adlab.data.weak_split`; compare the three papers' protocols on real data; meet ADBench's four anomaly types; define AUC-PR (with its precision-recall curve) next to AUC-ROC |
# | **Prerequisites** | NumPy, pandas and scikit-learn basics (stratified splits, a fitted estimator's scores); no paper yet |
# | **Time** | about 30 min |
# | **Read** | MNPWAD §IV-A (experimental setup); RoSAS §5.1; MMNet §IV-A; ADBench (Han et al., NeurIPS 2022), its section on the anomaly types; the course map, notation table and glossary are in [docs/COURSE.md](../docs/COURSE.md) |
#
# Every method in this course (MNPWAD, RoSAS, MMNet) learns from the same kind of data:
#
# * an **unlabeled set** $\mathcal{D}_u$ — mostly normal rows, but with some anomalies hidden in it
#   (the **contamination**: the share of anomalies in $\mathcal{D}_u$);
# * a **handful of labeled anomalies** $\mathcal{D}_l$ — tens of rows, or even a single one;
# * no labeled normals.
#
# In adlab's arrays this is one matrix `X_train` and a weak label vector `y_train`: `1` = labeled anomaly,
# `0` = unlabeled (which may be an anomaly we are not told about). The evaluation uses held-out rows with
# their *true* labels.
#
# The three papers turn a fully labelled benchmark data set into this setting in three different ways (their
# **protocols**), and the numbers they report depend on it. This notebook builds a weak split by hand, checks
# it against `adlab.data.weak_split`, compares the three protocols side by side on real data (ADBench
# Pendigits) and on the 2-D data of MNPWAD's Fig. 5, shows the four ADBench anomaly types, and ends with
# an Isolation Forest baseline scored with AUC-PR.

# %%
import sys, subprocess
if "google.colab" in sys.modules:  # Colab only: install adlab without touching torch/numpy
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps",
                    "git+https://github.com/adlab-course/adlab.git@main"], check=True)

# %%
import math

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

import adlab
from adlab.config import is_fast, resolve_device, seed_everything
from adlab.data import (inject_anomalies, load_adbench, make_multimodal_blobs, weak_split)
from adlab.data.protocol import PROTOCOLS, contamination_target, inject_feature_swap
from adlab.evaluation.metrics import evaluate
from adlab.models.baselines import IsolationForest

FAST = is_fast()
SEED = 0
rng = seed_everything(SEED)
print("adlab", adlab.__version__, "| FAST =", FAST, "| device:", resolve_device("auto"))

# %% [markdown]
# ## 1. A weak split by hand, on MNPWAD's multi-modal blobs
#
# MNPWAD's Fig. 5 uses three Gaussian clusters of normals and a few anomalies scattered uniformly over the
# plane. `make_multimodal_blobs` draws such a data set, with ground-truth labels `y` (1 = anomaly).

# %%
n_normal = 600 if FAST else 1500
X_blob, y_blob = make_multimodal_blobs(n_normal=n_normal, n_anomaly=n_normal // 15, random_state=SEED)
print(X_blob.shape, "anomalies:", y_blob.sum(), f"({y_blob.mean():.1%})")

# %% [markdown]
# Now the MNPWAD protocol, step by step, in plain NumPy:
#
# 1. split every class separately into train / test / validation = 60 % / 35 % / 5 % (*stratified*, so every
#    part has the same anomaly rate): per class of size $m$, $\lceil 0.4m \rceil$ rows leave the training part
#    and $\lceil 0.125 \cdot \lceil 0.4m \rceil\rceil$ of those form the validation part;
# 2. label $\lceil 1\% \times \text{#train anomalies}\rceil$ of the training anomalies, chosen at random;
# 3. every other training anomaly stays **unlabeled**: the natural contamination.

# %%
def mnpwad_counts_by_hand(y):
    """Per-part counts of the MNPWAD protocol computed from the formulas alone."""
    out = {}
    for label in (0, 1):
        m = int((y == label).sum())
        n_rest = math.ceil(0.40 * m - 1e-9)
        n_val = math.ceil(0.05 / 0.40 * n_rest - 1e-9)
        out[label] = {"train": m - n_rest, "val": n_val, "test": n_rest - n_val}
    n_train_anom = out[1]["train"]
    n_labeled = min(math.ceil(0.01 * n_train_anom), n_train_anom)
    return out, n_labeled


hand, hand_labeled = mnpwad_counts_by_hand(y_blob)
hand

# %%
split_blob = weak_split(X_blob, y_blob, protocol="mnpwad", random_state=SEED)
rec = split_blob.record
print({k: rec[k] for k in ("n_train", "n_val", "n_test", "n_labeled", "n_unlabeled_anomalies",
                           "contamination_achieved")})
split_blob.counts()

# %% [markdown]
# The adlab split agrees with the formulas, and the contamination is what we can count ourselves from the
# hidden ground truth `y_train_true` of the training rows:

# %%
c = split_blob.counts()
assert c.loc["train", "normal"] == hand[0]["train"]
assert c.loc["train", "labeled anomaly"] + c.loc["train", "unlabeled anomaly"] == hand[1]["train"]
assert c.loc["train", "labeled anomaly"] == hand_labeled
assert (c.loc["val", "normal"], c.loc["val", "anomaly"]) == (hand[0]["val"], hand[1]["val"])
assert (c.loc["test", "normal"], c.loc["test", "anomaly"]) == (hand[0]["test"], hand[1]["test"])

unlabeled = split_blob.y_train == 0
contamination_by_hand = split_blob.y_train_true[unlabeled].mean()
np.testing.assert_allclose(contamination_by_hand, rec["contamination_achieved"])
# labeled anomalies are real anomalies, and no original row is in two parts
assert (split_blob.y_train_true[split_blob.y_train == 1] == 1).all()
parts = [split_blob.idx_train, split_blob.idx_val, split_blob.idx_test]
assert len(np.unique(np.concatenate(parts))) == sum(map(len, parts))
print(f"contamination of the unlabeled set: {contamination_by_hand:.2%}")

# %% [markdown]
# What a detector actually "sees": a single red star (the labeled anomaly) and grey points. The black crosses
# are the anomalies hidden in the unlabeled set — the contamination a robust method must cope with. The
# coordinates are min-max scaled with a scaler fit on the training rows only.

# %%
s = split_blob
hidden = (s.y_train == 0) & (s.y_train_true == 1)
fig, axes = plt.subplots(1, 2, figsize=(11, 4.5), sharex=True, sharey=True)
ax = axes[0]
ax.scatter(*s.X_train[s.y_train_true == 0].T, s=6, c="tab:blue", alpha=0.4, label="normal (unlabeled)")
ax.scatter(*s.X_train[hidden].T, s=30, marker="x", c="k", label="hidden anomaly (unlabeled)")
ax.scatter(*s.X_train[s.y_train == 1].T, s=160, marker="*", c="tab:red", edgecolor="k", label="labeled anomaly")
ax.set_title("training part: ground truth of the rows")
ax.legend(loc="lower right", fontsize=8)
axes[1].scatter(*s.X_train[s.y_train == 0].T, s=6, c="0.6", label="unlabeled")
axes[1].scatter(*s.X_train[s.y_train == 1].T, s=160, marker="*", c="tab:red", edgecolor="k", label="labeled anomaly")
axes[1].set_title("training part: what the detector is told")
axes[1].legend(loc="lower right", fontsize=8)
for a in axes:
    a.set_xlabel("feature 1 (min-max scaled)")
axes[0].set_ylabel("feature 2 (min-max scaled)")
plt.tight_layout()
plt.show()

# %% [markdown]
# On the right the hidden anomalies are grey dots like every normal row: from one labeled star, a detector has
# to work out that the scattered points between the clusters are anomalies too.

# %% [markdown]
# ## 2. Contamination control and injected anomalies (RoSAS, MMNet)
#
# RoSAS and MMNet fix the contamination instead of keeping the natural one: the unlabeled set must hold
# $c = 2\%$ anomalies, i.e. $\operatorname{round}(n_{\text{normal}}\, c/(1-c))$ of them. Surplus anomalies are
# removed; when too few real ones are left after labeling 30, new ones are **injected**: a copy of a random
# training anomaly with 5 % of its features (at least one) taken from another training anomaly.
#
# By hand, with an explicit loop, using the same random draws as adlab's vectorised version:

# %%
def feature_swap_by_hand(donors, n, rng, swap_fraction=0.05):
    m, d = donors.shape
    k = min(d, max(1, round(swap_fraction * d)))
    first = rng.integers(0, m, size=n)                      # the anomaly we copy
    second = (first + rng.integers(1, m, size=n)) % m       # another one, never the same
    order = np.argsort(rng.random((n, d)), axis=1)          # a random feature order per row
    rows = []
    for i in range(n):
        row = donors[first[i]].copy()
        for j in order[i, :k]:
            row[j] = donors[second[i], j]
        rows.append(row)
    return np.array(rows)


donors = np.random.default_rng(1).normal(size=(6, 40))
by_hand = feature_swap_by_hand(donors, 5, np.random.default_rng(2))
np.testing.assert_allclose(by_hand, inject_feature_swap(donors, 5, np.random.default_rng(2)))
changed = [int((~np.isclose(r[None], donors)).sum(1).min()) for r in by_hand]
print("features changed per injected row (d = 40):", changed,
      "| injected rows needed for 1000 normals at 2 %:", contamination_target(1000, 0.02))
assert changed == [2] * 5  # round(0.05 * 40)

# %% [markdown]
# ## 3. The three protocols side by side on ADBench Pendigits
#
# Pendigits has 6,870 rows, 16 features and 156 anomalies (2.27 %). The same data give quite different
# training sets:

# %%
X_pen, y_pen = load_adbench("pendigits")
print(X_pen.shape, "anomalies:", y_pen.sum())

splits = {p: weak_split(X_pen, y_pen, protocol=p, random_state=SEED) for p in ("mnpwad", "rosas", "mmnet")}
keys = ["split", "n_train", "n_val", "n_test", "n_labeled", "n_unlabeled_anomalies", "contamination_achieved",
        "n_removed", "n_injected", "n_test_anomalies"]
records = pd.DataFrame({p: {k: sp.record[k] for k in keys} for p, sp in splits.items()})
records

# %%
fig, axes = plt.subplots(1, 3, figsize=(13, 3.8), sharey=True)
colors = {"normal": "tab:blue", "unlabeled anomaly": "k", "labeled anomaly": "tab:red", "anomaly": "tab:orange"}
for ax, (p, sp) in zip(axes, splits.items()):
    counts = sp.counts()
    width = 0.8 / len(counts.columns)
    for c, col in enumerate(counts.columns):     # side by side: a stacked bar on a log axis hides the small parts
        xs = np.arange(len(counts)) + (c - (len(counts.columns) - 1) / 2) * width
        ax.bar(xs, counts[col], width=width, color=colors[col], label=col)
        for x, v in zip(xs, counts[col]):
            if v:
                ax.text(x, v * 1.15, str(v), ha="center", va="bottom", fontsize=7)
    ax.set_xticks(range(len(counts)), counts.index)
    ax.set_yscale("log")
    ax.set_ylim(0.8, 3e4)
    ax.set_title(f"{p} protocol: train / val / test = {PROTOCOLS[p]['split']}", fontsize=10)
    ax.set_xlabel("part of the split")
axes[0].set_ylabel("rows (log scale)")
fig.legend(*axes[0].get_legend_handles_labels(), loc="lower center", ncol=4, fontsize=8, frameon=False)
plt.tight_layout(rect=(0, 0.07, 1, 1))
plt.show()

# %% [markdown]
# Read the small bars: MNPWAD labels **one** Pendigits anomaly and leaves 92 hidden in the unlabeled
# set; RoSAS and MMNet label 30 and bring the unlabeled set to 2 %, which on Pendigits needs injected
# anomalies (`n_injected`). MNPWAD's counts are exactly those of its reference code (train 4028/93, val
# 336/8, test 2350/55); the split itself changes with `random_state`, the counts do not.

# %%
mn, ro, mm = (splits[p].record for p in ("mnpwad", "rosas", "mmnet"))
assert splits["mnpwad"].counts().loc["train"].tolist() == [4028, 92, 1, 0]
assert (mn["n_val"], mn["n_test"], mn["n_test_anomalies"]) == (344, 2405, 55)
for r in (ro, mm):
    assert r["n_labeled"] == 30
    assert r["n_unlabeled_anomalies"] == contamination_target(r["n_train_normal"], 0.02)
    assert abs(r["contamination_achieved"] - 0.02) < 1 / r["n_unlabeled"]
assert mm["n_val"] == 0 and splits["mmnet"].X_val is None

# %% [markdown]
# ## 4. Four kinds of anomalies (ADBench; MMNet §IV.F)
#
# Real anomalies come in many shapes. ADBench (Han et al., 2022) generates four types from a model of the
# normals (a Gaussian mixture chosen by BIC, or per-feature kernel density estimates):
#
# | type | how | what it tests |
# |---|---|---|
# | local | the mixture with covariances × 5 | anomalies close to the normal modes |
# | global | uniform on the data box × 1.1 | scattered, far-away points |
# | dependency | each feature drawn independently from its KDE | broken correlations, normal marginals |
# | clustered | the mixture with means × 5 | a tight group of similar anomalies |
#
# Here they are around the normals of the blob data (clustered anomalies are far away: means × 5 about the origin).

# %%
normals_2d = X_blob[y_blob == 0]
fig, axes = plt.subplots(1, 4, figsize=(15, 3.6))
for ax, kind in zip(axes, ["local", "global", "dependency", "clustered"]):
    A = inject_anomalies(normals_2d, kind, 150, random_state=SEED)
    ax.scatter(*normals_2d.T, s=4, c="tab:blue", alpha=0.3, label="normal")
    ax.scatter(*A.T, s=10, c="tab:red", label=kind)
    ax.set(title=f"{kind} anomalies", xlabel="feature 1", ylabel="feature 2")
axes[0].legend(fontsize=8)
plt.tight_layout()
plt.show()

# %% [markdown]
# Local anomalies overlap the edges of the clusters, global ones fill the box, dependency anomalies keep each
# feature's range but land between the clusters, and clustered anomalies form tight groups far from the normals.

# %% [markdown]
# ## 5. A first baseline: Isolation Forest
#
# Isolation Forest is unsupervised: it ignores `y_train` altogether, and so it sets the bar every weakly
# supervised detector must clear with its labeled anomalies. Every adlab detector keeps the same contract,
# `det.fit(X_train, y_train).decision_function(X_test)` (higher = more anomalous), and results are reported as
# AUC-PR (average precision) first, AUC-ROC second.

# %%
n_trees = 100 if FAST else 300
rows, if_scores = [], {}
for name, sp in [("blobs / mnpwad", split_blob)] + [(f"pendigits / {p}", sp) for p, sp in splits.items()]:
    det = IsolationForest(n_estimators=n_trees, random_state=SEED).fit(sp.X_train, sp.y_train)
    scores = if_scores[name] = det.decision_function(sp.X_test)
    rows.append({"data / protocol": name, **evaluate(sp.y_test, scores),
                 "test anomalies": int(sp.y_test.sum()), "base rate": sp.y_test.mean()})
results = pd.DataFrame(rows).set_index("data / protocol").round(3)
print(results.to_string())
results

# %% [markdown]
# AUC-PR is compared with the base rate (the AUC-PR of random scores), AUC-ROC with 0.5 (section 6 draws
# both curves and explains why). On the blobs the
# scattered anomalies are easy for Isolation Forest; on Pendigits it is far from perfect — room for the
# few labeled anomalies to help, which is what the next notebooks are about.

# %%
blob_res = results.loc["blobs / mnpwad"]
assert blob_res["auc_roc"] >= 0.9, blob_res
assert blob_res["auc_pr"] >= 3 * blob_res["base rate"], blob_res
for p in splits:
    r = results.loc[f"pendigits / {p}"]
    assert r["auc_roc"] > 0.75 and r["auc_pr"] > 2 * r["base rate"], r
print("all checks passed")

# %% [markdown]
# ## 6. What AUC-PR measures, drawn
#
# Sort the test rows by score, highest first, and walk down the list. After the top $t$ rows,
#
# * **precision** $P_t$ = share of anomalies among those $t$ rows ("how many of my alarms are real?"),
# * **recall** $R_t$ = share of all test anomalies found so far ("how many anomalies did I catch?").
#
# The **precision-recall (PR) curve** plots $P_t$ against $R_t$; **AUC-PR**, computed as *average precision*,
# is the precision averaged over the positions of the anomalies in the ranking,
#
# $$ \mathrm{AP} = \sum_t (R_t - R_{t-1})\, P_t , $$
#
# i.e. the mean of the precisions measured each time one more anomaly is found. The **ROC curve** plots the
# true-positive rate (= recall) against the false-positive rate (share of *normals* flagged); AUC-ROC is the
# probability that a random anomaly scores above a random normal.
#
# The two differ in their **chance level**. Random scores give AUC-ROC 0.5 whatever the anomaly rate, but
# AUC-PR equal to the anomaly rate of the test set (2.3 % on Pendigits): precision stays at the base rate all the
# way down. With a few percent of anomalies, AUC-ROC can look excellent while most alarms at the top are
# false; AUC-PR shows it, which is why the papers (and adlab) report AUC-PR first.
#
# Here are both curves for the Isolation Forest scores of section 5 on the Pendigits test part (MNPWAD split),
# and AP computed by hand from the ranking:

# %%
from sklearn.metrics import precision_recall_curve, roc_curve

from adlab.evaluation.metrics import auc_pr, auc_roc

sp = splits["mnpwad"]
s_if = if_scores["pendigits / mnpwad"]
order = np.argsort(-s_if, kind="stable")
hits = sp.y_test[order] == 1
precision_at = np.cumsum(hits) / np.arange(1, len(hits) + 1)
ap_by_hand = precision_at[hits].mean()            # mean precision at each anomaly's position
np.testing.assert_allclose(ap_by_hand, auc_pr(sp.y_test, s_if), rtol=1e-9)   # scores have no ties here
base_rate = sp.y_test.mean()
print(f"AP by hand {ap_by_hand:.3f} == adlab auc_pr; AUC-ROC {auc_roc(sp.y_test, s_if):.3f}; base rate {base_rate:.3f}")

prec, rec, _ = precision_recall_curve(sp.y_test, s_if)
fpr, tpr, _ = roc_curve(sp.y_test, s_if)
fig, (ax_roc, ax_pr) = plt.subplots(1, 2, figsize=(11, 4.3))
ax_roc.plot(fpr, tpr, c="tab:blue", label=f"Isolation Forest (AUC-ROC {auc_roc(sp.y_test, s_if):.3f})")
ax_roc.plot([0, 1], [0, 1], "k:", label="random scores (0.5)")
ax_roc.set(xlabel="false-positive rate (normals flagged)", ylabel="true-positive rate (recall)",
           title="ROC curve, Pendigits test part", xlim=(0, 1), ylim=(0, 1.02))
ax_pr.step(rec, prec, where="post", c="tab:red", label=f"Isolation Forest (AUC-PR {auc_pr(sp.y_test, s_if):.3f})")
ax_pr.axhline(base_rate, c="k", ls=":", label=f"random scores = anomaly rate ({base_rate:.3f})")
ax_pr.set(xlabel="recall (anomalies found)", ylabel="precision (alarms that are anomalies)",
          title="precision-recall curve, same scores", xlim=(0, 1), ylim=(0, 1.02))
for ax in (ax_roc, ax_pr):
    ax.legend(fontsize=8, loc="lower right" if ax is ax_roc else "upper right")
plt.tight_layout()
plt.show()
assert auc_pr(sp.y_test, s_if) > base_rate and auc_roc(sp.y_test, s_if) > 0.5
assert np.median(prec) < 0.5 and auc_roc(sp.y_test, s_if) > 0.8, "the reading below no longer holds"

# %% [markdown]
# **Reading.** The ROC curve rises steeply and its area looks comfortable, yet the PR curve shows that precision
# is far below 1 at most recalls: among the top-scored rows many are normal digits. The dotted lines are what
# random scores would give — the diagonal for ROC, the anomaly rate for PR. Judge an AUC-PR against the anomaly
# rate, never against 0.5.

# %% [markdown]
# **Take-aways.** A weakly-supervised data set is (unlabeled rows, a few labeled anomalies); the unlabeled
# rows hide anomalies. `weak_split(X, y, protocol=...)` reproduces each paper's recipe and records exactly what
# it did (`split.record`), so results from different protocols are never mixed up by accident.
#
# **Further reading.** Davis & Goadrich, *The relationship between precision-recall and ROC curves* (ICML 2006); Saito & Rehmsmeier, *The precision-recall plot is more informative than the ROC plot…* (PLOS ONE 2015); ADBench (Han et al., 2022).
#
# **Next:** notebook 01 (MNPWAD's autoencoder pretraining) — or jump to 08 (RoSAS), 09 (MMNet) or 10 (synthetic anomalies), which only need this notebook.
