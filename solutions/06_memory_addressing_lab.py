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
# # Lab 6 — MMNet: memory addressing with hard shrinkage, and the KL-to-uniform score
#
# [![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/adlab-course/adlab/blob/main/solutions/06_memory_addressing_lab.ipynb)
#
# MMNet (Yin et al.) encodes a sample into a query $z$ and reads a **memory** of $K + L$ learned items:
# $K$ prototypes of the unlabeled (mostly normal) data, $L$ of the labeled anomalies. Addressing, Eq. (3)–(7):
#
# $$ w = \mathrm{softmax}(z M^\top), \qquad
#    \tilde w_j = \frac{\max(w_j - \gamma, 0)\, w_j}{|w_j - \gamma| + \epsilon}, \qquad
#    \hat w = \tilde w / \lVert \tilde w \rVert_1, \qquad \hat z = \hat w M. $$
#
# **Hard shrinkage** switches off every item with a weight below $\gamma$ (exactly 0, and no gradient), so a
# query is rebuilt from a few items only — an anomaly cannot be reconstructed by blending many normal items.
# The score also reads the attention itself, through its divergence from uniform, Eq. (18):
#
# $$ S_{KL} = D_{KL}(u \,\|\, w) = -\frac{1}{N}\sum_{j} \log w_j - \log N \;\ge 0. $$
#
# The paper's argument (§III-G, Fig. 4): a familiar query matches some item and has a *peaked* attention, an unknown
# anomaly should match nothing and attend almost uniformly, so $S_{KL}$ should be high for familiar samples and
# $S = -(S_{sum} + \lambda S_{KL})$ (Eq. 19) should flag unfamiliar ones. **That is an argument, not a property of
# dot-product addressing**: the logits $z \cdot m_j$ grow with the size of the code, and an input far from the data
# often gets a larger code and a *more* peaked attention. adlab measures what happens: notebook 09 and the MMNet
# ablation in `docs/RESULTS.md` score with $S_{KL}$ alone and find it far weaker than $S_{sum}$ alone, and the last
# cell of this lab prints both for your model. The predict-then-run cell below shows the mechanism.
#
# **How labs work.** Work on your own copy: `python -m adlab.labs start 06` copies this exercise to
# `my_labs/` (ignored by git; nothing ever overwrites it). Replace each `raise NotImplementedError(...)` stub
# with your code and run the check cell below it: it prints *passed*, or raises an `AssertionError` that
# says what is wrong. From a shell, `python -m adlab.labs grade my_labs/06_memory_addressing_lab.ipynb` grades the
# whole file. Cells marked **Predict, then run** ask you to write down a guess before running them.

# %%
import sys, subprocess
if "google.colab" in sys.modules:  # Colab only: install adlab without touching torch/numpy
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps",
                    "git+https://github.com/adlab-course/adlab.git@main"], check=True)

# %%
import math

import torch

import adlab.config
from adlab.labs import check_exercise

# %%
import time

import matplotlib.pyplot as plt
import numpy as np

from adlab.data.adbench import load_adbench
from adlab.data.protocol import weak_split
from adlab.evaluation.metrics import auc_pr
from adlab.labs import plug_in

FAST = adlab.config.is_fast()
SEED = 0
adlab.config.seed_everything(SEED)
device = adlab.config.resolve_device("auto")
print(f"FAST={FAST}  device={device}  torch={torch.__version__}")
T0 = time.perf_counter()

from adlab.components import memory as mem

# %% [markdown]
# ## Exercise 6.1 — hard shrinkage (Eq. 5)
#
# `w` is (n, N). Implement the formula above with `torch.relu`; keep the `eps` so the division is safe
# and the result stays differentiable.

# %%
def hard_shrinkage(w, threshold, eps=1e-12):
    """w_tilde (n, N): max(w - gamma, 0) * w / (|w - gamma| + eps), Eq. (5)."""
    ### BEGIN SOLUTION
    ### HINT: Translate Eq. (5) term by term; which torch function gives max(., 0)?
    return torch.relu(w - threshold) * w / ((w - threshold).abs() + eps)
    ### END SOLUTION


# %%
check_exercise("06.1", hard_shrinkage)

# %% [markdown]
# ## Exercise 6.2 — L1 renormalisation (Eq. 6), with a fallback
#
# Divide every row by its sum. A row whose weights were *all* below $\gamma$ (a near-uniform attention)
# sums to 0; adlab then uses that row of `fallback` (the un-shrunk softmax) instead. Without a fallback
# such a row stays 0 — clamp the denominator so nothing is divided by zero.

# %%
def l1_renormalise(w_tilde, fallback=None, eps=1e-12):
    """w_hat (n, N): rows of w_tilde divided by their sum; all-zero rows taken from fallback, Eq. (6)."""
    ### BEGIN SOLUTION
    ### HINT: Row sums first; then decide, row by row, between the divided row and the fallback.
    total = w_tilde.sum(dim=1, keepdim=True)
    w_hat = w_tilde / total.clamp_min(eps)
    if fallback is not None:
        w_hat = torch.where(total > 0, w_hat, fallback)
    return w_hat
    ### END SOLUTION


# %%
check_exercise("06.2", l1_renormalise)

# %% [markdown]
# ## How sparse does shrinkage make the read-out?
#
# Random queries against a random memory of 16 items with $\gamma = 1/N$ (adlab's default): count the
# items each query still uses after shrinkage.

