"""The graded checks of the labs: one per exercise ``NN.k``.

A check receives the learner's function, calls it on small fixed inputs and compares the result
with adlab's own implementation (or with properties the answer must have). A wrong answer raises
``AssertionError`` with a hint; a stub's ``NotImplementedError`` propagates untouched (its message
is the exercise hint); a right answer prints one confirmation line. ``pytest tests/labs`` runs the
very same checks against ``solutions/`` (or ``exercises/`` with ``ADLAB_LAB_TARGET=exercises``).

adlab modules are imported inside each check, so importing this file stays cheap.
"""
from __future__ import annotations

import copy
import inspect
import math
from dataclasses import dataclass
from typing import Callable

import numpy as np

__all__ = ["Check", "CHECKS", "check_exercise"]


@dataclass(frozen=True)
class Check:
    id: str
    title: str
    run: Callable[[Callable], None]


CHECKS: dict[str, Check] = {}


def _check(ex_id: str, title: str):
    def register(run: Callable[[Callable], None]):
        if ex_id in CHECKS:
            raise RuntimeError(f"two checks for exercise {ex_id}")
        CHECKS[ex_id] = Check(ex_id, title, run)
        return run
    return register


def check_exercise(ex_id: str, fn: Callable) -> None:
    """Grade ``fn`` as the answer to exercise ``ex_id`` (e.g. ``"02.1"``).

    Raises ``AssertionError`` (with a hint) on a wrong answer, lets the stub's
    ``NotImplementedError`` through, and prints a confirmation on success.
    """
    if ex_id not in CHECKS:
        raise ValueError(f"unknown exercise {ex_id!r}; known: {', '.join(sorted(CHECKS))}")
    if not callable(fn):
        raise TypeError(f"exercise {ex_id}: expected your function, got {type(fn).__name__}")
    check = CHECKS[ex_id]
    check.run(fn)
    print(f"Exercise {ex_id} passed: {check.title}")


# --------------------------------------------------------------------------- helpers
def _torch():
    import torch

    return torch


def _as_tensor(value, what: str):
    torch = _torch()
    if not isinstance(value, torch.Tensor):
        raise AssertionError(f"{what}: expected a torch.Tensor, got {type(value).__name__}")
    return value


def _close(actual, expected, what: str, hint: str = "", atol: float = 1e-6, rtol: float = 1e-5) -> None:
    """Tensors (or numpy arrays) equal in shape and value, else an AssertionError with ``hint``."""
    torch = _torch()
    if isinstance(expected, torch.Tensor):
        actual = _as_tensor(actual, what)
        expected = expected.detach()
        actual_d = actual.detach()
        if tuple(actual_d.shape) != tuple(expected.shape):
            raise AssertionError(f"{what}: expected shape {tuple(expected.shape)}, got {tuple(actual_d.shape)}. {hint}")
        if not torch.isfinite(actual_d).all():
            raise AssertionError(f"{what}: contains NaN or inf. {hint}")
        ok = torch.allclose(actual_d.to(expected.dtype), expected, atol=atol, rtol=rtol)
        err = float((actual_d.to(expected.dtype) - expected).abs().max()) if actual_d.numel() else 0.0
    else:
        actual_d, expected = np.asarray(actual), np.asarray(expected)
        if actual_d.shape != expected.shape:
            raise AssertionError(f"{what}: expected shape {expected.shape}, got {actual_d.shape}. {hint}")
        ok = np.allclose(actual_d, expected, atol=atol, rtol=rtol)
        err = float(np.abs(actual_d - expected).max()) if actual_d.size else 0.0
    if not ok:
        raise AssertionError(f"{what}: wrong values (largest difference {err:.3g}). {hint}")


def _unpack(result, n: int, what: str):
    if not isinstance(result, (tuple, list)) or len(result) != n:
        raise AssertionError(f"{what}: expected a tuple of {n} values, got {type(result).__name__}"
                             + (f" of length {len(result)}" if isinstance(result, (tuple, list)) else ""))
    return result


def _takes(fn: Callable, name: str) -> bool:
    try:
        return name in inspect.signature(fn).parameters
    except (TypeError, ValueError):
        return True


