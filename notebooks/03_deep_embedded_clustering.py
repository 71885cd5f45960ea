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
# # MNPWAD 3 — Deep Embedded Clustering of the normal prototypes
#
# [![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/adlab-course/adlab/blob/main/notebooks/03_deep_embedded_clustering.ipynb)
#
# The k-means prototypes MNPWAD starts from are only a first guess. The paper refines them (and the
# encoder) with **Deep Embedded Clustering** (DEC, Xie et al. 2016) on the unlabeled rows:
#
# $$ q_{ij} = \frac{s_{ij}}{\sum_{j'} s_{ij'}},\qquad f_j = \sum_i q_{ij},\qquad
#    p_{ij} = \frac{q_{ij}^2/f_j}{\sum_{j'} q_{ij'}^2/f_{j'}},\qquad
#    \mathcal{L}_{kl} = \sum_i\sum_j p_{ij}\log\frac{p_{ij}}{q_{ij}} \qquad \text{(Eq. 8)} $$
#
# $Q$ is a *soft assignment* of every code to every prototype (from the Student's-t similarities of
# notebook 02), $P$ a *sharpened* copy of it, and the KL pulls $Q$ towards $P$: confident assignments
# become more confident, and the prototypes move to the centres of their clusters.
#
# | | |
# |---|---|
# | **You will** | compute $Q$, $P$ and the DEC loss by hand; see when $\mathrm{KL}(P\Vert Q)$ is zero; tell textbook DEC from the authors' per-batch variant and see the latter collapse; choose $k$ by the silhouette score |
# | **Prerequisites** | notebook 02 (Student's-t similarity); KL divergence; k-means |
# | **Time** | about 40 min (FAST run: under a minute on a laptop CPU) |
# | **Read** | MNPWAD §III-D (Eq. 8); Xie et al. 2016 (DEC) §3.1; the course map and notation table in [docs/COURSE.md](../docs/COURSE.md) |
#
# In this notebook we
# 1. compute $Q$, $P$ and the KL by hand and check them against `adlab.components.prototypes`;
# 2. see how $P$ sharpens $Q$ (and why L2 normalisation keeps $Q$ soft);
# 3. train a tiny encoder + prototypes with textbook DEC on the three-cluster data and watch the prototypes move;
# 4. compare textbook DEC ($P$ fixed, refreshed periodically) with what the authors' code does
#    ($P$ rebuilt from every batch's $Q$, *not* detached) — they are different objectives;
# 5. choose $k$ by the silhouette score with `init_prototypes_kmeans`, as MNPWAD does.

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
from sklearn.metrics import adjusted_rand_score
from torch import nn

import adlab
import adlab.config
from adlab.components.prototypes import (clustering_kl_loss, init_prototypes_kmeans, soft_assignment,
                                         student_t_similarity, target_distribution)
from adlab.data.synthetic import make_multimodal_blobs

FAST = adlab.config.is_fast()
SEED = 0
adlab.config.seed_everything(SEED)
device = adlab.config.resolve_device("auto")
if device.type == "cpu":
    torch.set_num_threads(1)  # tiny networks: one thread is fastest and avoids oversubscription
print(f"FAST={FAST}  device={device}  torch={torch.__version__}")
T0 = time.perf_counter()

# %% [markdown]
# ## 0. Data: three Gaussian clusters + scattered anomalies
#
# We also record which cluster every normal point came from (nearest true centre; the clusters are
# far apart) so that we can measure how well a clustering recovers them (adjusted Rand index, ARI).

# %%
X, y = make_multimodal_blobs(random_state=SEED)
true_centres = np.array([[0.0, 4.0], [-3.5, -2.0], [3.5, -2.0]])          # the generator's defaults
mode = np.argmin(((X[:, None, :] - true_centres[None]) ** 2).sum(-1), axis=1)
X_t = torch.as_tensor(X, dtype=torch.float32)
normal = y == 0
print("X:", X.shape, " anomalies:", int(y.sum()), " points per cluster:", np.bincount(mode[normal]))

# %% [markdown]
# ## 1. Q, P and the KL by hand

# %%
def q_by_hand(s):
    """Soft assignment: each row of s (n, k) divided by its sum."""
    return s / s.sum(dim=1, keepdim=True)


