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
# # MNPWAD 4 — The contrastive prototype loss, and the full model
#
# [![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/adlab-course/adlab/blob/main/notebooks/04_contrastive_prototype_loss.ipynb)
#
# | | |
# |---|---|
# | **You will** | write the normality weight (Eq. 7) and the contrastive prototype loss (Eq. 9) by hand, draw the gradient they exert in the plane, and fit the full `adlab.MNPWAD` on toy data and on Pendigits |
# | **Prerequisites** | notebooks 02 and 03 |
# | **Time** | about 40 min |
# | **Read** | MNPWAD §III-D (Eq. 7, 9) and §III-F; Table II for Pendigits; the course map, notation table and glossary are in [docs/COURSE.md](../docs/COURSE.md) |
#
# DEC (notebook 03) organises the unlabeled codes around the prototypes, but it never looks at the
# labeled anomalies. The **contrastive prototype loss** does:
#
# $$ \mathcal{L}_{con} = -\log\sigma\Bigl(\underbrace{\mathbb{E}_{x_i\sim\mathcal X_U}\bigl[w_i\,\max_j s_{ij}\bigr]}_{\text{unlabeled: close to some prototype}}
#    - \underbrace{\mathbb{E}_{x_i\sim\mathcal X_A}\bigl[\max_j s_{ij}\bigr]}_{\text{labeled anomalies: far from all}}\Bigr)
#    \qquad \text{(Eq. 9)},\qquad w_i = \sigma\bigl(\beta\max_j s_{ij}\bigr)\quad\text{(Eq. 7)} $$
#
# The weight $w_i$ is the model's own estimate that unlabeled row $i$ is normal: unlabeled rows far
# from every prototype (likely hidden anomalies) count less. In this notebook we
#
# 1. write Eq. (7) and Eq. (9) by hand and check them against `adlab.components.prototypes`;
# 2. draw what the loss *pushes*: gradient arrows in the plane — labeled anomalies pushed away from their
#    nearest prototype, unlabeled rows (weighted) pulled in, prototypes pulled towards the unlabeled mass;
# 3. do training steps by hand with a small encoder;
# 4. fit the real `adlab.MNPWAD` on the three-cluster data and on Pendigits.

# %%
import sys, subprocess
if "google.colab" in sys.modules:  # Colab only: install adlab without touching torch/numpy
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps",
                    "git+https://github.com/adlab-course/adlab.git@main"], check=True)

# %%
import time

import matplotlib.pyplot as plt
import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

import adlab
import adlab.config
from adlab.components.prototypes import (init_prototypes_kmeans, normality_weights, prototype_contrastive_loss,
                                         student_t_similarity)
from adlab.data.synthetic import make_multimodal_blobs
from adlab.evaluation.metrics import auc_pr, auc_roc

FAST = adlab.config.is_fast()
SEED = 0
adlab.config.seed_everything(SEED)
device = adlab.config.resolve_device("auto")
if device.type == "cpu":
    torch.set_num_threads(1)  # tiny networks: one thread is fastest and avoids oversubscription
print(f"FAST={FAST}  device={device}  torch={torch.__version__}")
T0 = time.perf_counter()

# %% [markdown]
# ## 1. Eq. (7) and Eq. (9) by hand

# %%
def weights_by_hand(s_max_u, beta=1.0, renormalize=False):
    w = 1.0 / (1.0 + torch.exp(-beta * s_max_u))          # sigmoid
    return w / w.mean() if renormalize else w


def contrastive_by_hand(s_max_u, s_max_a, w=None):
    pos = (s_max_u if w is None else w * s_max_u).mean()
    neg = s_max_a.mean()
    return -torch.log(1.0 / (1.0 + torch.exp(-(pos - neg))))


gen = torch.Generator().manual_seed(SEED)
z_u, z_a = torch.randn(128, 8, generator=gen, dtype=torch.float64), torch.randn(8, 8, generator=gen, dtype=torch.float64)
protos = torch.randn(4, 8, generator=gen, dtype=torch.float64)
smax_u = student_t_similarity(z_u, protos).max(dim=1).values
smax_a = student_t_similarity(z_a, protos).max(dim=1).values
for beta in (0.1, 1.0, 10.0):
    for renorm in (False, True):
        torch.testing.assert_close(normality_weights(smax_u, beta, renormalize=renorm),
                                   weights_by_hand(smax_u, beta, renorm), atol=1e-6, rtol=1e-6)
