"""Specifications of adlab.RoSAS: architecture, ablation switches, options, contract, toy floor."""
import numpy as np
import pytest
import torch
from contract import ContractBattery, contract_data
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import MinMaxScaler

from adlab.evaluation.metrics import auc_pr
from adlab.models.rosas import RoSAS, RoSASNet, rosas_hidden_sizes


class TestRoSASContract(ContractBattery):
    def make(self, **kw):
        return RoSAS(epochs=5, **kw)


@pytest.fixture(scope="module")
def data():
    return contract_data()


def test_public_import_and_paper_defaults():
    import adlab

    assert adlab.RoSAS is RoSAS
    p = RoSAS().get_params()
    assert (p["rep_dim"], p["k"], p["alpha"], p["margin"], p["batch_size"], p["temperature"]) == (128, 2, 0.5, 1.0, 32, 2.0)
    assert (p["lr"], p["weight_decay"], p["epochs"], p["n_batches_per_epoch"]) == (5e-3, 1e-3, 200, 16)
    assert (p["loss"], p["regularizer"], p["consistency"], p["l2_embedding_weight"], p["early_stopping"]) == \
        ("continuous", True, True, 0.0, False)
    assert p["label_fit_stop"] == 0.25


@pytest.mark.parametrize("d, h1, h2", [(16, 72, 64), (128, 128, 64), (200, 164, 64), (197, 162, 64)])
def test_hidden_sizes_follow_paper_floor_formula(d, h1, h2):
    assert rosas_hidden_sizes(d, 128) == (h1, h2)


def test_network_layers_and_tanh_scores():
    net = RoSASNet(16, 128)
    linears = [m for m in net.modules() if isinstance(m, torch.nn.Linear)]
    assert [(m.in_features, m.out_features) for m in linears] == [(16, 72), (72, 128), (128, 64), (64, 1)]
    assert [m.bias is not None for m in linears] == [False, False, False, True]
    z, s = net(torch.randn(7, 16) * 100)
    assert z.shape == (7, 128) and s.shape == (7,)
    assert (s.abs() <= 1).all()


def test_hidden_dims_override_the_paper_sizes(data):
    """DeepOD's network (H = 32, hidden 32 and 16) is one parameter away; the default keeps the paper's."""
    X, y, _ = data
    det = RoSAS(rep_dim=32, hidden_dims=(32, 16), epochs=1, random_state=0, device="cpu").fit(X, y)
    linears = [m for m in det.modules_["net"].modules() if isinstance(m, torch.nn.Linear)]
    assert [(m.in_features, m.out_features) for m in linears] == [(X.shape[1], 32), (32, 32), (32, 16), (16, 1)]
    assert RoSAS().get_params()["hidden_dims"] is None


@pytest.mark.parametrize("hidden", [(32,), (32, 0), (32, 16, 8), (32.5, 16)])
def test_bad_hidden_dims_raise_value_error(data, hidden):
    X, y, _ = data
    with pytest.raises(ValueError, match="hidden_dims"):
        RoSAS(hidden_dims=hidden, epochs=1, device="cpu").fit(X, y)


def test_training_runs_epochs_times_batches_and_logs_each_epoch(data):
    X, y, _ = data
    det = RoSAS(epochs=3, n_batches_per_epoch=4, random_state=0, device="cpu").fit(X, y)
    assert len(det.history_) == 3
    assert set(det.history_[0]) == {"loss", "loss_score", "loss_reg", "weight_score"}
    assert all(0 < h["weight_score"] < 1 for h in det.history_)
    assert det.modules_["net"].training is False


@pytest.mark.parametrize("kw", [{"loss": "discrete"}, {"loss": "deviation"}, {"loss": "regression"},
                                {"regularizer": False}, {"consistency": False}, {"dwa": False},
                                {"l2_embedding_weight": 0.01}, {"k": 3}, {"k": 3, "mixing_weights": "dirichlet"}])
def test_each_ablation_switch_fits_and_scores(data, kw):
    X, y, y_true = data
    det = RoSAS(epochs=4, random_state=0, device="cpu", **kw).fit(X, y)
    s = det.decision_function(X)
    assert np.isfinite(s).all() and s.std() > 0
    if kw.get("regularizer") is False:
        assert all(h["loss_reg"] == 0 and h["weight_score"] == 1 for h in det.history_)
    if kw.get("dwa") is False:
        assert all(h["weight_score"] == 0.5 for h in det.history_)


def test_switches_change_the_training(data):
    X, y, _ = data
    base = RoSAS(epochs=3, random_state=0, device="cpu").fit(X, y).decision_function(X)
    for kw in ({"consistency": False}, {"regularizer": False}, {"loss": "discrete"}, {"l2_embedding_weight": 0.1}):
        other = RoSAS(epochs=3, random_state=0, device="cpu", **kw).fit(X, y).decision_function(X)
        assert not np.allclose(base, other), f"{kw} had no effect"


def test_input_weight_decay_decays_only_the_first_layer(data):
    X, y, _ = data
    kw = dict(epochs=3, random_state=0, device="cpu", weight_decay=0.0)
    base = RoSAS(**kw).fit(X, y)
    same = RoSAS(input_weight_decay=0.0, **kw).fit(X, y)   # an explicit 0 equals weight_decay=0 everywhere
    assert np.array_equal(base.decision_function(X), same.decision_function(X))
    strong = RoSAS(input_weight_decay=10.0, **kw).fit(X, y)
    first = lambda d: next(d.modules_["net"].phi.parameters()).detach()  # noqa: E731
    rest = lambda d: [q.detach() for q in d.modules_["net"].parameters()][1:]  # noqa: E731
    assert first(strong).norm() < 0.5 * first(base).norm()
    assert not all(torch.equal(a, b) for a, b in zip(rest(strong), rest(base)))  # trained, but not decayed to 0
    assert all(q.norm() > 0.1 for q in rest(strong))
    with pytest.raises(ValueError, match="input_weight_decay"):
        RoSAS(input_weight_decay=-1.0, epochs=1, device="cpu").fit(X, y)


