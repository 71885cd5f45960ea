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
# # 10 — Known + synthetic anomalies: a classifier that also learns where the data is *not*
#
# [![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/adlab-course/adlab/blob/main/notebooks/10_synthetic_anomalies.ipynb)
#
# | | |
# |---|---|
# | **You will** | draw synthetic anomalies by hand, derive what the optimal data-vs-background classifier computes, and see when synthetic anomalies help (low-density anomalies) and when they hurt |
# | **Prerequisites** | notebook 00; binary cross-entropy; kernel density estimation |
# | **Time** | about 30 min |
# | **Read** | Lau, Zhou et al., arXiv:2506.13955 (2025), the semi-supervised formulation and its synthetic-anomaly framework; Steinwart, Hush and Scovel, *A classification framework for anomaly detection* (JMLR 2005); the course map, notation table and glossary are in [docs/COURSE.md](../docs/COURSE.md) |
#
# Lau, Zhou et al. (*Bridging Unsupervised and Semi-Supervised Anomaly Detection: A Theoretically-Grounded and
# Practical Framework with Synthetic Anomalies*, arXiv:2506.13955, 2025) start from an old principle:
# **anomaly detection is classification of the data against a "background"**. Without any labels the
# background is made up — points drawn uniformly over a box around the data — and a classifier that separates
# the data from them learns where the data is dense. With a few labeled anomalies, the paper simply puts them
# in the anomaly class *together with* the synthetic ones.
#
# Why bother with synthetic points when we have real labeled anomalies? Because a handful of labeled anomalies
# only covers the places where anomalies happened to be observed. A classifier of "unlabeled vs labeled" has
# no reason to call an *empty* region anomalous if no labeled anomaly lies there: in **low-density regions**
# far from the labels its output is whatever the network extrapolates. Uniform background points fill those
# regions, so the classifier has to put the boundary tight around the normal data.
#
# This notebook:
# 1. draws synthetic anomalies by hand and checks them against `adlab`'s sampler;
# 2. derives what the optimal classifier computes (a monotone function of the density);
# 3. draws score maps on MNPWAD's 3-cluster data **with / without synthetic anomalies** and **with / without
#    labeled anomalies**, for `adlab`'s `SyntheticAnomalyClassifier` and for DevNet with the synthetic
#    anomalies plugged in;
# 4. checks on real data (ADBench Pendigits) when it is available.

# %%
import sys, subprocess
if "google.colab" in sys.modules:  # Colab only: install adlab without touching torch/numpy
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps",
                    "git+https://github.com/adlab-course/adlab.git@main"], check=True)

# %%
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import torch
from scipy.stats import spearmanr
from sklearn.neighbors import KernelDensity

import adlab
from adlab.config import is_fast, resolve_device, seed_everything
from adlab.data.protocol import weak_split
from adlab.data.synthetic import make_multimodal_blobs
from adlab.evaluation.metrics import auc_pr
from adlab.models.baselines import DevNet
from adlab.models.synthetic_classifier import (SyntheticAnomalyClassifier, add_synthetic_anomalies,
                                               classification_loss, sample_uniform_box)
from adlab.plotting import plot_pr_curves, plot_score_maps

FAST = is_fast()
SEED = 0
rng = seed_everything(SEED)
DEVICE = resolve_device("auto")
print("adlab", adlab.__version__, "| FAST =", FAST, "| device:", DEVICE)

# %% [markdown]
# ## 1. The data: three clusters of normals, anomalies scattered everywhere, ten of them labeled
#
# `make_multimodal_blobs` is MNPWAD's Fig. 5 data: three Gaussian clusters and uniformly scattered anomalies.
# The weak split keeps 10 labeled anomalies; the other training anomalies hide in the unlabeled set.

# %%
X, y = make_multimodal_blobs(random_state=SEED)
split = weak_split(X, y, protocol="custom", n_labeled=10, random_state=SEED)
X_tr, y_tr, X_te, y_te = split.X_train, split.y_train, split.X_test, split.y_test
print(split.counts())

fig, ax = plt.subplots(figsize=(4.5, 4))
ax.scatter(*X_tr[split.y_train_true == 0].T, s=6, c="0.6", label="normal (unlabeled)")
ax.scatter(*X_tr[(split.y_train_true == 1) & (y_tr == 0)].T, s=16, c="tab:red", label="anomaly (unlabeled)")
ax.scatter(*X_tr[y_tr == 1].T, s=80, facecolors="none", edgecolors="orange", lw=1.6, label="labeled anomaly")
ax.legend(fontsize=7)
ax.set_title("training data: 10 labeled anomalies, the rest hidden")
ax.set(xlabel="feature 1 (min-max scaled)", ylabel="feature 2 (min-max scaled)")
plt.show()

