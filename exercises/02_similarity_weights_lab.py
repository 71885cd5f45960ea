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
# # Lab 2 — Student's-t similarity and normality weights (MNPWAD)
#
# [![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/adlab-course/adlab/blob/main/exercises/02_similarity_weights_lab.ipynb)
#
# MNPWAD keeps $k$ **normal prototypes** $u_j$ in the latent space of an autoencoder. Two small formulas
# drive everything else in the method:
#
# $$ s_{ij} = \Bigl(1 + \tfrac{\lVert \hat z_i - \hat u_j\rVert^2}{\alpha}\Bigr)^{-\frac{\alpha+1}{2}} \quad\text{(Eq. 6)},
# \qquad w_i = \sigma\bigl(\beta \max_j s_{ij}\bigr) \quad\text{(Eq. 7)}, $$
#
# where $\hat z_i$, $\hat u_j$ are the **L2-normalised** latent code and prototype. $s_{ij}$ says how close a
# sample is to each prototype; $w_i$ turns the best match into a weight: an unlabeled row close to some
# prototype probably *is* normal and counts fully in the losses, a far-away row counts less.
#
# You write both, check them against `adlab.components.prototypes`, and run `adlab.MNPWAD` with *your*
# functions inside.
#
# **How labs work.** Work on your own copy: `python -m adlab.labs start 02` copies this exercise to
# `my_labs/` (ignored by git; nothing ever overwrites it). Replace each `raise NotImplementedError(...)` stub
# with your code and run the check cell below it: it prints *passed*, or raises an `AssertionError` that
# says what is wrong. From a shell, `python -m adlab.labs grade my_labs/02_similarity_weights_lab.ipynb` grades the
# whole file. Cells marked **Predict, then run** ask you to write down a guess before running them.

# %%
import sys, subprocess
if "google.colab" in sys.modules:  # Colab only: install adlab without touching torch/numpy
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps",
                    "git+https://github.com/adlab-course/adlab.git@main"], check=True)

# %%
import torch
import torch.nn.functional as F

import adlab.config
from adlab.labs import check_exercise

# %%
import time

import matplotlib.pyplot as plt
import numpy as np

from adlab.components import prototypes as P
from adlab.data.synthetic import make_multimodal_blobs

FAST = adlab.config.is_fast()
SEED = 0
adlab.config.seed_everything(SEED)
device = adlab.config.resolve_device("auto")
print(f"FAST={FAST}  device={device}  torch={torch.__version__}")
T0 = time.perf_counter()

# %% [markdown]
# ## Exercise 2.1 — the Student's-t kernel (Eq. 6)
#
# `z` is (n, H), `prototypes` is (k, H); return the (n, k) matrix $s_{ij}$. Normalise both inputs along the
# feature axis first when `normalize=True` (the paper's choice), compute all squared distances at once by
# broadcasting — `z[:, None, :] - prototypes[None, :, :]` is (n, k, H) — and no Python loop.

# %%
def student_t_similarity(z, prototypes, alpha=1.0, normalize=True):
    """Student-t similarity (n, k) between latents z (n, H) and prototypes (k, H), Eq. (6)."""
    # YOUR CODE HERE (exercise 02.1)
    raise NotImplementedError("Exercise 02.1: Normalise first when asked; broadcasting an (n, 1, H) against a (1, k, H) tensor gives every pair at once. Keep everything in torch.")


# %%
check_exercise("02.1", student_t_similarity)

# %% [markdown]
# With unit vectors the squared distance lies in $[0, 4]$, so for $\alpha = 1$ the similarity lies in
# $[0.2, 1]$: it never reaches 0. The curve below shows how $\alpha$ changes the tail (your function, on
# points at a growing distance from a single prototype, without normalisation).

# %%
u = torch.zeros(1, 1)
dist = torch.linspace(0, 4, 200)[:, None]
fig, ax = plt.subplots(figsize=(5, 3))
for alpha in (0.5, 1.0, 4.0):
    ax.plot(dist[:, 0], student_t_similarity(dist, u, alpha=alpha, normalize=False)[:, 0], label=f"alpha={alpha}")
ax.axvline(2.0, color="grey", ls=":", lw=1)
ax.text(2.05, 0.8, "largest distance\nbetween unit vectors", fontsize=8)
ax.set_xlabel("distance to the prototype")
ax.set_ylabel("similarity s")
ax.set_title("a smaller alpha gives a heavier tail")
ax.legend()
plt.tight_layout()
plt.show()

# %% [markdown]
# *Reading:* every curve is 1 at the prototype; a small α drops faster close to it but decays more slowly far away
# (the tail falls like $d^{-(\alpha+1)}$). Between unit vectors only distances up to 2 occur (dotted line), where no
# curve comes near 0.

# %% [markdown]
# ## Exercise 2.2 — normality weights (Eq. 7)
#
# `s_max` is the (n,) vector $\max_j s_{ij}$. Return $w_i = \sigma(\beta\, s_{\max,i})$. The reference
# code additionally divides the weights by their batch mean (`renormalize=True`), so that they average
# to 1; implement that option too.

# %%
def normality_weights(s_max, beta=1.0, renormalize=False):
    """w (n,) = sigmoid(beta * s_max), optionally divided by its mean, Eq. (7)."""
    # YOUR CODE HERE (exercise 02.2)
    raise NotImplementedError("Exercise 02.2: Eq. (7) is one line; the option rescales by a batch statistic. Keep everything in torch.")


