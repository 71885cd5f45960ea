"""The checks a learner runs are the checks CI runs.

``pytest tests/labs`` grades ``solutions/`` (they must pass); ``ADLAB_LAB_TARGET=exercises pytest
tests/labs`` grades a learner's ``exercises/`` with the same checks. Independently of the target, every
stub of the generated exercises must raise ``NotImplementedError`` with its own hint, and every check
must reject typical wrong answers (a check that cannot fail grades nothing).
"""
import ast
import os

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from adlab.labs import CHECKS, check_exercise, lab_namespace
from adlab.labs.build import check_calls, lab_path, lab_sources, make_exercise

TARGET = os.environ.get("ADLAB_LAB_TARGET", "solutions")
LABS = lab_sources()
GRADED = [(src.name, ex_id, fn) for src in LABS for ex_id, fn in check_calls(src.read_text())]
_NAMESPACES: dict = {}


def namespace(target: str, name: str) -> dict:
    key = (target, name)
    if key not in _NAMESPACES:
        _NAMESPACES[key] = lab_namespace(lab_path(target, name))
    return _NAMESPACES[key]


def test_every_registered_check_is_used_by_exactly_one_lab():
    used = [ex_id for _, ex_id, _ in GRADED]
    assert sorted(used) == sorted(CHECKS) and len(set(used)) == len(used)


@pytest.mark.parametrize("name, ex_id, fn", GRADED, ids=[g[1] for g in GRADED])
def test_exercise_passes_its_check(name, ex_id, fn, capsys):
    """Grades ``$ADLAB_LAB_TARGET`` (default: solutions). A wrong or missing answer fails with the check's
    one-line message, not a traceback through the lab (a bug in the answer keeps its traceback)."""
    ns = namespace(TARGET, name)
    if fn not in ns:
        pytest.fail(f"{TARGET}/{name} defines no function {fn!r} (only definition cells are executed)", pytrace=False)
    failure = None
    try:
        check_exercise(ex_id, ns[fn])
    except NotImplementedError as exc:
        failure = f"not attempted: {exc}"
    except AssertionError as exc:
        failure = str(exc)
    if failure is not None:                  # outside the except block: no chained traceback
        pytest.fail(failure, pytrace=False)
    assert f"Exercise {ex_id} passed" in capsys.readouterr().out


def test_loading_a_lab_runs_no_training_or_data_cells():
    for src in LABS:
        ns = namespace("solutions", src.name)
        assert "X" not in ns and "det" not in ns and "split" not in ns, src.name


def _stub_messages(tree: ast.AST) -> dict[str, str]:
    """{'NN.k': message} for every ``raise NotImplementedError("Exercise NN.k: ...")`` in the file."""
    found = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Raise) and isinstance(node.exc, ast.Call) and \
                getattr(node.exc.func, "id", None) == "NotImplementedError":
            message = ast.literal_eval(node.exc.args[0])
            found[message.split(":")[0].removeprefix("Exercise ")] = message
    return found


@pytest.mark.skipif(TARGET == "exercises", reason="grading a learner's exercises/: the stubs are filled in")
@pytest.mark.parametrize("src", LABS, ids=lambda p: p.name)
def test_every_stub_raises_not_implemented_with_its_hint(src):
    """Static: the exercise file holds one stub per exercise, with the hint; dynamic: the stub
    functions, executed, raise it through the very check the learner runs."""
    _, exercises = make_exercise(src.read_text(), src.name)
    ex_file = lab_path("exercises", src.name)
    stubs = _stub_messages(ast.parse(ex_file.read_text()))
    assert stubs == {e.id: f"Exercise {e.id}: {e.hint}" for e in exercises}
    ns = namespace("exercises", src.name)
    for ex_id, fn in check_calls(src.read_text()):
        with pytest.raises(NotImplementedError) as info:
            check_exercise(ex_id, ns[fn])
        assert str(info.value) == stubs[ex_id]


def test_unknown_exercise_and_non_callable_are_refused():
    with pytest.raises(ValueError, match="unknown exercise"):
        check_exercise("99.1", print)
    with pytest.raises(TypeError, match="expected your function"):
        check_exercise("02.1", 3)


# --------------------------------------------------------------------------- wrong answers fail
def _solution(name_prefix: str, fn: str):
    src = next(p for p in LABS if p.name.startswith(name_prefix))
    return namespace("solutions", src.name)[fn]


