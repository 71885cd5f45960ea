"""Specifications of MNPWAD's components: prototypes (Eq. 6–9), losses (Eq. 3–5, 12),
pretraining, and the shared DWA (Eq. 13)."""
import numpy as np
import pytest
import torch

from adlab.components.balancing import DynamicWeightAveraging
from adlab.components.losses import reconstruction_error, weighted_reconstruction_loss, weighted_score_loss
from adlab.components.pretraining import build_autoencoder, default_hidden_dims, pretrain_autoencoder
from adlab.components.prototypes import (
    clustering_kl_loss,
    init_prototypes_kmeans,
    normality_weights,
    prototype_contrastive_loss,
    soft_assignment,
    student_t_similarity,
    target_distribution,
)


@pytest.fixture
def gen():
    return torch.Generator().manual_seed(0)


# ---------------------------------------------------------------------------------- Eq. (6)
def test_similarity_lies_in_unit_interval_and_is_one_at_the_prototype(gen):
    z = torch.randn(64, 8, generator=gen)
    u = torch.randn(5, 8, generator=gen)
    s = student_t_similarity(z, u)
    assert s.shape == (64, 5)
    assert (s > 0).all() and (s <= 1).all()
    # unit vectors: d² <= 4, so with α = 1 s >= 1/5
    assert s.min() >= 0.2 - 1e-6
    s_self = student_t_similarity(u, u)
    torch.testing.assert_close(torch.diagonal(s_self), torch.ones(5))


def test_similarity_matches_the_student_t_formula_and_ignores_scale_when_normalised(gen):
    z = torch.randn(10, 4, generator=gen)
    u = torch.randn(3, 4, generator=gen)
    alpha = 2.5
    zn, un = z / z.norm(dim=1, keepdim=True), u / u.norm(dim=1, keepdim=True)
    d2 = ((zn[:, None] - un[None]) ** 2).sum(-1)
    expected = (1 + d2 / alpha) ** (-(alpha + 1) / 2)
    torch.testing.assert_close(student_t_similarity(z, u, alpha=alpha), expected)
    torch.testing.assert_close(student_t_similarity(3 * z, 0.5 * u), student_t_similarity(z, u))
    raw = student_t_similarity(z, u, normalize=False)
    torch.testing.assert_close(raw, 1 / (1 + ((z[:, None] - u[None]) ** 2).sum(-1)))


def test_similarity_rejects_mismatched_shapes_and_bad_alpha():
    with pytest.raises(ValueError, match="same H"):
        student_t_similarity(torch.zeros(3, 4), torch.zeros(2, 5))
    with pytest.raises(ValueError, match="alpha"):
        student_t_similarity(torch.ones(3, 4), torch.ones(2, 4), alpha=0)


# ---------------------------------------------------------------------------------- Eq. (7)
def test_normality_weights_lie_between_sigmoid_zero_and_sigmoid_beta(gen):
    s_max = torch.rand(200, generator=gen).clamp_min(1e-4)
    for beta in (0.5, 1.0, 3.0):
        w = normality_weights(s_max, beta=beta)
        assert (w > torch.sigmoid(torch.tensor(0.0))).all()
        assert (w <= torch.sigmoid(torch.tensor(beta)) + 1e-7).all()
    # monotone: more similar -> more likely normal
    w = normality_weights(torch.tensor([0.2, 0.5, 1.0]))
    assert (w.diff() > 0).all()


def test_renormalised_weights_average_one():
    w = normality_weights(torch.tensor([0.2, 0.4, 0.9, 1.0]), renormalize=True)
    torch.testing.assert_close(w.mean(), torch.tensor(1.0))


# ---------------------------------------------------------------------------------- Eq. (8)
def test_soft_assignment_and_target_rows_sum_to_one_and_target_is_sharper(gen):
    s = student_t_similarity(torch.randn(50, 8, generator=gen), torch.randn(4, 8, generator=gen))
    q = soft_assignment(s)
    p = target_distribution(q)
    torch.testing.assert_close(q.sum(1), torch.ones(50))
    torch.testing.assert_close(p.sum(1), torch.ones(50))
    assert (p >= 0).all()
    # squaring sharpens: the largest entry of each row does not shrink on average
    assert p.max(1).values.mean() >= q.max(1).values.mean()