# %%
g = torch.Generator().manual_seed(SEED)
memory = torch.randn(16, 8, generator=g)
queries = torch.randn(500, 8, generator=g)
w, log_w = mem.attention_weights(mem.memory_logits(queries, memory))
w_hat = l1_renormalise(hard_shrinkage(w, 1 / 16), fallback=w)
torch.testing.assert_close(w_hat, mem.l1_renormalise(mem.hard_shrinkage(w, 1 / 16), fallback=w))
used_before = (w > 1e-3).sum(dim=1).float()
used_after = (w_hat > 0).sum(dim=1).float()
fig, ax = plt.subplots(figsize=(5, 3))
ax.hist([used_before.numpy(), used_after.numpy()], bins=np.arange(0.5, 17.5), label=["softmax w (> 1e-3)", "shrunk w_hat (> 0)"])
ax.set_xlabel("memory items used by a query")
ax.set_ylabel("queries")
ax.set_title("shrinkage leaves a few items per query")
ax.legend(fontsize=8)
plt.tight_layout()
plt.show()
print(f"items used per query: {used_before.mean():.1f} before, {used_after.mean():.1f} after shrinkage")
assert used_after.mean() < used_before.mean()

# %% [markdown]
# *Reading:* after shrinkage each query is rebuilt from a handful of the 16 items instead of most of them (the means
# are printed and asserted above).

# %% [markdown]
# ## Exercise 6.3 — the KL-to-uniform score (Eq. 18)
#
# `log_w` is (n, N), the log of the softmax attention (adlab computes it with `log_softmax`, so it is
# finite even where $w$ underflows). Return $S_{KL}$ per row, (n,): 0 for a uniform attention, larger the
# more peaked it is.

# %%
def attention_kl_score(log_w):
    """S_KL (n,) = -mean_j log w_j - log N, Eq. (18)."""
    ### BEGIN SOLUTION
    ### HINT: Eq. (18) is an average over the items plus a constant; check the sign on a uniform row.
    return -log_w.mean(dim=1) - math.log(log_w.shape[1])
    ### END SOLUTION


# %%
check_exercise("06.3", attention_kl_score)

# %% [markdown]
# **Predict, then run.** Take a few queries and move them away from the data along their own direction: $c \cdot z$
# for $c = 0.1, 1, 10$, against a fixed random memory. Does the attention become flatter or more peaked, and does
# $S_{KL}$ go down (looks unknown) or up (looks familiar)? Write your guess down, then run the cell.

# %%
g = torch.Generator().manual_seed(SEED)
memory_demo = torch.randn(16, 8, generator=g)
z_demo = torch.randn(200, 8, generator=g)
for c in (0.1, 1.0, 10.0):
    _, log_w_demo = mem.attention_weights(mem.memory_logits(c * z_demo, memory_demo))
    print(f"c={c:>4}: largest attention weight {float(log_w_demo.exp().max(dim=1).values.mean()):.2f} on average, "
          f"S_KL {float(attention_kl_score(log_w_demo).mean()):.2f}")

# %% [markdown] tags=["solution"]
# **Answer.** More peaked, and $S_{KL}$ goes *up*. The logits are $c\,(z \cdot m_j)$, and a softmax of scaled logits
# sharpens as $c$ grows: only $z = 0$ (or a query orthogonal to every item) attends uniformly. With dot-product
# addressing, "far from the data" does not mean "uniform attention", so $S_{KL}$ can call a far-away anomaly *familiar* —
# the opposite of the paper's argument. The measured consequence is in notebook 09 and `docs/RESULTS.md`.

# %% [markdown]
# ## Your addressing and score inside the real MMNet
#
# `MemoryModule` (in `adlab.components.memory`) calls `hard_shrinkage` and `l1_renormalise` of its own
# module, and `adlab.models.mmnet` imports `attention_kl_score`: two `plug_in` blocks cover all three.
# MMNet protocol on Pendigits: 30 labeled anomalies, 2 % contamination, 80/20 split.

# %%
from adlab import MMNet
from adlab.labs import check_trains_like_adlab

X, y = load_adbench("pendigits")
split = weak_split(X, y, protocol="mmnet", random_state=SEED)
with plug_in("adlab.components.memory", hard_shrinkage=hard_shrinkage, l1_renormalise=l1_renormalise) as calls, \
        plug_in("adlab.models.mmnet", attention_kl_score=attention_kl_score) as score_calls:
    det = MMNet(epochs=adlab.config.fast_or(50, 5), random_state=SEED).fit(split.X_train, split.y_train)
    scores = det.decision_function(split.X_test)
    parts = det.score_components(split.X_test)
ap = auc_pr(split.y_test, scores)
print(f"calls to your functions: {dict(calls) | dict(score_calls)}")
print(f"MMNet with your addressing and score: test AUC-PR = {ap:.3f} (anomaly share {split.y_test.mean():.3f})")
# S_sum and S_KL are "high = familiar": negate them to rank anomalies first
print(f"AUC-PR of -S_sum: {auc_pr(split.y_test, -parts['s_sum']):.3f}, of -S_KL: {auc_pr(split.y_test, -parts['s_kl']):.3f}")
assert min(calls.values()) > 0 and len(calls) == 2 and score_calls["attention_kl_score"] > 0
assert ap > 3 * split.y_test.mean()
# the final check: the model trained with your addressing must score like the one trained with adlab's
check_trains_like_adlab(lambda: MMNet(epochs=2, random_state=SEED), split.X_train, split.y_train,
                        {"adlab.components.memory": {"hard_shrinkage": hard_shrinkage, "l1_renormalise": l1_renormalise},
                         "adlab.models.mmnet": {"attention_kl_score": attention_kl_score}}, X_score=split.X_test)
print(f"lab ran in {time.perf_counter() - T0:.1f} s")
