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
# # MNPWAD 1 — Autoencoder pretraining
#
# [![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/adlab-course/adlab/blob/main/notebooks/01_autoencoder_pretraining.ipynb)
#
# | | |
# |---|---|
# | **You will** | pretrain a denoising autoencoder layer by layer in plain PyTorch, check it against `adlab`, and see what the pretrained codes and reconstruction errors are worth |
# | **Prerequisites** | notebook 00; PyTorch modules, optimisers and autograd; what an autoencoder is |
# | **Time** | about 30 min |
# | **Read** | MNPWAD §III-C (Eq. 1–2) and §III-F; Vincent et al., *Stacked denoising autoencoders* (JMLR 2010); the course map, notation table and glossary are in [docs/COURSE.md](../docs/COURSE.md) |
#
# MNPWAD (Dong et al.) describes every sample by a latent code $z_i=\psi(x_i)$ (Eq. 1) and its
# reconstruction $\hat x_i=\psi'(z_i)$ (Eq. 2). Its normal *prototypes* are found by k-means on those
# codes **before** the real training starts, so the codes must already mean something at that point.
# A randomly initialised encoder gives codes that are just a random projection of the input.
# The paper therefore **pretrains** the autoencoder on the unlabeled data, following DEC/IDEC:
#
# 1. **greedy layer-wise denoising autoencoders**: layer 1 learns to reconstruct clean inputs from
#    noisy ones ($x+\varepsilon$, $\varepsilon\sim\mathcal N(0,0.05^2)$); layer 2 does the same on the clean
#    codes of layer 1; and so on;
# 2. **end-to-end fine-tuning** of the stacked autoencoder on clean inputs.
#
# Why noise? A denoising AE cannot just copy its input; it has to learn the directions along which the
# data really varies. Why layer by layer? Each stage is a shallow, easy problem, and together they give
# the deep network a sensible starting point (historically the trick that made deep AEs trainable).
#
# We build this by hand in plain torch, check it against `adlab.components.pretraining.pretrain_autoencoder`
# (identical to ~1e-6), then look at what pretraining buys on the real Pendigits data: reconstruction
# errors that separate anomalies from normals, and a latent space with structure.

# %%
import sys, subprocess
if "google.colab" in sys.modules:  # Colab only: install adlab without touching torch/numpy
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps",
                    "git+https://github.com/adlab-course/adlab.git@main"], check=True)

# %%
import math
import time

import matplotlib.pyplot as plt
import numpy as np
import torch
from sklearn.decomposition import PCA
from torch import nn

import adlab
import adlab.config
from adlab.components.pretraining import build_autoencoder, default_hidden_dims, pretrain_autoencoder
from adlab.data.adbench import load_adbench
from adlab.data.protocol import weak_split
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
# ## 0. Data: Pendigits under the MNPWAD protocol
#
# `weak_split(..., protocol="mnpwad")` gives a stratified 60/5/35 train/validation/test split, min-max
# scaled on the training part, with 1 % of the *training anomalies* labeled — for Pendigits that is a
# single labeled anomaly; the other training anomalies stay in the unlabeled pool (contamination).
# Pretraining uses the **unlabeled pool only** (weak label 0), contamination included.

# %%
X, y = load_adbench("pendigits")
split = weak_split(X, y, protocol="mnpwad", random_state=SEED)
X_unl = torch.as_tensor(split.X_train[split.y_train == 0], dtype=torch.float32, device=device)
X_test = torch.as_tensor(split.X_test, dtype=torch.float32, device=device)
y_test = split.y_test
print(f"unlabeled pool: {tuple(X_unl.shape)} (hidden anomalies: {int(split.y_train_true[split.y_train == 0].sum())}), "
      f"labeled anomalies: {int(split.y_train.sum())}, test: {tuple(X_test.shape)} with {int(y_test.sum())} anomalies")

D = X_unl.shape[1]
HIDDEN = default_hidden_dims(D, n_emb=8)          # the reference code's widths: D - (D-8)//2, then H = 8
print("architecture:", D, "->", " -> ".join(map(str, HIDDEN)), "-> ... ->", D)

