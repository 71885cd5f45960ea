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

    Raises ``AssertionError`` saying what is wrong on a wrong answer and the stub's
    ``NotImplementedError`` (its hint) for an exercise not attempted, both with a traceback that
    starts here (not inside the check); prints a confirmation on success. Any other exception
    (a bug in the answer) keeps its full traceback, down to the learner's line.
    """
    if ex_id not in CHECKS:
        raise ValueError(f"unknown exercise {ex_id!r}; known: {', '.join(sorted(CHECKS))}")
    if not callable(fn):
        raise TypeError(f"exercise {ex_id}: expected your function, got {type(fn).__name__}")
    check = CHECKS[ex_id]
    try:
        check.run(fn)
    except NotImplementedError as exc:          # the stub: its message is the hint, the rest is noise
        raise NotImplementedError(*exc.args) from None
    except AssertionError as exc:               # a wrong answer: the message says what is wrong
        raise AssertionError(f"Exercise {ex_id}: {exc}") from None
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


def _gradient_check(learner, reference, inputs: dict, what: str, rtol: float = 1e-4) -> None:
    """Backward through the learner's output and through adlab's with the same cotangent, and
    compare the gradients w.r.t. every tensor of ``inputs`` (a dict ``name -> tensor``).

    ``learner`` and ``reference`` take the tensors positionally, in the order of ``inputs``. Run
    after the values were compared: a mismatch here means part of the computation is cut from the
    autograd graph (``.detach()``, ``torch.no_grad()``, ``.data``, a round trip through numpy) or
    goes through a non-differentiable operation.
    """
    torch = _torch()
    names = list(inputs)

    def leaves():
        return [inputs[n].detach().clone().requires_grad_(True) for n in names]

    ref_leaves = leaves()
    ref_out = reference(*ref_leaves)
    g = torch.Generator().manual_seed(0)
    cotangent = torch.rand(ref_out.shape, generator=g, dtype=ref_out.dtype) + 0.5      # weights every entry differently
    ref_grads = torch.autograd.grad(ref_out, ref_leaves, cotangent, allow_unused=True)
    mine = leaves()
    out = _as_tensor(learner(*mine), what)
    if not out.requires_grad:
        raise AssertionError(f"{what}: the values are right, but your output has no gradient w.r.t. "
                             f"{' or '.join(names)}: did you detach (.detach(), torch.no_grad(), .data, numpy)? "
                             "A loss built on it could not train anything upstream.")
    grads = torch.autograd.grad(out, mine, cotangent.to(out.dtype).reshape(out.shape), allow_unused=True)
    for name, got, ref in zip(names, grads, ref_grads):
        ref = torch.zeros_like(inputs[name]) if ref is None else ref
        if float(ref.abs().max()) == 0.0:
            continue
        if got is None or float(got.abs().max()) == 0.0:
            raise AssertionError(f"{what}: the values are right, but your output has no gradient w.r.t. {name}: "
                                 f"did you detach {name} or something computed from it?")
        if not torch.isfinite(got).all():
            raise AssertionError(f"{what}: the values are right, but the gradient w.r.t. {name} is nan or inf "
                                 "somewhere: is every division and log safe?")
        err = float((got.to(ref.dtype) - ref).abs().max())
        if err > rtol * max(1.0, float(ref.abs().max())):
            raise AssertionError(f"{what}: the values are right, but the gradient w.r.t. {name} differs from "
                                 f"adlab's (largest difference {err:.3g}): part of your computation is cut from the "
                                 "graph (a .detach() on an intermediate result?) or is not differentiable.")


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
    a, b = np.asarray(out[0], dtype=float), np.asarray(out[1], dtype=float)
    if a.shape == X_train.shape and not np.isfinite(a).all():
        raise AssertionError("scaled X_train contains NaN or inf: column 2 of the test input is constant, "
                             "so max - min is 0 there. What should a constant column become?")
    if b.shape == X_test.shape:
        lo_o, hi_o = X_test.min(axis=0), X_test.max(axis=0)
        own = (X_test - lo_o) / np.where(hi_o > lo_o, hi_o - lo_o, 1.0)
        if np.allclose(b, own):
            raise AssertionError("X_other was scaled with its own min and max: the test rows would then influence "
                                 "the preprocessing. Which array's statistics may you use?")
    _close(a, (X_train - lo) / span, "scaled X_train", "Every column should span exactly [0, 1] "
           "(a constant column becomes 0).")
    _close(b, (X_test - lo) / span, "scaled X_other", "X_other must go through the same affine map as X_train "
           "(it may leave [0, 1]).")


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


def _same(a, b, atol=1e-6) -> bool:
    torch = _torch()
    return (isinstance(a, torch.Tensor) and a.shape == b.shape
            and bool(torch.allclose(a.detach().to(b.dtype), b.detach(), atol=atol)))


@_check("02.1", "Student's-t similarity to the prototypes, Eq. (6)")
def _check_student_t(fn):
    torch = _torch()
    from adlab.components.prototypes import student_t_similarity

    z, u = _latents()
    for alpha in (1.0, 3.0):
        expected = student_t_similarity(z, u, alpha=alpha, normalize=True)
        got = fn(z, u, alpha=alpha)
        if _same(got, student_t_similarity(z, u, alpha=alpha, normalize=False)):
            raise AssertionError("your similarities are those of the raw codes: with normalize=True (the default, "
                                 "the paper's Eq. 6) z and the prototypes are L2-normalised first")
        zn, un = torch.nn.functional.normalize(z, dim=1), torch.nn.functional.normalize(u, dim=1)
        if _same(got, (1 + torch.cdist(zn, un) / alpha).pow(-(alpha + 1) / 2)):
            raise AssertionError("you used the distance ||z - u||, Eq. (6) uses its square")
        if alpha != 1.0 and _same(got, student_t_similarity(z, u, alpha=1.0)):
            raise AssertionError("right for alpha=1 but alpha=3 gives the alpha=1 values: alpha is ignored "
                                 "(it appears twice in Eq. 6)")
        _close(got, expected, f"similarity with alpha={alpha}",
               "Check one entry by hand: normalised z_0 and u_0, their squared distance, then Eq. (6)."
               + (" alpha=1 was right, so look at where alpha enters." if alpha != 1.0 else ""))
    if _takes(fn, "normalize"):
        _close(fn(z, u, alpha=1.0, normalize=False), student_t_similarity(z, u, alpha=1.0, normalize=False),
               "similarity with normalize=False", "normalize=False must skip the L2 normalisation.")
    _gradient_check(lambda a, b: fn(a, b, alpha=3.0), lambda a, b: student_t_similarity(a, b, alpha=3.0),
                    {"z": z, "prototypes": u}, "similarity")


@_check("02.2", "normality weights w_i = sigmoid(beta * s_max), Eq. (7)")
def _check_normality_weights(fn):
    torch = _torch()
    from adlab.components.prototypes import normality_weights

    s_max = torch.linspace(0.2, 1.0, 7)
    for beta in (1.0, 4.0):
        got = fn(s_max, beta)
        if beta != 1.0 and _same(got, normality_weights(s_max, 1.0)):
            raise AssertionError("beta=4 gives the same weights as beta=1: beta is ignored")
        if _same(got, normality_weights(s_max, beta, True)):
            raise AssertionError("with renormalize=False (the default) the weights are not divided by their mean")
        _close(got, normality_weights(s_max, beta), f"weights with beta={beta}",
               "Each weight should lie in (0, 1) and grow with s_max.")
    if _takes(fn, "renormalize"):
        got = fn(s_max, 2.0, True)
        if isinstance(got, torch.Tensor) and got.shape == s_max.shape and abs(float(got.mean()) - 1) > 1e-4:
            raise AssertionError(f"with renormalize=True the weights must average 1; yours average {float(got.mean()):.3f}")
        _close(got, normality_weights(s_max, 2.0, True), "weights with renormalize=True",
               "renormalize=True rescales the same weights, it does not change their ratios.")
    _gradient_check(lambda s: fn(s, 4.0), lambda s: normality_weights(s, 4.0), {"s_max": s_max}, "weights")
    if _takes(fn, "renormalize"):
        _gradient_check(lambda s: fn(s, 2.0, True), lambda s: normality_weights(s, 2.0, True), {"s_max": s_max},
                        "weights with renormalize=True")


# =========================================================================== lab 03: DEC
def _similarities(seed=3, n=12, k=4):
    from adlab.components.prototypes import student_t_similarity

    z, u = _latents(seed, n=n, k=k)
    return student_t_similarity(z, u)


@_check("03.1", "soft assignment Q: similarities normalised per row, Eq. (8)")
def _check_soft_assignment(fn):
    torch = _torch()
    from adlab.components.prototypes import soft_assignment

    s = _similarities()
    got = _as_tensor(fn(s), "Q")
    if _same(got, torch.softmax(s, dim=1)):
        raise AssertionError("that is a softmax: it exponentiates s first. Eq. (8) normalises s itself")
    if got.shape == s.shape and not torch.allclose(got.sum(dim=1), torch.ones(len(s)), atol=1e-5):
        raise AssertionError(f"every row of Q must sum to 1; yours sum to {got.sum(dim=1)[:3].tolist()} ... "
                             "(which axis did you sum over?)")
    _close(got, soft_assignment(s), "Q", "Rows sum to 1, but the values are not proportional to s.")
    _gradient_check(fn, soft_assignment, {"s": s}, "Q")


@_check("03.2", "DEC target distribution P, Eq. (8)")
def _check_target_distribution(fn):
    torch = _torch()
    from adlab.components.prototypes import soft_assignment, target_distribution

    q = soft_assignment(_similarities())
    got = fn(q)
    expected = target_distribution(q)
    if isinstance(got, torch.Tensor) and got.shape == q.shape:
        if torch.allclose(got, q.pow(2) / q.pow(2).sum(dim=1, keepdim=True), atol=1e-6):
            raise AssertionError("you forgot the cluster frequencies f_j: without them a big cluster swallows "
                                 "the small ones")
        f_rows = q.sum(dim=1, keepdim=True)
        wrong_f = q.pow(2) / f_rows
        if torch.allclose(got, wrong_f / wrong_f.sum(dim=1, keepdim=True), atol=1e-6):
            raise AssertionError("f_j is a sum over the rows i (one frequency per cluster j), not over the clusters")
        if not torch.allclose(got.sum(dim=1), torch.ones(q.shape[0]), atol=1e-5):
            raise AssertionError("every row of P must sum to 1: the last step of Eq. (8) normalises each row")
    _close(got, expected, "P", "P should be a sharper Q: compare one row of yours with Eq. (8) by hand.")
    _gradient_check(fn, target_distribution, {"q": q}, "P")


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
            raise AssertionError("that is KL(Q || P): KL is not symmetric, the expectation is taken under P")
        if torch.allclose(got, clustering_kl_loss(p, q, reduction="mean"), atol=1e-6):
            raise AssertionError("you averaged over the rows: the default reduction='sum' sums over rows (Eq. 8)")
    _close(got, expected, "KL(P||Q) with reduction='sum'", "A KL divergence is >= 0 and 0 only for P == Q; "
           "check the sign and which of the two weights the log ratio.")
    if _takes(fn, "reduction"):
        _close(fn(p, q, reduction="mean"), clustering_kl_loss(p, q, reduction="mean"), "KL with reduction='mean'",
               "reduction='mean' averages the per-row KL over the rows.")
    _close(fn(q, q), torch.zeros(()), "KL(Q||Q)", "KL of a distribution with itself is 0.")
    hard = torch.tensor([[1.0, 0.0], [0.5, 0.5]])
    if not torch.isfinite(_as_tensor(fn(hard, hard), "KL with a zero probability")).all():
        raise AssertionError("KL with a zero probability in P is nan or inf: 0 * log 0 must count as 0 (clamp)")
    _gradient_check(fn, lambda a, b: clustering_kl_loss(a, b), {"p": p, "q": q}, "KL(P||Q)")


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
            raise AssertionError("the sign is flipped: your loss falls when the labeled anomalies move TOWARDS the "
                                 "prototypes")
        if torch.allclose(got, prototype_contrastive_loss(s_u, s_a, None), atol=1e-6):
            raise AssertionError("the weights are ignored: with weights given, each unlabeled row counts w_i times")
    _close(got, expected, "L_con with weights", "The loss should be positive and fall as the gap "
           "mean_U(w s) - mean_A(s) grows.")
    _close(fn(s_u, s_a, None), prototype_contrastive_loss(s_u, s_a, None), "L_con with weights=None",
           "weights=None means every weight is 1.")
    big = torch.full((3,), 60.0)
    _close(fn(-big, big, None), prototype_contrastive_loss(-big, big, None), "L_con for a huge gap",
           "log(sigmoid(x)) underflows to -inf for very negative x: is there a numerically safe function for it?")
    _gradient_check(fn, prototype_contrastive_loss, {"s_max_unlabeled": s_u, "s_max_anomaly": s_a, "weights": w},
                    "L_con")


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
            raise AssertionError("return the loss as a Python float, not a tensor that still holds the graph "
                                 "(it would keep every step's graph alive)")
        loss = float(loss)
    if not isinstance(loss, float):
        raise AssertionError(f"return the loss value as a float, got {type(loss).__name__}")
    if not math.isclose(loss, ref_loss, rel_tol=1e-5, abs_tol=1e-6):
        raise AssertionError(f"loss before the step: expected {ref_loss:.6f}, got {loss:.6f}. Is beta passed on to "
                             "the weights, and is s the largest similarity of each row (max over the prototypes)?")
    moved = not torch.allclose(prototypes.detach(), _contrastive_setup()[1].detach())
    if not moved:
        raise AssertionError("the loss is right but the prototypes did not move: the step never updated the "
                             "parameters")
    if not torch.allclose(prototypes.detach(), ref_proto.detach(), atol=1e-5):
        e2, p2, _, _ = _contrastive_setup()
        _reference_step(e2, p2, x_u, x_a, beta=2.0, detach_weights=True)
        if torch.allclose(prototypes.detach(), p2.detach(), atol=1e-5):
            raise AssertionError("you detached the weights w: the loss value is the same, but MNPWAD lets the "
                                 "gradient flow through w too, so the update differs")
        raise AssertionError("the loss is right but the update is not one SGD step on it: were old gradients "
                             "cleared first, and did you step exactly once?")
    for p, q in zip(encoder.parameters(), ref_enc.parameters()):
        _close(p.detach(), q.detach(), "encoder weights after the step",
               "the prototypes moved correctly but the encoder did not: is z computed inside the step, with the "
               "graph kept?", atol=1e-5)


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
    if _same(_as_tensor(out[0], "x_mix"), x[idx].mean(dim=1)):
        raise AssertionError("x_mix is the plain average of the partners: the weights lam are ignored")
    if _same(out[0], x):
        raise AssertionError("x_mix is x itself: nothing was mixed")
    _close(out[0], x_mix, "x_mix", "Row r should mix rows idx[r, 0..k-1] of x; is each partner weighted by its "
           "own lam[r, j], and did you sum over the k axis?")
    if _same(_as_tensor(out[1], "y_mix"), y):
        raise AssertionError("y_mix is y itself: the targets must be mixed like the inputs")
    _close(out[1], y_mix, "y_mix", "x_mix is right: are the targets mixed with the same weights and partners?")
    _gradient_check(lambda a, b: fn(a, y, b, idx)[0], lambda a, b: torch.einsum("nk,nkd->nd", b, a[idx]),
                    {"x": x, "lam": lam}, "x_mix")


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
            raise AssertionError("column 0 of idx must be the row itself: every sample is mixed with k-1 partners")
        for j in range(1, k):
            if not torch.equal(torch.sort(idx[:, j].cpu()).values, torch.arange(n)):
                raise AssertionError(f"column {j} of idx uses some rows twice and others never: every row should "
                                     "appear once per column (a permutation)")
        if k == 2 and torch.equal(idx[:, 1].cpu(), torch.arange(n)):
            raise AssertionError("the partners are the rows themselves, so nothing is mixed: shuffle them")
        _close(x_mix, torch.einsum("nk,nkd->nd", lam, x[idx]), "x_mix", "x_mix does not match your own lam and idx.")
        _close(y_mix, (lam * y[idx]).sum(dim=1), "y_mix", "y_mix does not match your own lam and idx.")
    again = fn(x, y, 2, 0.5, torch.Generator().manual_seed(0))
    first = fn(x, y, 2, 0.5, torch.Generator().manual_seed(0))
    if not torch.equal(again[2], first[2]) or not torch.equal(again[3], first[3]):
        raise AssertionError("the same generator seed gave a different batch: some randomness does not come from "
                             "the `generator` argument")
    big = torch.rand(4000, 2)
    lam_big = fn(big, torch.ones(4000), 2, 0.5, torch.Generator().manual_seed(1))[2][:, 0]
    var = float(lam_big.var())                      # Beta(a, a): var = 1 / (4 (2a + 1)) = 0.125 for a = 0.5
    if abs(float(lam_big.mean()) - 0.5) > 0.03 or abs(var - 0.125) > 0.02:
        raise AssertionError(f"lam[:, 0] should follow Beta(0.5, 0.5) (mean 0.5, variance 0.125); got mean "
                             f"{float(lam_big.mean()):.3f}, variance {var:.3f}. A uniform draw has variance 0.083; "
                             "where does alpha enter your draw?")


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
    mse = torch.nn.functional.mse_loss(s_mix, y_mix)
    if _same(_as_tensor(got[1], "target term"), mse):
        raise AssertionError("the target term is a squared error: smooth-l1 grows only linearly for errors "
                             "beyond beta, which is what makes it robust to a few wrong targets")
    _close(got[1], exp[1], "target term", "The target term compares the mixture scores with the mixed targets "
           "(averaged over the batch).")
    if _same(_as_tensor(got[2], "consistency term"), torch.zeros(())):
        raise AssertionError("your consistency term is 0 with consistency=True: it compares s(x_mix) with the "
                             "lam-weighted scores of the parts")
    _close(got[2], exp[2], "consistency term", "The target term is right; what should the mixture's score be "
           "consistent with?")
    _close(got[0], exp[0], "total L", "Both terms are right: L is their sum.")
    off = _unpack(fn(s_mix, y_mix, parts, lam, consistency=False), 3, "continuous_scoring_loss(consistency=False)")
    exp_off = continuous_scoring_loss(s_mix, y_mix, parts, lam, consistency=False)
    _close(off[0], exp_off[0], "L with consistency=False", "consistency=False drops the second term.")
    _close(off[2], exp_off[2], "consistency term with consistency=False", "return a zero tensor for it.")
    _gradient_check(lambda a, b, c: fn(a, y_mix, b, c)[0], lambda a, b, c: continuous_scoring_loss(a, y_mix, b, c)[0],
                    {"score_mix": s_mix, "score_parts": parts, "lam": lam}, "L")


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
    got = _as_tensor(fn(w, gamma), "shrunk weights")
    if _same(got, torch.relu(w - gamma)):
        raise AssertionError("the kept weights were lowered by gamma (soft thresholding): hard shrinkage keeps a "
                             "weight above gamma (almost) unchanged")
    if got.shape == w.shape and not torch.all(got[w <= gamma] == 0):
        raise AssertionError("weights at or below the threshold must become exactly 0")
    _close(got, hard_shrinkage(w, gamma), "shrunk weights", "Weights below gamma are 0; what should a weight "
           "above gamma become?")
    _gradient_check(lambda a: fn(a, gamma), lambda a: hard_shrinkage(a, gamma), {"w": w}, "shrunk weights")


@_check("06.2", "L1 renormalisation with a fallback for all-zero rows, Eq. (6)")
def _check_l1_renormalise(fn):
    torch = _torch()
    from adlab.components.memory import hard_shrinkage, l1_renormalise

    w, _ = _attention()
    shrunk = hard_shrinkage(w, 1.0 / w.shape[1])
    got = _as_tensor(fn(shrunk, w), "renormalised weights")
    if got.shape == w.shape and not torch.isfinite(got).all():
        raise AssertionError("row 0 is all zero after shrinkage and your result holds nan or inf there: "
                             "0 / 0 happened")
    if got.shape == w.shape and torch.allclose(got[0], torch.zeros_like(got[0])):
        raise AssertionError("row 0 (all weights below gamma) stays 0 although a fallback was given: use its row")
    _close(got, l1_renormalise(shrunk, fallback=w), "renormalised weights",
           "Rows with a positive sum should be divided by it; an all-zero row takes the fallback row.")
    if not torch.allclose(got.sum(dim=1), torch.ones(w.shape[0]), atol=1e-5):
        raise AssertionError("every row must sum to 1")
    _close(fn(shrunk, None), l1_renormalise(shrunk), "renormalised weights without a fallback",
           "fallback=None leaves an all-zero row at 0, without dividing by zero.")
    _gradient_check(fn, l1_renormalise, {"w_tilde": shrunk, "fallback": w}, "renormalised weights")


@_check("06.3", "KL-to-uniform attention score S_KL, Eq. (18)")
def _check_attention_kl(fn):
    torch = _torch()
    from adlab.components.memory import attention_kl_score

    _, log_w = _attention()
    got = fn(log_w)
    exp = attention_kl_score(log_w)
    if isinstance(got, torch.Tensor) and got.shape == exp.shape:
        if torch.allclose(got, -exp, atol=1e-6):
            raise AssertionError("the sign is flipped: a KL divergence is >= 0, yours is <= 0")
        diff = got - exp
        if torch.allclose(diff, diff[:1].expand_as(diff), atol=1e-5) and abs(float(diff[0])) > 1e-5:
            raise AssertionError(f"every row is off by the same constant ({float(diff[0]):+.4f}): a uniform "
                                 "attention must score exactly 0")
    _close(got, exp, "S_KL", "A uniform row (row 0) should give 0 and a peaked row a positive value.")
    if abs(float(got[0])) > 1e-5:
        raise AssertionError("a uniform attention row must score 0")
    _gradient_check(fn, attention_kl_score, {"log_w": log_w}, "S_KL")
