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
# # MNPWAD 2 — Student's-t similarity to normal prototypes
#
# [![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/adlab-course/adlab/blob/main/notebooks/02_student_t_similarity.ipynb)
#
# | | |
# |---|---|
# | **You will** | write the Student's-t similarity (Eq. 6) by hand, see what its degree of freedom α and the L2 normalisation do, and draw the max-similarity map of multi-modal data |
# | **Prerequisites** | notebook 01 (latent codes); k-means; broadcasting in PyTorch |
# | **Time** | about 25 min |
# | **Read** | MNPWAD §III-D up to Eq. 6; the Student's-t kernel in DEC (Xie et al., ICML 2016) §3.1.1; the course map, notation table and glossary are in [docs/COURSE.md](../docs/COURSE.md) |
#
# MNPWAD keeps **k normal prototypes** $u_1,\dots,u_k$ in the latent space and asks, for every
# sample, *how similar is its code $z_i$ to each prototype?* The answer is a Student's-t kernel
# (the same kernel as t-SNE and Deep Embedded Clustering):
#
# $$ s_{ij} = \Bigl(1 + \tfrac{\lVert z_i - u_j\rVert^2}{\alpha}\Bigr)^{-\frac{\alpha+1}{2}} \qquad \text{(Eq. 6)} $$
#
# and the paper adds one sentence that matters a lot: *both $z_i$ and $u_j$ are normalised before
# the similarity is computed*. In this notebook we
#
# 1. write Eq. (6) by hand and check it against `adlab.components.prototypes.student_t_similarity`;
# 2. look at what the degree of freedom $\alpha$ does;
# 3. look at what L2 normalisation does (the range of $s$ shrinks to $[0.2, 1]$ for $\alpha=1$,
#    and in the plane only the *direction* of a point is left);
# 4. draw the max-similarity map $\max_j s_{ij}$ of the three-cluster toy data with k-means prototypes —
#    the quantity MNPWAD turns into sample weights (Eq. 7), a contrastive loss (Eq. 9) and a score feature (Eq. 11).

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

import adlab
import adlab.config
from adlab.components.prototypes import init_prototypes_kmeans, student_t_similarity
from adlab.data.synthetic import make_multimodal_blobs
from adlab.evaluation.metrics import auc_pr, auc_roc

FAST = adlab.config.is_fast()
SEED = 0
adlab.config.seed_everything(SEED)
device = adlab.config.resolve_device("auto")
print(f"FAST={FAST}  device={device}  torch={torch.__version__}")
T0 = time.perf_counter()

# %% [markdown]
# ## 1. Eq. (6) by hand
#
# For a batch of codes $Z \in \mathbb{R}^{n\times H}$ and prototypes $U \in \mathbb{R}^{k\times H}$ we need
# all $n\times k$ squared distances. Broadcasting `Z[:, None, :] - U[None, :, :]` gives an
# $(n, k, H)$ tensor of differences; summing the squares over the last axis gives $D^2$ of shape $(n,k)$.
# Normalisation is `x / ||x||` row by row (with a tiny floor so a zero vector does not divide by 0).

# %%
def l2_normalize_by_hand(x, eps=1e-12):
    """Rows of x (n, H) divided by their Euclidean norm."""
    return x / x.norm(dim=1, keepdim=True).clamp_min(eps)


def student_t_by_hand(z, u, alpha=1.0, normalize=True):
    """Eq. (6): z (n, H), u (k, H) -> s (n, k) in (0, 1]."""
    if normalize:
        z, u = l2_normalize_by_hand(z), l2_normalize_by_hand(u)
    d2 = ((z[:, None, :] - u[None, :, :]) ** 2).sum(dim=-1)        # (n, k)
    return (1.0 + d2 / alpha) ** (-(alpha + 1.0) / 2.0)


gen = torch.Generator().manual_seed(SEED)
z = torch.randn(200, 8, generator=gen, dtype=torch.float64)
u = torch.randn(5, 8, generator=gen, dtype=torch.float64)
for alpha in (0.5, 1.0, 3.0):
    for normalize in (True, False):
        mine = student_t_by_hand(z, u, alpha, normalize)
        theirs = student_t_similarity(z, u, alpha=alpha, normalize=normalize)
        torch.testing.assert_close(theirs, mine, atol=1e-6, rtol=1e-6)
print("hand-written Eq. (6) == adlab.student_t_similarity for alpha in {0.5, 1, 3}, with and without normalisation")
print("shape:", tuple(mine.shape))

# %% [markdown]
# Gradients flow into *both* arguments: during MNPWAD training the encoder (through $z$) and the
# prototypes (through $u$) are learned together. A quick `gradcheck` confirms the adlab function is
# differentiable in both (in double precision).

