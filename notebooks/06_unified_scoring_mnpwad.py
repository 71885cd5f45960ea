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
# # MNPWAD 6 — Unified scoring and the full MNPWAD
#
# [![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/adlab-course/adlab/blob/main/notebooks/06_unified_scoring_mnpwad.ipynb)
#
# | | |
# |---|---|
# | **You will** | recompute MNPWAD's whole forward pass from its fitted weights, write the score loss (Eq. 12) and the dynamic weight averaging of Eq. 13 by hand, and draw the score maps of the paper's Fig. 5 |
# | **Prerequisites** | notebooks 01–05 |
# | **Time** | about 40 min |
# | **Read** | MNPWAD §III-E, §III-F and §IV-F (Fig. 5); Liu et al., *End-to-end multi-task learning with attention* (CVPR 2019), the dynamic weight averaging paragraph; the course map, notation table and glossary are in [docs/COURSE.md](../docs/COURSE.md) |
#
# The last MNPWAD module turns three per-sample signals into one anomaly score:
#
# $$ score_i = \varphi\bigl(\mathrm{cat}(e_i, z_i, s_i)\bigr) \qquad \text{(Eq. 11)} $$
#
# with $e_i$ the reconstruction error, $z_i$ the latent code (L2-normalised in the authors' code and in adlab)
# and $s_i = \max_j s_{ij}$ the largest similarity to a normal prototype. $\varphi$ is a small MLP ending in a
# sigmoid, trained to output 0 on (weighted) unlabeled rows and 1 on labeled anomalies:
#
# $$ \mathcal{L}_{score} = \mathbb{E}_U[w_i\, l(score_i, 0)] + \mathbb{E}_A[l(score_i, 1)] \qquad \text{(Eq. 12)} $$
#
# and the three module losses are balanced by dynamic weight averaging (DWA):
#
# $$ \mathcal{L}_{total} = \lambda_1 \mathcal{L}_{recon} + \lambda_2 \mathcal{L}_{np} + \lambda_3 \mathcal{L}_{score} \qquad \text{(Eq. 13)} $$
#
# In this notebook we fit `adlab.MNPWAD` on the three-cluster toy data of the paper's Fig. 5 and then open it up:
#
# 1. recompute the whole forward pass — encoder, decoder, $e_i$, $s_{ij}$, $\varphi$ — by hand from the fitted
#    weights and check it against `MNPWADNetwork.forward`;
# 2. write Eq. (12) and the DWA weights of Eq. (13) by hand and check them against adlab; plot $\lambda$ over epochs;
# 3. draw the score map over the plane, as in Fig. 5, for multiple prototypes and for a single one (`n_prototypes=1`).

# %%
import sys, subprocess
if "google.colab" in sys.modules:  # Colab only: install adlab without touching torch/numpy
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps",
                    "git+https://github.com/adlab-course/adlab.git@main"], check=True)

# %%
import time

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import torch

import adlab
import adlab.config
from adlab import MNPWAD
from adlab.components.balancing import DynamicWeightAveraging
from adlab.components.losses import weighted_score_loss
from adlab.components.prototypes import normality_weights
from adlab.data.protocol import weak_split
from adlab.data.synthetic import make_multimodal_blobs
from adlab.evaluation.metrics import evaluate

FAST = adlab.config.is_fast()
SEED = 0
adlab.config.seed_everything(SEED)
device = adlab.config.resolve_device("auto")
torch.set_num_threads(1)  # tiny networks: one thread is fastest on a small shared CPU
print(f"FAST={FAST}  device={device}  torch={torch.__version__}")
T0 = time.perf_counter()

# %% [markdown]
# ## 1. Data: three normal modes and scattered anomalies (Fig. 5a)
#
# `make_multimodal_blobs` draws three Gaussian clusters of normals and uniformly scattered anomalies.
# `weak_split(protocol="mnpwad")` splits it 60/5/35 and min-max scales it. On a toy set with 60 training
# anomalies, the paper's 1 % would label a single one, so we label 10 % of them (6) — the other 54 stay hidden
# in the unlabeled set as contamination.

# %%
X_all, y_all = make_multimodal_blobs(1500, 100, random_state=SEED)
split = weak_split(X_all, y_all, protocol="mnpwad", labeled_ratio=0.10, random_state=SEED)
print(split.counts())