# =========================================================================== lab 01: weak split
def _toy_labels(seed=0, n=200, n_anomalies=20):
    rng = np.random.default_rng(seed)
    y = np.zeros(n, dtype=int)
    y[rng.choice(n, n_anomalies, replace=False)] = 1
    X = rng.normal(size=(n, 12)).astype(np.float32)
    X[y == 1] += 3.0
    return X, y


@_check("01.1", "min-max scaling fitted on the training rows only")
def _check_min_max(fn):
    rng = np.random.default_rng(1)
    X_train = rng.normal(2.0, 3.0, size=(50, 4))
    X_train[:, 2] = 7.0                                   # a constant column
    X_test = rng.normal(2.0, 6.0, size=(20, 4))
    out = _unpack(fn(X_train, X_test), 2, "min_max_scale(X_train, X_other)")
    lo, hi = X_train.min(axis=0), X_train.max(axis=0)
    span = np.where(hi > lo, hi - lo, 1.0)
    hint = "Use the min and max of X_train (axis=0) for both arrays; divide by 1 where max == min."
    _close(out[0], (X_train - lo) / span, "scaled X_train", hint)
    _close(out[1], (X_test - lo) / span, "scaled X_other", hint + " X_other may leave [0, 1]: never refit on it.")


@_check("01.2", "keep the labels of a few random anomalies, hide the rest")
def _check_label_few(fn):
    X, y = _toy_labels()
    weak = np.asarray(fn(y, 5, np.random.default_rng(0)))
    if weak.shape != y.shape:
        raise AssertionError(f"expected weak labels of shape {y.shape}, got {weak.shape}")
    if not set(np.unique(weak)).issubset({0, 1}):
        raise AssertionError(f"weak labels must be 0 (unlabeled) or 1 (labeled anomaly), got values {np.unique(weak)}")
    if weak.sum() != 5:
        raise AssertionError(f"expected exactly 5 labeled anomalies, got {int(weak.sum())}")
    if np.any(weak[y == 0] == 1):
        raise AssertionError("a normal row got the anomaly label: only choose among the rows with y_true == 1")
    again = np.asarray(fn(y, 5, np.random.default_rng(0)))
    if not np.array_equal(weak, again):
        raise AssertionError("the same rng seed must give the same labels: draw with the rng argument only")
    chosen = set()
    for seed in range(10):
        chosen |= set(np.flatnonzero(np.asarray(fn(y, 5, np.random.default_rng(seed)))))
    if len(chosen) <= 5:
        raise AssertionError("the labeled anomalies never change with the seed: choose them at random "
                             "(rng.choice(anomaly_indices, n_labeled, replace=False))")
    try:
        fn(y, int(y.sum()) + 1, np.random.default_rng(0))
    except ValueError:
        pass
    else:
        raise AssertionError("asking for more labeled anomalies than there are anomalies must raise ValueError")


@_check("01.3", "set the anomaly share of the unlabeled data (remove or inject anomalies)")
def _check_contamination(fn):
    X, y = _toy_labels(seed=2, n=300, n_anomalies=30)          # 10% anomalies
    n_normal, d = int((y == 0).sum()), X.shape[1]
    for target in (0.02, 0.2):
        want = int(round(target * n_normal / (1.0 - target)))
        out = _unpack(fn(X, y, target, np.random.default_rng(0)), 2,
                      "set_contamination(X, y_true, contamination, rng)")
        X_new, y_new = np.asarray(out[0]), np.asarray(out[1])
        if X_new.ndim != 2 or X_new.shape[1] != d or y_new.shape != (X_new.shape[0],):
            raise AssertionError(f"expected X (m, {d}) and y (m,), got {X_new.shape} and {y_new.shape}")
        if int((y_new == 0).sum()) != n_normal:
            raise AssertionError(f"keep every normal row: expected {n_normal} normals, got {int((y_new == 0).sum())}")
        if not np.array_equal(np.sort(X_new[y_new == 0], axis=0), np.sort(X[y == 0], axis=0)):
            raise AssertionError("the normal rows must come back unchanged")
        got = int((y_new == 1).sum())
        if got != want:
            raise AssertionError(f"contamination={target}: expected round({target} * n_normal / (1 - {target})) "
                                 f"= {want} anomalies, got {got}")
        anomalies, originals = X_new[y_new == 1], X[y == 1]
        diff = (anomalies[:, None, :] != originals[None, :, :]).sum(axis=2)      # (got, n_orig)
        if target < 0.1:
            if not np.all(diff.min(axis=1) == 0):
                raise AssertionError("when there are too many anomalies, keep a random subset of the real ones")
        else:
            k = max(1, round(0.05 * d))
            if np.sum(diff.min(axis=1) == 0) < len(originals):
                raise AssertionError("when there are too few anomalies, keep all real ones and add new ones")
            new = diff.min(axis=1)
            if np.any(new > k):
                raise AssertionError(f"an injected anomaly differs from every real anomaly in more than "
                                     f"max(1, round(0.05 * d)) = {k} features: copy a real anomaly, then replace only "
                                     f"{k} of its features by those of another real anomaly")
            if not np.any(new > 0):
                raise AssertionError("the injected anomalies are exact copies: replace max(1, round(0.05 * d)) features "
                                     "of each copy by the values of another anomaly")


