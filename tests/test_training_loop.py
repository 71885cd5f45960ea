"""The one training loop and the one early-stopping rule (adlab.components.training), for every
registered detector."""
import math
import warnings

import numpy as np
import pytest
import torch
from registry_params import NAMES, tiny, tiny_data

from adlab.components import training
from adlab.components.training import EarlyStopping, LabelFitStop, run_epochs, validation_criterion
from adlab.models import base
from adlab.models.registry import get_detector_class

TORCH_NAMES = [n for n in NAMES if issubclass(get_detector_class(n), base.TorchDetector)]
VALIDATING = [n for n in NAMES if "early_stopping" in get_detector_class(n)().get_params()]


# ----------------------------------------------------------------------------- the helpers
def test_early_stopping_stops_after_patience_and_restores_the_best_state():
    lin = torch.nn.Linear(1, 1)
    mods = {"m": lin}
    stop = EarlyStopping(patience=2, min_delta=0.0)
    values = [3.0, 1.0, 2.0, 1.5]
    fired = []
    for epoch, v in enumerate(values):
        with torch.no_grad():
            lin.weight.fill_(v)
        fired.append(stop.update(v, mods, epoch))
    assert fired == [False, False, False, True] and stop.stopped
    assert stop.restore(mods) == 1
    assert lin.weight.item() == 1.0


def test_early_stopping_never_counts_nan_as_an_improvement():
    stop = EarlyStopping(patience=1)
    mods = {"m": torch.nn.Linear(1, 1)}
    assert stop.update(float("nan"), mods, 0) is True
    assert stop.best_epoch is None and stop.best_state is None


@pytest.mark.parametrize("patience", [0, -1, 1.5, True])
def test_early_stopping_rejects_a_patience_that_is_not_a_positive_integer(patience):
    with pytest.raises(ValueError, match="patience"):
        EarlyStopping(patience)


def test_run_epochs_logs_epoch_means_and_syncs_once_per_epoch():
    p = torch.nn.Parameter(torch.zeros(()))
    opt = torch.optim.SGD([p], lr=0.0)
    losses = iter([1.0, 3.0, 5.0, 7.0])

    def step():
        v = next(losses)
        return (p * 0 + v), torch.tensor([v, 2 * v])

    rows = run_epochs(opt, step, epochs=2, steps=2, names=("a", "b"))
    assert rows == [{"a": 2.0, "b": 4.0}, {"a": 6.0, "b": 12.0}]


def test_label_fit_stop_fires_at_the_first_epoch_below_the_ratio_of_the_first_epochs_value():
    rule = LabelFitStop(0.25, key="ls")
    values = [0.4, 0.2, 0.11, 0.09, 0.01]               # 0.25 × 0.4 = 0.1: epoch 3 is the first below
    fired = [rule({"ls": v}, e) for e, v in enumerate(values)]
    assert fired == [False, False, False, True, True] and rule.stopped_epoch == 4  # the caller stops at the first True
    rule = LabelFitStop(0.25, key="ls")
    assert [rule({"ls": v}, e) for e, v in enumerate([0.01, 0.002])] == [False, True]  # never on the first epoch
    assert rule.stopped_epoch == 1 and rule.first == 0.01


@pytest.mark.parametrize("ratio", [0, 1, 1.5, -0.1, True])
def test_label_fit_stop_rejects_a_ratio_outside_the_open_unit_interval(ratio):
    with pytest.raises(ValueError, match="ratio"):
        LabelFitStop(ratio, key="ls")


def test_run_epochs_ends_after_the_epoch_a_stop_rule_fires_and_keeps_its_weights():
    p = torch.nn.Parameter(torch.ones(()))
    opt = torch.optim.SGD([p], lr=0.25)
    rule = LabelFitStop(0.2, key="loss")
    rows = run_epochs(opt, lambda: p * p, epochs=10, steps=1, stop_rule=rule)
    # p halves per step, the loss p² falls by 4×: epoch 1 (0.25) is not below 0.2 × 1, epoch 2 (0.0625) is
    assert [r["loss"] for r in rows] == [1.0, 0.25, 0.0625] and rule.stopped_epoch == 2
    assert p.item() == 0.125                             # three steps taken, nothing restored


def test_run_epochs_raises_floating_point_error_naming_the_cause_when_the_loss_diverges():
    p = torch.nn.Parameter(torch.ones(()))
    opt = torch.optim.SGD([p], lr=0.1)
    with pytest.raises(FloatingPointError, match="diverged at epoch 0.*scale"):
        run_epochs(opt, lambda: p * float("inf"), epochs=3, steps=1, owner="Toy training")


def test_validation_criterion_is_the_reference_rule_and_inf_for_nan_scores():
    y = np.array([0, 0, 1, 1])
    assert validation_criterion(y, np.array([0.1, 0.2, 0.8, 0.9])) == 0.0
    assert validation_criterion(y, np.array([0.1, np.nan, 0.8, 0.9])) == math.inf
    with pytest.raises(ValueError, match="both normals"):
        validation_criterion(np.zeros(4), np.arange(4.0))


