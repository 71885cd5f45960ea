"""Specifications of MMNet's memory maths (adlab.components.memory), equation by equation."""
import math

import numpy as np
import pytest
import torch

from adlab.components.losses import reconstruction_error
from adlab.components.memory import (
    LOG_WEIGHT_FLOOR, MemoryModule, attention_kl_score, attention_logodds_score, attention_sum_score, attention_weights, hard_mask_allowed,
    hard_shrinkage, l1_renormalise, margin_reconstruction_loss, memory_logits, memory_readout, mmnet_score,
    soft_mask_loss, uniform_kl_loss,
)


def _gen(seed=0):
    return torch.Generator().manual_seed(seed)


def test_logits_are_plain_dot_products_and_softmax_rows_sum_to_one():
    z = torch.randn(5, 4, generator=_gen())
    m = torch.randn(6, 4, generator=_gen(1))
    d = memory_logits(z, m)
    torch.testing.assert_close(d, torch.einsum("nc,jc->nj", z, m))
    w, log_w = attention_weights(d)
    torch.testing.assert_close(w.sum(1), torch.ones(5))
    torch.testing.assert_close(log_w, torch.log(torch.softmax(d, 1)))


def test_logits_reject_mismatched_dimensions():
    with pytest.raises(ValueError, match="same C"):
        memory_logits(torch.zeros(3, 4), torch.zeros(5, 3))


def test_shrinkage_zeroes_weights_at_or_below_threshold_and_keeps_the_others():
    w = torch.tensor([[0.5, 0.3, 0.1, 0.06, 0.04]])
    out = hard_shrinkage(w, threshold=0.1)
    assert (out[0, 2:] == 0).all()
    torch.testing.assert_close(out[0, :2], w[0, :2], atol=1e-9, rtol=1e-9)
    # the zeroed entries get no gradient
    w_req = w.clone().requires_grad_(True)
    hard_shrinkage(w_req, 0.1).sum().backward()
    assert (w_req.grad[0, 2:] == 0).all() and (w_req.grad[0, :2] > 0).all()


def test_attention_rows_sum_to_one_after_shrinkage_and_renormalisation():
    logits = torch.randn(64, 32, generator=_gen()) * 3
    w, _ = attention_weights(logits)
    shrunk = hard_shrinkage(w, 1 / 32)
    w_hat = l1_renormalise(shrunk, fallback=w)
    torch.testing.assert_close(w_hat.sum(1), torch.ones(64))
    assert (w_hat[shrunk == 0] == 0).all()
    assert (shrunk == 0).any(), "the test should exercise actual shrinkage"


def test_renormalisation_falls_back_to_softmax_for_an_all_zero_row():
    w = torch.full((2, 4), 0.25)
    shrunk = hard_shrinkage(w, 0.25)  # uniform attention at the threshold: every entry shrinks to 0
    assert (shrunk == 0).all()
    torch.testing.assert_close(l1_renormalise(shrunk, fallback=w), w)
    assert (l1_renormalise(shrunk) == 0).all()  # MemAE's behaviour without the fallback


def test_readout_is_the_weighted_sum_of_memory_items():
    m = torch.randn(4, 3, generator=_gen())
    w_hat = torch.tensor([[1.0, 0, 0, 0], [0.5, 0.5, 0, 0]])
    z_hat = memory_readout(w_hat, m)
    torch.testing.assert_close(z_hat[0], m[0])
    torch.testing.assert_close(z_hat[1], 0.5 * (m[0] + m[1]))


def test_memory_module_uses_xavier_uniform_bound_and_default_threshold():
    mem = MemoryModule(64, 64, 64)
    bound = math.sqrt(6 / (128 + 64))
    assert mem.weight.abs().max() <= bound and mem.weight.abs().max() > 0.9 * bound
    assert mem.shrink_threshold == pytest.approx(1 / 128)
    out = mem(torch.randn(10, 64, generator=_gen()))
    assert out["w"].shape == (10, 128) and out["z_hat"].shape == (10, 64)
    torch.testing.assert_close(out["w_hat"].sum(1), torch.ones(10))