w = weights_by_hand(smax_u)
torch.testing.assert_close(prototype_contrastive_loss(smax_u, smax_a, w), contrastive_by_hand(smax_u, smax_a, w), atol=1e-6, rtol=1e-6)
torch.testing.assert_close(prototype_contrastive_loss(smax_u, smax_a), contrastive_by_hand(smax_u, smax_a), atol=1e-6, rtol=1e-6)
print(f"hand Eq. (7) and Eq. (9) == adlab;  L_con = {contrastive_by_hand(smax_u, smax_a, w):.4f}")
print(f"w range with beta=1 on s in [0.2, 1]: [{torch.sigmoid(torch.tensor(0.2)):.3f}, {torch.sigmoid(torch.tensor(1.0)):.3f}]")

# %% [markdown]
# Two remarks before we look at gradients.
#
# * With normalised codes $s\in[0.2,1]$, so the argument of $\sigma$ lies in $[0.2\cdot0.55-1,\ 0.73-0.2]$
#   $\approx[-0.89, 0.53]$: $\mathcal L_{con}$ never reaches 0 — it keeps pushing for the whole training.
# * With $\beta=1$ the weights only range over $[0.55, 0.73]$: a gentle down-weighting, not a filter.
#   The reference code also divides them by their batch mean (`normality_weights(..., renormalize=True)`);
#   adlab follows the paper's Eq. (7) by default.

# %% [markdown]
# ## 2. What the loss pushes: gradient arrows in the plane
#
# Take the three-cluster toy data as if it were already a latent space (raw kernel, `normalize=False`,
# so distances are visible), k-means prototypes, all rows unlabeled except 6 labeled anomalies. We ask
# autograd for $-\nabla_{z}\mathcal L_{con}$ at every point and at every prototype: the direction
# gradient descent would move them.
#
# Arrow lengths are rescaled **per group** (the unlabeled mean runs over ~900 rows, the anomaly mean
# over 6, so raw magnitudes differ by two orders); within a group, lengths are comparable.

# %%
X, y = make_multimodal_blobs(random_state=SEED)
rng = np.random.default_rng(SEED)
labeled = np.zeros(len(y), dtype=bool)
labeled[rng.choice(np.flatnonzero(y == 1), 6, replace=False)] = True
centres, k, _ = init_prototypes_kmeans(X[~labeled], n_prototypes=3, random_state=SEED)

Z = torch.as_tensor(X, dtype=torch.float64).requires_grad_(True)
U = torch.as_tensor(centres, dtype=torch.float64).requires_grad_(True)
s = student_t_similarity(Z, U, alpha=1.0, normalize=False)
smax = s.max(dim=1).values
lab_t = torch.as_tensor(labeled)
w_u = normality_weights(smax[~lab_t]).detach()       # weights as fixed coefficients for this picture
loss = prototype_contrastive_loss(smax[~lab_t], smax[lab_t], w_u)
gZ, gU = torch.autograd.grad(loss, (Z, U))
move, move_u = (-gZ).numpy(), (-gU).numpy()

fig, ax = plt.subplots(figsize=(8, 7))
xs = X
ax.scatter(xs[~labeled & (y == 0), 0], xs[~labeled & (y == 0), 1], s=3, c="lightgrey")
for mask, colour, name in ((~labeled, "tab:blue", "unlabeled (pulled in)"), (labeled, "tab:red", "labeled anomalies (pushed out)")):
    sel = np.flatnonzero(mask)
    if mask is not labeled:                        # thin the unlabeled arrows for readability
        sel = sel[::4]
    m = move[sel]
    scale = 1.2 / np.linalg.norm(m, axis=1).max()
    ax.quiver(xs[sel, 0], xs[sel, 1], m[:, 0] * scale, m[:, 1] * scale, color=colour, angles="xy",
              scale_units="xy", scale=1, width=0.005 if mask is labeled else 0.0025, label=name)