def _scale_on_itself(a):
    """The leak: each array scaled with its own min and max."""
    span = a.max(0) - a.min(0)
    return (a - a.min(0)) / np.where(span > 0, span, 1.0)


def _first_n_labeled(y_true, n, rng):
    weak = np.zeros(len(y_true), int)
    weak[np.flatnonzero(y_true == 1)[:n]] = 1
    return weak


def _unnormalised_similarity(z, u, alpha=1.0, normalize=True):
    return (1 + torch.cdist(z, u).pow(2) / alpha).pow(-(alpha + 1) / 2)


def _target_without_frequency(q):
    p = q.pow(2)
    return p / p.sum(dim=1, keepdim=True)


def _kl_mean(p, q, reduction="sum"):
    return (p * (p.log() - q.log())).sum(dim=1).mean()


def _flipped_contrastive(s_u, s_a, weights=None):
    pos = s_u.mean() if weights is None else (weights * s_u).mean()
    return -F.logsigmoid(s_a.mean() - pos)


def _naive_log_contrastive(s_u, s_a, weights=None):
    pos = s_u.mean() if weights is None else (weights * s_u).mean()
    return -torch.log(torch.sigmoid(pos - s_a.mean()))


def _step_detached(encoder, prototypes, x_u, x_a, optimizer, beta=1.0):
    from adlab.components.prototypes import normality_weights, prototype_contrastive_loss, student_t_similarity

    s_u = student_t_similarity(encoder(x_u), prototypes).max(dim=1).values
    s_a = student_t_similarity(encoder(x_a), prototypes).max(dim=1).values
    loss = prototype_contrastive_loss(s_u, s_a, normality_weights(s_u, beta).detach())
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    return loss.item()


def _step_without_update(encoder, prototypes, x_u, x_a, optimizer, beta=1.0):
    from adlab.components.prototypes import normality_weights, prototype_contrastive_loss, student_t_similarity

    s_u = student_t_similarity(encoder(x_u), prototypes).max(dim=1).values
    s_a = student_t_similarity(encoder(x_a), prototypes).max(dim=1).values
    return prototype_contrastive_loss(s_u, s_a, normality_weights(s_u, beta)).item()


def _unweighted_mix(x, y, lam, idx):
    return x[idx].mean(dim=1), y[idx].mean(dim=1)


def _identity_partners(x, y, k=2, alpha=0.5, generator=None, *, weights="beta"):
    from adlab.components.interpolation import sample_mixing_weights

    lam = sample_mixing_weights(x.shape[0], k, alpha, generator=generator)
    idx = torch.arange(x.shape[0])[:, None].repeat(1, k)
    return (lam[..., None] * x[idx]).sum(1), (lam * y[idx]).sum(1), lam, idx


def _uniform_lambda(x, y, k=2, alpha=0.5, generator=None, *, weights="beta"):
    n = x.shape[0]
    lam1 = torch.rand(n, generator=generator)
    lam = torch.stack([lam1, 1 - lam1], dim=1)
    idx = torch.stack([torch.arange(n), torch.randperm(n, generator=generator)], dim=1)
    return (lam[..., None] * x[idx]).sum(1), (lam * y[idx]).sum(1), lam, idx


def _loss_without_consistency(score_mix, y_mix, score_parts, lam, consistency=True, beta=1.0):
    t = F.smooth_l1_loss(score_mix, y_mix, beta=beta)
    return t, t, torch.zeros_like(t)


def _mse_loss(score_mix, y_mix, score_parts, lam, consistency=True, beta=1.0):
    t = F.mse_loss(score_mix, y_mix)
    c = F.mse_loss(score_mix, (lam * score_parts).sum(1)) if consistency else torch.zeros_like(t)
    return t + c, t, c


def _soft_threshold(w, threshold, eps=1e-12):
    return torch.relu(w - threshold)


def _renormalise_without_fallback(w_tilde, fallback=None, eps=1e-12):
    return w_tilde / w_tilde.sum(dim=1, keepdim=True).clamp_min(eps)


def _kl_without_constant(log_w):
    return -log_w.mean(dim=1)