def test_target_distribution_matches_the_dec_formula():
    q = torch.tensor([[0.7, 0.3], [0.4, 0.6], [0.5, 0.5]])
    f = q.sum(0)
    p = q ** 2 / f
    p = p / p.sum(1, keepdim=True)
    torch.testing.assert_close(target_distribution(q), p)


def test_kl_is_non_negative_and_zero_only_for_equal_distributions(gen):
    q = soft_assignment(torch.rand(30, 3, generator=gen) + 0.1)
    p = target_distribution(q)
    assert clustering_kl_loss(p, q) > 0
    assert clustering_kl_loss(p, q, reduction="mean") > 0
    torch.testing.assert_close(clustering_kl_loss(p, q, "sum") / 30, clustering_kl_loss(p, q, "mean"))
    torch.testing.assert_close(clustering_kl_loss(q, q), torch.tensor(0.0), atol=1e-6, rtol=0)
    with pytest.raises(ValueError, match="reduction"):
        clustering_kl_loss(p, q, reduction="max")


# ---------------------------------------------------------------------------------- Eq. (9)
def test_contrastive_loss_decreases_when_anomalies_move_away_from_prototypes(gen):
    u = torch.randn(3, 8, generator=gen)
    normals = u.repeat_interleave(20, 0) + 0.05 * torch.randn(60, 8, generator=gen)
    s_u = student_t_similarity(normals, u).max(1).values
    near = u[:1] + 0.3 * torch.randn(4, 8, generator=gen)
    far = -u[:1] + 0.05 * torch.randn(4, 8, generator=gen)   # antipodal after normalisation
    loss_near = prototype_contrastive_loss(s_u, student_t_similarity(near, u).max(1).values)
    loss_far = prototype_contrastive_loss(s_u, student_t_similarity(far, u).max(1).values)
    assert loss_far < loss_near
    w = normality_weights(s_u)
    expected = -torch.log(torch.sigmoid((w * s_u).mean() - student_t_similarity(far, u).max(1).values.mean()))
    torch.testing.assert_close(prototype_contrastive_loss(s_u, student_t_similarity(far, u).max(1).values, w),
                               expected)


def test_contrastive_loss_gradient_pushes_anomaly_similarity_down():
    s_a = torch.tensor([0.8, 0.9], requires_grad=True)
    prototype_contrastive_loss(torch.tensor([0.9, 0.95]), s_a).backward()
    assert (s_a.grad > 0).all()     # gradient descent lowers the anomalies' similarity


# ---------------------------------------------------------------------------------- k-means init
def test_silhouette_picks_three_prototypes_on_three_clusters():
    rng = np.random.default_rng(0)
    centers = np.array([[0, 0, 5, 0], [5, 5, 0, 0], [-5, 5, 0, 5]], float)
    emb = np.concatenate([c + 0.3 * rng.standard_normal((150, 4)) for c in centers])
    got, k, scores = init_prototypes_kmeans(emb, random_state=0)
    assert k == 3
    assert got.shape == (3, 4) and got.dtype == np.float32
    assert max(scores, key=scores.get) == 3 and set(scores) == set(range(2, 11))
    # each true centre has a prototype close to it
    assert np.abs(got[:, None] - centers[None]).sum(-1).min(0).max() < 0.5


def test_fixed_number_of_prototypes_including_one():
    emb = np.random.default_rng(1).standard_normal((100, 8))
    c1, k1, s1 = init_prototypes_kmeans(emb, n_prototypes=1, random_state=0)
    assert k1 == 1 and c1.shape == (1, 8) and s1 == {}
    np.testing.assert_allclose(c1[0], emb.mean(0), atol=1e-5)
    with pytest.raises(ValueError, match="n_prototypes"):
        init_prototypes_kmeans(emb, n_prototypes=0)
    with pytest.raises(ValueError, match="k_range"):
        init_prototypes_kmeans(emb, k_range=(1, 5))