scale_u = 1.2 / np.linalg.norm(move_u, axis=1).max()
ax.quiver(centres[:, 0], centres[:, 1], move_u[:, 0] * scale_u, move_u[:, 1] * scale_u, color="green",
          angles="xy", scale_units="xy", scale=1, width=0.008, label="prototypes")
ax.scatter(centres[:, 0], centres[:, 1], marker="*", s=300, c="green", edgecolor="white", zorder=3)
ax.scatter(xs[(y == 1) & ~labeled, 0], xs[(y == 1) & ~labeled, 1], s=18, facecolor="none", edgecolor="orange",
           label="hidden (unlabeled) anomalies")
ax.set(title=r"$-\nabla \mathcal{L}_{con}$: where gradient descent moves codes and prototypes", aspect="equal",
       xlabel="feature 1 (used as the code)", ylabel="feature 2 (used as the code)")
ax.legend(loc="lower right", fontsize=8)
plt.show()

# %% [markdown]
# Reading the picture:
#
# * **labeled anomalies** move *away from their nearest prototype* (only the max enters the loss, so only
#   the nearest one matters);
# * **unlabeled rows** move *towards their nearest prototype*, most strongly at a moderate distance
#   (the kernel's slope $|ds/dd| = 2d/(1+d^2)^2$ peaks at $d=1/\sqrt3$ and vanishes at the centre and
#   far away) — far-out unlabeled rows, which include the hidden anomalies, are barely pulled;
# * **prototypes** are pulled towards the unlabeled mass of their cluster — here they already sit at the
#   k-means centroid, so that pull nearly cancels — and pushed away from labeled anomalies that have
#   them as nearest prototype, which is the arrow you see.
#
# Let us check these directions numerically:

# %%
nearest = s.argmax(dim=1).detach().numpy()
to_proto = centres[nearest] - X                                   # direction to the nearest prototype
cos_to_proto = (move * to_proto).sum(1) / (np.linalg.norm(move, axis=1) * np.linalg.norm(to_proto, axis=1) + 1e-12)
print(f"cos(move, direction to nearest prototype): unlabeled mean {cos_to_proto[~labeled].mean():+.3f}, "
      f"labeled anomalies mean {cos_to_proto[labeled].mean():+.3f}")
assert (cos_to_proto[~labeled] > 0.99).all() and (cos_to_proto[labeled] < -0.99).all()
# far-away unlabeled rows (the hidden anomalies) get a weaker pull than normals
pull = np.linalg.norm(move, axis=1)
print(f"median pull: unlabeled normals {np.median(pull[(y == 0)]):.2e}, hidden anomalies {np.median(pull[(y == 1) & ~labeled]):.2e}")
assert np.median(pull[(y == 1) & ~labeled]) < np.median(pull[y == 0])

# %% [markdown]
# ## 3. Training steps by hand
#
# Now a real (tiny) encoder $\mathbb R^2\to\mathbb R^8$ and the normalised kernel, as in MNPWAD. One step:
# encode a batch of unlabeled rows and the labeled anomalies, similarities to the prototypes, weights,
# $\mathcal L_{con}$, backward, optimiser step — encoder **and** prototypes are parameters. (The weights
# are not detached, as in paper and reference code: the gradient also flows through $w_i$.)
#
# We run a few hundred such steps with $\mathcal L_{con}$ alone and watch the max-similarities of the
# three groups: unlabeled normals, hidden anomalies (never labeled!) and labeled anomalies.

# %%
Xs = (X - X.mean(0)) / X.std(0)                   # standardised inputs
X_t = torch.as_tensor(Xs, dtype=torch.float32)
idx_u, idx_a = np.flatnonzero(~labeled), np.flatnonzero(labeled)
torch.manual_seed(SEED)
encoder = nn.Sequential(nn.Linear(2, 32), nn.LeakyReLU(), nn.Linear(32, 8), nn.LeakyReLU())
with torch.no_grad():
    c0, _, _ = init_prototypes_kmeans(encoder(X_t[idx_u]).numpy(), n_prototypes=3, random_state=SEED)