def p_by_hand(q):
    """DEC target: square q, divide by the soft cluster sizes f_j, renormalise the rows."""
    f = q.sum(dim=0)                       # (k,) soft number of points per cluster
    p = q ** 2 / f
    return p / p.sum(dim=1, keepdim=True)


def kl_by_hand(p, q):
    return (p * (p.log() - q.log())).sum()


U_km, _, _ = init_prototypes_kmeans(X[normal], n_prototypes=3, random_state=SEED)
U_km = torch.as_tensor(U_km)
for normalize in (False, True):
    s = student_t_similarity(X_t.double(), U_km.double(), normalize=normalize)
    q, p = q_by_hand(s), p_by_hand(q_by_hand(s))
    torch.testing.assert_close(soft_assignment(s), q, atol=1e-6, rtol=1e-6)
    torch.testing.assert_close(target_distribution(q), p, atol=1e-6, rtol=1e-6)
    torch.testing.assert_close(clustering_kl_loss(p, q, reduction="sum"), kl_by_hand(p, q), atol=1e-6, rtol=1e-6)
    torch.testing.assert_close(clustering_kl_loss(p, q, reduction="mean"), kl_by_hand(p, q) / len(q), atol=1e-6, rtol=1e-6)
    assert torch.allclose(q.sum(1), torch.ones(len(q), dtype=q.dtype)) and torch.allclose(p.sum(1), torch.ones(len(p), dtype=p.dtype))
    print(f"normalize={normalize!s:5}: hand Q, P, KL == adlab   KL(P||Q) summed = {kl_by_hand(p, q):.3f}")

# %% [markdown]
# ## 2. How P sharpens Q
#
# Squaring $q_{ij}$ and renormalising pushes every row towards its largest entry (a row $(0.6, 0.3, 0.1)$
# becomes $(0.78, 0.20, 0.02)$); dividing by $f_j$ stops big clusters from swallowing small ones.
# Below: $Q$ and $P$ for 10 points of each cluster and 5 anomalies, with the raw kernel in the input
# plane (top) and with L2 normalisation after centring the data (bottom, what MNPWAD's Eq. 6 does).
#
# With normalisation, $s_{ij}\in[0.2,1]$, so a row of $Q$ can never be one-hot:
# $\max_j q_{ij} \le 1/(1 + 0.2(k-1)) = 0.71$ for $k=3$. $Q$ stays soft and $P$ always differs from it.

# %%
rng = np.random.default_rng(SEED)
show = np.concatenate([rng.choice(np.flatnonzero(normal & (mode == c)), 10, replace=False) for c in range(3)]
                      + [rng.choice(np.flatnonzero(~normal), 5, replace=False)])
centre = X[normal].mean(0)
cases = {"raw kernel": (X_t, U_km, False),
         "L2-normalised (data centred)": (X_t - torch.as_tensor(centre, dtype=torch.float32),
                                          U_km - torch.as_tensor(centre, dtype=torch.float32), True)}
fig, axes = plt.subplots(2, 2, figsize=(9, 9), sharey=True, layout="constrained")
entropy = lambda m: float(-(m * m.clamp_min(1e-12).log()).sum(1).mean())
for row, (name, (Z, U, normalize)) in enumerate(cases.items()):
    q_all = soft_assignment(student_t_similarity(Z, U, normalize=normalize))
    p_all = target_distribution(q_all)
    for col, (mat, lab) in enumerate(((q_all, "Q"), (p_all, "P"))):
        ax = axes[row, col]
        im = ax.imshow(mat[show].numpy(), aspect="auto", cmap="magma", vmin=0, vmax=1)
        ax.set(title=f"{lab}, {name}\nmean row entropy {entropy(mat):.2f}", xlabel="prototype j",
               xticks=range(3))
        ax.axhline(29.5, color="cyan", lw=1)
    assert entropy(p_all) < entropy(q_all), "P must be sharper than Q"
axes[0, 0].set_ylabel("30 normals (3 clusters) | 5 anomalies")
axes[1, 0].set_ylabel("30 normals (3 clusters) | 5 anomalies")
fig.colorbar(im, ax=axes, shrink=0.6)
plt.show()

# %% [markdown]
# Applying the map $Q\mapsto P$ again and again drives every row to a one-hot vector (hard k-means-like
# assignments). DEC takes only *one* step of it as the target, so the network is asked for a little
# more confidence at a time.