lab = split.y_train == 1
hid = (split.y_train == 0) & (split.y_train_true == 1)
plt.figure(figsize=(4.5, 4))
plt.scatter(*split.X_train[~lab & ~hid].T, s=5, c="tab:blue", label="normal (unlabeled)")
plt.scatter(*split.X_train[hid].T, s=12, c="tab:orange", label="hidden anomaly (unlabeled)")
plt.scatter(*split.X_train[lab].T, s=60, c="tab:red", marker="*", label="labeled anomaly")
plt.legend(fontsize=8); plt.title("training data: what is labeled and what is hidden")
plt.xlabel("feature 1 (min-max scaled)"); plt.ylabel("feature 2 (min-max scaled)"); plt.tight_layout(); plt.show()

# %% [markdown]
# Three dense normal modes; the hidden anomalies (orange) are spread over the whole square, and only the six red
# stars tell the model what an anomaly looks like.

# %% [markdown]
# ## 2. Fit the full MNPWAD
#
# Most of adlab's defaults are the paper's (b_u = 128, b_a = 32, lr 5e-3, weight decay 5e-4, H = 8, α = β = 1,
# m₁ = 0.02, layer-wise denoising pretraining, k chosen by the silhouette score over 2…10), but not all: the
# cell below prints the ones that differ from the paper, with the paper's value. The `MNPWAD` docstring
# ("Decisions") gives the measurement behind each; each of these settings, and every other difference from
# the authors' code, was also ablated one at a time on the authors' own split recipe
# (`benchmarks/results/mnpwad_dev.md`): none of their choices (lr 5e-3, b_a = 8, renormalised $w_i$,
# differentiable λ's, longer pretraining) raised adlab's weak-label AP on both Pendigits and Gamma, so these
# defaults stay, and on those two sets what remains of the gap to their code is their use of labeled validation
# data to pick the epoch: given the same validation data for that, adlab is ahead on Pendigits (0.820 against
# their 0.785) and 0.009 behind on Gamma (`docs/RESULTS.md`). On the wide UNSW-NB15 Backdoor table a gap remains
# even then (0.833 against their 0.867 on the report splits; level on three other splits): adlab's score network
# is unstable from one epoch to the next there, an open problem. This notebook passes `joint_lr=None` so that joint
# training uses the paper's single learning rate 5e-3. FAST mode trains 10 "epochs" of 32 mini-batches (an
# MNPWAD epoch is a number of random batches, not a pass over the data).

# %%
PAPER = {"joint_lr": (None, "the paper trains everything with lr = 5e-3 (joint_lr=None)"),
         "dwa_detach": (False, "the reference code lets gradients flow through the DWA weights"),
         "renormalize_weights": (False, "Eq. (7) as written"),
         "n_labeled_per_batch": (32, "b_a = 32"),
         "dec": ("batch", "the reference's per-batch DEC target"),
         "epochs": ("early stopping", "the reference stops early on labeled validation data")}
defaults = MNPWAD().get_params()
differ = pd.DataFrame([{"parameter": k, "adlab default": defaults[k], "paper / reference": v, "note": note}
                       for k, (v, note) in PAPER.items() if defaults[k] != v])
print(differ.to_string(index=False))

EPOCHS = adlab.config.fast_or(30, 10)
common = dict(epochs=EPOCHS, n_batches_per_epoch=32, pretrain_epochs=10, joint_lr=None, device=device)  # joint_lr=None: the paper's single lr 5e-3
t = time.perf_counter()
det = MNPWAD(random_state=SEED, **common).fit(split.X_train, split.y_train)
res_multi = evaluate(split.y_test, det.decision_function(split.X_test))
print(f"fit in {time.perf_counter() - t:.1f}s;  k = {det.n_prototypes_} prototypes "
      f"(silhouette: { {k: round(v, 3) for k, v in det.silhouette_scores_.items()} })")
print(f"test AUC-PR {res_multi['auc_pr']:.3f}  AUC-ROC {res_multi['auc_roc']:.3f}  "
      f"(anomaly rate {split.y_test.mean():.3f})")