EPOCHS = 5 if FAST else 20          # per layer-wise stage
FINETUNE_EPOCHS = 5 if FAST else 20
BATCH, LR, WD, NOISE, MAX_BATCHES = 128, 5e-3, 5e-4, 0.05, 64

# %% [markdown]
# ## 1. One denoising autoencoder layer, by hand
#
# A layer is `Linear → LeakyReLU` on the way in and `Linear → LeakyReLU` on the way out (the reference
# code puts a LeakyReLU after *every* layer, the latent and the output included). One epoch is a
# shuffled pass over the data in mini-batches (capped at 64 batches); every batch gets fresh noise;
# the loss is the MSE between the reconstruction of the *noisy* batch and the *clean* batch; Adam with
# the paper's lr 5e-3 and weight decay 5e-4.
#
# The order in which random numbers are drawn (a permutation per epoch, then noise per batch, from one
# `torch.Generator`) is the same as in adlab, so that we can compare the two to the last digit.

# %%
def train_reconstruction_by_hand(layers, inputs, epochs, noise_std, gen, log, stage):
    """Minimise MSE(layers(inputs[idx] + noise), inputs[idx]) with Adam; one row per epoch in log."""
    opt = torch.optim.Adam(layers.parameters(), lr=LR, weight_decay=WD)
    n = inputs.shape[0]
    bs = min(BATCH, n)
    steps = min(math.ceil(n / bs), MAX_BATCHES)
    for epoch in range(epochs):
        perm = torch.randperm(n, generator=gen, device=inputs.device)
        total = 0.0
        for b in range(steps):
            idx = perm[b * bs:(b + 1) * bs]
            clean = inputs[idx]
            noisy = clean + noise_std * torch.randn(clean.shape, generator=gen, device=clean.device) if noise_std > 0 else clean
            loss = ((layers(noisy) - clean) ** 2).mean()
            opt.zero_grad()
            loss.backward()
            opt.step()
            total += loss.detach()
        log.append({"stage": stage, "epoch": epoch, "loss": float(total) / steps})


def make_layers_by_hand(seed):
    """The four Linear layers in the order adlab creates them (encoder first, then decoder)."""
    torch.manual_seed(seed)
    dims = [D, *HIDDEN]
    enc = [nn.Sequential(nn.Linear(a, b), nn.LeakyReLU()) for a, b in zip(dims[:-1], dims[1:])]
    rdims = dims[::-1]
    dec = [nn.Sequential(nn.Linear(a, b), nn.LeakyReLU()) for a, b in zip(rdims[:-1], rdims[1:])]
    return [m.to(device) for m in enc], [m.to(device) for m in dec]


enc_layers, dec_layers = make_layers_by_hand(SEED)
gen = torch.Generator(device=device).manual_seed(SEED)
log_hand = []

# --- stage 1: D -> h1 -> D on noisy inputs
dae1 = nn.Sequential(enc_layers[0], dec_layers[1])
train_reconstruction_by_hand(dae1, X_unl, EPOCHS, NOISE, gen, log_hand, "layer1")
# --- stage 2: h1 -> H -> h1 on noisy *codes* of the (now fixed) first layer
with torch.no_grad():
    codes1 = enc_layers[0](X_unl)
dae2 = nn.Sequential(enc_layers[1], dec_layers[0])
train_reconstruction_by_hand(dae2, codes1, EPOCHS, NOISE, gen, log_hand, "layer2")

# %% [markdown]
# ## 2. Stacking, then end-to-end fine-tuning
#
# The encoder is layer 1's encoder followed by layer 2's; the decoder mirrors it (layer 2's decoder,
# then layer 1's). Fine-tuning trains the whole stack on **clean** inputs.

# %%
encoder_hand = nn.Sequential(*enc_layers)
decoder_hand = nn.Sequential(*dec_layers)
autoencoder_hand = nn.Sequential(encoder_hand, decoder_hand)
train_reconstruction_by_hand(autoencoder_hand, X_unl, FINETUNE_EPOCHS, 0.0, gen, log_hand, "finetune")
for row in log_hand[EPOCHS - 1::EPOCHS]:
    print(f"end of {row['stage']:8s}: train MSE {row['loss']:.5f}")

