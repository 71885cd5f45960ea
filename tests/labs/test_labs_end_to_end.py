"""The last check of every lab (``check_trains_like_adlab``) tells a right answer from a typical wrong one
that returns the right values: the estimator trained with the learner's functions must score like the one
trained with adlab's. The solutions pass; detached variants (which the AUC-PR alone does not catch) fail."""
import pytest
import torch

from adlab import MMNet, MNPWAD, RoSAS
from adlab.labs import check_trains_like_adlab, lab_namespace
from adlab.labs.build import lab_path, lab_sources
from lab_toy_data import toy_weak_data

SOL = {src.name[:2]: lab_namespace(lab_path("solutions", src.name)) for src in lab_sources()}


def _toy(seed=0, n=300, d=6):
    return toy_weak_data(seed, n, d, shift=1.0)


def _mnpwad():
    return MNPWAD(epochs=2, n_batches_per_epoch=3, pretrain=False, n_prototypes=2, early_stopping=False,
                  batch_size=64, n_labeled_per_batch=8, random_state=0)


def _rosas():
    return RoSAS(epochs=2, n_batches_per_epoch=3, batch_size=16, random_state=0)


def _mmnet():
    return MMNet(epochs=2, batch_size=64, random_state=0)


def _detach(fn):
    def wrapper(*args, **kwargs):
        out = fn(*args, **kwargs)
        return tuple(o.detach() for o in out) if isinstance(out, tuple) else out.detach()
    return wrapper


MNP, ROS = "adlab.models.mnpwad", "adlab.models.rosas"
CASES = {   # lab: (estimator, what the lab plugs in, a wrong variant with the right values)
    "02": (_mnpwad, lambda s: {MNP: {"student_t_similarity": s["student_t_similarity"],
                                     "normality_weights": s["normality_weights"]}},
           lambda s: {MNP: {"student_t_similarity": _detach(s["student_t_similarity"])}}),
    "03": (_mnpwad, lambda s: {MNP: {k: s[k] for k in ("soft_assignment", "target_distribution", "clustering_kl_loss")}},
           lambda s: {MNP: {"target_distribution": _detach(s["target_distribution"])}}),
    "04": (_mnpwad, lambda s: {MNP: {"prototype_contrastive_loss": s["prototype_contrastive_loss"]}},
           lambda s: {MNP: {"prototype_contrastive_loss":
                            lambda a, b, w=None: s["prototype_contrastive_loss"](a, b, None if w is None else w.detach())}}),
    "05": (_rosas, lambda s: {ROS: {"mass_interpolation": s["mass_interpolation"],
                                    "continuous_scoring_loss": s["continuous_scoring_loss"]}},
           lambda s: {ROS: {"continuous_scoring_loss": lambda sm, ym, sp, lam, consistency=True, beta=1.0:
                            s["continuous_scoring_loss"](sm, ym, sp.detach(), lam, consistency, beta)}}),
    "06": (_mmnet, lambda s: {"adlab.components.memory": {"hard_shrinkage": s["hard_shrinkage"],
                                                          "l1_renormalise": s["l1_renormalise"]},
                              "adlab.models.mmnet": {"attention_kl_score": s["attention_kl_score"]}},
           lambda s: {"adlab.components.memory": {"hard_shrinkage": _detach(s["hard_shrinkage"])}}),
}


@pytest.mark.parametrize("lab", sorted(CASES))
def test_the_solutions_train_exactly_like_adlab(lab, capsys):
    make, right, _ = CASES[lab]
    X, y = _toy()
    assert check_trains_like_adlab(make, X, y, right(SOL[lab])) < 1e-3
    assert "scores like adlab's" in capsys.readouterr().out


@pytest.mark.parametrize("lab", sorted(CASES))
def test_a_detached_variant_trains_a_different_model_and_fails(lab):
    make, _, wrong = CASES[lab]
    X, y = _toy()
    with pytest.raises(AssertionError, match="scores differently.*detach"):
        check_trains_like_adlab(make, X, y, wrong(SOL[lab]))


def test_a_correct_answer_computed_differently_passes():
    """Float rounding from another formula (cdist instead of broadcasting) stays far below the tolerance."""
    def cdist_similarity(z, u, alpha=1.0, normalize=True):
        if normalize:
            z, u = torch.nn.functional.normalize(z, dim=1), torch.nn.functional.normalize(u, dim=1)
        return (1 + torch.cdist(z, u).pow(2) / alpha).pow(-(alpha + 1) / 2)

    X, y = _toy()
    assert check_trains_like_adlab(_mnpwad, X, y, {MNP: {"student_t_similarity": cdist_similarity}}) < 1e-4


def test_a_replacement_that_never_runs_checks_nothing_and_fails():
    X, y = _toy()
    with pytest.raises(AssertionError, match="never ran"):
        check_trains_like_adlab(_rosas, X, y, {MNP: {"student_t_similarity": SOL["02"]["student_t_similarity"]}})


@pytest.mark.parametrize("lab", sorted(CASES))
def test_the_last_cell_of_each_lab_runs_this_check(lab):
    src = next(p for p in lab_sources() if p.name.startswith(lab))
    last_cell = src.read_text().split("\n# %%")[-1]
    assert "check_trains_like_adlab(" in last_cell