# %% [markdown]
# ## 3. The forward pass by hand, with the fitted weights
#
# `det.modules_["network"]` is an `MNPWADNetwork` with four parts: `encoder` and `decoder` (Linear + LeakyReLU
# stacks — LeakyReLU after *every* layer, as in the authors' code), `prototypes` (a k×H parameter) and
# `score_net` (φ: Linear(H+2, 16) → LeakyReLU → Linear(16, 1) → Sigmoid). We read their weight matrices and
# redo every step with plain tensor algebra.

# %%
net = det.modules_["network"].eval()
params = {name: p.detach() for name, p in net.named_parameters()}
print({name: tuple(p.shape) for name, p in params.items()})


def leaky_relu(h, slope=0.01):
    return torch.where(h > 0, h, slope * h)


def mlp_by_hand(h, seq):
    """Apply a Sequential of Linear / LeakyReLU / Sigmoid layers using only their weights."""
    for layer in seq:
        if isinstance(layer, torch.nn.Linear):
            h = h @ layer.weight.detach().T + layer.bias.detach()
        elif isinstance(layer, torch.nn.LeakyReLU):
            h = leaky_relu(h, layer.negative_slope)
        elif isinstance(layer, torch.nn.Sigmoid):
            h = 1.0 / (1.0 + torch.exp(-h))
        else:
            raise TypeError(layer)
    return h


def forward_by_hand(x, net, alpha=1.0):
    z = mlp_by_hand(x, net.encoder)                                   # Eq. (1)
    x_hat = mlp_by_hand(z, net.decoder)                               # Eq. (2)
    d = (x - x_hat).abs()
    e = torch.where(d < 1, 0.5 * d ** 2, d - 0.5).mean(dim=1)         # SmoothL1 per row
    z_n = z / z.norm(dim=1, keepdim=True).clamp_min(1e-12)
    u = net.prototypes.detach()
    u_n = u / u.norm(dim=1, keepdim=True).clamp_min(1e-12)
    d2 = ((z_n[:, None, :] - u_n[None, :, :]) ** 2).sum(-1)
    s = (1 + d2 / alpha) ** (-(alpha + 1) / 2)                        # Eq. (6)
    s_max = s.max(dim=1).values
    phi_in = torch.cat([e[:, None], z_n, s_max[:, None]], dim=1)      # cat(e, z, s), Eq. (11)
    score = mlp_by_hand(phi_in, net.score_net).squeeze(1)
    return dict(z=z, z_norm=z_n, x_hat=x_hat, e=e, s=s, s_max=s_max, score=score)


x_test = torch.as_tensor(split.X_test, dtype=torch.float32, device=device)
with torch.no_grad():
    ours = forward_by_hand(x_test, net, alpha=det.alpha)
    theirs = net(x_test)
for key in ("z", "z_norm", "x_hat", "e", "s", "s_max", "score"):
    torch.testing.assert_close(ours[key], theirs[key], atol=1e-6, rtol=1e-5)
np.testing.assert_allclose(ours["score"].cpu().numpy(), det.decision_function(split.X_test), atol=1e-6)
print("by-hand forward pass == MNPWADNetwork.forward == decision_function")

# %% [markdown]
# What does φ actually use? The three "hand-made" features alone, as anomaly scores, against φ's combination:

# %%
y_t = split.y_test
feats = {"e (reconstruction error)": ours["e"], "1 − s_max (prototype dissimilarity)": 1 - ours["s_max"],
         "φ score (Eq. 11)": ours["score"]}
for name, v in feats.items():
    r = evaluate(y_t, v.cpu().numpy())
    print(f"{name:38s} AUC-PR {r['auc_pr']:.3f}  AUC-ROC {r['auc_roc']:.3f}")

# %% [markdown]
# ## 4. The score loss, Eq. (12), by hand
#
# The authors' $l$ is SmoothL1 (Huber, β = 1) on the sigmoid outputs — for $|score - target| < 1$ that is
# $\tfrac12 (score - target)^2$ — and adlab uses it by default (`score_loss="smooth_l1"`; `"mse"` and `"bce"`
# are options). We take one balanced batch: 128 unlabeled rows and 32 labeled anomalies (drawn with replacement).