# %% [markdown]
# ## 3. The same with adlab
#
# `pretrain_autoencoder` runs exactly these three stages (it also supports early stopping on a
# validation set, which we do not use here). Same seed for the initial weights, same generator for the
# shuffling and the noise: the two encoders must agree.

# %%
torch.manual_seed(SEED)
encoder, decoder, history = pretrain_autoencoder(
    X_unl, HIDDEN, epochs=EPOCHS, finetune_epochs=FINETUNE_EPOCHS, batch_size=BATCH, lr=LR, weight_decay=WD,
    noise_std=NOISE, generator=torch.Generator(device=device).manual_seed(SEED), max_batches_per_epoch=MAX_BATCHES)
print(encoder)
with torch.no_grad():
    torch.testing.assert_close(encoder(X_test), encoder_hand(X_test), atol=1e-6, rtol=1e-5)
    torch.testing.assert_close(decoder(encoder(X_test)), autoencoder_hand(X_test), atol=1e-6, rtol=1e-5)
np.testing.assert_allclose([r["loss"] for r in history], [r["loss"] for r in log_hand], rtol=1e-5, atol=1e-7)
print("by-hand pretraining == adlab.pretrain_autoencoder (codes, reconstructions and loss curves)")

# %%
fig, ax = plt.subplots(figsize=(7, 3.3))
for i, stage in enumerate(("layer1", "layer2", "finetune")):
    rows = [r for r in history if r["stage"] == stage]
    x0 = i * EPOCHS
    ax.plot(np.arange(x0, x0 + len(rows)) + 1, [r["loss"] for r in rows], "o-", label=stage)
ax.set(xlabel="epoch (stages one after the other)", ylabel="train MSE", yscale="log",
       title="Pretraining curves (layer 2 reconstructs codes, not inputs: its scale differs)")
ax.legend()
plt.show()

# %% [markdown]
# Every stage lowers its own reconstruction error epoch by epoch; the jumps between stages are changes of task
# (layer 2 reconstructs codes, fine-tuning the whole stack), not regressions.

# %% [markdown]
# ## 4. What pretraining buys: reconstruction errors
#
# An autoencoder trained on (mostly normal) unlabeled data reconstructs normal-looking rows well and
# unusual rows worse. MNPWAD feeds this error $e_i$ to its scorer (Eq. 11) and shapes it with a hinge
# (Eq. 4). Already after pretraining — no label used — the test anomalies have larger errors than
# the test normals on average. For contrast, an untrained autoencoder of the same shape:

# %%
def per_sample_mse(enc, dec, x):
    with torch.no_grad():
        return ((dec(enc(x)) - x) ** 2).mean(dim=1).cpu().numpy()


torch.manual_seed(SEED + 1)
encoder_random, decoder_random = (m.to(device) for m in build_autoencoder(D, HIDDEN))
err_pre = per_sample_mse(encoder, decoder, X_test)
err_rand = per_sample_mse(encoder_random, decoder_random, X_test)

fig, axes = plt.subplots(1, 2, figsize=(11, 3.5))
for ax, err, name in ((axes[0], err_rand, "untrained AE"), (axes[1], err_pre, "pretrained AE")):
    bins = np.logspace(np.log10(err.min() + 1e-8), np.log10(err.max()), 40)
    ax.hist(err[y_test == 0], bins=bins, density=True, alpha=0.6, label="test normals")
    ax.hist(err[y_test == 1], bins=bins, density=True, alpha=0.6, label="test anomalies")
    ax.set(xscale="log", xlabel="per-sample reconstruction MSE",
           title=f"{name}: AUC-ROC {auc_roc(y_test, err):.2f}, AUC-PR {auc_pr(y_test, err):.2f}")
    ax.legend()
axes[0].set_ylabel("density (per group)")
axes[1].set_ylabel("density (per group)")
plt.tight_layout()
plt.show()
print(f"pretrained AE: mean error normals {err_pre[y_test == 0].mean():.4f}, anomalies {err_pre[y_test == 1].mean():.4f}")
print(f"test anomaly rate (AUC-PR of a random score): {y_test.mean():.3f}")
assert err_pre[y_test == 1].mean() > err_pre[y_test == 0].mean()
assert auc_roc(y_test, err_pre) > 0.6

