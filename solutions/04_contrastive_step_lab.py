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
# # Lab 4 — The prototype contrastive loss and a training step (MNPWAD)
#
# [![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/adlab-course/adlab/blob/main/solutions/04_contrastive_step_lab.ipynb)
#
# Labs 2 and 3 built the similarity $s_{ij}$, the weights $w_i$ and the clustering loss. The piece that
# uses the **labeled anomalies** is the prototype contrastive loss, Eq. (9):
#
# $$ L_{con} = -\log \sigma\Bigl( \tfrac{1}{|U|}\textstyle\sum_{i\in U} w_i\, s_i \;-\; \tfrac{1}{|A|}\sum_{i \in A} s_i \Bigr),
#    \qquad s_i = \max_j s_{ij}. $$
#
# It falls when unlabeled (mostly normal) rows move *towards* some prototype and labeled anomalies
# move *away from all of them*. You write the loss, then one full optimisation step (forward pass,
# loss, backward pass, update), train a small "prototypes-only" detector with it, and finally run the
# real `adlab.MNPWAD` with your loss inside.
#
# **How labs work.** Work on your own copy: `python -m adlab.labs start 04` copies this exercise to
# `my_labs/` (ignored by git; nothing ever overwrites it). Replace each `raise NotImplementedError(...)` stub
# with your code and run the check cell below it: it prints *passed*, or raises an `AssertionError` that
# says what is wrong. From a shell, `python -m adlab.labs grade my_labs/04_contrastive_step_lab.ipynb` grades the
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
from adlab.components.prototypes import normality_weights, student_t_similarity
from adlab.labs import check_exercise

# %%
import time

import matplotlib.pyplot as plt
import numpy as np

from adlab.components import prototypes as P
from adlab.components.networks import mlp
from adlab.data.adbench import load_adbench
from adlab.data.protocol import weak_split
from adlab.evaluation.metrics import auc_pr

FAST = adlab.config.is_fast()
SEED = 0
adlab.config.seed_everything(SEED)
device = adlab.config.resolve_device("auto")
print(f"FAST={FAST}  device={device}  torch={torch.__version__}")
T0 = time.perf_counter()

# %% [markdown]
# ## Exercise 4.1 — the contrastive loss (Eq. 9)
#
# `s_max_unlabeled` is (b_u,), `s_max_anomaly` is (b_a,), `weights` is (b_u,) or `None` (all ones: the
# "w/o $w_i$" ablation). Use `F.logsigmoid`, not `torch.log(torch.sigmoid(.))`: the latter returns
# `-inf` once its argument is very negative.

# %%
def prototype_contrastive_loss(s_max_unlabeled, s_max_anomaly, weights=None):
    """L_con = -log sigmoid(mean_U(w * s) - mean_A(s)), Eq. (9); a scalar tensor."""
    ### BEGIN SOLUTION
    ### HINT: Build the two means inside Eq. (9) first; torch has a numerically safe log(sigmoid(x)).
    pos = s_max_unlabeled.mean() if weights is None else (weights * s_max_unlabeled).mean()
    neg = s_max_anomaly.mean() if s_max_anomaly.numel() else s_max_unlabeled.new_zeros(())
    return -F.logsigmoid(pos - neg)
    ### END SOLUTION


# %%
check_exercise("04.1", prototype_contrastive_loss)

# %% [markdown]
# Since $s \in [0.2, 1]$ (normalised codes, $\alpha = 1$), the argument of the sigmoid lies in about
# $[-1, 1]$: the loss can never reach 0, it keeps pushing.

# %%
gap = torch.linspace(-1, 1, 101)
fig, ax = plt.subplots(figsize=(5, 3))
ax.plot(gap, [prototype_contrastive_loss(g[None], torch.zeros(1)).item() for g in gap])
ax.set_xlabel("mean_U(w s) - mean_A(s)")
ax.set_ylabel("L_con")
ax.set_title("the loss falls as the gap grows, never to 0")
plt.tight_layout()
plt.show()