# =========================================================================== lab 02: prototypes
def _latents(seed=0, n=9, k=3, h=5):
    torch = _torch()
    g = torch.Generator().manual_seed(seed)
    return torch.randn(n, h, generator=g) * 2.0, torch.randn(k, h, generator=g)


@_check("02.1", "Student's-t similarity to the prototypes, Eq. (6)")
def _check_student_t(fn):
    from adlab.components.prototypes import student_t_similarity

    z, u = _latents()
    for alpha in (1.0, 3.0):
        expected = student_t_similarity(z, u, alpha=alpha, normalize=True)
        got = fn(z, u, alpha=alpha)
        hint = ("Normalise z and the prototypes (F.normalize(., dim=1)), take squared distances "
                "(n, k) by broadcasting, then (1 + d2 / alpha) ** (-(alpha + 1) / 2).")
        if isinstance(got, _torch().Tensor) and got.shape == expected.shape and alpha == 1.0:
            raw = student_t_similarity(z, u, alpha=alpha, normalize=False)
            if _torch().allclose(got, raw, atol=1e-6):
                raise AssertionError("you did not L2-normalise z and the prototypes (the paper does, Eq. 6)")
        _close(got, expected, f"similarity with alpha={alpha}", hint)
    if _takes(fn, "normalize"):
        _close(fn(z, u, alpha=1.0, normalize=False), student_t_similarity(z, u, alpha=1.0, normalize=False),
               "similarity with normalize=False", "normalize=False must skip the L2 normalisation.")


@_check("02.2", "normality weights w_i = sigmoid(beta * s_max), Eq. (7)")
def _check_normality_weights(fn):
    torch = _torch()
    from adlab.components.prototypes import normality_weights

    s_max = torch.linspace(0.2, 1.0, 7)
    for beta in (1.0, 4.0):
        _close(fn(s_max, beta), normality_weights(s_max, beta), f"weights with beta={beta}",
               "w = torch.sigmoid(beta * s_max), one weight per row.")
    if _takes(fn, "renormalize"):
        _close(fn(s_max, 2.0, True), normality_weights(s_max, 2.0, True), "weights with renormalize=True",
               "renormalize=True divides the weights by their mean (they then average 1).")


# =========================================================================== lab 03: DEC
def _similarities(seed=3, n=12, k=4):
    from adlab.components.prototypes import student_t_similarity

    z, u = _latents(seed, n=n, k=k)
    return student_t_similarity(z, u)


@_check("03.1", "soft assignment Q: similarities normalised per row, Eq. (8)")
def _check_soft_assignment(fn):
    from adlab.components.prototypes import soft_assignment

    s = _similarities()
    _close(fn(s), soft_assignment(s), "Q", "q_ij = s_ij / sum_j' s_ij' (sum over dim=1, keepdim=True).")