# ----------------------------------------------------------------------------- every detector
@pytest.mark.parametrize("name", TORCH_NAMES)
def test_every_torch_detector_trains_through_the_shared_loop(name, monkeypatch):
    calls = []
    real = base.run_epochs

    def spy(*args, **kwargs):
        calls.append(kwargs.get("owner"))
        return real(*args, **kwargs)

    monkeypatch.setattr(base, "run_epochs", spy)
    X, y, _ = tiny_data()
    det = tiny(name).fit(X, y)
    assert calls and all(c == f"{name} training" for c in calls)
    assert len(det.history_) == sum(1 for _ in det.history_) >= 1


@pytest.mark.parametrize("name", TORCH_NAMES)
def test_a_diverging_fit_raises_instead_of_returning_nan_scores(name, monkeypatch):
    real = base.run_epochs

    def poisoned(optimizer, step, **kwargs):      # every loss becomes NaN: the weights go NaN too
        def bad_step():
            out = step()
            return (out[0] * float("nan"), out[1] * float("nan")) if isinstance(out, tuple) else out * float("nan")
        return real(optimizer, bad_step, **kwargs)

    monkeypatch.setattr(base, "run_epochs", poisoned)
    X, y, _ = tiny_data()
    with pytest.raises(FloatingPointError, match=f"{name} training diverged at epoch 0"):
        tiny(name, epochs=2).fit(X, y)


@pytest.mark.parametrize("name", VALIDATING)
def test_early_stopping_is_off_by_default(name):
    assert get_detector_class(name)().get_params()["early_stopping"] is False


@pytest.mark.parametrize("name", VALIDATING)
def test_x_val_alone_is_ignored_with_a_warning_and_never_used(name):
    X, y, y_true = tiny_data()
    plain = tiny(name).fit(X, y).decision_function(X)
    with pytest.warns(UserWarning, match="X_val/y_val are ignored.*early_stopping=True"):
        det = tiny(name).fit(X, y, X_val=X, y_val=y_true)
    np.testing.assert_array_equal(det.decision_function(X), plain)


@pytest.mark.parametrize("name", VALIDATING)
def test_early_stopping_without_validation_data_is_a_clear_error(name):
    X, y, _ = tiny_data()
    with pytest.raises(ValueError, match=r"early_stopping=True\) needs labelled validation data"):
        tiny(name, early_stopping=True).fit(X, y)


@pytest.mark.parametrize("name", VALIDATING)
def test_default_patience_can_fire_within_the_default_epoch_budget(name):
    p = get_detector_class(name)().get_params()
    assert p["patience"] < p["epochs"]


@pytest.mark.parametrize("name", VALIDATING)
def test_a_patience_that_can_never_fire_is_warned_about(name):
    X, y, y_true = tiny_data()
    with pytest.warns(UserWarning, match="can never fire"):
        tiny(name, early_stopping=True, epochs=2, patience=2).fit(X, y, X_val=X, y_val=y_true)


@pytest.mark.parametrize("name", VALIDATING)
def test_labelled_early_stopping_stops_restores_the_best_epoch_and_logs_the_criterion(name):
    X, y, y_true = tiny_data()
    det = tiny(name, early_stopping=True, epochs=6, patience=1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        det.fit(X, y, X_val=X, y_val=y_true)
    crit = [row["val_criterion"] for row in det.history_]
    assert det.best_epoch_ == int(np.argmin(crit))
    # the restored weights are the best epoch's: scoring X_val again gives the logged best criterion
    assert validation_criterion(y_true, det.decision_function(X)) == pytest.approx(min(crit), abs=1e-9)


@pytest.mark.parametrize("name", [n for n in NAMES if n not in VALIDATING])
def test_detectors_without_validation_say_they_ignore_it(name):
    X, y, y_true = tiny_data()
    with pytest.warns(UserWarning, match=f"ignored: {name} does not use validation data"):
        tiny(name).fit(X, y, X_val=X, y_val=y_true)


def test_the_old_per_model_stoppers_are_gone():
    from adlab.models import mnpwad, rosas

    assert not hasattr(rosas, "_EarlyStopping")
    assert not hasattr(mnpwad.MNPWAD, "_validation_metrics")
    assert training.clone_modules is base.clone_modules


def test_weight_decay_groups_give_the_chosen_tensors_their_own_decay_and_keep_every_other_one():
    net = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.ReLU(), torch.nn.Linear(4, 1))
    own = [net[0].weight]
    groups = training.weight_decay_groups(net.parameters(), own, 0.5)
    assert groups[0]["params"] == own and groups[0]["weight_decay"] == 0.5
    assert "weight_decay" not in groups[1]          # the optimizer-wide value applies
    rest = groups[1]["params"]
    assert {id(p) for p in rest} == {id(p) for p in net.parameters()} - {id(net[0].weight)}
    opt = torch.optim.Adam(groups, lr=1e-3, weight_decay=1e-4)
    assert [g["weight_decay"] for g in opt.param_groups] == [0.5, 1e-4]