prototypes = nn.Parameter(torch.as_tensor(c0))
opt = torch.optim.Adam([*encoder.parameters(), prototypes], lr=5e-3)
g = torch.Generator().manual_seed(SEED)
idx_u_t, idx_a_t = torch.as_tensor(idx_u), torch.as_tensor(idx_a)


def group_similarity():
    with torch.no_grad():
        sm = student_t_similarity(encoder(X_t), prototypes).max(dim=1).values.numpy()
    return {"normal": sm[y == 0].mean(), "hidden anomaly": sm[(y == 1) & ~labeled].mean(),
            "labeled anomaly": sm[labeled].mean(), "auc_roc_hidden": auc_roc(y[~labeled], -sm[~labeled])}


STEPS = 200 if FAST else 600
trace = [group_similarity()]
for step in range(STEPS):
    u = idx_u_t[torch.randperm(len(idx_u_t), generator=g)[:128]]
    a = idx_a_t[torch.randint(len(idx_a_t), (32,), generator=g)]          # b_a labeled rows, with replacement
    s_u = student_t_similarity(encoder(X_t[u]), prototypes).max(dim=1).values
    s_a = student_t_similarity(encoder(X_t[a]), prototypes).max(dim=1).values
    w = 1.0 / (1.0 + torch.exp(-s_u))                                      # Eq. (7), beta = 1
    loss_hand = -torch.log(torch.sigmoid((w * s_u).mean() - s_a.mean()))  # Eq. (9)
    torch.testing.assert_close(loss_hand, prototype_contrastive_loss(s_u, s_a, normality_weights(s_u)))
    opt.zero_grad()
    loss_hand.backward()
    opt.step()
    if (step + 1) % 20 == 0:
        trace.append(group_similarity())

steps_axis = np.arange(len(trace)) * 20
fig, axes = plt.subplots(1, 2, figsize=(11, 3.5))
for key in ("normal", "hidden anomaly", "labeled anomaly"):
    axes[0].plot(steps_axis, [t[key] for t in trace], label=key)
axes[0].set(xlabel="step", ylabel=r"mean $\max_j s_{ij}$", title=r"$\mathcal{L}_{con}$ alone, normalised kernel")
axes[0].legend()
axes[1].plot(steps_axis, [t["auc_roc_hidden"] for t in trace], color="k")
axes[1].set(xlabel="step", ylabel="AUC-ROC", ylim=(0.5, 1.0), title=r"hidden anomalies vs normals by $1-\max_j s_{ij}$")
plt.tight_layout()
plt.show()
print("start:", {k_: round(float(v), 3) for k_, v in trace[0].items()})
print("end:  ", {k_: round(float(v), 3) for k_, v in trace[-1].items()})
assert trace[-1]["labeled anomaly"] < trace[0]["labeled anomaly"] - 0.05
assert trace[-1]["normal"] > trace[-1]["labeled anomaly"] + 0.1

# %% [markdown]
# The labeled anomalies are driven to the floor of the kernel while normals stay close to their
# prototypes. Whether the *hidden* anomalies follow depends on how the encoder generalises from six
# labeled points — the contrastive loss alone gives no guarantee, which is one reason MNPWAD combines it
# with reconstruction (Eq. 3–5), DEC (Eq. 8) and a learned scorer (Eq. 11–12).

# %% [markdown]
# ## 4. The real MNPWAD
#
# `adlab.MNPWAD` puts everything together: pretraining (notebook 01), k-means prototypes with the
# silhouette choice of $k$ (02, 03), Eq. (3)–(13) with dynamic weight averaging, and the score network.
#
# ### 4a. Three-cluster data
#
# The paper's Fig. 5 setting: 10 of the 45 scattered anomalies are labeled, everything else is
# unlabeled (so 35 anomalies hide in the unlabeled pool). We **standardise** the plane (zero mean, unit
# variance): MNPWAD's kernel only sees directions of the codes (notebook 02), and a centred input gives
# the small encoder directions to work with. We then ask the fitted model to score the unlabeled rows —
# can it find the anomalies it was never told about?

# %%
from adlab import MNPWAD