@_check("03.2", "DEC target distribution P, Eq. (8)")
def _check_target_distribution(fn):
    torch = _torch()
    from adlab.components.prototypes import soft_assignment, target_distribution

    q = soft_assignment(_similarities())
    got = fn(q)
    expected = target_distribution(q)
    if isinstance(got, torch.Tensor) and got.shape == q.shape:
        no_freq = q.pow(2) / q.pow(2).sum(dim=1, keepdim=True)
        if torch.allclose(got, no_freq, atol=1e-6):
            raise AssertionError("you forgot the cluster frequencies f_j = sum_i q_ij: divide q_ij**2 by f_j "
                                 "before normalising each row")
    _close(got, expected, "P", "f = q.sum(dim=0); p = q**2 / f; then make every row sum to 1.")
    if not torch.allclose(got.sum(dim=1), torch.ones(q.shape[0]), atol=1e-5):
        raise AssertionError("every row of P must sum to 1")


@_check("03.3", "clustering loss KL(P || Q), Eq. (8)")
def _check_clustering_kl(fn):
    torch = _torch()
    from adlab.components.prototypes import clustering_kl_loss, soft_assignment, target_distribution

    q = soft_assignment(_similarities())
    p = target_distribution(q)
    got = fn(p, q)
    expected = clustering_kl_loss(p, q, reduction="sum")
    if isinstance(got, torch.Tensor) and got.shape == expected.shape:
        if torch.allclose(got, clustering_kl_loss(q, p, reduction="sum"), atol=1e-6):
            raise AssertionError("that is KL(Q || P): the loss is sum p * log(p / q)")
        if torch.allclose(got, clustering_kl_loss(p, q, reduction="mean"), atol=1e-6):
            raise AssertionError("you averaged over the rows: the default reduction='sum' sums over rows (Eq. 8)")
    _close(got, expected, "KL(P||Q) with reduction='sum'", "sum over rows and clusters of p * (log p - log q).")
    if _takes(fn, "reduction"):
        _close(fn(p, q, reduction="mean"), clustering_kl_loss(p, q, reduction="mean"), "KL with reduction='mean'",
               "reduction='mean' averages the per-row KL over the rows.")
    _close(fn(q, q), torch.zeros(()), "KL(Q||Q)", "KL of a distribution with itself is 0.")


# =========================================================================== lab 04: contrastive loss
@_check("04.1", "prototype contrastive loss, Eq. (9)")
def _check_contrastive(fn):
    torch = _torch()
    from adlab.components.prototypes import prototype_contrastive_loss

    g = torch.Generator().manual_seed(4)
    s_u, s_a, w = torch.rand(10, generator=g), torch.rand(4, generator=g), torch.rand(10, generator=g) + 0.5
    got = fn(s_u, s_a, w)
    expected = prototype_contrastive_loss(s_u, s_a, w)
    if isinstance(got, torch.Tensor) and got.shape == expected.shape:
        wrong_sign = -torch.nn.functional.logsigmoid((s_a.mean() - (w * s_u).mean()))
        if torch.allclose(got, wrong_sign, atol=1e-6):
            raise AssertionError("the sign is flipped: L = -log sigmoid(mean(w * s_u) - mean(s_a)), so that "
                                 "unlabeled rows move TO the prototypes and anomalies AWAY")
    _close(got, expected, "L_con with weights", "-F.logsigmoid((weights * s_u).mean() - s_a.mean()); "
           "logsigmoid is the numerically safe log(sigmoid(.)).")
    _close(fn(s_u, s_a, None), prototype_contrastive_loss(s_u, s_a, None), "L_con with weights=None",
           "weights=None means every weight is 1.")
    big = torch.full((3,), 60.0)
    _close(fn(-big, big, None), prototype_contrastive_loss(-big, big, None), "L_con for a huge gap",
           "use F.logsigmoid: torch.log(torch.sigmoid(x)) underflows to -inf for very negative x.")


def _contrastive_setup(seed=5):
    torch = _torch()
    torch.manual_seed(seed)
    encoder = torch.nn.Sequential(torch.nn.Linear(6, 8), torch.nn.LeakyReLU(), torch.nn.Linear(8, 4))
    prototypes = torch.nn.Parameter(torch.randn(3, 4))
    g = torch.Generator().manual_seed(seed)
    x_u, x_a = torch.rand(16, 6, generator=g), torch.rand(4, 6, generator=g) + 0.5
    return encoder, prototypes, x_u, x_a


