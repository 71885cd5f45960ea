"""DevNet, DeepSAD, PReNet and FeaWAD: their losses, sampling and the detector contract."""
import numpy as np
import pytest
import torch
from contract import ContractBattery, contract_data

from adlab.evaluation.metrics import auc_roc
from adlab.models.baselines import (DeepSAD, DevNet, FeaWAD, PReNet, deepsad_loss, deviation,
                                    deviation_loss, gaussian_reference, prenet_pair_targets)


# ----------------------------------------------------------------------------- pure functions
def test_deviation_loss_is_per_sample_and_its_gradient_depends_on_the_label():
    # the DeepOD bug broadcast (B, 1) against (B,): every row got the same gradient
    dev = torch.tensor([0.5, 0.5, 2.0, 7.0], requires_grad=True)
    y = torch.tensor([0, 1, 1, 1])
    loss = deviation_loss(dev, y, margin=5.0)
    assert loss.shape == (4,)
    torch.testing.assert_close(loss.detach(), torch.tensor([0.5, 4.5, 3.0, 0.0]))
    loss.sum().backward()
    torch.testing.assert_close(dev.grad, torch.tensor([1.0, -1.0, -1.0, 0.0]))


def test_deviation_loss_rejects_mismatched_shapes():
    with pytest.raises(ValueError, match="same 1-D shape"):
        deviation_loss(torch.zeros(4, 1), torch.zeros(4))


def test_gaussian_reference_is_close_to_standard_normal_and_seeded():
    g = torch.Generator().manual_seed(0)
    mu, sigma = gaussian_reference(5000, g, "cpu")
    assert abs(mu.item()) < 0.05 and abs(sigma.item() - 1) < 0.05
    torch.testing.assert_close(deviation(torch.tensor([mu.item() + sigma.item()]), mu, sigma), torch.tensor([1.0]))
    g2 = torch.Generator().manual_seed(0)
    assert gaussian_reference(5000, g2, "cpu")[0].item() == mu.item()


def test_deepsad_loss_pulls_unlabeled_in_and_pushes_anomalies_out():
    d_u = torch.tensor([1.0, 3.0])
    d_a = torch.tensor([0.5])
    torch.testing.assert_close(deepsad_loss(d_u, d_a, eta=2.0, eps=0.0), torch.tensor((1 + 3 + 4.0) / 3))
    torch.testing.assert_close(deepsad_loss(d_u, d_a[:0]), torch.tensor(2.0))  # Deep SVDD
    far = deepsad_loss(d_u, torch.tensor([10.0]))
    near = deepsad_loss(d_u, torch.tensor([0.1]))
    assert far < near


def test_prenet_batches_hold_a_quarter_aa_a_quarter_au_and_half_uu_pairs():
    assert prenet_pair_targets(512) == (128, 128, 256)
    with pytest.raises(ValueError, match="at least 4"):
        prenet_pair_targets(3)


# ----------------------------------------------------------------------------- behaviour
@pytest.fixture(scope="module")
def data():
    return contract_data(seed=1)


def test_deepsad_without_labels_is_deep_svdd_and_detects_shifted_anomalies(data):
    X, _, y_true = data
    det = DeepSAD(pretrain_epochs=20, epochs=20, lr=1e-3, random_state=0, device="cpu").fit(X, None)
    assert auc_roc(y_true, det.decision_function(X)) > 0.8
    assert det.center_.shape == (det.rep_dim,)
    assert (np.abs(det.center_) >= det.eps - 1e-7).all(), "small centre coordinates must be pushed to ±eps"
    assert [list(h) for h in det.history_][0] == ["pretrain_loss"]


def test_deepsad_labeled_anomalies_end_up_farther_from_the_centre(data):
    X, y, _ = data
    det = DeepSAD(hidden_dims=(32, 16), rep_dim=8, pretrain_epochs=0, epochs=5, lr=1e-3, random_state=0,
                  device="cpu").fit(X, y)
    s = det.decision_function(X)
    assert s[y == 1].mean() > 1.5 * np.median(s[y == 0])


def test_prenet_score_equals_the_explicit_average_over_reference_pairs(data):
    X, y, _ = data
    det = PReNet(epochs=2, n_reference=7, random_state=0, device="cpu").fit(X, y)
    net = det.modules_["net"]
    x = torch.from_numpy(X[:5])
    with torch.no_grad():
        pairs = []
        for a in det.reference_anomalies_:
            pairs.append(net(torch.from_numpy(a).expand(5, -1), x))
        for u in det.reference_unlabeled_:
            pairs.append(net(x, torch.from_numpy(u).expand(5, -1)))
        explicit = torch.stack(pairs).mean(0).double().numpy()
    np.testing.assert_allclose(det.decision_function(X[:5]), explicit, rtol=1e-5, atol=1e-5)
    assert det.reference_anomalies_.shape == (7, X.shape[1])


def test_prenet_rep_dim_gives_a_bias_free_encoder_with_a_linear_code_and_the_same_score_identity(data):
    X, y, _ = data
    det = PReNet(hidden_dims=(16, 8), rep_dim=12, activation="leaky_relu", bias=False, epochs=2,
                 steps_per_epoch=3, batch_size=64, n_reference=5, optimizer="adam", random_state=0,
                 device="cpu").fit(X, y)
    net = det.modules_["net"]
    linears = [m for m in net.modules() if isinstance(m, torch.nn.Linear)]
    assert [m.out_features for m in linears] == [16, 8, 12, 1] and all(m.bias is None for m in linears)
    assert isinstance(net.features[-1], torch.nn.Identity), "the code layer is linear (DeepOD's encoder)"
    assert isinstance(net.features[1], torch.nn.LeakyReLU)
    x = torch.from_numpy(X[:4])
    with torch.no_grad():
        pairs = [net(torch.from_numpy(a).expand(4, -1), x) for a in det.reference_anomalies_]
        pairs += [net(x, torch.from_numpy(u).expand(4, -1)) for u in det.reference_unlabeled_]
    np.testing.assert_allclose(det.decision_function(X[:4]), torch.stack(pairs).mean(0).double().numpy(),
                               rtol=1e-5, atol=1e-5)