# %% [markdown]
# *Reading:* the loss is $-\log\sigma(\text{gap})$: it falls steadily as the gap grows but is still about 0.31 at a
# gap of 1, the largest that can occur, so it never stops pushing.

# %% [markdown]
# ## Exercise 4.2 — one training step
#
# Write the step an estimator repeats thousands of times. Given an `encoder` (an `nn.Module`), the
# `prototypes` (an `nn.Parameter`, (k, H)), a batch of unlabeled rows and one of labeled anomalies and an
# `optimizer` over the encoder and the prototypes:
#
# 1. encode both batches and compute each row's max similarity with `student_t_similarity` (imported
#    above from adlab);
# 2. compute the normality weights of the unlabeled rows (`normality_weights(s, beta)`) — do **not**
#    detach them: MNPWAD lets the gradient flow through $w$;
# 3. compute $L_{con}$ with your function, then `zero_grad`, `backward`, `step`;
# 4. return the loss as a Python `float`.

# %%
def contrastive_step(encoder, prototypes, x_unlabeled, x_anomaly, optimizer, beta=1.0):
    """One optimisation step on L_con; returns the loss before the step as a float."""
    ### BEGIN SOLUTION
    ### HINT: Forward pass for both batches, the weights, the loss, then the three calls of every training loop.
    s_u = student_t_similarity(encoder(x_unlabeled), prototypes).max(dim=1).values
    s_a = student_t_similarity(encoder(x_anomaly), prototypes).max(dim=1).values
    w = normality_weights(s_u, beta)
    loss = prototype_contrastive_loss(s_u, s_a, w)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    return loss.item()
    ### END SOLUTION


# %%
check_exercise("04.2", contrastive_step)

# %% [markdown]
# **Predict, then run.** Run one step with the weights $w$ detached and one without, from the same start. Predict:
# is the *loss value* the same? Are the *prototypes after the step* the same? Write your guesses down, then run.

# %%
def step_with_detached_weights(encoder, prototypes, x_unlabeled, x_anomaly, optimizer, beta=1.0):
    s_u = student_t_similarity(encoder(x_unlabeled), prototypes).max(dim=1).values
    s_a = student_t_similarity(encoder(x_anomaly), prototypes).max(dim=1).values
    loss = prototype_contrastive_loss(s_u, s_a, normality_weights(s_u, beta).detach())
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    return loss.item()


results = {}
for name, step in (("w attached", contrastive_step), ("w detached", step_with_detached_weights)):
    torch.manual_seed(SEED)
    enc = torch.nn.Sequential(torch.nn.Linear(6, 8), torch.nn.LeakyReLU(), torch.nn.Linear(8, 4))
    protos = torch.nn.Parameter(torch.randn(3, 4))
    x_u, x_a = torch.rand(64, 6), torch.rand(8, 6) + 0.5
    loss = step(enc, protos, x_u, x_a, torch.optim.SGD([*enc.parameters(), protos], lr=1.0), beta=4.0)
    results[name] = (loss, protos.detach().clone())
(l1, p1), (l2, p2) = results.values()
print(f"loss before the step: {l1:.6f} (attached) vs {l2:.6f} (detached)")
print(f"largest difference between the prototypes after the step: {float((p1 - p2).abs().max()):.2e}")

# %% [markdown] tags=["solution"]
# **Answer.** Same loss value, different update. Detaching changes no number in the forward pass; it removes the path
# $L \to w_i \to s_i$ from the backward pass. With $w$ attached, raising $s_i$ of an unlabeled row also raises its
# weight $w_i = \sigma(\beta s_i)$, which lowers the loss further, so unlabeled rows are pulled towards the prototypes a
# little harder. This is why the check of exercise 4.2 compares the parameters after the step, not the loss.

# %% [markdown]
# ## A prototypes-only detector
#
# Train an encoder and three prototypes with nothing but your step on Pendigits (RoSAS protocol: 30
# labeled anomalies, 2 % contamination), then score a test row by how *dissimilar* it is to its nearest
# prototype: $1 - \max_j s_{ij}$. The prototypes start at k-means centres of the (random) encoder's codes.