# %%
zs = z[:6].clone().requires_grad_(True)
us = u[:3].clone().requires_grad_(True)
assert torch.autograd.gradcheck(lambda a, b: student_t_similarity(a, b, alpha=1.0, normalize=True), (zs, us))
print("gradcheck passed")

# %% [markdown]
# ## 2. The degree of freedom $\alpha$
#
# $s$ is a function of the distance $d = \lVert z-u\rVert$ only, with $s(0)=1$ for every $\alpha$.
# Small $\alpha$ gives **heavy tails**: the similarity decays slowly (like $d^{-(\alpha+1)}$), so far-away
# points still "feel" the prototype. As $\alpha\to\infty$ the kernel tends to the Gaussian
# $e^{-d^2/2}$, whose tails vanish fast. DEC (and MNPWAD, which does not tune it) use $\alpha = 1$,
# i.e. $s = 1/(1+d^2)$ — the Cauchy kernel of t-SNE.

# %%
d = torch.linspace(0, 4, 401, dtype=torch.float64)
origin = torch.zeros(1, 1, dtype=torch.float64)
fig, ax = plt.subplots(figsize=(6.5, 4))
for alpha in (0.25, 1.0, 4.0, 50.0):
    s = student_t_similarity(d[:, None], origin, alpha=alpha, normalize=False)[:, 0]
    ax.plot(d, s, label=fr"$\alpha={alpha:g}$")
ax.plot(d, torch.exp(-d ** 2 / 2), "k--", lw=1, label=r"Gaussian $e^{-d^2/2}$ ($\alpha\to\infty$)")
ax.axvline(2.0, color="grey", lw=0.8, ls=":")
ax.text(2.03, 0.9, "max distance between\nunit vectors", fontsize=8, color="grey")
ax.set(xlabel=r"distance $\|z-u\|$", ylabel=r"similarity $s$", title="Student's-t kernel for several α")
ax.legend()
plt.show()

# heavier tails for smaller alpha: at d = 3 the ordering is strict
s_at_3 = {a: float(student_t_similarity(torch.tensor([[3.0]]), torch.zeros(1, 1), alpha=a, normalize=False)) for a in (0.25, 1, 4, 50)}
print({a: round(v, 4) for a, v in s_at_3.items()})
assert s_at_3[0.25] > s_at_3[1] > s_at_3[4] > s_at_3[50]

# %% [markdown]
# All curves start at 1; the smaller α, the slower the fall — at distance 3 the α = 0.25 kernel is still well
# above the Gaussian, which is practically 0 there.

# %% [markdown]
# ## 3. What L2 normalisation does
#
# After normalisation every code and every prototype lies on the unit sphere, so
# $\lVert \hat z - \hat u\rVert^2 = 2 - 2\cos\theta \in [0, 4]$ and, for $\alpha = 1$,
#
# $$ s = \frac{1}{1 + 2 - 2\cos\theta} \in \Bigl[\tfrac{1}{5}, 1\Bigr] = [0.2, 1]. $$
#
# The similarity is now a function of the **angle** between code and prototype only. Two consequences:
#
# * the scale of the latent space cannot blow up or collapse the similarities (the "consistency and
#   stability" the paper mentions) — $s$ never gets closer to 0 than 0.2, so $\log s$ and the
#   weights $w_i=\sigma(\beta s_i)$ stay in a narrow, well-conditioned range ($\sigma(0.2)=0.55$ to $\sigma(1)=0.73$);
# * a point is not dissimilar because it is *far* from a prototype but because it points in a
#   *different direction*. The encoder has to learn to send anomalies into directions no prototype uses.

# %%
zz = torch.randn(20000, 8, generator=gen, dtype=torch.float64) * 10
uu = torch.randn(7, 8, generator=gen, dtype=torch.float64)
s_norm = student_t_similarity(zz, uu, alpha=1.0, normalize=True)
s_raw = student_t_similarity(zz, uu, alpha=1.0, normalize=False)
print(f"normalised: s in [{s_norm.min():.3f}, {s_norm.max():.3f}]   raw: s in [{s_raw.min():.2e}, {s_raw.max():.3f}]")
assert s_norm.min() >= 0.2 - 1e-12 and s_norm.max() <= 1.0 + 1e-12
# the bounds are attained: a vector vs itself (s=1) and vs its opposite (s=0.2)
v = torch.randn(1, 8, generator=gen, dtype=torch.float64)
extremes = student_t_similarity(torch.cat([v, -v, 3 * v]), v, alpha=1.0, normalize=True)[:, 0]
print("s(v, v), s(-v, v), s(3v, v) =", extremes.numpy().round(6))
torch.testing.assert_close(extremes, torch.tensor([1.0, 0.2, 1.0], dtype=torch.float64))