# %% [markdown]
# The ten labeled anomalies (orange rings) cover only a few places; most anomalies (red) are unlabeled and scattered
# over regions no label comes near.

# %% [markdown]
# ## 2. Synthetic anomalies by hand
#
# Take the bounding box of the training rows, $[\ell_j, h_j]$ per feature, widen it by $\delta (h_j - \ell_j)$ on
# each side (``box_margin`` $\delta$, 0 in the authors' code), and draw points uniformly in it. They are drawn
# **once** per fit, from the seed. `synthetic_ratio` $r$ sets how many: $r$ synthetic rows per real training row
# (1 in the paper: as many synthetic anomalies as real rows).

# %%
delta, ratio = 0.1, 1.0
n_syn = int(round(ratio * len(X_tr)))
hand_rng = np.random.default_rng(123)
lo, hi = X_tr.min(0), X_tr.max(0)
pad = delta * (hi - lo)
S_hand = hand_rng.uniform(lo - pad, hi + pad, size=(n_syn, X_tr.shape[1]))

S_adlab = sample_uniform_box(X_tr, n_syn, margin=delta, random_state=123)
np.testing.assert_allclose(S_adlab, S_hand.astype(np.float32), atol=1e-6)

X_aug, y_aug = add_synthetic_anomalies(X_tr, y_tr, ratio=ratio, margin=delta, random_state=123)
np.testing.assert_allclose(X_aug[len(X_tr):], S_hand.astype(np.float32), atol=1e-6)
assert (y_aug[len(X_tr):] == 1).all() and (y_aug[:len(X_tr)] == y_tr).all()
print(f"{len(X_tr)} real rows + {n_syn} synthetic anomalies; the sampler matches the hand-made draw")

# %% [markdown]
# (Columns that only take two values — binary features — are drawn from those two values with probability 1/2
# instead, as the authors' code does, otherwise "not exactly 0 or 1" would give the synthetic rows away.)
#
# ## 3. What does the classifier learn?
#
# Mix the unlabeled data (density $p$, label 0) with $r$ synthetic rows per real row from the uniform density
# $u = 1/|B|$ on the box $B$ (label 1). The Bayes-optimal classifier is
#
# $$P(\text{anomaly}\mid x) = \frac{r\,u}{r\,u + p(x)}, \qquad
#   \text{logit}(x) = \log r + \log u - \log p(x).$$
#
# The logit is **minus the log-density** plus a constant: the classifier is a density estimator in disguise,
# and its score is highest where the data is sparsest — exactly the *low-density* regions where
# anomalies live but labeled anomalies may never have been seen. Labeled anomalies (density $p_a$, $r_a$ of them
# per real row) join the anomaly class, so $r_a p_a(x)$ is added to the numerator **and** to the denominator:
#
# $$P(\text{anomaly}\mid x) = \frac{r\,u + r_a\,p_a(x)}{r\,u + r_a\,p_a(x) + p(x)}.$$
#
# Where $p_a(x) = 0$ nothing changes; where labeled anomalies are dense the posterior rises towards 1. They
# sharpen the boundary where they are, and say nothing elsewhere.
#
# The loss is binary cross-entropy on the logit (or the hinge loss, which the paper's theory is stated for):

# %%
logits = torch.tensor([2.0, -1.0, 0.3, -0.2])
target = torch.tensor([1.0, 0.0, 0.0, 1.0])
bce_hand = -(target * torch.log(torch.sigmoid(logits)) + (1 - target) * torch.log(1 - torch.sigmoid(logits)))
hinge_hand = torch.clamp(1 - (2 * target - 1) * logits, min=0)
torch.testing.assert_close(classification_loss(logits, target, "bce"), bce_hand, atol=1e-6, rtol=0)
torch.testing.assert_close(classification_loss(logits, target, "hinge"), hinge_hand, atol=1e-6, rtol=0)
print("BCE  :", bce_hand.numpy().round(3), "\nhinge:", hinge_hand.numpy().round(3))

# %% [markdown]
# ## 4. Score maps: with / without synthetic anomalies, with / without labeled anomalies
#
# Three training sets for the same classifier (`SyntheticAnomalyClassifier`, an MLP):
#
# | panel | anomaly class | call |
# |---|---|---|
# | labeled only | the 10 labeled anomalies | `SyntheticAnomalyClassifier(synthetic_ratio=0).fit(X, y)` |
# | synthetic only | uniform background | `SyntheticAnomalyClassifier().fit(X, None)` |
# | labeled + synthetic | both (the paper) | `SyntheticAnomalyClassifier().fit(X, y)` |
#
# (No labeled and no synthetic anomalies leaves an empty anomaly class: a `ValueError`.) The second row does the
# same with **DevNet**, feeding it the augmented set from `add_synthetic_anomalies` — the synthetic anomalies as
# a plug-in for any weakly supervised detector. DevNet gets two hidden layers of 64 here: the paper's single
# 20-unit layer is too small to carve three holes in the plane.