# %%
g = torch.Generator(device="cpu").manual_seed(SEED)
Xtr = torch.as_tensor(split.X_train, dtype=torch.float32, device=device)
u_idx = torch.nonzero(torch.as_tensor(split.y_train == 0)).squeeze(1)
a_idx = torch.nonzero(torch.as_tensor(split.y_train == 1)).squeeze(1)
u_b = u_idx[torch.randperm(len(u_idx), generator=g)[:128]]
a_b = a_idx[torch.randint(len(a_idx), (32,), generator=g)]
with torch.no_grad():
    o_u, o_a = net(Xtr[u_b.to(device)]), net(Xtr[a_b.to(device)])
w = normality_weights(o_u["s_max"], beta=det.beta)


def score_loss_by_hand(score_u, score_a, w):
    return (w * 0.5 * score_u ** 2).mean() + (0.5 * (score_a - 1) ** 2).mean()   # Eq. (12), SmoothL1 on [0, 1]


mine = score_loss_by_hand(o_u["score"], o_a["score"], w)
torch.testing.assert_close(mine, weighted_score_loss(o_u["score"], o_a["score"], w, kind="smooth_l1"),
                           atol=1e-6, rtol=1e-6)
print(f"L_score on this batch: {float(mine):.4f} (matches adlab);  "
      f"mean score unlabeled {o_u['score'].mean():.3f}, labeled anomalies {o_a['score'].mean():.3f}")

# %% [markdown]
# ## 5. Dynamic weight averaging, Eq. (13), by hand
#
# The paper says only that the λ's "are updated per epoch based on the rate of descent". The authors' code
# (and adlab's default `dwa_mode="batch"`) computes, on every mini-batch,
#
# $$ \lambda_k = \frac{\exp\bigl((L_k^{batch} / \bar L_k^{prev}) / T\bigr)}{\sum_j \exp\bigl((L_j^{batch} / \bar L_j^{prev}) / T\bigr)},
#    \qquad T = 2, $$
#
# where $\bar L_k^{prev}$ is loss $k$'s mean over the previous epoch (1 during the first epoch). A loss that
# falls *slower* than the others (ratio closer to 1 or above) gets more weight. The λ's sum to 1. In the
# authors' code they are **not detached** (gradients flow through λ as well); adlab **detaches** them by
# default (`dwa_detach=True`: λ are loss coefficients, not trainable — the `MNPWAD` docstring shows the
# test AUC-PR swinging from epoch to epoch without it), and `dwa_detach=False` restores the reference.
#
# **Order of the λ's.** Eq. (13) numbers them (recon, np, score); adlab keeps its losses in the order
# (recon, score, np) — the order of the reference code — so below and in `history_` the *second* λ is
# $\lambda_3$ of Eq. (13) and the third is $\lambda_2$. Always read them by name (`lambda_np`, ...).
# Check with adlab's single DWA implementation, `DynamicWeightAveraging`:

# %%
def dwa_by_hand(batch_losses, prev_means, T=2.0):
    r = torch.stack([l / p for l, p in zip(batch_losses, prev_means)])
    return torch.exp(r / T) / torch.exp(r / T).sum()


dwa = DynamicWeightAveraging(3, temperature=2.0, mode="batch")
epoch1 = [torch.tensor(v) for v in (0.05, 0.30, 0.90)]                # losses of the only batch of "epoch 1"
torch.testing.assert_close(dwa.combine(epoch1), (dwa_by_hand(epoch1, [1.0, 1.0, 1.0]) * torch.stack(epoch1)).sum())
dwa.end_epoch()                                                        # now prev means = epoch-1 losses
epoch2 = [torch.tensor(v) for v in (0.04, 0.15, 0.88)]                # recon fell 20 %, score 50 %, np 2 %
lam = dwa_by_hand(epoch2, [0.05, 0.30, 0.90])
torch.testing.assert_close(dwa.weights(epoch2), lam, atol=1e-6, rtol=1e-6)
print("λ (recon, score, np) =", [round(float(v), 3) for v in lam], "— matches adlab; L_np, which fell least, weighs most")
assert int(lam.argmax()) == 2
print("adlab's default dwa_detach =", defaults["dwa_detach"], "(the reference code: False)")
assert defaults["dwa_detach"] is True, "the default changed: update the DWA paragraph above"

# %% [markdown]
# The fitted detector logs, per epoch, the mean λ of each loss and the losses themselves in `history_`:

# %%
hist = pd.DataFrame(det.history_)
fig, axes = plt.subplots(1, 3, figsize=(13, 3.2))
lam_cols = [c for c in hist.columns if c.startswith("lambda_")]
hist[lam_cols].plot(ax=axes[0], title="DWA weights λ (epoch means)")
hist[["recon", "score", "np"]].plot(ax=axes[1], logy=True, title="component losses")
hist[["s_u", "s_a", "w_mean"]].plot(ax=axes[2], title="mean s_max (unlabeled / labeled anom.), mean w")
for ax, ylabel in zip(axes, ("λ (the three sum to 1)", "loss (epoch mean, log scale)", "similarity or weight")):
    ax.set(xlabel="epoch", ylabel=ylabel)
plt.tight_layout(); plt.show()
print(hist[lam_cols + ["recon", "score", "np", "kl", "s_u", "s_a"]].round(4).iloc[[0, len(hist) // 2, -1]].to_string())
assert np.allclose(hist[lam_cols].sum(axis=1), 1.0, atol=1e-5)
assert hist["s_a"].iloc[-1] < hist["s_u"].iloc[-1], "the reading below no longer holds"

# %% [markdown]
# Two things to notice in `history_`:
#
# * the λ's stay near 1/3 (the printout shows their range) — the ratios $L^{batch}/\bar L^{prev}$ are all near 1
#   once training settles, and $T = 2$ flattens the softmax further, so DWA mostly averages the three losses;
# * watch `s_u` and `kl`: with the authors' DEC variant (target $P$ rebuilt from every batch's $Q$, not detached,
#   `dec="batch"`, adlab's default) the KL can reach 0 the trivial way — $\mathrm{KL}(P(Q)\Vert Q) = 0$ whenever
#   all rows of $Q$ are identical (notebook 03), whatever the common row is; one way is to make every code
#   equally (dis)similar to all prototypes, so that the rows are uniform. When the rows become alike, `s_u`
#   and `s_a` drift together and the prototype feature stops telling rows apart. In this run (right panel) `s_a`
#   falls *below* `s_u`: the contrastive loss keeps the labeled anomalies less similar to the prototypes than the
#   unlabeled rows, so the collapse did not happen here. The authors' code
#   hides this with early stopping on a labeled validation set (it often selects epoch 1–2);
#   `MNPWAD(dec="fixed")` is textbook DEC with a frozen target (notebook 03).

# %% [markdown]
# ## 6. Score maps: multiple prototypes vs a single one (Fig. 5b/c)
#
# `n_prototypes=1` is the "w/o MNP" ablation of Table IV: the same model with a single normal prototype
# (the DEC loss is then identically 0). We score a grid over the plane with both models.

# %%
single = MNPWAD(n_prototypes=1, random_state=SEED, **common).fit(split.X_train, split.y_train)
res_single = evaluate(split.y_test, single.decision_function(split.X_test))

lo, hi = split.X_train.min(0) - 0.05, split.X_train.max(0) + 0.05
gx, gy = np.meshgrid(np.linspace(lo[0], hi[0], 120), np.linspace(lo[1], hi[1], 120))
grid = np.c_[gx.ravel(), gy.ravel()]
fig, axes = plt.subplots(1, 2, figsize=(11, 4.5))
for ax, model, title, r in ((axes[0], det, f"multi-prototype (k={det.n_prototypes_})", res_multi),
                            (axes[1], single, "single prototype (w/o MNP)", res_single)):
    sg = model.decision_function(grid).reshape(gx.shape)
    im = ax.contourf(gx, gy, sg, levels=20, cmap="viridis")
    ax.scatter(*split.X_test[y_t == 0].T, s=4, c="white", alpha=0.6)
    ax.scatter(*split.X_test[y_t == 1].T, s=18, c="red", marker="x")
    ax.set_title(f"{title}\ntest AUC-PR {r['auc_pr']:.3f}, AUC-ROC {r['auc_roc']:.3f}")
    plt.colorbar(im, ax=ax, label="anomaly score")
    ax.set(xlabel="feature 1 (min-max scaled)", ylabel="feature 2 (min-max scaled)")
plt.tight_layout(); plt.show()

# %% [markdown]
# **Reading.** The paper's Fig. 5 shows a single prototype failing on the three modes. On this toy set the
# difference in adlab is real but noisy: it changes from seed to seed and with the training length, and the
# single-prototype model is not always worse, because φ also sees $e_i$ and the normalised code $\hat z_i$,
# which already separate much of the plane. (The normalisation also removes the *distance from the origin* of
# a code: an anomaly far out in the direction of a cluster can look as similar to its prototype as the cluster
# itself — visible as "rays" in the maps.) The cell below repeats the comparison over several seeds when
# FAST mode is off; with `ADLAB_FAST=1` it runs one seed.

# %%
SEEDS = adlab.config.fast_or((0, 1, 2, 3, 4), (SEED,))
rows = []
for seed in SEEDS:
    for name, k in (("multi", None), ("single", 1)):
        if seed == SEED:
            r = res_multi if k is None else res_single
        else:
            m = MNPWAD(n_prototypes=k, random_state=seed, **common).fit(split.X_train, split.y_train)
            r = evaluate(y_t, m.decision_function(split.X_test))
        rows.append({"seed": seed, "model": name, **r})
table = pd.DataFrame(rows).pivot(index="seed", columns="model", values="auc_pr")
print(table.round(3)); print("mean:", table.mean().round(3).to_dict())

prevalence = y_t.mean()
assert res_multi["auc_pr"] > 3 * prevalence, "the full MNPWAD should rank anomalies far above chance"
assert res_single["auc_pr"] > prevalence
print(f"notebook ran in {time.perf_counter() - T0:.1f}s")

# %% [markdown]
# <!-- BEGIN section: the authors' code on Fig. 5 (issue 12) -->
# ## 7. The authors' code on the same toy data (Fig. 5)
#
# Is the small multi-vs-single difference above adlab's fault? `benchmarks/parity_mnpwad.py --datasets blobs`
# runs the **authors' own code** (github.com/Dongzhijin/MNPWAD, `train.sh` settings: it uses the labeled
# validation part for early stopping and clusters the validation *normals* for its prototypes) and adlab's
# default MNPWAD (weak labels only) on one identical split of this data — the authors' split recipe,
# `weak_split(protocol="mnpwad-reference", labeled_ratio=0.1)`, 6 labeled anomalies — with k chosen by
# silhouette (`auto`) and with a single prototype (`1`), three model seeds each. The cell reads the committed
# result (`benchmarks/results/parity_mnpwad_fig5.csv`; the report is in `docs/RESULTS.md`).

# %%
from pathlib import Path

shipped = Path(adlab.__file__).resolve().parents[1] / "benchmarks" / "results" / "parity_mnpwad_fig5.csv"
if shipped.exists():
    fig5 = pd.read_csv(shipped)
    print(fig5.pivot_table(index="impl", columns="prototypes", values=["ap", "auc_roc"], aggfunc="mean").round(3))

# %% [markdown]
# **Reading.** On this toy the paper's Fig. 5 contrast does not reproduce with the authors' own code either:
# with k chosen by silhouette (their code picked k = 3 in every run) it reaches a mean AP of 0.42 (AUC-ROC 0.72)
# over three seeds, with a single prototype 0.50 (0.76). adlab gives 0.35 (0.68) and 0.53 (0.78) on the same
# split: its single-prototype model matches the authors', its multi-prototype model is 0.08 AP below theirs —
# about one seed-to-seed standard deviation (±0.09 in both), and the authors' runs pick their epoch on labeled
# validation data while adlab's use the weak labels only. The weak, seed-dependent multi-vs-single difference of
# section 6 is therefore a property of the method on this data, not of adlab's implementation.
# <!-- END section: the authors' code on Fig. 5 (issue 12) -->

# %% [markdown]
# ## Takeaways
#
# * The whole MNPWAD forward pass — encoder, decoder, $e_i$, $s_{ij}$, φ — is a few lines of tensor algebra, and
#   adlab's network matches it exactly.
# * φ learns to combine $e_i$, $\hat z_i$ and $\max_j s_{ij}$; each feature alone ranks worse than φ on the toy data.
# * Dynamic weight averaging keeps the λ's near 1/3 once training settles; adlab detaches them (`dwa_detach=True`).
# * On toy data a single prototype is not reliably worse: φ's other inputs already separate much of the plane.
#
# **Further reading.** Liu et al. 2019 (DWA); MNPWAD §IV-F (Fig. 5).
#
# **Next:** notebook 07, the ablations of Table IV.
