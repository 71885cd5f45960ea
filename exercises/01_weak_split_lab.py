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
# # Lab 1 — The weakly-supervised split, with controlled contamination
#
# [![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/adlab-course/adlab/blob/main/exercises/01_weak_split_lab.ipynb)
#
# A weakly-supervised detector never sees the true labels of its training data. It gets
#
# * a large **unlabeled** set — mostly normal rows, but *contaminated* by anomalies nobody labeled, and
# * a handful of **labeled anomalies** (RoSAS and MMNet: 30; MNPWAD: 1 % of the training anomalies).
#
# The RoSAS and MMNet papers also fix the **contamination** of the unlabeled set (2 %), so that results
# do not depend on how many anomalies a data set happens to contain: surplus anomalies are removed,
# a shortfall is filled by *injecting* new ones (a real anomaly with a few features swapped with those
# of another anomaly).
#
# You will write the three steps yourself, compare them with `adlab.data.protocol.weak_split`, and train
# RoSAS on *your* split.
#
# **How labs work.** Each exercise is a function with a `YOUR CODE HERE` stub. Work on your own copy:
# `python -m adlab.labs start 01` copies this exercise to `my_labs/` (ignored by git; nothing ever
# overwrites it). Replace each `raise NotImplementedError(...)` stub with your code and run the check cell
# below it: it prints *passed*, or raises an `AssertionError` that says what is wrong.
# `python -m adlab.labs grade my_labs/01_weak_split_lab.ipynb` grades the whole file from a shell.
# Cells marked **Predict, then run** ask you to write down a guess before running them.

# %%
import sys, subprocess
if "google.colab" in sys.modules:  # Colab only: install adlab without touching torch/numpy
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps",
                    "git+https://github.com/adlab-course/adlab.git@main"], check=True)

# %%
import numpy as np

import adlab.config
from adlab.labs import check_exercise

# %%
import time

import matplotlib.pyplot as plt
from sklearn.model_selection import train_test_split

from adlab.data.adbench import load_adbench
from adlab.data.protocol import contamination_target, weak_split
from adlab.evaluation.metrics import auc_pr

FAST = adlab.config.is_fast()
SEED = 0
adlab.config.seed_everything(SEED)
device = adlab.config.resolve_device("auto")
print(f"FAST={FAST}  device={device}")
T0 = time.perf_counter()

X, y = load_adbench("pendigits")
print(f"pendigits: {X.shape[0]} rows, {X.shape[1]} features, {int(y.sum())} anomalies ({y.mean():.1%})")

# %% [markdown]
# We hold out 20 % of the rows as a test set (stratified: the same anomaly share on both sides). Only the
# training part is turned into weak supervision.

# %%
X_train_full, X_test, y_train_true_full, y_test = train_test_split(
    X, y, test_size=0.2, stratify=y, random_state=SEED)
print(f"train: {len(y_train_true_full)} rows ({int(y_train_true_full.sum())} anomalies); "
      f"test: {len(y_test)} rows ({int(y_test.sum())} anomalies)")

# %% [markdown]
# ## Exercise 1.1 — min-max scaling without peeking
#
# Neural detectors want features on comparable scales. Scale every feature to $[0, 1]$ using the
# minimum and maximum **of the training rows only**, and apply the same affine map to the other array
# (test rows may then fall outside $[0, 1]$: that is correct, the test set must not influence training).
# A constant training column would divide by zero: divide by 1 there.

# %%
def min_max_scale(X_train, X_other):
    """Min-max scale both arrays with the per-feature min and max of ``X_train``.

    X_train (n, d), X_other (m, d) -> (X_train_scaled (n, d), X_other_scaled (m, d)).
    """
    # YOUR CODE HERE (exercise 01.1)
    raise NotImplementedError("Exercise 01.1: Which rows may the statistics come from? Compute them once, apply the same map to both arrays, and decide what a column with max == min becomes.")


# %%
check_exercise("01.1", min_max_scale)

# %% [markdown]
# ## Exercise 1.2 — a few labeled anomalies
#
# Keep the label of `n_labeled` anomalies drawn **at random** with the `rng` you are given (a
# `numpy.random.Generator`, so the split is reproducible) and hide every other label: the weak label is 1
# for a labeled anomaly and 0 for everything else. Asking for more labeled anomalies than exist is an
# error (`ValueError`).

# %%
def label_few_anomalies(y_true, n_labeled, rng):
    """Weak labels: 1 for ``n_labeled`` random anomalies of ``y_true`` (n,), 0 elsewhere. Returns (n,) int."""
    # YOUR CODE HERE (exercise 01.2)
    raise NotImplementedError("Exercise 01.2: Find where the anomalies are first; the rng argument can pick without replacement. What should happen when there are too few?")


# %%
check_exercise("01.2", label_few_anomalies)

# %% [markdown]
# ## Exercise 1.3 — controlled contamination
#
# Given the unlabeled rows `X` with their (hidden) true labels, return a new unlabeled set in which
# anomalies make up the share `contamination`. Keep **every normal row**. With $n$ normals, the target
# number of anomalies is
#
# $$ n_a = \operatorname{round}\Bigl(n\,\frac{c}{1-c}\Bigr) \qquad\text{so that}\qquad \frac{n_a}{n + n_a} \approx c. $$
#
# * too many anomalies: keep a random subset of $n_a$ of them;
# * too few: keep them all and **inject** the missing ones — copy a random real anomaly and replace
#   $\max(1, \operatorname{round}(0.05\,d))$ random features by those of another random anomaly.