N_LABELED = 10
weak = np.zeros(len(y), dtype=np.int64)
weak[rng.choice(np.flatnonzero(y == 1), N_LABELED, replace=False)] = 1
unl = weak == 0
toy_kw = dict(epochs=20, n_batches_per_epoch=32, pretrain_epochs=10, random_state=SEED)

t = time.perf_counter()
mnp = MNPWAD(**toy_kw).fit(Xs, weak)
scores_toy = mnp.decision_function(Xs)
print(f"fit in {time.perf_counter() - t:.1f} s;  k chosen by silhouette: {mnp.n_prototypes_}  "
      f"(scores {', '.join(f'{kk}:{v:.2f}' for kk, v in mnp.silhouette_scores_.items())})")
pr_toy, roc_toy = auc_pr(y[unl], scores_toy[unl]), auc_roc(y[unl], scores_toy[unl])
print(f"hidden anomalies among the unlabeled rows: AUC-PR {pr_toy:.3f} (random: {y[unl].mean():.3f}), AUC-ROC {roc_toy:.3f}")
assert pr_toy > 0.4, "MNPWAD should rank most hidden anomalies above the normal clusters"

mnp1 = MNPWAD(n_prototypes=1, **toy_kw).fit(Xs, weak)
scores_toy1 = mnp1.decision_function(Xs)
print(f"single prototype (n_prototypes=1): AUC-PR {auc_pr(y[unl], scores_toy1[unl]):.3f}, "
      f"AUC-ROC {auc_roc(y[unl], scores_toy1[unl]):.3f}")

# %% [markdown]
# Score maps over the plane (the detector is a function of the input, so we can evaluate it on a
# grid), and the training history: the mean max-similarity of the unlabeled rows (`s_u`) and of the
# labeled anomalies (`s_a`) — the two terms inside Eq. (9) — and the normality weight.

# %%
g1 = np.linspace(Xs[:, 0].min() - 0.3, Xs[:, 0].max() + 0.3, 120)
g2 = np.linspace(Xs[:, 1].min() - 0.3, Xs[:, 1].max() + 0.3, 120)
G1, G2 = np.meshgrid(g1, g2)
grid_pts = np.column_stack([G1.ravel(), G2.ravel()])
fig, axes = plt.subplots(1, 3, figsize=(16, 4.6))
for ax, model, name in ((axes[0], mnp, f"MNPWAD, k={mnp.n_prototypes_}"), (axes[1], mnp1, "MNPWAD, k=1")):
    im = ax.contourf(G1, G2, model.decision_function(grid_pts).reshape(G1.shape), levels=20, cmap="magma")
    ax.scatter(Xs[y == 0, 0], Xs[y == 0, 1], s=2, c="white", alpha=0.4)
    ax.scatter(Xs[(y == 1) & unl, 0], Xs[(y == 1) & unl, 1], s=16, facecolor="none", edgecolor="cyan", label="hidden anomaly")
    ax.scatter(Xs[weak == 1, 0], Xs[weak == 1, 1], s=30, marker="x", c="lime", label="labeled anomaly")
    ax.set(title=f"{name}: anomaly score", aspect="equal", xlabel="feature 1 (standardised)",
           ylabel="feature 2 (standardised)")
    fig.colorbar(im, ax=ax, shrink=0.8, label="anomaly score")
axes[0].legend(loc="lower right", fontsize=7)
hist = mnp.history_
ep = [h["epoch"] for h in hist]
for key in ("s_u", "s_a", "w_mean"):
    axes[2].plot(ep, [h[key] for h in hist], label=key)
axes[2].set(xlabel="epoch", ylabel="mean similarity or weight", title="MNPWAD training (k chosen by silhouette)")
axes[2].legend()
plt.tight_layout()
plt.show()
assert hist[-1]["s_a"] < hist[-1]["s_u"], "labeled anomalies must end further from the prototypes than unlabeled rows"

