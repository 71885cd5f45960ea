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
# # Lab 3 — Deep embedded clustering: target distribution and KL loss (MNPWAD)
#
# [![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/adlab-course/adlab/blob/main/exercises/03_dec_clustering_lab.ipynb)
#
# MNPWAD keeps its prototypes meaningful with the clustering loss of DEC (Xie et al., 2016), Eq. (8):
#
# $$ q_{ij} = \frac{s_{ij}}{\sum_{j'} s_{ij'}}, \qquad
#    p_{ij} = \frac{q_{ij}^2 / f_j}{\sum_{j'} q_{ij'}^2 / f_{j'}},\quad f_j = \sum_i q_{ij}, \qquad
#    L_{KL} = \mathrm{KL}(P \,\|\, Q) = \sum_i \sum_j p_{ij} \log \frac{p_{ij}}{q_{ij}}. $$
#
# $Q$ is a soft assignment of each unlabeled row to the prototypes. $P$ is a *sharper* version of it
# (squaring favours the confident assignments) that is also divided by the cluster sizes $f_j$, so a big
# cluster cannot swallow the small ones. Pulling $Q$ towards $P$ moves every prototype to the centre of
# the rows it is most confident about.
#
# **How labs work.** Work on your own copy: `python -m adlab.labs start 03` copies this exercise to
# `my_labs/` (ignored by git; nothing ever overwrites it). Replace each `raise NotImplementedError(...)` stub
# with your code and run the check cell below it: it prints *passed*, or raises an `AssertionError` that
# says what is wrong. From a shell, `python -m adlab.labs grade my_labs/03_dec_clustering_lab.ipynb` grades the
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

FAST = adlab.config.is_fast()
SEED = 0
adlab.config.seed_everything(SEED)
device = adlab.config.resolve_device("auto")
print(f"FAST={FAST}  device={device}  torch={torch.__version__}")
T0 = time.perf_counter()

# %% [markdown]
# ## Exercise 3.1 — soft assignment Q
#
# `s` is the (n, k) Student-t similarity matrix. Normalise each row so that it sums to 1.

# %%
def soft_assignment(s):
    """Q (n, k): q_ij = s_ij / sum_j' s_ij', Eq. (8)."""
    # YOUR CODE HERE (exercise 03.1)
    raise NotImplementedError("Exercise 03.1: Which axis indexes the prototypes? keepdim=True keeps the shapes broadcastable.")


# %%
check_exercise("03.1", soft_assignment)

# %% [markdown]
# ## Exercise 3.2 — the target distribution P
#
# Square $Q$, divide column $j$ by the soft cluster frequency $f_j$ (a column sum of $Q$), and
# normalise the rows again. Do not detach anything: MNPWAD's reference code lets the gradient flow
# through $P$ (textbook DEC holds $P$ fixed — you can always call `.detach()` at the call site).

# %%
def target_distribution(q):
    """P (n, k) from Q (n, k), Eq. (8)."""
    # YOUR CODE HERE (exercise 03.2)
    raise NotImplementedError("Exercise 03.2: Three steps: one frequency per cluster, the sharpened and rebalanced values, then a normalisation per row.")


# %%
check_exercise("03.2", target_distribution)

# %% [markdown]
# ## Exercise 3.3 — the clustering loss KL(P‖Q)
#
# Sum $p \log(p/q)$ over clusters and, with the default `reduction="sum"`, over rows (Eq. 8 and the
# reference code); `reduction="mean"` averages the per-row KL instead. Clamp before the log so that a zero
# probability does not produce `nan`.

# %%
def clustering_kl_loss(p, q, reduction="sum"):
    """KL(P || Q) of two (n, k) row-stochastic matrices; a scalar tensor."""
    # YOUR CODE HERE (exercise 03.3)
    raise NotImplementedError("Exercise 03.3: The KL of each row first, then the reduction; a zero probability must not give nan.")


# %%
check_exercise("03.3", clustering_kl_loss)

# %% [markdown]
# ## P is a sharper Q
#
# Six rows, three prototypes: compare the two matrices. Confident rows become more confident, and the
# frequency term lifts the small third cluster.

# %%
q = soft_assignment(torch.tensor([[0.9, 0.5, 0.2], [0.6, 0.55, 0.3], [0.8, 0.3, 0.25],
                                  [0.3, 0.9, 0.2], [0.35, 0.8, 0.3], [0.3, 0.4, 0.5]]))
p = target_distribution(q)
fig, axes = plt.subplots(1, 2, figsize=(7, 3))
for ax, m, name in zip(axes, (q, p), ("Q (soft assignment)", "P (target)")):
    ax.imshow(m.numpy(), vmin=0, vmax=1, cmap="Blues")
    for (i, j), v in np.ndenumerate(m.numpy()):
        ax.text(j, i, f"{v:.2f}", ha="center", va="center", fontsize=8)
    ax.set_title(name)
    ax.set_xlabel("prototype j")
    ax.set_ylabel("row i")