# %%
# the paper's MLP is 500-500; early stopping on a held-out 20 % ends training after ~100 epochs here
sac_kw = dict(hidden_dims=(128, 128) if FAST else (500, 500), epochs=200, batch_size=128, box_margin=delta,
              random_state=SEED, device=DEVICE)
dev_kw = dict(hidden_dims=(64, 64), epochs=30 if FAST else 50, weight_decay=0.0, random_state=SEED, device=DEVICE)

X_syn_only, y_syn_only = add_synthetic_anomalies(X_tr, None, ratio=1.0, margin=delta, random_state=SEED)
X_both, y_both = add_synthetic_anomalies(X_tr, y_tr, ratio=1.0, margin=delta, random_state=SEED)
models = {
    "classifier: labeled only": SyntheticAnomalyClassifier(synthetic_ratio=0.0, **sac_kw).fit(X_tr, y_tr),
    "classifier: synthetic only": SyntheticAnomalyClassifier(**sac_kw).fit(X_tr, None),
    "classifier: labeled + synthetic": SyntheticAnomalyClassifier(**sac_kw).fit(X_tr, y_tr),
    "DevNet: labeled only": DevNet(**dev_kw).fit(X_tr, y_tr),
    "DevNet: synthetic only": DevNet(**dev_kw).fit(X_syn_only, y_syn_only),
    "DevNet: labeled + synthetic": DevNet(**dev_kw).fit(X_both, y_both),
}
try:
    SyntheticAnomalyClassifier(synthetic_ratio=0.0, **sac_kw).fit(X_tr, None)
except ValueError as exc:
    print("no labeled, no synthetic anomalies ->", exc)

test_scores = {name: m.decision_function(X_te) for name, m in models.items()}
results = pd.Series({name: auc_pr(y_te, s) for name, s in test_scores.items()}, name="test AUC-PR")
print(results.round(3).to_string())

# %%
panels = {name: (m, y_tr, X_both[len(X_tr):] if "synthetic" in name else None) for name, m in models.items()}
fig = plot_score_maps(panels, X_tr, split.y_train_true, ncols=3, resolution=100 if FAST else 200)
fig.suptitle("anomaly-score rank (yellow = most anomalous); crosses = synthetic anomalies", y=1.02, fontsize=10)
plt.show()

# %% [markdown]
# Read the maps column by column. **Labeled only**: the classifier (and DevNet) learns "near a labeled anomaly
# = anomalous"; large empty regions between and around the clusters get low scores, so the unlabeled anomalies
# there are missed. **Synthetic only**: the score follows the density — the three clusters are dark, everything
# else bright — no labels needed. **Both**: the same density-shaped boundary, slightly sharpened where the
# labeled anomalies are.

# %%
fig, ax = plt.subplots(figsize=(5, 4))
plot_pr_curves(y_te, {k: v for k, v in test_scores.items() if k.startswith("classifier")}, ax=ax,
               title="test precision-recall, 3-cluster data")
plt.show()

# %% [markdown]
# The two classifiers trained with synthetic anomalies keep a high precision to a much higher recall than the
# labeled-only one, whose curve drops towards the chance line once the anomalies near its few labels are found.

# %% [markdown]
# ### The synthetic-only classifier is a density estimator
#
# Section 3 says the logit should be $-\log p(x)$ + const. Estimate $p$ with a kernel density estimate of the
# training rows and compare the two on a grid over the box: their rank correlation (the constant and the network's
# calibration do not matter for ranking), and how well the logit separates grid points *outside the support*
# of the data (density below that of 95 % of the training rows) from those inside it.

# %%
from adlab.evaluation.metrics import auc_roc

g = np.linspace(0, 1, 60)
grid = np.array(np.meshgrid(g, g)).reshape(2, -1).T.astype(np.float32)
kde = KernelDensity(bandwidth=0.05).fit(X_tr)
log_density = kde.score_samples(grid)
outside = (log_density < np.quantile(kde.score_samples(X_tr), 0.05)).astype(int)
logit = models["classifier: synthetic only"].decision_function(grid)
rho = spearmanr(logit, -log_density).statistic
support_auc = auc_roc(outside, logit)
print(f"Spearman correlation of the logit with -log density: {rho:.3f}")
print(f"AUC-ROC of the logit for 'outside the support' on the grid ({outside.mean():.0%} of it): {support_auc:.3f}")

