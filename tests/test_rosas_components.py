"""Specifications of the RoSAS components (adlab.components.interpolation)."""
import numpy as np
import pytest
import torch
from scipy import stats

from adlab.components.interpolation import (
    continuous_scoring_loss,
    discrete_scoring_loss,
    feature_regularizer,
    l2_embedding_penalty,
    mass_interpolation,
    regression_loss,
    sample_mixing_weights,
    smooth_l1,
)


def _pool(n_u=64, n_a=32, d=5, seed=0):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n_u + n_a, d, generator=g)
    y = torch.cat([-torch.ones(n_u), torch.ones(n_a)])
    return x, y


# ------------------------------------------------------------------ mass interpolation, Eq. (3)
@pytest.mark.parametrize("k", [2, 3, 5])
@pytest.mark.parametrize("weights", ["beta", "dirichlet"])
def test_interpolated_targets_lie_in_minus_one_one_and_equal_weighted_label_sum(k, weights):
    x, y = _pool()
    g = torch.Generator().manual_seed(1)
    x_mix, y_mix, lam, idx = mass_interpolation(x, y, k=k, alpha=0.5, generator=g, weights=weights)
    assert x_mix.shape == x.shape and y_mix.shape == y.shape
    assert lam.shape == (x.shape[0], k) and idx.shape == (x.shape[0], k)
    assert (y_mix >= -1).all() and (y_mix <= 1).all()
    torch.testing.assert_close(y_mix, (lam * y[idx]).sum(1))
    torch.testing.assert_close(x_mix, (lam[:, :, None] * x[idx]).sum(1))
    torch.testing.assert_close(lam.sum(1), torch.ones(x.shape[0]), atol=1e-6, rtol=0)
    assert (lam >= 0).all()


def test_first_component_is_the_row_itself_and_partners_are_permutations_of_the_batch():
    x, y = _pool()
    _, _, _, idx = mass_interpolation(x, y, k=3, generator=torch.Generator().manual_seed(0))
    n = x.shape[0]
    assert torch.equal(idx[:, 0], torch.arange(n))
    for j in (1, 2):
        assert torch.equal(idx[:, j].sort().values, torch.arange(n))


def test_pure_unlabeled_mix_gets_minus_one_and_mixed_pairs_get_continuous_targets():
    x, y = _pool(n_u=200, n_a=200)
    _, y_mix, _, idx = mass_interpolation(x, y, generator=torch.Generator().manual_seed(2))
    both_u = (y[idx] < 0).all(1)
    torch.testing.assert_close(y_mix[both_u], -torch.ones(int(both_u.sum())))
    mixed = (y[idx[:, 0]] != y[idx[:, 1]])
    inner = (y_mix[mixed].abs() < 0.999).float().mean()
    assert inner > 0.5, "U-A mixes should carry continuous targets strictly inside (-1, 1)"


def test_k2_weights_follow_beta_alpha_alpha():
    g = torch.Generator().manual_seed(0)
    for alpha in (0.5, 2.0):
        lam = sample_mixing_weights(20000, 2, alpha, generator=g)
        assert stats.kstest(lam[:, 0].numpy(), stats.beta(alpha, alpha).cdf).pvalue > 1e-3
        torch.testing.assert_close(lam[:, 1], 1 - lam[:, 0])


def test_alpha_below_one_puts_weights_near_the_corners():
    g = torch.Generator().manual_seed(0)
    near = lambda a: (sample_mixing_weights(20000, 2, a, generator=g)[:, 0] - 0.5).abs().mean()  # noqa: E731
    assert near(0.5) > near(1.0) > near(4.0)


def test_dirichlet_marginal_for_k3_is_beta_alpha_two_alpha():
    lam = sample_mixing_weights(20000, 3, 0.5, weights="dirichlet", generator=torch.Generator().manual_seed(0))
    assert stats.kstest(lam[:, 0].numpy(), stats.beta(0.5, 1.0).cdf).pvalue > 1e-3


def test_same_generator_seed_gives_identical_interpolation():
    x, y = _pool()
    a = mass_interpolation(x, y, generator=torch.Generator().manual_seed(5))
    b = mass_interpolation(x, y, generator=torch.Generator().manual_seed(5))
    for u, v in zip(a, b):
        assert torch.equal(u, v)


@pytest.mark.parametrize("kw, match", [({"k": 1}, "k"), ({"k": 2.5}, "k"), ({"alpha": 0.0}, "alpha"),
                                       ({"weights": "uniform"}, "weights")])
def test_bad_interpolation_options_raise_value_error(kw, match):
    x, y = _pool()
    with pytest.raises(ValueError, match=match):
        mass_interpolation(x, y, **kw)


def test_shape_mismatch_raises_value_error():
    x, y = _pool()
    with pytest.raises(ValueError, match="x must be"):
        mass_interpolation(x, y[:-1])


