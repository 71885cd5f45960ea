"""``adlab.labs.plug_in``: a learner's function runs inside the real estimators, and is removed after."""
import pytest

import adlab.components.memory as memory_module
import adlab.models.mnpwad as mnpwad_module
from adlab.labs import plug_in
from lab_toy_data import toy_weak_data


def test_the_replacement_is_called_counted_and_removed():
    original = mnpwad_module.student_t_similarity
    seen = []

    def mine(*args, **kwargs):
        seen.append(1)
        return original(*args, **kwargs)

    with plug_in("adlab.models.mnpwad", student_t_similarity=mine) as calls:
        assert mnpwad_module.student_t_similarity is not original
        mnpwad_module.student_t_similarity(*_latents())
    assert calls["student_t_similarity"] == 1 and seen == [1]
    assert mnpwad_module.student_t_similarity is original


def test_the_original_comes_back_after_an_exception():
    original = memory_module.hard_shrinkage
    with pytest.raises(RuntimeError):
        with plug_in(memory_module, hard_shrinkage=lambda w, t, eps=1e-12: w):
            raise RuntimeError("boom")
    assert memory_module.hard_shrinkage is original


def test_an_unknown_name_or_a_non_callable_is_refused():
    with pytest.raises(ValueError, match="has no no_such_function"):
        with plug_in("adlab.models.mnpwad", no_such_function=print):
            pass
    with pytest.raises(TypeError, match="must be callable"):
        with plug_in("adlab.models.mnpwad", student_t_similarity=3):
            pass


def _latents():
    import torch

    g = torch.Generator().manual_seed(0)
    return torch.randn(5, 4, generator=g), torch.randn(2, 4, generator=g)


def _toy(seed=0, n=300, d=6):
    return toy_weak_data(seed, n, d, shift=1.5)


@pytest.mark.parametrize("module, names, make", [
    ("adlab.models.mnpwad", ["student_t_similarity", "normality_weights", "soft_assignment",
                             "target_distribution", "clustering_kl_loss", "prototype_contrastive_loss"],
     lambda: __import__("adlab").MNPWAD(epochs=1, n_batches_per_epoch=2, pretrain=False, n_prototypes=2,
                                        early_stopping=False, batch_size=32, n_labeled_per_batch=4, random_state=0)),
    ("adlab.models.rosas", ["mass_interpolation", "continuous_scoring_loss"],
     lambda: __import__("adlab").RoSAS(epochs=1, n_batches_per_epoch=2, batch_size=8, random_state=0)),
    ("adlab.components.memory", ["hard_shrinkage", "l1_renormalise"],
     lambda: __import__("adlab").MMNet(epochs=1, batch_size=64, random_state=0)),
    ("adlab.models.mmnet", ["attention_kl_score"],
     lambda: __import__("adlab").MMNet(epochs=1, batch_size=64, random_state=0)),
])
def test_each_lab_hook_reaches_the_estimator(module, names, make):
    """The hooks the labs document are really used by fit/decision_function (spies on adlab's own)."""
    import importlib

    mod = importlib.import_module(module)
    X, y = _toy()
    spies = {name: getattr(mod, name) for name in names}
    with plug_in(module, **spies) as calls:
        det = make().fit(X, y)
        det.decision_function(X)
    assert {name: calls[name] > 0 for name in names} == {name: True for name in names}