# %%
q_iter = soft_assignment(student_t_similarity(X_t, U_km, normalize=False))
confidence = [float(q_iter.max(1).values.mean())]
for _ in range(6):
    q_iter = target_distribution(q_iter)
    confidence.append(float(q_iter.max(1).values.mean()))
print("mean max_j of Q, P, P(P), ...:", np.round(confidence, 3))
assert all(b >= a - 1e-9 for a, b in zip(confidence, confidence[1:])) and confidence[-1] > 0.99

# %% [markdown]
# ## 3. Textbook DEC: a tiny encoder and three prototypes
#
# Now the similarities are computed in a learned latent space: a tiny encoder $\mathbb{R}^2\to\mathbb{R}^2$
# (2-D so we can watch it), with three prototypes initialised by k-means on the initial codes, as
# MNPWAD does. All rows are unlabeled here (the 5 % anomalies included), exactly the data DEC sees in
# MNPWAD. To keep the picture readable we use the raw kernel (`normalize=False`) in this 2-D latent
# space; the loss functions are the adlab ones we just checked.
#
# **Textbook DEC** computes $P$ over the *whole* data set with the current network, holds it fixed
# (no gradient) for `T` steps, and meanwhile minimises $\mathrm{KL}(P_{\text{batch}}\,\|\,Q_{\text{batch}})$
# on mini-batches.

# %%
STEPS = 300 if FAST else 600
REFRESH = 25
BATCH = 128


def make_encoder(seed):
    torch.manual_seed(seed)
    return nn.Sequential(nn.Linear(2, 16), nn.LeakyReLU(), nn.Linear(16, 2))


def train_dec(variant, steps=STEPS, seed=SEED, snapshots=(0,)):
    """variant: 'textbook' (P over all rows, fixed, refreshed every REFRESH steps) or
    'per-batch' (P = target_distribution(Q_batch), not detached: the reference code)."""
    enc = make_encoder(seed)
    with torch.no_grad():
        centres, _, _ = init_prototypes_kmeans(enc(X_t).numpy(), n_prototypes=3, random_state=seed)
    protos = nn.Parameter(torch.as_tensor(centres))
    opt = torch.optim.Adam([*enc.parameters(), protos], lr=1e-2)
    gen = torch.Generator().manual_seed(seed)
    log, snaps, P_all = [], {}, None
    for step in range(steps + 1):
        with torch.no_grad():
            if step in snapshots:
                snaps[step] = (enc(X_t).numpy(), protos.detach().clone().numpy())
            if step % 10 == 0:
                Z_all = enc(X_t)
                q_all = soft_assignment(student_t_similarity(Z_all, protos, normalize=False))
                d = torch.cdist(protos, protos)
                min_d = float(d[~torch.eye(3, dtype=bool)].min())
                # scale-free separation: closest pair of prototypes / typical distance of a normal code
                # to its nearest prototype (unchanged if the whole latent space is stretched)
                spread = float(torch.cdist(Z_all[normal], protos).min(1).values.median())
                log.append({"step": step, "ari": adjusted_rand_score(mode[normal], q_all[normal].argmax(1).numpy()),
                            "confidence": float(q_all.max(1).values.mean()),
                            "row_spread": float(0.5 * (q_all - q_all.mean(0)).abs().sum(1).mean()),
                            "min_proto_dist": min_d, "separation": min_d / spread})
        if step == steps:
            break
        if variant == "textbook" and step % REFRESH == 0:
            with torch.no_grad():
                P_all = target_distribution(soft_assignment(student_t_similarity(enc(X_t), protos, normalize=False)))
        idx = torch.randperm(len(X_t), generator=gen)[:BATCH]
        q = soft_assignment(student_t_similarity(enc(X_t[idx]), protos, normalize=False))
        p = P_all[idx] if variant == "textbook" else target_distribution(q)
        loss = clustering_kl_loss(p, q, reduction="sum")
        opt.zero_grad()
        loss.backward()
        opt.step()
    return log, snaps