# --------------------------------------------------------------------------- right values, cut gradient
def _detached(fn):
    """``fn`` with its output detached: the same values, no gradient (the mistake the labs warn about)."""
    def wrapper(*args, **kwargs):
        out = fn(*args, **kwargs)
        return tuple(o.detach() for o in out) if isinstance(out, tuple) else out.detach()
    wrapper.__name__ = f"detached_{fn.__name__}"
    return wrapper


def _similarity_detached_codes(z, u, alpha=1.0, normalize=True):
    from adlab.components.prototypes import student_t_similarity

    return student_t_similarity(z.detach(), u, alpha, normalize)


def _soft_assignment_detached_sum(s):
    return s / s.sum(dim=1, keepdim=True).detach()


def _target_detached_frequency(q):
    p = q.pow(2) / q.sum(dim=0, keepdim=True).detach()
    return p / p.sum(dim=1, keepdim=True)


def _kl_detached_target(p, q, reduction="sum"):
    from adlab.components.prototypes import clustering_kl_loss

    return clustering_kl_loss(p.detach(), q, reduction)


def _contrastive_detached_weights(s_u, s_a, weights=None):
    from adlab.components.prototypes import prototype_contrastive_loss

    return prototype_contrastive_loss(s_u, s_a, None if weights is None else weights.detach())


def _consistency_detached(score_mix, y_mix, score_parts, lam, consistency=True, beta=1.0):
    from adlab.components.interpolation import continuous_scoring_loss

    return continuous_scoring_loss(score_mix, y_mix, score_parts.detach(), lam, consistency, beta)


def _adlab(module, name):
    import importlib

    return getattr(importlib.import_module(module), name)


_P, _I, _M = "adlab.components.prototypes", "adlab.components.interpolation", "adlab.components.memory"
# (exercise, wrong answer, the word its message must contain): values right, gradient cut or missing
DETACHED = [
    ("02.1", _detached(_adlab(_P, "student_t_similarity")), "no gradient"),
    ("02.1", _similarity_detached_codes, "no gradient w.r.t. z"),
    ("02.2", _detached(_adlab(_P, "normality_weights")), "no gradient"),
    ("03.1", _detached(_adlab(_P, "soft_assignment")), "no gradient"),
    ("03.1", _soft_assignment_detached_sum, "gradient w.r.t. s differs"),
    ("03.2", _detached(_adlab(_P, "target_distribution")), "no gradient"),
    ("03.2", _target_detached_frequency, "gradient w.r.t. q differs"),
    ("03.3", _kl_detached_target, "no gradient w.r.t. p"),
    ("04.1", _contrastive_detached_weights, "no gradient w.r.t. weights"),
    ("05.1", lambda x, y, lam, idx: tuple(t.detach() for t in (
        (lam.unsqueeze(-1) * x[idx]).sum(1), (lam * y[idx]).sum(1))), "no gradient"),
    ("05.3", _consistency_detached, "no gradient w.r.t. score_parts"),
    ("06.1", _detached(_adlab(_M, "hard_shrinkage")), "no gradient"),
    ("06.2", _detached(_adlab(_M, "l1_renormalise")), "no gradient"),
    ("06.3", _detached(_adlab(_M, "attention_kl_score")), "no gradient"),
]


WRONG_ANSWERS = {
    "01.1": [lambda a, b: (_scale_on_itself(a), _scale_on_itself(b)),
             lambda a, b: (a, b)],
    "01.2": [_first_n_labeled, lambda y, n, rng: (np.asarray(y) == 1).astype(int)],
    "01.3": [lambda X, y, c, rng, swap_fraction=0.05: (X, y),
             lambda X, y, c, rng, swap_fraction=0.05: (X[y == 0], y[y == 0])],
    "02.1": [_unnormalised_similarity, lambda z, u, alpha=1.0, normalize=True: torch.cdist(z, u)],
    "02.2": [lambda s, beta=1.0, renormalize=False: torch.sigmoid(s), lambda s, beta=1.0, renormalize=False: s],
    "03.1": [lambda s: s / s.sum(), lambda s: torch.softmax(s, dim=1)],
    "03.2": [_target_without_frequency, lambda q: q],
    "03.3": [_kl_mean, lambda p, q, reduction="sum": (q * (q.log() - p.log())).sum()],
    "04.1": [_flipped_contrastive, _naive_log_contrastive],
    "04.2": [_step_detached, _step_without_update],
    "05.1": [_unweighted_mix, lambda x, y, lam, idx: (x, y)],
    "05.2": [_identity_partners, _uniform_lambda],
    "05.3": [_loss_without_consistency, _mse_loss],
    "06.1": [_soft_threshold, lambda w, threshold, eps=1e-12: w],
    "06.2": [_renormalise_without_fallback, lambda w_tilde, fallback=None, eps=1e-12: w_tilde],
    "06.3": [_kl_without_constant, lambda log_w: log_w.mean(dim=1) + np.log(log_w.shape[1])],
}