# ------------------------------------------------------------------ scoring loss, Eq. (4)
def test_continuous_loss_is_target_term_plus_consistency_term():
    g = torch.Generator().manual_seed(0)
    n, k = 50, 2
    s_mix = torch.rand(n, generator=g) * 2 - 1
    y_mix = torch.rand(n, generator=g) * 2 - 1
    parts = torch.rand(n, k, generator=g) * 2 - 1
    lam = sample_mixing_weights(n, k, generator=g)
    total, target, cons = continuous_scoring_loss(s_mix, y_mix, parts, lam)
    ref = torch.nn.SmoothL1Loss()
    torch.testing.assert_close(target, ref(s_mix, y_mix))
    torch.testing.assert_close(cons, ref(s_mix, (lam * parts).sum(1)))
    torch.testing.assert_close(total, target + cons)
    off, t2, c2 = continuous_scoring_loss(s_mix, y_mix, parts, lam, consistency=False)
    torch.testing.assert_close(off, target)
    assert c2 == 0


def test_consistency_term_sends_gradient_to_the_original_scores():
    parts = torch.tensor([[0.9, -0.9]], requires_grad=True)
    lam = torch.tensor([[0.5, 0.5]])
    total, _, _ = continuous_scoring_loss(torch.tensor([0.5]), torch.tensor([0.5]), parts, lam)
    total.backward()
    assert parts.grad.abs().sum() > 0


def test_smooth_l1_is_quadratic_below_beta_and_linear_above():
    torch.testing.assert_close(smooth_l1(torch.tensor([0.5]), torch.tensor([0.0])), torch.tensor(0.125))
    torch.testing.assert_close(smooth_l1(torch.tensor([3.0]), torch.tensor([0.0])), torch.tensor(2.5))


def test_discrete_ablation_rounds_mixed_targets_to_plus_minus_one():
    s = torch.zeros(4)
    y_mix = torch.tensor([-0.9, -0.2, 0.3, 0.99])
    parts, lam = torch.zeros(4, 2), torch.full((4, 2), 0.5)
    total, target, _ = discrete_scoring_loss(s, y_mix, parts, lam, consistency=False)
    torch.testing.assert_close(target, smooth_l1(s, torch.tensor([-1.0, -1.0, 1.0, 1.0])))


def test_regression_ablation_is_smooth_l1_against_discrete_targets():
    s = torch.tensor([0.2, -0.4, 0.7])
    y = torch.tensor([-1.0, -1.0, 1.0])
    torch.testing.assert_close(regression_loss(s, y), torch.nn.functional.smooth_l1_loss(s, y))


def test_deviation_ablation_uses_the_shared_per_sample_deviation_loss():
    # one deviation loss for DevNet, FeaWAD and RoSAS's L_dev (adlab.components.losses)
    from adlab.components import interpolation, losses
    from adlab.models.rosas import RoSAS

    assert not hasattr(interpolation, "deviation_loss")
    s = torch.zeros(4, requires_grad=True)
    y = torch.tensor([-1.0, -1.0, 1.0, 1.0])
    det = RoSAS(loss="deviation")
    loss = det._scoring_loss(s + 0.3, y, None, None, None, torch.Generator().manual_seed(0))
    mu, sigma = losses.gaussian_reference(5000, torch.Generator().manual_seed(0), "cpu")
    expected = losses.deviation_loss(losses.deviation(s.detach() + 0.3, mu, sigma), y > 0, 5.0).mean()
    torch.testing.assert_close(loss.detach(), expected)
    loss.backward()
    assert (s.grad[:2] > 0).all(), "unlabeled scores are pushed down (towards the reference mean)"
    assert (s.grad[2:] < 0).all(), "labeled anomalies are pushed up"


# ------------------------------------------------------------------ regulariser L', Eq. (5)
def test_feature_regularizer_equals_torch_triplet_margin_loss():
    g = torch.Generator().manual_seed(0)
    a, p, n = (torch.randn(32, 8, generator=g) for _ in range(3))
    for e in (1.0, 5.0):
        torch.testing.assert_close(feature_regularizer(a, p, n, e), torch.nn.TripletMarginLoss(margin=e)(a, p, n))


def test_feature_regularizer_is_zero_when_anomalies_are_beyond_the_margin():
    g = torch.Generator().manual_seed(0)
    anchors = torch.randn(16, 4, generator=g) * 0.1
    unlabeled = anchors + torch.randn(16, 4, generator=g) * 0.1
    anomalies = anchors + 10.0
    assert feature_regularizer(anchors, unlabeled, anomalies, margin=1.0) == 0
    assert feature_regularizer(anchors, anomalies, unlabeled, margin=1.0) > 0
    close = anchors + 0.05
    assert feature_regularizer(anchors, unlabeled, close, margin=1.0) > 0


def test_feature_regularizer_rejects_negative_margin():
    a = torch.zeros(2, 2)
    with pytest.raises(ValueError, match="margin"):
        feature_regularizer(a, a, a, margin=-1)


def test_l2_embedding_penalty_is_frobenius_norm_of_the_sum():
    g = torch.Generator().manual_seed(0)
    a, p, n = (torch.randn(6, 3, generator=g) for _ in range(3))
    expected = float(np.sqrt(((a + p + n) ** 2).sum().item()))
    assert abs(float(l2_embedding_penalty(a, p, n)) - expected) < 1e-5
