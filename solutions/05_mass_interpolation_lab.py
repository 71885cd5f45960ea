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
# # Lab 5 — RoSAS: mass interpolation with consistency targets
#
# [![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/adlab-course/adlab/blob/main/solutions/05_mass_interpolation_lab.ipynb)
#
# RoSAS (Xu et al., 2023) never trusts the discrete labels "unlabeled = normal (−1)" and "labeled =
# anomaly (+1)" on their own: the unlabeled set is contaminated. It trains its scorer on **mixtures** of
# samples instead, Eq. (3):
#
# $$ \tilde x = \sum_{i=1}^{k} \lambda_i x_i, \qquad \tilde y = \sum_{i=1}^{k} \lambda_i y_i, \qquad
#    \lambda_1 \sim \mathrm{Beta}(\alpha, \alpha)\ (k = 2), $$
#
# with *continuous* targets $\tilde y \in [-1, 1]$, and adds a **consistency** term asking the score of a
# mixture to equal the mixture of the scores, Eq. (4):
#
# $$ L = \ell\bigl(s(\tilde x), \tilde y\bigr) + \ell\Bigl(s(\tilde x), \textstyle\sum_i \lambda_i\, s(x_i)\Bigr),
#    \qquad \ell = \text{smooth-}\ell_1. $$
#
# Why is this robust to contamination? A hidden anomaly in the unlabeled set still carries a wrong target (−1).
# The paper (§4.1) credits the **interpolation** itself: such a row is far more often mixed with genuine normal rows
# or labeled anomalies than with another hidden anomaly, so its wrong label enters a mixed target only with its
# weight λ — the contamination is *diluted* — and the contaminated region is also covered by mixtures of correctly
# labeled rows. The consistency term has another job: it asks for scores that vary smoothly along the mixtures, so
# that they describe continuous degrees of abnormality.
#
# **How labs work.** Work on your own copy: `python -m adlab.labs start 05` copies this exercise to
# `my_labs/` (ignored by git; nothing ever overwrites it). Replace each `raise NotImplementedError(...)` stub
# with your code and run the check cell below it: it prints *passed*, or raises an `AssertionError` that
# says what is wrong. From a shell, `python -m adlab.labs grade my_labs/05_mass_interpolation_lab.ipynb` grades the
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
from adlab.components.interpolation import sample_mixing_weights
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

# %% [markdown]
# ## Exercise 5.1 — mix a batch, given the weights and the partners
#
# `x` is (n, D), `y` is (n,). `lam` is (n, k) (rows sum to 1) and `idx` is (n, k): row $r$ of the output
# mixes rows `idx[r, 0], …, idx[r, k-1]` of the batch with weights `lam[r]`. Return `(x_mix, y_mix)`.
# Fancy indexing does it without a loop: `x[idx]` is (n, k, D).

# %%
def mix_batch(x, y, lam, idx):
    """x_mix (n, D) = sum_j lam[:, j] x[idx[:, j]], y_mix (n,) likewise, Eq. (3)."""
    ### BEGIN SOLUTION
    ### HINT: Indexing x with idx gives every partner at once; weight them and sum over the partner axis.
    x_mix = (lam.unsqueeze(-1) * x[idx]).sum(dim=1)
    y_mix = (lam * y.to(x.dtype)[idx]).sum(dim=1)
    return x_mix, y_mix
    ### END SOLUTION


# %%
check_exercise("05.1", mix_batch)

# %% [markdown]
# ## Exercise 5.2 — mass interpolation
#
# Now draw the randomness yourself, **only** from `generator` (so that a seed reproduces a batch):
#
# * `lam = sample_mixing_weights(n, k, alpha, generator=generator, device=x.device, dtype=x.dtype)`
#   gives (n, k) weights with $\lambda_1 \sim \mathrm{Beta}(\alpha, \alpha)$ for $k = 2$ (imported above);
# * column 0 of `idx` is the row itself (`torch.arange(n)`), columns 1 … k−1 are independent random
#   permutations of the batch (`torch.randperm(n, generator=generator, device=x.device)`);
# * mix with your `mix_batch` and return `(x_mix, y_mix, lam, idx)`.
#
# `weights` is passed on to `sample_mixing_weights` (how λ is drawn for k > 2).