SNAPS = (0, STEPS // 6, STEPS // 2, STEPS)
log_tb, snaps_tb = train_dec("textbook", snapshots=SNAPS)
print("textbook DEC:  first", log_tb[0], "\n               last ", log_tb[-1])


# %%
def plot_snapshots(snaps, log, title):
    # one shared scale for all panels: a stretching latent space must show as stretching
    fig, axes = plt.subplots(1, len(snaps), figsize=(3.6 * len(snaps), 3.7), sharex=True, sharey=True)
    traj = np.stack([snaps[s][1] for s in sorted(snaps)])
    for i, (ax, step) in enumerate(zip(axes, sorted(snaps))):
        Z, P = snaps[step]
        ax.scatter(Z[normal, 0], Z[normal, 1], c=mode[normal], cmap="viridis", s=3, alpha=0.5)
        ax.scatter(Z[~normal, 0], Z[~normal, 1], c="orange", s=8, edgecolor="k", lw=0.2)
        for j in range(P.shape[0]):
            ax.plot(traj[:i + 1, j, 0], traj[:i + 1, j, 1], "r.-", lw=0.8, alpha=0.6)
        ax.scatter(P[:, 0], P[:, 1], marker="*", s=250, c="red", edgecolor="white")
        rec = min(log, key=lambda r: abs(r["step"] - step))
        ax.set_title(f"step {step}: ARI {rec['ari']:.2f}, conf {rec['confidence']:.2f}", fontsize=9)
        ax.set_xlabel("latent dimension 1")
    axes[0].set_ylabel("latent dimension 2")
    fig.suptitle(title, fontsize=10)
    plt.tight_layout()
    plt.show()


plot_snapshots(snaps_tb, log_tb, "Textbook DEC on one shared scale: codes (coloured by true cluster, anomalies orange), "
               "prototypes (stars, with paths)")
assert log_tb[-1]["confidence"] > log_tb[0]["confidence"], "DEC should make the soft assignments more confident"
assert log_tb[-1]["ari"] > 0.8, "the three clusters should still be recovered"
growth_raw = log_tb[-1]["min_proto_dist"] / log_tb[0]["min_proto_dist"]
growth_scale_free = log_tb[-1]["separation"] / log_tb[0]["separation"]
print(f"closest prototype pair: {log_tb[0]['min_proto_dist']:.2f} -> {log_tb[-1]['min_proto_dist']:.2f} (x{growth_raw:.1f}); "
      f"scale-free separation: {log_tb[0]['separation']:.2f} -> {log_tb[-1]['separation']:.2f} (x{growth_scale_free:.1f})")
assert growth_raw > growth_scale_free, "part of the growth is the latent space stretching"

# %% [markdown]
# **Reading.** On one shared scale the picture is less flattering than panel-by-panel axes would make it:
# much of the "clusters drift apart" is the **whole latent space inflating** — the distance between the two
# closest prototypes grows by the raw factor printed above, while the scale-free separation (that distance
# divided by the median distance of a normal code to its prototype) grows by much less. With the raw
# Student's-t kernel, spreading everything out is a cheap way to make $Q$ more confident, and nothing in the
# KL stops it. Assignments do become more confident and the three groups stay intact (ARI printed above), but
# read the confidence curve with that in mind: it is partly bought with scale, which MNPWAD's L2 normalisation
# (notebook 02) takes away.
#
# ## 4. Textbook DEC vs. the reference code's per-batch DEC
#
# The authors' code (see [docs/references/mnpwad.md](../docs/references/mnpwad.md) §1.6) does not keep $P$ fixed. On every
# mini-batch it computes `p = target_distribution(q)` **from the same batch's Q, without `detach()`**,
# and sums the KL over the batch. Two things change:
#
# * $f_j$ is a *batch* statistic (128 rows) instead of a data-set one;
# * the gradient flows through $P$ as well. The objective is no longer "move $Q$ towards a fixed,
#   sharper target" but "make $\mathrm{KL}(P(Q)\,\|\,Q)$ small" — and that function of $Q$ is zero
#   when every row is one-hot, **and whenever all rows of $Q$ are identical**, whatever that common row
#   is. If $q_{ij} = q_j$ for every $i$, then $f_j = n\,q_j$ and $p_{ij} \propto q_j^2 / (n q_j) \propto q_j$,
#   so $P = Q$: a common row $(0.6, 0.3, 0.1)$ gives a KL of exactly 0, not only the uniform row $1/k$.
#   A heavy-tailed Student's-t kernel only approaches one-hot rows by pushing clusters very far apart (a
#   normalised one, $s\ge0.2$, never gets there), but identical rows are easy: **give every code the same
#   soft assignment** — squeeze the codes together, or put the prototypes in the same place (then the
#   common row is uniform).
#
# *Predict, then run:* what is $\mathrm{KL}(P(Q)\Vert Q)$ for 500 copies of the row $(0.6, 0.3, 0.1)$? And
# for rows that are all different?

# %%
q_same = torch.tensor([[0.6, 0.3, 0.1]], dtype=torch.float64).repeat(500, 1)
q_varied = soft_assignment(torch.rand(500, 3, generator=torch.Generator().manual_seed(SEED), dtype=torch.float64))
for name, qq in (("identical rows (0.6, 0.3, 0.1)", q_same), ("500 different rows", q_varied)):
    kl = float(clustering_kl_loss(target_distribution(qq), qq, reduction="sum"))
    print(f"{name:32s} KL(P(Q)||Q) = {abs(kl):.2e}")
assert float(clustering_kl_loss(target_distribution(q_same), q_same, reduction="sum")) < 1e-12
assert float(clustering_kl_loss(target_distribution(q_varied), q_varied, reduction="sum")) > 1e-3

# %% [markdown]
# First, at the very same parameters and batch, compare the gradients of three losses: textbook
# (P over all rows, fixed), P from the batch but detached, and the reference (P from the batch, not
# detached). Detaching makes the batch target behave like the textbook one; letting the gradient flow
# through P turns the direction around:

# %%
enc = make_encoder(SEED)
with torch.no_grad():
    c0, _, _ = init_prototypes_kmeans(enc(X_t).numpy(), n_prototypes=3, random_state=SEED)
protos = nn.Parameter(torch.as_tensor(c0))
params = [*enc.parameters(), protos]
idx = torch.randperm(len(X_t), generator=torch.Generator().manual_seed(1))[:BATCH]
with torch.no_grad():
    P_fixed = target_distribution(soft_assignment(student_t_similarity(enc(X_t), protos, normalize=False)))[idx]


def flat_grad(loss):
    return torch.cat([g.reshape(-1) for g in torch.autograd.grad(loss, params)])


q = soft_assignment(student_t_similarity(enc(X_t[idx]), protos, normalize=False))
g_textbook = flat_grad(clustering_kl_loss(P_fixed, q))
q = soft_assignment(student_t_similarity(enc(X_t[idx]), protos, normalize=False))
g_batch_detached = flat_grad(clustering_kl_loss(target_distribution(q).detach(), q))
q = soft_assignment(student_t_similarity(enc(X_t[idx]), protos, normalize=False))
g_reference = flat_grad(clustering_kl_loss(target_distribution(q), q))
cos = torch.nn.functional.cosine_similarity
print(f"cos(textbook, batch P detached)        = {cos(g_textbook, g_batch_detached, dim=0):.3f}")
print(f"cos(textbook, reference: P not detached) = {cos(g_textbook, g_reference, dim=0):.3f}")
assert cos(g_textbook, g_reference, dim=0) < 0.9

# %% [markdown]
# Then, trained on its own from the same start, the per-batch variant collapses: the codes of the three
# clusters are squeezed together, two prototypes merge and the third is left behind where no data is,
# and the assignments no longer reflect the clusters (ARI 0) — a degenerate way of making $P = Q$.
#
# *Predict, then run:* will the confidence of the collapsed model end at the uniform value $1/k = 0.33$?

# %%
log_rf, snaps_rf = train_dec("per-batch", snapshots=SNAPS)
plot_snapshots(snaps_rf, log_rf, "Reference per-batch DEC (P rebuilt from each batch, gradient through P)")

CURVES = {"ari": ("cluster recovery", "adjusted Rand index"),
          "confidence": ("confidence of the soft assignments", r"mean $\max_j q_{ij}$"),
          "row_spread": ("how different the rows of Q are", r"mean $\frac{1}{2}\|q_i-\bar q\|_1$"),
          "separation": ("scale-free prototype separation", "closest prototype pair /\nmedian code-prototype distance")}
fig, axes = plt.subplots(1, 4, figsize=(16, 3.4))
for log, name in ((log_tb, "textbook (P fixed, refreshed)"), (log_rf, "per-batch, P not detached")):
    steps = [r["step"] for r in log]
    for ax, (key, (title, ylabel)) in zip(axes, CURVES.items()):
        ax.plot(steps, [r[key] for r in log], label=name)
        ax.set(xlabel="training step", ylabel=ylabel, title=title)
axes[1].axhline(1 / 3, color="grey", ls=":", lw=1)
axes[1].text(0, 1 / 3 + 0.01, "uniform 1/k", fontsize=8, color="grey")
axes[3].set_yscale("log")
axes[0].legend(fontsize=8)
plt.tight_layout()
plt.show()
print("textbook  last:", {k: round(v, 3) for k, v in log_tb[-1].items()})
print("per-batch last:", {k: round(v, 3) for k, v in log_rf[-1].items()})
assert log_rf[-1]["min_proto_dist"] < 0.5 * log_tb[-1]["min_proto_dist"]
assert log_rf[-1]["confidence"] < log_tb[-1]["confidence"]
# the collapse ends with (nearly) identical rows of Q — not necessarily uniform ones
assert log_rf[-1]["row_spread"] < 0.25 * log_rf[0]["row_spread"]

# %% [markdown]
# **Reading.** The per-batch run loses the clusters (ARI falls to about 0) and its rows of $Q$ become nearly
# identical (third panel), which is what sets its KL to zero. Its confidence ends at the value printed above,
# *above* the uniform $1/3$: the collapse does not need uniform rows, only identical ones — here one prototype
# sits apart from the merged pair and every code gets the same uneven row. The textbook run keeps the clusters
# and a growing separation (fourth panel, log scale, independent of how much the latent space stretches).

# %% [markdown]
# **What this means for MNPWAD.** Alone, the reference's per-batch KL is a *collapsing* force (its easy zero
# is every row of $Q$ alike — uniform when the prototypes merge). Inside MNPWAD it is never alone: the contrastive loss (Eq. 9,
# notebook 04), the score loss and the reconstruction loss pull on the same encoder and prototypes,
# dynamic weight averaging rescales the terms, and the reference code's early stopping often keeps an
# epoch-1 or epoch-2 model. adlab therefore offers both:
#
# * `MNPWAD(dec="batch")` — the reference behaviour (default, to reproduce the paper's numbers);
# * `MNPWAD(dec="fixed", dec_update_interval=T)` — textbook DEC: $P$ over all unlabeled rows, no
#   gradient, refreshed every `T` epochs.
#
# Inside the full model, does the per-batch KL still drag towards uniform assignments? Fit both
# variants on the (standardised) toy data with 10 labeled anomalies and look at the KL term logged in
# `history_`, the confidence $\max_j q_{ij}$ of the normal rows and the spread of the (normalised)
# prototypes. Remember that with normalisation $\max_j q_{ij}\le 0.71$ for $k=3$ and uniform is $1/3$.

# %%
from adlab.models.mnpwad import MNPWAD
from adlab.evaluation.metrics import auc_pr

Xs = (X - X.mean(0)) / X.std(0)
weak = np.zeros(len(y), dtype=np.int64)
weak[rng.choice(np.flatnonzero(y == 1), 10, replace=False)] = 1
fitted = {}
for variant in ("batch", "fixed"):
    model = MNPWAD(dec=variant, epochs=20, n_batches_per_epoch=32, pretrain_epochs=10, n_prototypes=3,
                   random_state=SEED).fit(Xs, weak)
    net = model.modules_["network"]
    with torch.no_grad():
        out = net(torch.as_tensor(Xs[normal], dtype=torch.float32, device=model.device_))
        U = torch.nn.functional.normalize(net.prototypes, dim=1)
        d = torch.cdist(U, U)
    fitted[variant] = {"model": model, "confidence": float(soft_assignment(out["s"]).max(1).values.mean()),
                       "min_proto_dist": float(d[~torch.eye(3, dtype=bool, device=d.device)].min()),
                       "auc_pr_hidden": auc_pr(y[weak == 0], model.decision_function(Xs)[weak == 0])}
    print(f"dec={variant!r:8}: KL first/last epoch {model.history_[0]['kl']:.3f} / {model.history_[-1]['kl']:.3f}, "
          f"confidence {fitted[variant]['confidence']:.3f}, min prototype distance {fitted[variant]['min_proto_dist']:.3f}, "
          f"AUC-PR (hidden anomalies) {fitted[variant]['auc_pr_hidden']:.3f}")

fig, ax = plt.subplots(figsize=(6, 3.3))
for variant, r in fitted.items():
    ax.plot([h["kl"] for h in r["model"].history_], "o-", label=f'dec="{variant}"')
ax.set(xlabel="epoch", ylabel="KL term (sum over the batch)", yscale="log", title="DEC term inside MNPWAD")
ax.legend()
plt.show()
assert fitted["batch"]["confidence"] < fitted["fixed"]["confidence"]
assert fitted["batch"]["min_proto_dist"] < fitted["fixed"]["min_proto_dist"]

# %% [markdown]
# The reference variant drives its KL to almost zero by making the rows of $Q$ nearly identical (here close
# to uniform, as the confidences printed above show) and pulling the prototypes together; the textbook variant keeps them apart and the assignments as confident as the
# normalised kernel allows (its KL stays large because $P$ is always sharper than a normalised $Q$ can
# be). The detector still works in both cases on this toy — the prototypes are only one of the
# scorer's inputs — so which DEC to use is an empirical question for the ablation notebook and the
# benchmarks; adlab defaults to the reference behaviour to reproduce the paper's numbers.

# %% [markdown]
# ## 5. How many prototypes? The silhouette choice of k
#
# MNPWAD (reference code) runs k-means for $k = 2,\dots,10$ on the pretrained encoder's codes and keeps
# the $k$ with the largest **silhouette score** (mean over points of $(b-a)/\max(a,b)$, with $a$ the mean
# distance to the own cluster and $b$ to the nearest other cluster). $k=1$ is never a candidate because
# the silhouette is undefined there; `MNPWAD(n_prototypes=1)` is the explicit single-prototype ablation.
# `init_prototypes_kmeans` does exactly this and returns the scores.

# %%
fig, ax = plt.subplots(figsize=(6, 3.5))
Z_textbook = snaps_tb[STEPS][0]
for data, name in ((X[normal], "input plane, normals"), (X, "input plane, all rows (5% anomalies)"),
                   (Z_textbook, "codes after textbook DEC, all rows")):
    centres, k, scores = init_prototypes_kmeans(data, k_range=(2, 10), random_state=SEED)
    ax.plot(list(scores), list(scores.values()), "o-", label=f"{name}: k={k}")
    assert k == 3, name
ax.set(xlabel="k", ylabel="silhouette score", title="Silhouette choice of k (argmax)")
ax.legend(fontsize=8)
plt.show()

# %% [markdown]
# All three curves peak at $k = 3$ (the cell asserts it): the three clusters are found in the input plane with or
# without the 5 % anomalies, and in the learned codes.

# %% [markdown]
# ## Takeaways
#
# * $Q$ = normalised similarities; $P$ = $Q$ squared, divided by cluster sizes, renormalised — a
#   sharper target; KL(P‖Q) pulls assignments towards it. Checked against `soft_assignment`,
#   `target_distribution`, `clustering_kl_loss`.
# * Textbook DEC (fixed $P$) tightens clusters and moves prototypes to their centres.
# * $\mathrm{KL}(P(Q)\Vert Q) = 0$ for one-hot rows *and* for any $Q$ whose rows are all identical (not only
#   uniform ones).
# * The reference code's per-batch, non-detached $P$ is a different objective whose easy minimum is
#   "every code assigned alike"; alone it collapses, inside MNPWAD it drags the prototypes closer and $Q$
#   towards uniform while the other losses hold them apart.
# * With the raw kernel, part of textbook DEC's growing confidence is the latent space stretching: compare
#   clusterings on one scale or with a scale-free measure. adlab exposes both as
#   `MNPWAD(dec="batch" | "fixed")`.
# * $k$ is chosen by silhouette over 2…10 (`init_prototypes_kmeans`).
#
# **Further reading.** Xie et al. 2016 (DEC); Guo et al., *Improved deep embedded clustering with local structure preservation* (IJCAI 2017, IDEC).
#
# **Next:** notebook 04, the contrastive loss that separates labeled anomalies from the prototypes.

# %%
print(f"notebook ran in {time.perf_counter() - T0:.1f} s")