plt.tight_layout()
plt.show()
assert (p.max(dim=1).values >= q.max(dim=1).values - 1e-6).all()

# %% [markdown]
# *Reading:* in every row $P$ puts at least as much mass as $Q$ on its largest entry (asserted above): squaring
# sharpens the confident rows, and dividing by $f_j$ favours prototypes with little total mass.

# %% [markdown]
# **Predict, then run.** Take a $Q$ whose five rows are all $[0.6, 0.3, 0.1]$: every row is equally unsure. Is its $P$
# sharper than $Q$, and what is $\mathrm{KL}(P\|Q)$? Write your guess down, then run the cell.

# %%
q_same = torch.tensor([[0.6, 0.3, 0.1]]).repeat(5, 1)
p_same = target_distribution(q_same)
print("P of identical rows:", p_same[0].numpy().round(3), " KL(P||Q) =", float(clustering_kl_loss(p_same, q_same)))

# %% [markdown]
# ## A tiny DEC: prototypes find the clusters
#
# Three 2-D clusters and three badly placed prototypes. Each step recomputes $P$ from the current $Q$
# (held fixed for the step, as in textbook DEC) and takes a gradient step on $\mathrm{KL}(P\|Q)$ with
# respect to the prototypes only. (No normalisation here: in two dimensions it would keep only the angle.)

# %%
from adlab.data.synthetic import make_multimodal_blobs

Xb, yb = make_multimodal_blobs(n_normal=600, n_anomaly=0, random_state=SEED)
zb = torch.as_tensor(Xb, dtype=torch.float32)
protos = torch.nn.Parameter(torch.tensor([[-1.0, 1.0], [0.0, 0.5], [1.0, 1.0]]))
start = protos.detach().clone()
opt = torch.optim.Adam([protos], lr=0.05)
losses = []
for step in range(adlab.config.fast_or(400, 150)):
    q = soft_assignment(P.student_t_similarity(zb, protos, normalize=False))
    loss = clustering_kl_loss(target_distribution(q).detach(), q)
    opt.zero_grad()
    loss.backward()
    opt.step()
    losses.append(loss.item())

fig, axes = plt.subplots(1, 2, figsize=(9, 3.5))
axes[0].scatter(Xb[:, 0], Xb[:, 1], s=5, c="lightgrey")
axes[0].scatter(start[:, 0], start[:, 1], marker="x", s=80, c="black", label="start")
axes[0].scatter(protos.detach()[:, 0], protos.detach()[:, 1], marker="*", s=200, c="red", label="after DEC")
axes[0].set_xlabel("feature 1")
axes[0].set_ylabel("feature 2")
axes[0].set_title("prototypes move to the clusters")
axes[0].legend(fontsize=8)
axes[1].plot(losses)
axes[1].set_title("clustering loss during the steps")
axes[1].set_xlabel("step")
axes[1].set_ylabel("KL(P||Q)")
plt.tight_layout()
plt.show()
# every cluster centre now has a prototype closer than the starting guesses were
centres = torch.tensor([[0.0, 4.0], [-3.5, -2.0], [3.5, -2.0]])
print("distance of each cluster centre to its nearest prototype:",
      torch.cdist(centres, protos.detach()).min(dim=1).values.numpy().round(2))
assert torch.cdist(centres, protos.detach()).min(dim=1).values.mean() < torch.cdist(centres, start).min(dim=1).values.mean()

# %% [markdown]
# *Reading:* the stars end next to the three cluster centres, far from the crosses they started from (the distances
# are printed and asserted above). The loss does *not* fall steadily: $P$ is recomputed from the moving $Q$ at every
# step, so the target itself sharpens as the prototypes separate; the value is a moving target, not a progress bar.

# %% [markdown]
# ## Your DEC inside the real MNPWAD
#
# `plug_in` replaces the three functions in `adlab.models.mnpwad` while MNPWAD trains and scores.

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
with plug_in("adlab.models.mnpwad", soft_assignment=soft_assignment, target_distribution=target_distribution,
             clustering_kl_loss=clustering_kl_loss) as calls:
    det = MNPWAD(**params).fit(split.X_train, split.y_train)
    ap = auc_pr(split.y_test, det.decision_function(split.X_test))
print(f"calls to your functions: {dict(calls)}")
print(f"MNPWAD with your DEC loss: test AUC-PR = {ap:.3f} (anomaly share {split.y_test.mean():.3f})")
assert min(calls.values()) > 0 and len(calls) == 3
assert ap > 3 * split.y_test.mean()
# the final check: a detached P gives the same loss values but trains a different model
check_trains_like_adlab(lambda: MNPWAD(**dict(params, epochs=2, n_batches_per_epoch=4, pretrain=False)),
                        split.X_train, split.y_train,
                        {"adlab.models.mnpwad": {"soft_assignment": soft_assignment,
                                                 "target_distribution": target_distribution,
                                                 "clustering_kl_loss": clustering_kl_loss}}, X_score=split.X_test)
print(f"lab ran in {time.perf_counter() - T0:.1f} s")