def _reference_step(encoder, prototypes, x_u, x_a, beta, detach_weights=False):
    torch = _torch()
    from adlab.components.prototypes import normality_weights, prototype_contrastive_loss, student_t_similarity

    opt = torch.optim.SGD([*encoder.parameters(), prototypes], lr=0.5)
    s_u = student_t_similarity(encoder(x_u), prototypes).max(dim=1).values
    s_a = student_t_similarity(encoder(x_a), prototypes).max(dim=1).values
    w = normality_weights(s_u, beta)
    loss = prototype_contrastive_loss(s_u, s_a, w.detach() if detach_weights else w)
    opt.zero_grad()
    loss.backward()
    opt.step()
    return float(loss.detach())


@_check("04.2", "one training step on the contrastive loss (encoder and prototypes move)")
def _check_contrastive_step(fn):
    torch = _torch()
    encoder, prototypes, x_u, x_a = _contrastive_setup()
    ref_enc, ref_proto = copy.deepcopy(encoder), torch.nn.Parameter(prototypes.detach().clone())
    ref_loss = _reference_step(ref_enc, ref_proto, x_u, x_a, beta=2.0)
    optimizer = torch.optim.SGD([*encoder.parameters(), prototypes], lr=0.5)
    loss = fn(encoder, prototypes, x_u, x_a, optimizer, beta=2.0)
    if isinstance(loss, torch.Tensor):
        if loss.requires_grad:
            raise AssertionError("return the loss as a Python float (float(loss) or loss.item()), not a tensor "
                                 "that still holds the graph")
        loss = float(loss)
    if not isinstance(loss, float):
        raise AssertionError(f"return the loss value as a float, got {type(loss).__name__}")
    if not math.isclose(loss, ref_loss, rel_tol=1e-5, abs_tol=1e-6):
        raise AssertionError(f"loss before the step: expected {ref_loss:.6f}, got {loss:.6f}. Compute s_max of the "
                             "unlabeled and the anomaly rows, w = normality_weights(s_u_max, beta), then "
                             "prototype_contrastive_loss(s_u_max, s_a_max, w).")
    moved = not torch.allclose(prototypes.detach(), _contrastive_setup()[1].detach())
    if not moved:
        raise AssertionError("the prototypes did not move: call optimizer.zero_grad(), loss.backward(), "
                             "optimizer.step()")
    if not torch.allclose(prototypes.detach(), ref_proto.detach(), atol=1e-5):
        e2, p2, _, _ = _contrastive_setup()
        _reference_step(e2, p2, x_u, x_a, beta=2.0, detach_weights=True)
        if torch.allclose(prototypes.detach(), p2.detach(), atol=1e-5):
            raise AssertionError("you detached the weights w: MNPWAD lets the gradient flow through w too")
        raise AssertionError("the parameters after the step differ from one SGD step on L_con: zero the old "
                             "gradients first (optimizer.zero_grad()) and step exactly once")
    for p, q in zip(encoder.parameters(), ref_enc.parameters()):
        _close(p.detach(), q.detach(), "encoder weights after the step",
               "the encoder must be trained too: compute z = encoder(x) inside the step", atol=1e-5)


# =========================================================================== lab 05: RoSAS
def _pool(seed=6, n=10, d=3):
    torch = _torch()
    g = torch.Generator().manual_seed(seed)
    x = torch.rand(n, d, generator=g)
    y = torch.where(torch.arange(n) < n - 3, -1.0, 1.0)
    return x, y, g