@pytest.mark.parametrize("kw, match", [({"loss": "hinge"}, "loss"), ({"k": 1}, "k"), ({"alpha": 0}, "alpha"),
                                       ({"mixing_weights": "uniform"}, "mixing_weights"), ({"margin": -1}, "margin"),
                                       ({"batch_size": 0}, "batch_size"), ({"epochs": 0}, "epochs"),
                                       ({"temperature": 0}, "temperature"), ({"batch_size": 300}, "unlabeled"),
                                       ({"early_stopping": True}, "X_val"), ({"contamination": 0.7}, "contamination")])
def test_bad_options_raise_value_error(data, kw, match):
    X, y, _ = data
    with pytest.raises(ValueError, match=match):
        RoSAS(**{"epochs": 1, "device": "cpu", **kw}).fit(X, y)


def test_label_fit_stop_ends_training_once_the_scoring_loss_falls_below_the_ratio(data):
    """The label-free stop (Decisions 4): after the first epoch whose mean L is below label_fit_stop × the
    first epoch's, training ends with that epoch's weights; None trains the whole budget."""
    X, y, _ = data
    kw = dict(epochs=8, n_batches_per_epoch=4, random_state=0, device="cpu")
    full = RoSAS(**kw, label_fit_stop=None).fit(X, y)
    assert len(full.history_) == 8 and full.stopped_epoch_ is None
    ls = [h["loss_score"] for h in full.history_]
    ratio = 0.5 * (1 + min(ls[1:]) / ls[0])             # a ratio this run crosses before its end
    stop = next(i for i, v in enumerate(ls) if i > 0 and v < ratio * ls[0])
    det = RoSAS(**kw, label_fit_stop=ratio).fit(X, y)
    assert det.stopped_epoch_ == stop and len(det.history_) == stop + 1 < 8
    np.testing.assert_allclose([h["loss_score"] for h in det.history_], ls[:stop + 1], rtol=1e-6)
    short = RoSAS(**{**kw, "epochs": stop + 1}, label_fit_stop=None).fit(X, y)   # the same weights
    np.testing.assert_allclose(det.decision_function(X), short.decision_function(X), rtol=1e-5, atol=1e-6)
    for bad in (0, 1.0, 1.5, True):
        with pytest.raises(ValueError, match="label_fit_stop"):
            RoSAS(epochs=1, device="cpu", label_fit_stop=bad).fit(X, y)


def test_label_fit_stop_is_off_when_validation_early_stopping_is_on(data):
    X, y, y_true = data
    det = RoSAS(epochs=3, early_stopping=True, patience=3, label_fit_stop=0.99, random_state=0,
                device="cpu").fit(X, y, X_val=X, y_val=y_true)
    assert det.stopped_epoch_ is None and len(det.history_) == 3


def test_validation_early_stopping_stops_and_restores_best(data):
    X, y, y_true = data
    det = RoSAS(epochs=40, early_stopping=True, patience=2, random_state=0, device="cpu")
    det.fit(X, y, X_val=X, y_val=y_true)
    assert "val_criterion" in det.history_[0]
    assert len(det.history_) < 40 and det.best_epoch_ is not None
    crit = [h["val_criterion"] for h in det.history_]
    assert det.best_epoch_ == int(np.argmin(crit))


def test_validation_data_is_ignored_without_early_stopping(data):
    X, y, y_true = data
    a = RoSAS(epochs=2, random_state=0, device="cpu").fit(X, y).decision_function(X)
    with pytest.warns(UserWarning, match="X_val/y_val are ignored"):
        b = RoSAS(epochs=2, random_state=0, device="cpu").fit(X, y, X_val=X, y_val=y_true).decision_function(X)
    np.testing.assert_array_equal(a, b)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="CUDA not available")
def test_fits_on_gpu(data):
    X, y, y_true = data
    det = RoSAS(epochs=3, random_state=0, device="cuda").fit(X, y)
    assert det.modules_["net"].phi[0].weight.is_cuda
    assert np.isfinite(det.decision_function(X)).all()


def test_auc_pr_floor_on_the_rosas_toy():
    """Fig. 1 toy (make_classification, 3 anomaly clusters), 15 labeled anomalies, the rest hidden in the
    unlabeled set: RoSAS must rank held-out anomalies well above the 5 % base rate."""
    from adlab.data.synthetic import make_rosas_toy

    X, y = make_rosas_toy(2000, 0.05, random_state=0)
    Xtr, Xte, ytr, yte = train_test_split(X, y, test_size=0.4, stratify=y, random_state=0)
    scaler = MinMaxScaler().fit(Xtr)
    Xtr, Xte = scaler.transform(Xtr), scaler.transform(Xte)
    y_weak = np.zeros_like(ytr)
    y_weak[np.random.default_rng(0).choice(np.flatnonzero(ytr == 1), 15, replace=False)] = 1
    det = RoSAS(epochs=30, random_state=0, device="cpu").fit(Xtr, y_weak)
    assert auc_pr(yte, det.decision_function(Xte)) > 0.5   # 10x the base rate (0.670 with weight decay 1e-3)
