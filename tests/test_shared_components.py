"""Shared components: dynamic weight averaging, balanced sampling, MLP builder."""
import math

import pytest
import torch

from adlab.components.balancing import DynamicWeightAveraging, dwa_weights
from adlab.components.networks import mlp
from adlab.components.sampling import BalancedBatchSampler, sample_without_replacement


def test_dwa_weights_sum_to_one_and_favour_the_slowest_loss():
    w = dwa_weights(torch.tensor([1.0, 0.5, 0.2]), temperature=2.0)
    assert torch.isclose(w.sum(), torch.tensor(1.0))
    assert w[0] > w[1] > w[2]


def test_dwa_first_epoch_uses_unit_previous_means_and_matches_the_formula():
    dwa = DynamicWeightAveraging(2, temperature=2.0)
    l1, l2 = torch.tensor(0.4, requires_grad=True), torch.tensor(1.2, requires_grad=True)
    total = dwa.combine([l1, l2])
    e1, e2 = math.exp(0.4 / 2), math.exp(1.2 / 2)
    expected = (e1 * 0.4 + e2 * 1.2) / (e1 + e2)
    assert total.item() == pytest.approx(expected, rel=1e-6)
    total.backward()
    assert l1.grad is not None and l2.grad is not None


def test_dwa_epoch_means_become_the_reference_levels():
    dwa = DynamicWeightAveraging(2)
    for a, b in [(1.0, 2.0), (3.0, 4.0)]:
        dwa.combine([torch.tensor(a), torch.tensor(b)])
    assert dwa.end_epoch() == pytest.approx([2.0, 3.0])
    w = dwa.weights([torch.tensor(2.0), torch.tensor(3.0)])  # both ratios equal 1
    torch.testing.assert_close(w, torch.tensor([0.5, 0.5]))


def test_dwa_detach_stops_gradients_through_the_weights():
    l1 = torch.tensor(0.5, requires_grad=True)
    w = DynamicWeightAveraging(2, detach=True).weights([l1, torch.tensor(1.0)])
    assert not w.requires_grad


def test_dwa_epoch_mode_is_uniform_for_two_epochs_then_uses_the_descent_ratio():
    dwa = DynamicWeightAveraging(2, mode="epoch")
    for a, b in [(1.0, 1.0), (0.5, 1.0)]:
        torch.testing.assert_close(dwa.weights([torch.tensor(a), torch.tensor(b)]), torch.tensor([0.5, 0.5]))
        dwa.combine([torch.tensor(a), torch.tensor(b)])
        dwa.end_epoch()
    w = dwa.weights([torch.tensor(0.1), torch.tensor(0.1)])
    assert w[1] > w[0]  # loss 2 did not descend, so it gets more weight


def test_dwa_rejects_bad_settings():
    with pytest.raises(ValueError, match="mode"):
        DynamicWeightAveraging(2, mode="sometimes")
    with pytest.raises(ValueError, match="temperature"):
        DynamicWeightAveraging(2, temperature=0)
    with pytest.raises(ValueError, match="expected 2 losses"):
        DynamicWeightAveraging(2).weights([torch.tensor(1.0)])


@pytest.mark.parametrize("n,k", [(10, 10), (100, 7), (100_000, 300)])
def test_sample_without_replacement_gives_distinct_in_range_indices(n, k):
    g = torch.Generator().manual_seed(0)
    idx = sample_without_replacement(n, k, g, "cpu")
    assert idx.shape == (k,) and idx.unique().numel() == k
    assert int(idx.min()) >= 0 and int(idx.max()) < n


def test_balanced_sampler_draws_unlabeled_and_anomalies_from_their_own_pools():
    u_idx, a_idx = torch.arange(0, 50), torch.tensor([60, 61])
    sampler = BalancedBatchSampler(u_idx, a_idx, b_u=16, b_a=8, generator=torch.Generator().manual_seed(1))
    u, a = sampler.sample()
    assert u.shape == (16,) and u.unique().numel() == 16 and bool((u < 50).all())
    assert a.shape == (8,) and set(a.tolist()) <= {60, 61}


def test_balanced_sampler_is_deterministic_with_a_seeded_generator():
    args = (torch.arange(1000), torch.arange(1000, 1010), 32, 4)
    s1 = BalancedBatchSampler(*args, generator=torch.Generator().manual_seed(5)).sample()
    s2 = BalancedBatchSampler(*args, generator=torch.Generator().manual_seed(5)).sample()
    assert all(torch.equal(a, b) for a, b in zip(s1, s2))


def test_balanced_sampler_needs_anomalies_when_b_a_is_positive():
    with pytest.raises(ValueError, match="no labeled anomalies"):
        BalancedBatchSampler(torch.arange(10), torch.arange(0), 4, 2, torch.Generator())


def test_mlp_builds_the_requested_widths_and_activations():
    net = mlp([5, 4, 3], activation="relu", final_activation="identity")
    assert net(torch.zeros(2, 5)).shape == (2, 3)
    assert isinstance(net[1], torch.nn.ReLU) and isinstance(net[3], torch.nn.Identity)
    with pytest.raises(ValueError, match="activation"):
        mlp([3, 2], activation="swish")


def test_hyperparameter_checks_name_the_bad_parameter():
    import numpy as np

    from adlab.models.base import check_choice, check_int, check_number

    check_choice("mask", "soft", ("soft", "hard"))
    check_int("epochs", np.int64(3))
    check_number("lr", 1e-3, strict=True)
    with pytest.raises(ValueError, match="mask must be one of"):
        check_choice("mask", "soft-ish", ("soft", "hard"))
    for bad in (0, 2.0, True, "3"):
        with pytest.raises(ValueError, match="epochs must be a positive integer"):
            check_int("epochs", bad)
    with pytest.raises(ValueError, match="pretrain_epochs must be a non-negative integer"):
        check_int("pretrain_epochs", -1, minimum=0)
    for bad in (0, float("nan"), "x"):
        with pytest.raises(ValueError, match="lr must be > 0"):
            check_number("lr", bad, strict=True)
    with pytest.raises(ValueError, match="margin must be >= 0"):
        check_number("margin", -1)


def test_balanced_sampler_covers_every_unlabeled_row_once_per_pass():
    u_idx = torch.arange(100, 200)
    sampler = BalancedBatchSampler(u_idx, torch.tensor([0]), b_u=25, b_a=1,
                                   generator=torch.Generator().manual_seed(3))
    seen = torch.cat([sampler.sample()[0] for _ in range(4)])
    assert sorted(seen.tolist()) == list(range(100, 200))


def test_balanced_sampler_drops_a_short_remainder_and_never_repeats_a_row_within_a_batch():
    sampler = BalancedBatchSampler(torch.arange(10), torch.tensor([10]), b_u=4, b_a=1,
                                   generator=torch.Generator().manual_seed(0))
    for _ in range(20):
        u, _ = sampler.sample()
        assert u.numel() == 4 and u.unique().numel() == 4


def test_balanced_sampler_is_sync_free_on_cuda():
    if not torch.cuda.is_available():
        pytest.skip("needs CUDA")
    dev = torch.device("cuda")
    sampler = BalancedBatchSampler(torch.arange(10_000, device=dev), torch.arange(3, device=dev), 128, 8,
                                   generator=torch.Generator(device=dev).manual_seed(0))
    torch.cuda.set_sync_debug_mode("error")
    try:
        for _ in range(200):
            sampler.sample()
    finally:
        torch.cuda.set_sync_debug_mode("default")