# %% [markdown]
# The same in the plane: three prototypes (stars) and the max-similarity $\max_j s(x, u_j)$ at every
# point of a grid, without and with normalisation. Without it we get three bumps; with it the plane
# splits into **angular sectors** — the radius of a point is thrown away (every point on a ray from the
# origin gets the same similarity), which is why the origin is a singular point.

# %%
protos_2d = torch.tensor([[2.0, 0.5], [-1.0, 2.0], [-1.5, -1.5]], dtype=torch.float64)
g = torch.linspace(-4, 4, 201, dtype=torch.float64)
gx, gy = torch.meshgrid(g, g, indexing="xy")
grid = torch.stack([gx.reshape(-1), gy.reshape(-1)], dim=1)

fig, axes = plt.subplots(1, 2, figsize=(11, 4.6))
for ax, normalize in zip(axes, (False, True)):
    smax = student_t_similarity(grid, protos_2d, alpha=1.0, normalize=normalize).max(dim=1).values
    im = ax.contourf(gx, gy, smax.reshape(gx.shape), levels=np.linspace(0, 1, 21), cmap="viridis")
    ax.scatter(protos_2d[:, 0], protos_2d[:, 1], marker="*", s=250, c="red", edgecolor="white")
    ax.set(title=f"largest similarity to 3 prototypes, normalize={normalize}", aspect="equal",
           xlabel="$x_1$", ylabel="$x_2$")
    fig.colorbar(im, ax=ax, shrink=0.85, label=r"$\max_j s(x, u_j)$")
plt.tight_layout()
plt.show()

# %% [markdown]
# Left: three round bumps, one per prototype, fading with distance. Right: wedges from the origin — every point
# on a ray has the same similarity, and the similarity never drops below 0.2.
#
# In two dimensions normalisation is brutal (a whole ray shares one similarity), which is why MNPWAD
# applies it in an $H = 8$ dimensional latent space learned by an encoder: there the network can
# choose the directions. The prototypes are *initialised* by k-means on the **unnormalised** codes and
# are normalised only inside Eq. (6).

# %% [markdown]
# ## 4. Max-similarity on the three-cluster toy data
#
# The toy data of the paper's Fig. 5: three Gaussian clusters of normal points plus uniformly scattered
# anomalies. Here the "latent space" is the input plane itself (no encoder yet), and we initialise
# prototypes exactly as MNPWAD does: k-means on normal(-ish) data with $k$ chosen by silhouette
# (`init_prototypes_kmeans`, looked at more closely in notebook 03).
#
# Because the clusters are not arranged around the origin, we use the raw kernel (`normalize=False`)
# for the map in the input plane; the normalised version is what MNPWAD applies *after* its encoder.

# %%
X, y = make_multimodal_blobs(random_state=SEED)
X_t = torch.as_tensor(X, dtype=torch.float64)
print("data:", X.shape, "anomaly rate:", y.mean().round(3))

centers, k, sil = init_prototypes_kmeans(X[y == 0], k_range=(2, 10), random_state=SEED)
print("k chosen by silhouette:", k)
assert k == 3, "the three Gaussian clusters should be found"
U = torch.as_tensor(centers, dtype=torch.float64)

# the max similarity is a one-line normality score: high = close to some prototype
s_max = student_t_similarity(X_t, U, alpha=1.0, normalize=False).max(dim=1).values.numpy()
print(f"anomaly score = 1 - s_max:  AUC-ROC={auc_roc(y, 1 - s_max):.3f}  AUC-PR={auc_pr(y, 1 - s_max):.3f}")
assert auc_roc(y, 1 - s_max) > 0.9

# %%
lo, hi = X.min(0) - 0.5, X.max(0) + 0.5
ax1 = torch.linspace(float(lo[0]), float(hi[0]), 200, dtype=torch.float64)
ax2 = torch.linspace(float(lo[1]), float(hi[1]), 200, dtype=torch.float64)
mx, my = torch.meshgrid(ax1, ax2, indexing="xy")
plane = torch.stack([mx.reshape(-1), my.reshape(-1)], dim=1)
smax_plane = student_t_similarity(plane, U, alpha=1.0, normalize=False).max(dim=1).values.reshape(mx.shape)