# %% [markdown]
# ## 5. How many synthetic anomalies?
#
# The 2025 paper proves rates for a number of synthetic anomalies proportional to the data. In practice the
# ratio matters little once it is not tiny:

# %%
ratios = [0.1, 1.0] if FAST else [0.1, 0.5, 1.0, 2.0, 4.0]
sweep = {r: results["classifier: labeled + synthetic"] if r == 1.0 else
         auc_pr(y_te, SyntheticAnomalyClassifier(synthetic_ratio=r, **sac_kw).fit(X_tr, y_tr).decision_function(X_te))
         for r in ratios}
print(pd.Series(sweep, name="test AUC-PR by synthetic_ratio").round(3).to_string())

# %% [markdown]
# ## 6. What we check
#
# The synthetic anomalies must rescue both detectors on this data, and the synthetic-only logit must track the
# density.

# %%
assert results["classifier: labeled + synthetic"] >= 0.6, results
assert results["classifier: labeled + synthetic"] > results["classifier: labeled only"] + 0.2, results
assert results["DevNet: labeled + synthetic"] > results["DevNet: labeled only"] + 0.2, results
assert rho > 0.6 and support_auc > 0.9, (rho, support_auc)
print("checks passed")

# %% [markdown]
# ## 7. Real data: Pendigits (ADBench)
#
# The same comparison on Pendigits (16 features) under the MMNet protocol (30 labeled anomalies, 2 %
# contamination). It needs the ADBench file (`ADLAB_DATA_DIR`, or a download); the cell is skipped without it.
#
# Expect the picture to *reverse* here: labeled only best, synthetic only worst, both in between (the cell prints
# the AUC-PRs and checks that order). Pendigits' anomalies sit among the digits, not in empty
# space, so density alone does not find them; in 16 dimensions uniform points lie far from the data and are
# learnt away in a few epochs; and the 30 labeled anomalies are outnumbered about 180 : 1 by synthetic ones
# in the anomaly class, so the classifier pays them little attention. Synthetic anomalies help where anomalies
# live in low-density regions — they are not free.

# %%
try:
    from adlab.data.adbench import load_adbench

    Xp, yp = load_adbench("pendigits")
except Exception as exc:  # noqa: BLE001 - no file, no network
    print("Pendigits not available, skipping:", exc)
    Xp = None
if Xp is not None:
    sp = weak_split(Xp, yp, protocol="mmnet", random_state=SEED)
    kw = dict(sac_kw, epochs=8 if FAST else 200, batch_size=256 if FAST else 128, box_margin=0.0)
    real = {
        "labeled only": SyntheticAnomalyClassifier(synthetic_ratio=0.0, **kw).fit(sp.X_train, sp.y_train),
        "synthetic only": SyntheticAnomalyClassifier(**kw).fit(sp.X_train, None),
        "labeled + synthetic": SyntheticAnomalyClassifier(**kw).fit(sp.X_train, sp.y_train),
    }
    real_ap = pd.Series({k: auc_pr(sp.y_test, m.decision_function(sp.X_test)) for k, m in real.items()},
                        name="Pendigits test AUC-PR")
    print(real_ap.round(3).to_string())
    assert real_ap["labeled only"] > real_ap["labeled + synthetic"] > real_ap["synthetic only"], real_ap

# %% [markdown]
# ## Take-aways
#
# * Uniform synthetic anomalies turn a classifier into a density-level detector: its logit is $-\log p(x)$ +
#   const., so low-density regions score high even where no labeled anomaly was ever seen.
# * Labeled anomalies and synthetic anomalies are complementary on the 2-D data: the labels sharpen the
#   boundary where anomalies are known, the background covers the rest. On data whose anomalies are not in
#   low-density regions (Pendigits) the background dilutes the labels and hurts — measure before you trust it.
# * The trick is a plug-in: `add_synthetic_anomalies(X, y)` works with any weakly supervised detector
#   (DevNet above). It costs little in low dimensions; in high dimensions uniform points almost never land
#   near the data, so they teach "outside the box of normals" cheaply but say less about the fine structure
#   (the paper's reviewers raise this point).
# * `python -m adlab bench --experiment main` compares `SyntheticAnomalyClassifier` with the other detectors
#   (notebook 11).
#
# **Further reading.** Steinwart, Hush & Scovel (JMLR 2005); Lau, Zhou et al. (arXiv:2506.13955, 2025).
#
# **Next:** notebook 11, comparing all the detectors on a benchmark grid.