def test_prenet_n_reference_shifts_every_score_by_the_same_constant_so_rankings_do_not_change(data):
    # the head is affine: s(x) = ½ (w_L + w_R)·f(x) + a term that depends only on the references
    X, y, _ = data
    kw = dict(epochs=2, steps_per_epoch=5, batch_size=64, random_state=0, device="cpu")
    few = PReNet(n_reference=3, **kw).fit(X, y).decision_function(X)
    many = PReNet(n_reference=40, **kw).fit(X, y).decision_function(X)
    shift = many - few
    assert np.ptp(shift) < 1e-4 * max(1.0, np.ptp(few)), "the difference must be one constant"
    assert abs(shift[0]) > 1e-6, "different references must move the constant"


def test_prenet_one_pass_epochs_are_capped_by_max_steps_per_epoch(data):
    X, y, _ = data
    det = PReNet(steps_per_epoch=None, batch_size=8, max_steps_per_epoch=3, random_state=0, device="cpu")
    assert det._steps(len(X)) == 3
    det.max_steps_per_epoch = None
    assert det._steps(len(X)) == int(np.ceil(len(X) / 8))


def test_prenet_learns_the_ordinal_targets(data):
    X, y, _ = data
    det = PReNet(epochs=10, steps_per_epoch=10, batch_size=128, random_state=0, device="cpu").fit(X, y)
    assert det.history_[-1]["loss"] < det.history_[0]["loss"]
    s = det.decision_function(X)
    assert s[y == 1].mean() > s[y == 0].mean() + 0.3


def test_feawad_pretraining_reduces_reconstruction_error_and_loss_uses_the_real_residual(data):
    X, y, _ = data
    det = FeaWAD(pretrain_epochs=5, epochs=2, steps_per_epoch=5, batch_size=64, lr=1e-3,
                 random_state=0, device="cpu").fit(X, y)
    pre = [h["pretrain_loss"] for h in det.history_ if "pretrain_loss" in h]
    assert len(pre) == 5 and pre[-1] < pre[0]
    _, err = det.modules_["net"](torch.from_numpy(X[:10]))
    assert not torch.allclose(err, torch.ones_like(err)), "the residual norm must not be the unit norm"


def test_devnet_steps_per_epoch_none_means_one_pass(data):
    X, y, _ = data
    det = DevNet(epochs=1, steps_per_epoch=None, batch_size=64, random_state=0, device="cpu")
    assert det._steps(len(X)) == int(np.ceil(len(X) / 64))


@pytest.mark.parametrize("cls", [DevNet, PReNet])
def test_weight_decay_scope_hidden_decays_only_the_hidden_weight_matrices(data, cls):
    X, y, _ = data
    det = cls(epochs=1, steps_per_epoch=1, batch_size=64, random_state=0, device="cpu")
    det.fit(X, y)
    net = next(iter(det.modules_.values()))
    linears = [m for m in net.modules() if isinstance(m, torch.nn.Linear)]
    hidden, output = linears[:-1], linears[-1]
    groups = det._decay_groups(hidden, [output])
    decayed = {id(p) for g in groups if g.get("weight_decay", None) != 0.0 for p in g["params"]}
    assert decayed == {id(m.weight) for m in hidden}
    assert id(output.weight) not in decayed and all(id(m.bias) not in decayed for m in linears)
    det.weight_decay_scope = "all"
    everything = det._decay_groups(hidden, [output])
    assert len(everything) == 1 and len(everything[0]["params"]) == sum(len(list(m.parameters())) for m in linears)


@pytest.mark.parametrize("cls,bad", [(DevNet, {"weight_decay_scope": "output"}), (DevNet, {"epochs": 0}), (DeepSAD, {"batch_size": 0}),
                                     (PReNet, {"targets": (8, 4)}), (PReNet, {"optimizer": "sgd"}),
                                     (PReNet, {"rep_dim": 0}), (PReNet, {"max_steps_per_epoch": 0}),
                                     (FeaWAD, {"lr": -1.0}),
                                     (DevNet, {"steps_per_epoch": 0}), (DeepSAD, {"eta": 0})])
def test_bad_hyperparameters_raise_value_error(data, cls, bad):
    X, y, _ = data
    with pytest.raises(ValueError):
        cls(random_state=0, device="cpu", **bad).fit(X, y)


# ----------------------------------------------------------------------------- contract
class TestDevNetContract(ContractBattery):
    def make(self, **kw):
        return DevNet(epochs=3, steps_per_epoch=10, batch_size=128, **kw)


class TestDeepSADContract(ContractBattery):
    needs_labels = False

    def make(self, **kw):
        return DeepSAD(pretrain_epochs=1, epochs=5, lr=1e-3, **kw)


class TestPReNetContract(ContractBattery):
    def make(self, **kw):
        return PReNet(epochs=3, steps_per_epoch=10, batch_size=128, **kw)


class TestFeaWADContract(ContractBattery):
    def make(self, **kw):
        return FeaWAD(pretrain_epochs=2, epochs=3, steps_per_epoch=10, batch_size=128, lr=1e-3, **kw)