# %%
def mass_interpolation(x, y, k=2, alpha=0.5, generator=None, *, weights="beta"):
    """Mass interpolation, Eq. (3): returns x_mix (n, D), y_mix (n,), lam (n, k), idx (n, k)."""
    ### BEGIN SOLUTION
    ### HINT: Draw lam first, then one column of partners per mixture member (the first one is the row itself); mix with your mix_batch.
    n = x.shape[0]
    lam = sample_mixing_weights(n, k, alpha, weights=weights, generator=generator, device=x.device, dtype=x.dtype)
    cols = [torch.arange(n, device=x.device)]
    cols += [torch.randperm(n, generator=generator, device=x.device) for _ in range(int(k) - 1)]
    idx = torch.stack(cols, dim=1)
    x_mix, y_mix = mix_batch(x, y, lam, idx)
    return x_mix, y_mix, lam, idx
    ### END SOLUTION


# %%
check_exercise("05.2", mass_interpolation)

# %% [markdown]
# ## What α does, and what a mixed batch looks like
#
# $\alpha < 1$ puts most of the weight near 0 or 1: each mixture stays close to one real sample
# (RoSAS uses $\alpha = 0.5$), which limits mixtures that land where no data lives. On a 2-D toy set
# with −1 (unlabeled) and +1 (anomaly) targets, the mixtures fill the space between the two groups with
# graded targets.

# %%
gen = torch.Generator().manual_seed(SEED)
fig, axes = plt.subplots(1, 2, figsize=(10, 3.5))
for alpha in (0.5, 1.0, 4.0):
    lam = mass_interpolation(torch.zeros(3000, 1), torch.zeros(3000), 2, alpha, gen)[2][:, 0]
    axes[0].hist(lam.numpy(), bins=40, histtype="step", density=True, label=f"alpha={alpha}")
axes[0].set_xlabel("lambda_1")
axes[0].set_ylabel("density")
axes[0].set_title("alpha < 1 keeps mixtures near a real sample")
axes[0].legend()
x_toy = torch.cat([torch.randn(150, 2, generator=gen) * 0.6, torch.randn(15, 2, generator=gen) * 0.4 + 3])
y_toy = torch.cat([-torch.ones(150), torch.ones(15)])
x_mix, y_mix, lam, idx = mass_interpolation(x_toy, y_toy, 2, 0.5, gen)
sc = axes[1].scatter(x_mix[:, 0], x_mix[:, 1], c=y_mix, cmap="coolwarm", s=10, vmin=-1, vmax=1)
axes[1].scatter(x_toy[y_toy > 0, 0], x_toy[y_toy > 0, 1], marker="x", c="black", s=25, label="labeled anomalies")
axes[1].set_title("interpolated batch, coloured by target y_mix")
axes[1].set_xlabel("feature 1")
axes[1].set_ylabel("feature 2")
axes[1].legend(fontsize=8)
fig.colorbar(sc, ax=axes[1])
plt.tight_layout()
plt.show()
assert float(y_mix.min()) >= -1 - 1e-6 and float(y_mix.max()) <= 1 + 1e-6

# %% [markdown]
# *Reading:* with α = 0.5 most λ₁ lie near 0 or 1 (mixtures stay near one real sample), with α = 4 they crowd around
# 0.5; in the batch, mixtures between the two groups get targets between −1 and +1, graded by how far along they
# lie.

# %% [markdown]
# **Predict, then run.** With $\alpha = 0.5$, what fraction of the mixtures keep at least 90 % of one real sample
# ($\lambda_1 < 0.1$ or $\lambda_1 > 0.9$)? And with $\alpha = 4$? Write your guesses down, then run the cell.