# %% [markdown]
# The low-score (dark) regions are **wedges from the origin** rather than round blobs around the
# clusters: the fingerprint of L2 normalisation (notebook 02) — the prototype similarity, and much of
# the score, depend on the *direction* of the code, and a small encoder of a 2-D input keeps much of the
# input's direction. Anomalies lying on the ray of a cluster, or near the centre where all directions
# meet, are the hard ones. On this toy a single prototype is often competitive (the score network also
# sees the reconstruction error and the code itself); across seeds the two trade places, so do not read
# too much into one run — the paper's Fig. 5 contrast is a qualitative picture.
#
# ### 4b. Pendigits
#
# The real thing: Pendigits under the MNPWAD protocol (a **single** labeled anomaly, 92 hidden ones in
# the unlabeled pool). Two ways to fit:
#
# * **label-free** (adlab's default): no validation data; a short fixed schedule.
# * **the reference's epoch selection**: switch on `early_stopping=True` and pass the labeled 5 % validation
#   split; MNPWAD then stops after `patience` epochs without improvement and keeps the epoch with the best
#   validation AUC-PR + AUC-ROC (passing `X_val` alone changes nothing: label use is always opt-in).
#   This uses extra labels (8 validation anomalies for Pendigits) that the paper does not mention but
#   the authors' code relies on ([docs/references/mnpwad.md](../docs/references/mnpwad.md) §1.1). Their code
#   also stops the pretraining on, and clusters, the validation normals (`pretrain_early_stopping=True`,
#   `init_data="val_normals"` here); on adlab's development splits those two lowered the results, so they
#   stay off (`MNPWAD` Decisions, "Which uses of the validation part help").

# %%
from adlab.data.adbench import load_adbench
from adlab.data.protocol import weak_split

Xp, yp = load_adbench("pendigits")
sp = weak_split(Xp, yp, protocol="mnpwad", random_state=SEED)
print(f"train {sp.X_train.shape}, labeled anomalies {int(sp.y_train.sum())}, "
      f"hidden anomalies {int(sp.y_train_true.sum() - sp.y_train.sum())}; test anomaly rate {sp.y_test.mean():.3f}")

pen_kw = dict(epochs=5, n_batches_per_epoch=32, pretrain_epochs=5, random_state=SEED)
t = time.perf_counter()
free = MNPWAD(**pen_kw).fit(sp.X_train, sp.y_train)
res_free = {"auc_pr": auc_pr(sp.y_test, free.decision_function(sp.X_test)),
            "auc_roc": auc_roc(sp.y_test, free.decision_function(sp.X_test))}
print(f"label-free:         k={free.n_prototypes_}, test AUC-PR {res_free['auc_pr']:.3f}, AUC-ROC {res_free['auc_roc']:.3f} "
      f"({time.perf_counter() - t:.1f} s)")

t = time.perf_counter()
ref = MNPWAD(**{**pen_kw, "epochs": 10 if FAST else 30, "early_stopping": True}).fit(
    sp.X_train, sp.y_train, X_val=sp.X_val, y_val=sp.y_val)
res_ref = {"auc_pr": auc_pr(sp.y_test, ref.decision_function(sp.X_test)),
           "auc_roc": auc_roc(sp.y_test, ref.decision_function(sp.X_test))}
print(f"val. early stopping: k={ref.n_prototypes_}, best epoch {ref.best_epoch_}, test AUC-PR {res_ref['auc_pr']:.3f}, "
      f"AUC-ROC {res_ref['auc_roc']:.3f} ({time.perf_counter() - t:.1f} s)")
print("paper (Table II, 5 runs, reference code with validation early stopping): AUC-PR 0.856 ± 0.042, AUC-ROC 0.986 ± 0.007")
assert res_free["auc_pr"] > 0.25 and res_free["auc_roc"] > 0.8, res_free
assert res_ref["auc_pr"] > 0.25, res_ref

# %%
fig, ax = plt.subplots(figsize=(6.5, 3.5))
for model, name in ((free, "label-free"), (ref, "validation early stopping")):
    s_test = model.decision_function(sp.X_test)
    bins = np.linspace(0, 1, 41)
    ax.hist(s_test[sp.y_test == 0], bins=bins, density=True, histtype="step", label=f"{name}: normals")
    ax.hist(s_test[sp.y_test == 1], bins=bins, density=True, histtype="step", ls="--", label=f"{name}: anomalies")