@_check("05.1", "mix a batch with given weights and partners, Eq. (3)")
def _check_mix(fn):
    torch = _torch()
    x, y, g = _pool()
    n, k = x.shape[0], 3
    lam = torch.rand(n, k, generator=g)
    lam = lam / lam.sum(dim=1, keepdim=True)
    idx = torch.stack([torch.arange(n)] + [torch.randperm(n, generator=g) for _ in range(k - 1)], dim=1)
    out = _unpack(fn(x, y, lam, idx), 2, "mix_batch(x, y, lam, idx)")
    x_mix = torch.einsum("nk,nkd->nd", lam, x[idx])
    y_mix = (lam * y[idx]).sum(dim=1)
    hint = "x[idx] has shape (n, k, D): weight it by lam[..., None] and sum over k; y likewise."
    _close(out[0], x_mix, "x_mix", hint)
    _close(out[1], y_mix, "y_mix", hint + " Targets are mixed with the same weights as the inputs.")


@_check("05.2", "mass interpolation with Beta(alpha, alpha) weights and random partners")
def _check_mass_interpolation(fn):
    torch = _torch()
    x, y, _ = _pool(n=64)
    n = x.shape[0]
    for k in (2, 3):
        out = _unpack(fn(x, y, k, 0.5, torch.Generator().manual_seed(0)), 4,
                      "mass_interpolation(x, y, k, alpha, generator)")
        x_mix, y_mix, lam, idx = out
        lam, idx = _as_tensor(lam, "lam"), _as_tensor(idx, "idx")
        if tuple(lam.shape) != (n, k) or tuple(idx.shape) != (n, k):
            raise AssertionError(f"lam and idx must both be (n, k) = ({n}, {k}), got {tuple(lam.shape)} and "
                                 f"{tuple(idx.shape)}")
        if (lam < 0).any() or not torch.allclose(lam.sum(dim=1), torch.ones(n), atol=1e-5):
            raise AssertionError("every row of lam must be non-negative and sum to 1")
        if not torch.equal(idx[:, 0].cpu(), torch.arange(n)):
            raise AssertionError("column 0 of idx must be the row itself (torch.arange(n)): every sample is "
                                 "mixed with k-1 random partners")
        for j in range(1, k):
            if not torch.equal(torch.sort(idx[:, j].cpu()).values, torch.arange(n)):
                raise AssertionError(f"column {j} of idx must be a random permutation of the batch (torch.randperm)")
        if k == 2 and torch.equal(idx[:, 1].cpu(), torch.arange(n)):
            raise AssertionError("the partners are the rows themselves: draw a random permutation")
        _close(x_mix, torch.einsum("nk,nkd->nd", lam, x[idx]), "x_mix", "x_mix = sum_j lam[:, j] * x[idx[:, j]].")
        _close(y_mix, (lam * y[idx]).sum(dim=1), "y_mix", "y_mix = sum_j lam[:, j] * y[idx[:, j]].")
    again = fn(x, y, 2, 0.5, torch.Generator().manual_seed(0))
    first = fn(x, y, 2, 0.5, torch.Generator().manual_seed(0))
    if not torch.equal(again[2], first[2]) or not torch.equal(again[3], first[3]):
        raise AssertionError("draw all randomness from the `generator` argument (same seed, same output)")
    big = torch.rand(4000, 2)
    lam_big = fn(big, torch.ones(4000), 2, 0.5, torch.Generator().manual_seed(1))[2][:, 0]
    var = float(lam_big.var())                      # Beta(a, a): var = 1 / (4 (2a + 1)) = 0.125 for a = 0.5
    if abs(float(lam_big.mean()) - 0.5) > 0.03 or abs(var - 0.125) > 0.02:
        raise AssertionError(f"lam[:, 0] should follow Beta(0.5, 0.5) (mean 0.5, variance 0.125); got mean "
                             f"{float(lam_big.mean()):.3f}, variance {var:.3f}. Use sample_mixing_weights or a "
                             "Dirichlet(alpha, ..., alpha) draw.")