fig, ax = plt.subplots(figsize=(6.5, 5.5))
im = ax.contourf(mx, my, smax_plane, levels=20, cmap="viridis")
ax.scatter(X[y == 0, 0], X[y == 0, 1], s=4, c="white", alpha=0.5, label="normal")
ax.scatter(X[y == 1, 0], X[y == 1, 1], s=14, c="orange", edgecolor="k", lw=0.3, label="anomaly")
ax.scatter(U[:, 0], U[:, 1], marker="*", s=300, c="red", edgecolor="white", label="k-means prototypes")
fig.colorbar(im, ax=ax, label=r"$\max_j s_{ij}$")
ax.set(title="Max-similarity map, three-cluster data (α=1)", xlabel="$x_1$", ylabel="$x_2$")
ax.legend(loc="lower right", fontsize=8)
plt.show()

# %% [markdown]
# The map is high on the three clusters and low everywhere else, so $1-\max_j s_{ij}$ alone already
# ranks the scattered anomalies above the normal points. A *single* prototype (k=1, the centre of all
# normals) would put its peak in the empty middle between the clusters — exactly the failure of Fig. 5(c):

# %%
U1 = torch.as_tensor(X[y == 0].mean(0, keepdims=True), dtype=torch.float64)
s_max_1 = student_t_similarity(X_t, U1, alpha=1.0, normalize=False).max(dim=1).values.numpy()
print(f"one prototype:   AUC-PR={auc_pr(y, 1 - s_max_1):.3f}   vs k={k}: AUC-PR={auc_pr(y, 1 - s_max):.3f}")
assert auc_pr(y, 1 - s_max) > auc_pr(y, 1 - s_max_1)

# %% [markdown]
# ### Try it: move α (interactive)
#
# In a live notebook the cell below gives a slider over α; in the tests and the book it draws one panel per α.
# The colour scale is fixed to $[0, 1]$ so that the panels compare. **Predict first:** does α change which rows
# look most anomalous?

# %%
from adlab.plotting import parameter_explorer


def draw_alpha(alpha, ax):
    smax = student_t_similarity(plane, U, alpha=alpha, normalize=False).max(dim=1).values.reshape(mx.shape)
    ax.contourf(mx, my, smax, levels=np.linspace(0, 1, 21), cmap="viridis")
    ax.scatter(X[y == 1, 0], X[y == 1, 1], s=6, c="orange", edgecolor="k", lw=0.2)
    ap = auc_pr(y, 1 - student_t_similarity(X_t, U, alpha=alpha, normalize=False).max(dim=1).values.numpy())
    ax.set(xlabel="$x_1$", ylabel="$x_2$", title=f"α = {alpha:g}: AUC-PR of 1 − s_max {ap:.3f}")


parameter_explorer(draw_alpha, "α", [0.1, 0.25, 0.5, 1.0, 2.0, 4.0, 10.0, 50.0], value=1.0,
                   grid_values=[0.1, 1.0, 10.0], title="Max-similarity map (colour: max_j s_ij) for several α")
plt.show()
aps = [auc_pr(y, 1 - student_t_similarity(X_t, U, alpha=a, normalize=False).max(dim=1).values.numpy())
       for a in (0.1, 1.0, 10.0, 50.0)]
assert max(aps) - min(aps) < 1e-9, aps   # α changes the contrast of the map, never the ranking

# %% [markdown]
# **Reading.** A small α gives a sharp peak on each cluster with a long faint halo reaching far out (the heavy
# tail), a large α a broad bump that dies out quickly; yet the AUC-PR is the same for every α: $\max_j s_{ij}$ is a decreasing function of the distance to the
# nearest prototype whatever α is, so α changes the contrast of the score, not the order of the rows. Where α
# matters is where similarities are *combined* — the soft assignments of DEC (notebook 03) and the weights of
# notebook 05.

# %% [markdown]
# ## Takeaways
#
# * Eq. (6) is a heavy-tailed kernel of the distance with $s(0)=1$; $\alpha$ sets how heavy the tail is
#   (MNPWAD uses $\alpha=1$).
# * MNPWAD L2-normalises codes and prototypes first, so $s$ depends on angles only and lies in $[0.2, 1]$:
#   bounded, well-scaled inputs for the weights (Eq. 7), the contrastive loss (Eq. 9) and the scorer (Eq. 11).
# * $\max_j s_{ij}$ with several prototypes follows a multi-modal normal class; one prototype does not.
#
# Next: notebook 03 turns the similarities into soft cluster assignments and refines the prototypes
# with Deep Embedded Clustering.
#
# **Further reading.** van der Maaten & Hinton, *Visualizing data using t-SNE* (JMLR 2008) on the heavy-tailed kernel; Xie et al. 2016 (DEC) §3.1.
#
# **Next:** notebook 03 turns the similarities into soft cluster assignments and refines the prototypes with Deep Embedded Clustering.

# %%
print(f"notebook ran in {time.perf_counter() - T0:.1f} s")