ax.set(xlabel="MNPWAD score (sigmoid output of φ)", ylabel="density", title="Pendigits test scores", yscale="log")
ax.legend(fontsize=7)
plt.show()

# %% [markdown]
# In both models the anomalies' scores (dashed) sit to the right of the normals'. From a single labeled anomaly
# and a few seconds of CPU, MNPWAD ranks the unseen test anomalies far
# above chance (the anomaly rate, about 0.02, is what a random ranking would score). Note the effect of the
# validation split: with labeled validation data, model selection can stop before joint training over-fits
# the single labeled anomaly.
#
# **Is the gap to the paper a matter of FAST mode?** No. The repository's fidelity benchmark
# (`benchmarks/fidelity_mnpwad.py`) runs adlab's full default schedule on three splits × five seeds without
# validation data; the next cell reads its committed results and compares them with the paper's Table II.

# %%
from pathlib import Path

import pandas as pd

PAPER_TABLE_II = {"pendigits": 0.856, "magic.gamma": 0.780}
fid_path = Path(adlab.__file__).resolve().parents[1] / "benchmarks" / "results" / "fidelity_mnpwad.csv"
if fid_path.exists():
    fid = pd.read_csv(fid_path)
    per_split = fid.groupby(["dataset", "split"])["auc_pr"].mean().unstack()
    by_data = fid.groupby("dataset")["auc_pr"]
    fid_summary = pd.DataFrame({"runs": by_data.size(), "auc_pr_mean": by_data.mean(), "auc_pr_std": by_data.std(),
                                "min_split_mean": per_split.min(axis=1), "max_split_mean": per_split.max(axis=1),
                                "paper (Table II)": pd.Series(PAPER_TABLE_II)})
    print(fid_summary.round(3).to_string())
    pen = fid_summary.loc["pendigits"]
    gap = pen["paper (Table II)"] - pen["auc_pr_mean"]
    print(f"Pendigits, full schedule: {pen['auc_pr_mean']:.3f} vs the paper's {pen['paper (Table II)']:.3f} "
          f"(gap {gap:.3f}); per-split means {pen['min_split_mean']:.3f} to {pen['max_split_mean']:.3f}")
else:
    fid_summary = None
    print(f"{fid_path} is not here (e.g. in Colab); run `python benchmarks/fidelity_mnpwad.py` to make it")

# %% [markdown]
# **Reading.** If the table printed, the full schedule does not close the gap on Pendigits: the mean over the
# benchmark's runs stays well below the paper's 0.856, and it varies far more between *splits* (per-split
# means printed above) than between seeds. With 1 % of the training anomalies labeled, Pendigits has a
# *single* labeled anomaly, and how typical that one row is decides most of the score; the paper's ± is over
# seeds on one fixed split, and its reference code also selects epochs on labeled validation data. The
# `MNPWAD` docstring ("What limits Pendigits") has the measurements. FAST mode only adds noise on top.
#
# %%
if fid_summary is not None:
    assert fid_summary.loc["pendigits", "auc_pr_mean"] < PAPER_TABLE_II["pendigits"] - 0.1, \
        "the full-schedule benchmark no longer shows a gap: update the reading above"

# %% [markdown]
# ## Takeaways
#
# * Eq. (9) compares the *weighted* mean max-similarity of unlabeled rows with that of labeled anomalies;
#   its gradient pulls unlabeled codes (and prototypes) together and pushes labeled anomalies away from
#   their nearest prototype. Far-out unlabeled rows are barely pulled — the kernel's tail and the weights
#   $w_i$ both keep hidden anomalies from being absorbed.
# * Alone it separates the *labeled* anomalies; generalising to unseen ones needs the rest of MNPWAD:
#   pretrained codes (01), prototypes (02–03), reconstruction hinge and the learned scorer.
#
# **Further reading.** MNPWAD §III-D and §III-F; Pang et al., *Deep anomaly detection with deviation networks* (KDD 2019) for another way of using a few labeled anomalies.
#
# **Next:** notebook 05, the normality weights under contamination.

# %%
print(f"notebook ran in {time.perf_counter() - T0:.1f} s")