# %%
def set_contamination(X, y_true, contamination, rng, swap_fraction=0.05):
    """Unlabeled set with anomaly share ``contamination``. X (n, d), y_true (n,) -> (X_new (m, d), y_new (m,))."""
    # YOUR CODE HERE (exercise 01.3)
    raise NotImplementedError("Exercise 01.3: Work out the target number of anomalies first; then there are two cases, too many (keep some) and too few (make more).")


# %%
check_exercise("01.3", set_contamination)

# %% [markdown]
# ## Your split, and adlab's
#
# Put the three steps together as the RoSAS protocol does: 30 labeled anomalies, an unlabeled set with 2 %
# anomalies, min-max scaling fit on the final training rows.

# %%
rng = np.random.default_rng(SEED)
weak = label_few_anomalies(y_train_true_full, 30, rng)
X_lab = X_train_full[weak == 1]
X_unl, y_unl_true = set_contamination(X_train_full[weak == 0], y_train_true_full[weak == 0], 0.02, rng)
X_mine = np.concatenate([X_unl, X_lab])
y_mine = np.concatenate([np.zeros(len(X_unl), int), np.ones(len(X_lab), int)])        # weak labels
y_mine_true = np.concatenate([y_unl_true, np.ones(len(X_lab), int)])
X_mine, X_test_mine = min_max_scale(X_mine, X_test)

share = y_unl_true.mean()
print(f"mine : {len(X_mine)} training rows, {int(y_mine.sum())} labeled anomalies, "
      f"unlabeled contamination {share:.2%} ({int(y_unl_true.sum())} hidden anomalies)")

split = weak_split(X, y, protocol="rosas", random_state=SEED)
r = split.record
print(f"adlab: {len(split.X_train)} training rows, {r['n_labeled']} labeled anomalies, "
      f"unlabeled contamination {r['contamination_achieved']:.2%} ({r['n_unlabeled_anomalies']} hidden; "
      f"{r['n_removed']} removed, {r['n_injected']} injected)")

# the two protocols agree on what matters (adlab also keeps a 20 % validation part, so its counts are smaller)
assert int(y_mine.sum()) == r["n_labeled"] == 30
assert int(y_unl_true.sum()) == contamination_target(int((y_unl_true == 0).sum()), 0.02)
assert abs(share - r["contamination_achieved"]) < 0.002

# %% [markdown]
# **Predict, then run.** After 30 anomalies were labeled, what is left of pendigits' training anomalies sits in the
# unlabeled rows. Ask `set_contamination` for 5 % instead of 2 %: will it *remove* or *inject* anomalies, and will the
# normal rows change? Write your guess down, then run the cell.

# %%
y_unl_before = y_train_true_full[weak == 0]
X_unl5, y_unl5 = set_contamination(X_train_full[weak == 0], y_unl_before, 0.05, np.random.default_rng(SEED))
n_before, n_after = int(y_unl_before.sum()), int(y_unl5.sum())
print(f"unlabeled anomalies: {n_before} before, {n_after} after "
      f"({'injected' if n_after > n_before else 'removed'} {abs(n_after - n_before)}); "
      f"normal rows: {int((y_unl_before == 0).sum())} before, {int((y_unl5 == 0).sum())} after; "
      f"share now {y_unl5.mean():.2%}")

# %%
fig, ax = plt.subplots(figsize=(6, 2.5))
names = ["unlabeled normals", "hidden anomalies", "labeled anomalies"]
mine = [int((y_mine_true == 0).sum()), int(((y_mine == 0) & (y_mine_true == 1)).sum()), int(y_mine.sum())]
theirs = [int((split.y_train_true == 0).sum()), int(((split.y_train == 0) & (split.y_train_true == 1)).sum()),
          int(split.y_train.sum())]
pos = np.arange(3)
ax.barh(pos + 0.2, mine, height=0.4, label="your split")
ax.barh(pos - 0.2, theirs, height=0.4, label="weak_split(protocol='rosas')")
ax.set_yticks(pos, names)
ax.set_xscale("log")
ax.set_xlabel("rows (log scale)")
ax.set_title("the two splits have the same composition")
ax.legend(fontsize=8)
plt.tight_layout()
plt.show()

# %% [markdown]
# *Reading:* both splits keep every normal row of their training part and hide the same share of anomalies in it
# (asserted above); adlab's bars are shorter because it also keeps a 20 % validation part.

# %% [markdown]
# ## Train the real estimator on your split
#
# `adlab.RoSAS` only needs `(X, y)` with `y = 1` for labeled anomalies and `0` for unlabeled rows —
# exactly what your functions produced. The AUC-PR (average precision) on the untouched test set tells
# you whether the split made sense; a random scorer would get the test anomaly share (about 2 %).

# %%
from adlab import RoSAS

epochs = adlab.config.fast_or(50, 5)
det = RoSAS(epochs=epochs, random_state=SEED).fit(X_mine, y_mine)
ap = auc_pr(y_test, det.decision_function(X_test_mine))
print(f"RoSAS trained on your split: test AUC-PR = {ap:.3f}  (anomaly share {y_test.mean():.3f})")
assert ap > 5 * y_test.mean(), "the detector should beat a random ranking by far"
print(f"lab ran in {time.perf_counter() - T0:.1f} s")