# %%
X, y = load_adbench("pendigits")
split = weak_split(X, y, protocol="rosas", random_state=SEED)
Xt = torch.as_tensor(split.X_train, dtype=torch.float32, device=device)
unl = torch.nonzero(torch.as_tensor(split.y_train == 0, device=device)).reshape(-1)
ano = torch.nonzero(torch.as_tensor(split.y_train == 1, device=device)).reshape(-1)

encoder = mlp([X.shape[1], 12, 8]).to(device)
with torch.no_grad():
    centers, _, _ = P.init_prototypes_kmeans(encoder(Xt[unl]).cpu().numpy(), n_prototypes=3, random_state=SEED)
prototypes = torch.nn.Parameter(torch.as_tensor(centers, device=device))
optimizer = torch.optim.Adam([*encoder.parameters(), prototypes], lr=5e-3)
gen = torch.Generator(device=device).manual_seed(SEED)


def prototype_score(X_np):
    with torch.no_grad():
        z = encoder(torch.as_tensor(X_np, dtype=torch.float32, device=device))
        return (1 - student_t_similarity(z, prototypes).max(dim=1).values).cpu().numpy()


ap_before = auc_pr(split.y_test, prototype_score(split.X_test))
losses = []
for step in range(adlab.config.fast_or(1500, 300)):
    u = unl[torch.randint(len(unl), (128,), generator=gen, device=device)]
    a = ano[torch.randint(len(ano), (32,), generator=gen, device=device)]
    losses.append(contrastive_step(encoder, prototypes, Xt[u], Xt[a], optimizer))
ap_after = auc_pr(split.y_test, prototype_score(split.X_test))

fig, ax = plt.subplots(figsize=(5, 3))
ax.plot(np.convolve(losses, np.ones(20) / 20, mode="valid"))
ax.set_xlabel("step")
ax.set_ylabel("L_con (moving average)")
ax.set_title("training the prototypes-only detector")
plt.tight_layout()
plt.show()
print(f"prototype score, test AUC-PR: {ap_before:.3f} before training -> {ap_after:.3f} after "
      f"(anomaly share {split.y_test.mean():.3f})")
assert np.mean(losses[-20:]) < np.mean(losses[:20])
assert ap_after > ap_before

# %% [markdown]
# *Reading:* the moving average of $L_{con}$ falls (asserted: the last 20 steps below the first 20), and the AUC-PR
# printed above rises with it: pulling unlabeled rows to the prototypes and pushing anomalies away is a detector.

# %% [markdown]
# ## Your loss inside the real MNPWAD
#
# MNPWAD adds reconstruction, DEC and a score network on top of this loss (Eq. 13). Run it with your
# `prototype_contrastive_loss` plugged in.

# %%
from adlab import MNPWAD
from adlab.labs import check_trains_like_adlab, plug_in

params = dict(epochs=adlab.config.fast_or(30, 3), n_batches_per_epoch=adlab.config.fast_or(64, 16),
              pretrain_epochs=adlab.config.fast_or(20, 2), n_prototypes=3, early_stopping=False,
              random_state=SEED)
with plug_in("adlab.models.mnpwad", prototype_contrastive_loss=prototype_contrastive_loss) as calls:
    det = MNPWAD(**params).fit(split.X_train, split.y_train)
    ap = auc_pr(split.y_test, det.decision_function(split.X_test))
print(f"calls to your loss: {dict(calls)}")
print(f"MNPWAD with your contrastive loss: test AUC-PR = {ap:.3f} (anomaly share {split.y_test.mean():.3f})")
assert calls["prototype_contrastive_loss"] > 0
assert ap > 3 * split.y_test.mean()
# the final check: the model trained with your loss must score like the one trained with adlab's
check_trains_like_adlab(lambda: MNPWAD(**dict(params, epochs=2, n_batches_per_epoch=4, pretrain=False)),
                        split.X_train, split.y_train,
                        {"adlab.models.mnpwad": {"prototype_contrastive_loss": prototype_contrastive_loss}},
                        X_score=split.X_test)
print(f"lab ran in {time.perf_counter() - T0:.1f} s")