# ---------------------------------------------------------------------------------- Eq. (3)–(5), (12)
def test_reconstruction_error_kinds():
    x = torch.tensor([[0.0, 0.0], [1.0, 1.0]])
    x_hat = torch.tensor([[0.2, 0.0], [1.0, 3.0]])
    torch.testing.assert_close(reconstruction_error(x, x_hat, "mse"), torch.tensor([0.02, 2.0]))
    # Huber β=1: 0.5·d² below 1, |d| − 0.5 above
    torch.testing.assert_close(reconstruction_error(x, x_hat, "smooth_l1"), torch.tensor([0.01, 0.75]))
    with pytest.raises(ValueError, match="kind"):
        reconstruction_error(x, x_hat, "l1")


def test_hinge_is_zero_when_anomalies_are_already_beyond_the_margin():
    e_u = torch.tensor([0.01, 0.02, 0.03])
    w = torch.ones(3)
    loss, l_u, l_a = weighted_reconstruction_loss(e_u, torch.tensor([0.2, 0.5]), w, margin=0.02)
    torch.testing.assert_close(l_u, torch.tensor(0.02))
    assert l_a == 0
    torch.testing.assert_close(loss, l_u)
    # an anomaly reconstructed as well as the normals costs the full margin
    _, _, l_a = weighted_reconstruction_loss(e_u, torch.tensor([0.02]), w, margin=0.02)
    torch.testing.assert_close(l_a, torch.tensor(0.02))


def test_weighted_reconstruction_uses_the_weights():
    e_u = torch.tensor([0.1, 0.3])
    _, l_u, _ = weighted_reconstruction_loss(e_u, torch.tensor([]), torch.tensor([1.0, 0.0]))
    torch.testing.assert_close(l_u, torch.tensor(0.05))


def test_score_loss_is_zero_for_perfect_scores_and_positive_otherwise():
    for kind in ("smooth_l1", "mse", "bce"):
        perfect = weighted_score_loss(torch.zeros(4), torch.ones(2), torch.ones(4), kind=kind)
        assert perfect < 1e-5
        wrong = weighted_score_loss(torch.ones(4), torch.zeros(2), torch.ones(4), kind=kind)
        assert wrong > 0.4
    # smooth L1 on [0, 1] is 0.5 · squared error
    v = weighted_score_loss(torch.tensor([0.4]), torch.tensor([0.5]), None, kind="smooth_l1")
    torch.testing.assert_close(v, torch.tensor(0.5 * 0.16 + 0.5 * 0.25))
    with pytest.raises(ValueError, match="kind"):
        weighted_score_loss(torch.zeros(2), torch.ones(1), None, kind="hinge")


# ---------------------------------------------------------------------------------- Eq. (13)
def test_dwa_weights_sum_to_one_through_the_shared_module():
    dwa = DynamicWeightAveraging(3)
    losses = [torch.tensor(0.5, requires_grad=True), torch.tensor(2.0, requires_grad=True),
              torch.tensor(1.0, requires_grad=True)]
    total = dwa.combine(losses)
    torch.testing.assert_close(dwa.last_weights.sum(), torch.tensor(1.0))
    assert total.requires_grad
    dwa.end_epoch()
    dwa.combine([torch.tensor(0.5), torch.tensor(1.0), torch.tensor(1.0)])
    torch.testing.assert_close(dwa.last_weights.sum(), torch.tensor(1.0))
    # the loss that fell most relative to its previous mean gets the smallest weight
    assert dwa.last_weights.argmin() == 1


# ---------------------------------------------------------------------------------- pretraining
def test_default_hidden_dims_follow_the_reference():
    assert default_hidden_dims(16) == (12, 8)
    assert default_hidden_dims(10) == (9, 8)
    assert default_hidden_dims(62) == (35, 8)