def test_every_check_has_wrong_answers_to_reject():
    assert set(WRONG_ANSWERS) == set(CHECKS)


@pytest.mark.parametrize("ex_id, wrong, word", DETACHED, ids=[f"{e}-{w.__name__}" for e, w, _ in DETACHED])
def test_a_detached_answer_fails_although_its_values_are_right(ex_id, wrong, word):
    """Where a lab says "do not detach", the check backpropagates through the learner's output and
    compares the gradients with adlab's: right values with a cut graph fail, and the message says so."""
    with pytest.raises(AssertionError, match=word) as info:
        check_exercise(ex_id, wrong)
    assert "values are right" in str(info.value)


def test_every_exercise_on_tensors_compares_gradients():
    """Every check of a differentiable function rejects at least one detached variant."""
    differentiable = {e for e in CHECKS if e[:2] in {"02", "03", "04", "05", "06"}} - {"04.2", "05.2"}
    assert differentiable <= {e for e, _, _ in DETACHED}


def test_a_check_fails_with_a_short_traceback_and_a_stub_with_its_hint_only():
    import traceback

    with pytest.raises(AssertionError) as info:
        check_exercise("02.1", _detached(_adlab(_P, "student_t_similarity")))
    frames = [f.name for f in traceback.extract_tb(info.tb)]
    assert frames[-1] == "check_exercise" and not any(f.startswith("_check") for f in frames), frames
    assert str(info.value).startswith("Exercise 02.1: ")

    def stub(z, u, alpha=1.0, normalize=True):
        raise NotImplementedError("Exercise 02.1: a hint")

    with pytest.raises(NotImplementedError, match="^Exercise 02.1: a hint$") as info:
        check_exercise("02.1", stub)
    assert [f.name for f in traceback.extract_tb(info.tb)][-1] == "check_exercise"


def test_a_bug_in_the_answer_keeps_its_traceback_down_to_the_learner_line():
    import traceback

    def buggy(z, u, alpha=1.0, normalize=True):
        return z @ u            # shapes do not match: a RuntimeError from the learner's line

    with pytest.raises(RuntimeError) as info:
        check_exercise("02.1", buggy)
    assert traceback.extract_tb(info.tb)[-1].name == "buggy"


@pytest.mark.parametrize("ex_id, k", [(e, k) for e, fns in WRONG_ANSWERS.items() for k in range(len(fns))])
def test_check_rejects_a_wrong_answer_with_a_hint(ex_id, k):
    with pytest.raises(AssertionError) as info:
        check_exercise(ex_id, WRONG_ANSWERS[ex_id][k])
    assert len(str(info.value)) > 20                      # a message the learner can act on


def test_targeted_hints_name_the_mistake():
    cases = {"02.1": (_unnormalised_similarity, "normalise"), "03.2": (_target_without_frequency, "frequenc"),
             "04.1": (_flipped_contrastive, "sign"), "04.2": (_step_detached, "detached"),
             "03.3": (_kl_mean, "averaged"), "01.2": (_first_n_labeled, "random"),
             "01.1": (lambda a, b: (_scale_on_itself(a), _scale_on_itself(b)), "own min and max"),
             "05.3": (_mse_loss, "squared error"), "06.1": (_soft_threshold, "lowered by gamma"),
             "06.3": (_kl_without_constant, "same constant"), "05.1": (_unweighted_mix, "ignored")}
    for ex_id, (fn, word) in cases.items():
        with pytest.raises(AssertionError, match=word):
            check_exercise(ex_id, fn)


def test_the_solution_functions_pass_whatever_the_target():
    assert _solution("02", "student_t_similarity") is not None
    check_exercise("02.1", _solution("02", "student_t_similarity"))