# %% [markdown]
# Honest reading: the shift is real but modest, and the AUC-PR of the error alone is close to the
# anomaly rate. Pendigits' anomalies are one whole digit class — a coherent pattern, present in the
# unlabeled pool as contamination, that an autoencoder also learns to reconstruct. This is exactly why
# MNPWAD does not score by $e_i$ alone: it adds the prototype similarity $s_i$ and the code $z_i$ (Eq. 11),
# down-weights unlabeled rows far from every prototype (Eq. 7), and uses the labeled anomaly in a
# hinge on $e_i$ (Eq. 4).

# %% [markdown]
# ## 5. What pretraining buys: a latent space with structure
#
# The 8-D codes of the test set, projected to 2-D with PCA. Pendigits' normal class is made of
# several digits, so the pretrained codes form **several groups** — the multi-modal normal data MNPWAD
# wants to cover with several prototypes. The untrained encoder's codes are a squashed random
# projection of the input.

# %%
with torch.no_grad():
    codes = {"untrained encoder": encoder_random(X_test).cpu().numpy(),
             "pretrained encoder": encoder(X_test).cpu().numpy()}
fig, axes = plt.subplots(1, 2, figsize=(11, 4.5))
for ax, (name, Z) in zip(axes, codes.items()):
    Z2 = PCA(n_components=2, random_state=SEED).fit_transform(Z)
    ax.scatter(Z2[y_test == 0, 0], Z2[y_test == 0, 1], s=3, alpha=0.4, label="normal")
    ax.scatter(Z2[y_test == 1, 0], Z2[y_test == 1, 1], s=14, c="red", edgecolor="k", lw=0.3, label="anomaly")
    ax.set(title=f"{name}: PCA of the 8-D test codes", xlabel="PC 1", ylabel="PC 2")
    ax.legend()
plt.tight_layout()
plt.show()

# %% [markdown]
# The untrained codes are one squashed band; the pretrained ones spread into several groups of normals, with the
# anomalies (one digit class) gathered in a group of their own at the edge — structure k-means can use.
#
# ## 6. From pretrained codes to prototypes
#
# This is where MNPWAD goes next: k-means on the pretrained codes of the unlabeled rows, with $k$
# chosen by the silhouette score (notebook 03), gives the initial normal prototypes.

# %%
from adlab.components.prototypes import init_prototypes_kmeans

with torch.no_grad():
    emb = encoder(X_unl).cpu().numpy()
centers, k, scores = init_prototypes_kmeans(emb, k_range=(2, 10), random_state=SEED)
print(f"k chosen by silhouette on the pretrained codes: {k}")
print("silhouette by k:", {kk: round(v, 3) for kk, v in scores.items()})
assert centers.shape == (k, HIDDEN[-1]) and 2 <= k <= 10

# %% [markdown]
# ## Takeaways
#
# * Pretraining = layer-wise denoising AEs (noisy input, clean target, MSE) + end-to-end fine-tuning,
#   on the unlabeled pool only; our by-hand version matches `pretrain_autoencoder` exactly.
# * Without a single label, the pretrained AE already reconstructs anomalies worse than normals, and
#   its codes show the multi-modal structure of the normal data.
# * Differences from the authors' code (see [docs/references/mnpwad.md](../docs/references/mnpwad.md) §1.3): there the noise
#   is drawn once per layer and kept fixed, a slicing bug trains on 8 rows per step, and every stage
#   stops early on the validation normals. adlab uses real mini-batches and fresh noise, and early
#   stopping only when you ask for it (`MNPWAD(early_stopping=True)` with `X_val`).
#
# **Further reading.** Vincent et al. 2010 (stacked denoising autoencoders); Xie et al. 2016 (DEC) §3.2 on the pretrained initialisation.
#
# **Next:** notebook 02, the Student's-t similarity between codes and prototypes.

# %%
print(f"notebook ran in {time.perf_counter() - T0:.1f} s")