@_check("05.3", "RoSAS scoring loss with the consistency term, Eq. (4)")
def _check_continuous_loss(fn):
    torch = _torch()
    from adlab.components.interpolation import continuous_scoring_loss

    g = torch.Generator().manual_seed(7)
    n, k = 12, 2
    s_mix = torch.rand(n, generator=g) * 4 - 2               # large enough to reach the linear part of smooth-l1
    y_mix = torch.rand(n, generator=g) * 2 - 1
    parts = torch.rand(n, k, generator=g) * 2 - 1
    lam = torch.rand(n, k, generator=g)
    lam = lam / lam.sum(dim=1, keepdim=True)
    got = _unpack(fn(s_mix, y_mix, parts, lam), 3, "continuous_scoring_loss(...)")
    exp = continuous_scoring_loss(s_mix, y_mix, parts, lam)
    hint = ("L = smooth_l1(s_mix, y_mix) + smooth_l1(s_mix, (lam * score_parts).sum(dim=1)), both "
            "F.smooth_l1_loss(..., beta=1.0) averaged over the batch.")
    _close(got[1], exp[1], "target term", hint)
    _close(got[2], exp[2], "consistency term", hint)
    _close(got[0], exp[0], "total L", hint)
    off = _unpack(fn(s_mix, y_mix, parts, lam, consistency=False), 3, "continuous_scoring_loss(consistency=False)")
    exp_off = continuous_scoring_loss(s_mix, y_mix, parts, lam, consistency=False)
    _close(off[0], exp_off[0], "L with consistency=False", "consistency=False drops the second term (it is 0).")
    _close(off[2], exp_off[2], "consistency term with consistency=False", "return a zero tensor for it.")


# =========================================================================== lab 06: MMNet memory
def _attention(seed=8, n=6, items=5):
    torch = _torch()
    g = torch.Generator().manual_seed(seed)
    logits = torch.randn(n, items, generator=g) * 2
    logits[0] = 0.0                                        # a uniform row: everything shrinks away
    return torch.softmax(logits, dim=1), torch.log_softmax(logits, dim=1)


@_check("06.1", "hard shrinkage of the attention weights, Eq. (5)")
def _check_hard_shrinkage(fn):
    torch = _torch()
    from adlab.components.memory import hard_shrinkage

    w, _ = _attention()
    gamma = 1.0 / w.shape[1]
    got = fn(w, gamma)
    _close(got, hard_shrinkage(w, gamma), "shrunk weights",
           "relu(w - gamma) * w / (|w - gamma| + eps): weights at or below gamma become exactly 0.")
    if not torch.all(got[w <= gamma] == 0):
        raise AssertionError("weights at or below the threshold must become exactly 0")
    w_req = w.clone().requires_grad_(True)
    fn(w_req, gamma).sum().backward()
    if w_req.grad is None or not torch.isfinite(w_req.grad).all():
        raise AssertionError("the shrinkage must be differentiable with a finite gradient (keep the eps)")


@_check("06.2", "L1 renormalisation with a fallback for all-zero rows, Eq. (6)")
def _check_l1_renormalise(fn):
    torch = _torch()
    from adlab.components.memory import hard_shrinkage, l1_renormalise

    w, _ = _attention()
    shrunk = hard_shrinkage(w, 1.0 / w.shape[1])
    got = fn(shrunk, w)
    _close(got, l1_renormalise(shrunk, fallback=w), "renormalised weights",
           "divide each row by its sum; a row whose sum is 0 takes the fallback row (torch.where).")
    if not torch.allclose(got.sum(dim=1), torch.ones(w.shape[0]), atol=1e-5):
        raise AssertionError("every row must sum to 1 (row 0 is all-zero after shrinkage: use the fallback)")
    _close(fn(shrunk, None), l1_renormalise(shrunk), "renormalised weights without a fallback",
           "fallback=None leaves an all-zero row at 0 (no division by zero: clamp the sum).")


@_check("06.3", "KL-to-uniform attention score S_KL, Eq. (18)")
def _check_attention_kl(fn):
    torch = _torch()
    from adlab.components.memory import attention_kl_score

    _, log_w = _attention()
    got = fn(log_w)
    exp = attention_kl_score(log_w)
    if isinstance(got, torch.Tensor) and got.shape == exp.shape and torch.allclose(got, -exp, atol=1e-6):
        raise AssertionError("the sign is flipped: S_KL = D_KL(u || w) = -mean_j log w_j - log N is >= 0")
    _close(got, exp, "S_KL", "S_KL = -log_w.mean(dim=1) - log(N), N = number of memory items; 0 for uniform attention.")
    if abs(float(got[0])) > 1e-5:
        raise AssertionError("a uniform attention row must score 0")