def test_soft_mask_loss_is_zero_when_attention_is_on_the_right_part_and_one_when_wrong():
    k = 3
    w_on_normal = torch.tensor([[0.5, 0.3, 0.2, 0, 0, 0]])
    w_on_anomaly = torch.tensor([[0, 0, 0, 0.1, 0.1, 0.8]])
    assert soft_mask_loss(w_on_normal, torch.tensor([0]), k).item() == 0
    assert soft_mask_loss(w_on_anomaly, torch.tensor([1]), k).item() == 0
    assert soft_mask_loss(w_on_anomaly, torch.tensor([0]), k).item() == pytest.approx(1.0)
    assert soft_mask_loss(w_on_normal, torch.tensor([1]), k).item() == pytest.approx(1.0)


def test_soft_mask_gradient_moves_normal_memory_toward_unlabeled_queries_and_anomaly_memory_away():
    """Eq. (9)–(10): a gradient step on the mask loss of an unlabeled query z increases z·m_j for
    j in M_u and decreases it for j in M_l; the gradient equals the paper's closed form."""
    k, n_items, c = 4, 8, 5
    z = torch.randn(1, c, generator=_gen(2))
    m = (0.3 * torch.randn(n_items, c, generator=_gen(3))).requires_grad_(True)
    w, _ = attention_weights(memory_logits(z, m))
    soft_mask_loss(w, torch.tensor([0]), k).sum().backward()
    w = w.detach()[0]
    w_u = w[:k].sum()
    # Eq. (9): ∂L/∂m_j = −(1 − Σ_{i<K} w_i) w_j z for j < K;  Eq. (10): +(1 − Σ_{i≥K} w_i) w_j z for j ≥ K
    expected = torch.cat([-(1 - w_u) * w[:k, None] * z, (1 - (1 - w_u)) * w[k:, None] * z])
    torch.testing.assert_close(m.grad, expected)
    step = -m.grad  # gradient descent direction
    change_in_similarity = (step @ z[0])
    assert (change_in_similarity[:k] > 0).all(), "normal items must move toward the unlabeled query"
    assert (change_in_similarity[k:] < 0).all(), "anomaly items must move away from the unlabeled query"


def test_soft_mask_gradient_for_a_labeled_anomaly_has_the_opposite_sign():
    k = 4
    z = torch.randn(1, 5, generator=_gen(4))
    m = (0.3 * torch.randn(8, 5, generator=_gen(5))).requires_grad_(True)
    w, _ = attention_weights(memory_logits(z, m))
    soft_mask_loss(w, torch.tensor([1]), k).sum().backward()
    change = -m.grad @ z[0]
    assert (change[:k] < 0).all() and (change[k:] > 0).all()


def test_hard_mask_restricts_each_query_to_its_memory_part():
    allowed = hard_mask_allowed(torch.tensor([0, 1]), 3, 2)
    assert allowed.tolist() == [[True, True, True, False, False], [False, False, False, True, True]]
    w, log_w = attention_weights(torch.randn(2, 5, generator=_gen()), allowed)
    assert (w[~allowed] == 0).all()
    torch.testing.assert_close(w.sum(1), torch.ones(2))
    assert torch.isfinite(log_w).all()
    kl = uniform_kl_loss(log_w, "mean", allowed)
    assert torch.isfinite(kl).all() and (kl <= 1e-6).all()


def test_reconstruction_error_is_the_l2_norm_and_the_margin_hinge_applies_to_labeled_rows():
    x = torch.zeros(3, 2)
    x_hat = torch.tensor([[3.0, 4.0], [3.0, 4.0], [6.0, 8.0]])
    e = reconstruction_error(x, x_hat, "l2")
    torch.testing.assert_close(e, torch.tensor([5.0, 5.0, 10.0]))
    loss = margin_reconstruction_loss(x, x_hat, torch.tensor([0, 1, 1]), margin=7.0)
    torch.testing.assert_close(loss, torch.tensor([5.0, 2.0, 0.0]))