# %%
check_exercise("02.2", normality_weights)

# %% [markdown]
# **Predict, then run.** `student_t_similarity(z, u).detach()` returns exactly the same numbers as your function.
# Predict: (a) does it pass check 02.1? (b) inside MNPWAD, which losses could still move the encoder and the
# prototypes through $s$? Write your guesses down, then run the cell.

# %%
def detached_similarity(z, prototypes, alpha=1.0, normalize=True):
    return student_t_similarity(z, prototypes, alpha, normalize).detach()


exercise = "02.1"
try:
    check_exercise(exercise, detached_similarity)
except AssertionError as err:
    print("check 02.1 on the detached similarity:", err)
z_demo = torch.randn(4, 5, requires_grad=True)
print("does the detached output carry a gradient?", detached_similarity(z_demo, torch.randn(3, 5)).requires_grad)

# %% [markdown]
# ## Who gets a high weight?
#
# On the three-cluster toy data (MNPWAD Fig. 5) we place three prototypes with k-means and compare the
# weights of normal rows and anomalies. With $s \in (0, 1]$ and $\beta = 1$ the weights live in
# $(0.5, 0.73]$: a gentle re-weighting, not a hard filter.

# %%
Xb, yb = make_multimodal_blobs(n_normal=600, n_anomaly=60, random_state=SEED)
centers, k, _ = P.init_prototypes_kmeans(Xb[yb == 0], n_prototypes=3, random_state=SEED)
zb, ub = torch.as_tensor(Xb, dtype=torch.float32), torch.as_tensor(centers)
s_max = student_t_similarity(zb, ub, normalize=False).max(dim=1).values
w = normality_weights(s_max, beta=1.0)
torch.testing.assert_close(w, P.normality_weights(P.student_t_similarity(zb, ub, normalize=False).max(dim=1).values))

fig, axes = plt.subplots(1, 2, figsize=(9, 3.5))
sc = axes[0].scatter(Xb[:, 0], Xb[:, 1], c=w.numpy(), s=8, cmap="viridis")
axes[0].scatter(centers[:, 0], centers[:, 1], marker="*", s=200, c="red", label="prototypes")
axes[0].set_title("normality weight w_i of each row")
axes[0].set_xlabel("feature 1")
axes[0].set_ylabel("feature 2")
axes[0].legend(fontsize=8)
fig.colorbar(sc, ax=axes[0])
axes[1].hist(w[yb == 0].numpy(), bins=30, alpha=0.6, density=True, label="normal")
axes[1].hist(w[yb == 1].numpy(), bins=30, alpha=0.6, density=True, label="anomaly")
axes[1].set_xlabel("w")
axes[1].set_ylabel("density")
axes[1].set_title("anomalies get lower weights")
axes[1].legend()
plt.tight_layout()
plt.show()
print(f"mean weight: normals {w[yb == 0].mean():.3f}, anomalies {w[yb == 1].mean():.3f}")
assert w[yb == 0].mean() > w[yb == 1].mean()

# %% [markdown]
# *Reading:* rows near a prototype get the largest weights and the scattered anomalies the smallest (the means are
# printed and asserted above), but every weight stays in a narrow band: with β = 1 the weighting is gentle.

# %% [markdown]
# ## Your functions inside the real MNPWAD
#
# `adlab.models.mnpwad` imports `student_t_similarity` and `normality_weights` into its own namespace;
# `adlab.labs.plug_in` swaps them for yours while the block runs (and counts the calls, to prove it).

# %%
from adlab import MNPWAD
from adlab.data.adbench import load_adbench
from adlab.data.protocol import weak_split
from adlab.evaluation.metrics import auc_pr
from adlab.labs import check_trains_like_adlab, plug_in

X, y = load_adbench("pendigits")
split = weak_split(X, y, protocol="rosas", random_state=SEED)
params = dict(epochs=adlab.config.fast_or(30, 3), n_batches_per_epoch=adlab.config.fast_or(64, 16),
              pretrain_epochs=adlab.config.fast_or(20, 2), n_prototypes=3, early_stopping=False,
              random_state=SEED)
with plug_in("adlab.models.mnpwad", student_t_similarity=student_t_similarity,
             normality_weights=normality_weights) as calls:
    det = MNPWAD(**params).fit(split.X_train, split.y_train)
    ap = auc_pr(split.y_test, det.decision_function(split.X_test))
print(f"calls to your functions: {dict(calls)}")
print(f"MNPWAD with your similarity and weights: test AUC-PR = {ap:.3f} (anomaly share {split.y_test.mean():.3f})")
assert calls["student_t_similarity"] > 0 and calls["normality_weights"] > 0
assert ap > 3 * split.y_test.mean()
# the final check: the AUC-PR cannot tell a detached similarity from the right one, the trained model can
check_trains_like_adlab(lambda: MNPWAD(**dict(params, epochs=2, n_batches_per_epoch=4, pretrain=False)),
                        split.X_train, split.y_train,
                        {"adlab.models.mnpwad": {"student_t_similarity": student_t_similarity,
                                                 "normality_weights": normality_weights}}, X_score=split.X_test)
print(f"lab ran in {time.perf_counter() - T0:.1f} s")