# %%
for alpha in (0.5, 4.0):
    lam1 = mass_interpolation(torch.zeros(20000, 1), torch.zeros(20000), 2, alpha, torch.Generator().manual_seed(SEED))[2][:, 0]
    near_one_sample = float(((lam1 < 0.1) | (lam1 > 0.9)).float().mean())
    print(f"alpha={alpha}: {near_one_sample:.1%} of the mixtures keep at least 90 % of one sample")

# %% [markdown] tags=["solution"]
# **Answer.** About 41 % for $\alpha = 0.5$ (Beta(½, ½) is the arcsine law: $2 \cdot \tfrac{2}{\pi}\arcsin\sqrt{0.1}$),
# against well under 1 % for $\alpha = 4$, where λ crowds around 0.5. RoSAS's $\alpha = 0.5$ keeps many mixtures in the
# local region of a real sample, which limits "manifold intrusion" (a mixture of two anomalies landing among normal
# data with an anomalous target, §4.1) — while the other mixtures still give graded targets in between.

# %% [markdown]
# ## Exercise 5.3 — the scoring loss with the consistency term (Eq. 4)
#
# `score_mix` (n,) are the scores $s(\tilde x)$ of the mixtures, `y_mix` (n,) their targets,
# `score_parts` (n, k) the scores of the samples each mixture was built from and `lam` (n, k) the
# weights. Use `F.smooth_l1_loss(pred, target, beta=beta)` (mean over the batch) for $\ell$. Return the
# triple `(L, target_term, consistency_term)`; with `consistency=False` the consistency term is a zero
# tensor and L is the target term alone (the "w/o $L_c$" ablation). Do not detach
# $\sum_i \lambda_i s(x_i)$: the consistency term moves the scores of the originals too.

# %%
def continuous_scoring_loss(score_mix, y_mix, score_parts, lam, consistency=True, beta=1.0):
    """RoSAS scoring loss L, Eq. (4): returns (L, target_term, consistency_term), three scalars."""
    ### BEGIN SOLUTION
    ### HINT: Two Smooth-L1 terms, both averaged over the batch: against what target, and against what combination of scores?
    target_term = F.smooth_l1_loss(score_mix, y_mix, beta=beta)
    if not consistency:
        return target_term, target_term, torch.zeros_like(target_term)
    consistency_term = F.smooth_l1_loss(score_mix, (lam * score_parts).sum(dim=1), beta=beta)
    return target_term + consistency_term, target_term, consistency_term
    ### END SOLUTION


# %%
check_exercise("05.3", continuous_scoring_loss)

# %% [markdown]
# ## Your interpolation and loss inside the real RoSAS
#
# `adlab.models.rosas` imports `mass_interpolation` and `continuous_scoring_loss`; `plug_in` swaps in
# yours for one fit on Pendigits (RoSAS protocol).

# %%
from adlab import RoSAS
from adlab.labs import check_trains_like_adlab

X, y = load_adbench("pendigits")
split = weak_split(X, y, protocol="rosas", random_state=SEED)
with plug_in("adlab.models.rosas", mass_interpolation=mass_interpolation,
             continuous_scoring_loss=continuous_scoring_loss) as calls:
    det = RoSAS(epochs=adlab.config.fast_or(200, 5), random_state=SEED).fit(split.X_train, split.y_train)
    ap = auc_pr(split.y_test, det.decision_function(split.X_test))
print(f"calls to your functions: {dict(calls)}")
print(f"RoSAS with your interpolation and loss: test AUC-PR = {ap:.3f} (anomaly share {split.y_test.mean():.3f})")
assert calls["mass_interpolation"] > 0 and calls["continuous_scoring_loss"] > 0
assert ap > 5 * split.y_test.mean()
# the final check: a detached consistency target gives the same loss values but trains a different scorer
check_trains_like_adlab(lambda: RoSAS(epochs=2, n_batches_per_epoch=4, random_state=SEED), split.X_train, split.y_train,
                        {"adlab.models.rosas": {"mass_interpolation": mass_interpolation,
                                                "continuous_scoring_loss": continuous_scoring_loss}},
                        X_score=split.X_test)
print(f"lab ran in {time.perf_counter() - T0:.1f} s")