def test_kl_loss_is_minus_kl_to_uniform_zero_at_uniform_and_sum_variant_is_eq16():
    n_items = 8
    log_w_uniform = torch.full((2, n_items), -math.log(n_items))
    torch.testing.assert_close(uniform_kl_loss(log_w_uniform), torch.zeros(2), atol=1e-6, rtol=0)
    logits = torch.randn(3, n_items, generator=_gen())
    w, log_w = attention_weights(logits)
    u = torch.full_like(w, 1 / n_items)
    kl_u_w = (u * (u.log() - w.log())).sum(1)
    torch.testing.assert_close(uniform_kl_loss(log_w, "mean"), -kl_u_w)
    torch.testing.assert_close(uniform_kl_loss(log_w, "sum"), w.log().sum(1))
    with pytest.raises(ValueError, match="reduction"):
        uniform_kl_loss(log_w, "max")


@pytest.mark.parametrize("scale", [1e2, 1e4, 1e8, 1e30])
def test_kl_loss_and_score_never_nan_or_inf_even_when_attention_has_exact_zeros(scale):
    logits = torch.tensor([[scale, 0.0, -scale, 1.0], [0.0, 0.0, 0.0, 0.0]], requires_grad=True)
    w, log_w = attention_weights(logits)
    assert (w[0] == 0).any(), "the softmax should underflow in this test"
    loss = uniform_kl_loss(log_w, "mean").sum() + uniform_kl_loss(log_w, "sum").sum()
    assert torch.isfinite(loss)
    loss.backward()
    assert torch.isfinite(logits.grad).all()
    s_kl = attention_kl_score(log_w.detach())
    assert torch.isfinite(s_kl).all() and (s_kl >= -1e-6).all()
    assert log_w.min() >= LOG_WEIGHT_FLOOR


def test_score_signs_higher_is_more_anomalous():
    k = 2
    # a normal: peaked on M_u; a known anomaly: peaked on M_l; an unknown anomaly: uniform
    logits = torch.tensor([[6.0, 0, 0, 0], [0, 0, 6.0, 0], [0.0, 0, 0, 0]])
    w, log_w = attention_weights(logits)
    s_sum = attention_sum_score(w, k)
    s_kl = attention_kl_score(log_w)
    assert s_sum[0] > s_sum[2] > s_sum[1]
    assert s_kl[2] == pytest.approx(0.0, abs=1e-6) and s_kl[0] > 0 and s_kl[1] > 0
    s = mmnet_score(s_sum, s_kl, 0.1)
    torch.testing.assert_close(s, -(s_sum + 0.1 * s_kl))
    assert s[0] < s[1] and s[0] < s[2], "the normal must get the lowest score"


def test_scores_from_the_memory_module_are_finite_for_inputs_far_outside_the_data_range():
    mem = MemoryModule(4, 4, 3)
    out = mem(torch.full((2, 3), 1e6) * torch.tensor([[1.0], [-1.0]]))
    s = mmnet_score(attention_sum_score(out["w"], 4), attention_kl_score(out["log_w"]))
    assert torch.isfinite(s).all() and torch.isfinite(out["z_hat"]).all()
    torch.testing.assert_close(out["w_hat"].sum(1), torch.ones(2))


def test_log_odds_score_is_minus_logit_of_s_sum_and_keeps_ordering_where_s_sum_rounds_to_one():
    k = 2
    moderate = torch.tensor([[1.0, 0.5, -0.3, 0.2], [0.0, 0.0, 2.0, 1.0]])
    w, _ = attention_weights(moderate)
    s_sum = attention_sum_score(w, k)
    torch.testing.assert_close(attention_logodds_score(moderate, k), torch.log((1 - s_sum) / s_sum), atol=1e-5, rtol=0)
    # two normals, both far inside M_u: float32 S_sum is exactly 1.0 for both (a tie), the log-odds still
    # says which one is closer to M_l
    far = torch.tensor([[40.0, 0.0, 0.0, 0.0], [30.0, 0.0, 0.0, 0.0]])
    w, _ = attention_weights(far)
    s_sum = attention_sum_score(w, k)
    assert s_sum[0] == s_sum[1] == 1.0
    lo = attention_logodds_score(far, k)
    assert torch.isfinite(lo).all() and lo[1] > lo[0]