def test_default_hidden_dims_widen_between_d_and_h_when_d_is_at_most_h():
    # the docstring once claimed "the first width is just D" for D <= H; the formula widens instead
    assert default_hidden_dims(4) == (6, 8)
    assert default_hidden_dims(5) == (7, 8)
    assert default_hidden_dims(8) == (8, 8)


def test_autoencoder_has_leaky_relu_after_every_layer():
    enc, dec = build_autoencoder(16, (12, 8))
    assert [type(m).__name__ for m in enc] == ["Linear", "LeakyReLU", "Linear", "LeakyReLU"]
    assert [type(m).__name__ for m in dec] == ["Linear", "LeakyReLU", "Linear", "LeakyReLU"]
    assert enc(torch.zeros(3, 16)).shape == (3, 8) and dec(torch.zeros(3, 8)).shape == (3, 16)


def test_pretraining_lowers_reconstruction_error_and_is_deterministic(gen):
    torch.manual_seed(0)
    basis = torch.randn(3, 12, generator=gen)
    X = torch.sigmoid(torch.randn(600, 3, generator=gen) @ basis)
    torch.manual_seed(0)
    enc0, dec0 = build_autoencoder(12, (10, 6))
    before = reconstruction_error(X, dec0(enc0(X)), "mse").mean()
    torch.manual_seed(0)
    enc, dec, hist = pretrain_autoencoder(X, (10, 6), epochs=6, finetune_epochs=8,
                                          generator=torch.Generator().manual_seed(1))
    after = reconstruction_error(X, dec(enc(X)), "mse").mean()
    assert after < 0.5 * before
    assert [h["stage"] for h in hist].count("finetune") == 8
    assert {h["stage"] for h in hist} == {"layer1", "layer2", "finetune"}
    torch.manual_seed(0)
    enc2, dec2, _ = pretrain_autoencoder(X, (10, 6), epochs=6, finetune_epochs=8,
                                         generator=torch.Generator().manual_seed(1))
    torch.testing.assert_close(enc2(X), enc(X))


def test_pretraining_with_validation_stops_early_and_logs_val_loss(gen):
    X = torch.rand(300, 6, generator=gen)
    torch.manual_seed(0)
    _, _, hist = pretrain_autoencoder(X, (5, 3), epochs=200, finetune_epochs=200, X_val=X[:50], patience=2,
                                      min_delta=1.0, generator=gen)
    assert all("val_loss" in h for h in hist)
    assert len(hist) == 3 * 3      # min_delta=1 never improves after the first epoch: stop after 1+2 epochs


def test_per_batch_dec_without_stop_gradient_collapses_prototypes_but_a_fixed_target_does_not():
    """Why ``MNPWAD(dec=...)`` matters: KL(P(Q)‖Q) with gradients through P is 0 for identical
    prototypes (uniform Q); with P held fixed (textbook DEC) the prototypes stay apart."""
    g = torch.Generator().manual_seed(0)
    z = torch.cat([0.1 * torch.randn(100, 8, generator=g) + torch.eye(8)[i] for i in range(3)])
    init = torch.eye(8)[:3] + 0.3 * torch.randn(3, 8, generator=g)

    def optimise(detach_target: bool) -> torch.Tensor:
        u = torch.nn.Parameter(init.clone())
        opt = torch.optim.Adam([u], lr=0.05)
        for _ in range(300):
            q = soft_assignment(student_t_similarity(z, u))
            p = target_distribution(q)
            loss = clustering_kl_loss(p.detach() if detach_target else p, q)
            opt.zero_grad()
            loss.backward()
            opt.step()
        un = torch.nn.functional.normalize(u.detach(), dim=1)
        return (un @ un.T)[torch.triu_indices(3, 3, 1).unbind()]    # pairwise cosines

    collapsing = optimise(detach_target=False)
    fixed = optimise(detach_target=True)
    assert fixed.max() < 0.0                  # three distinct prototypes, as initialised
    assert collapsing.mean() > 0.4            # drifting onto one direction (cos -> 1 with more steps)
