"""Specifications of the MMNet estimator (adlab.models.mmnet): contract, switches, robustness, accuracy."""
import numpy as np
import pytest
import torch
from contract import ContractBattery, contract_data

from adlab.data.synthetic import inject_anomalies, make_base_normals
from adlab.evaluation.metrics import auc_pr, auc_roc
from adlab.models.mmnet import MMNet


class TestMMNetContract(ContractBattery):
    def make(self, **kw):
        return MMNet(epochs=3, memory_size=16, memory_dim=8, hidden_dim=16, **kw)


@pytest.fixture(scope="module")
def easy():
    return contract_data(n_normal=300, n_anomaly=30, d=6, n_labeled=10, seed=1)


def test_defaults_are_the_papers():
    p = MMNet().get_params()
    assert (p["memory_size"], p["lambda_mask"], p["lambda_kl"], p["margin"], p["score_lambda"]) == (128, 1.0, 1e-4, 5.0, 0.1)
    assert (p["mask"], p["addressing"], p["kl_reduction"]) == ("soft", "dot", "mean")
    assert p["label_fit_stop"] == 0.05      # adlab's label-free stop, not the paper's (Decision 16)


def test_default_score_is_the_log_odds_of_the_attention_parts_not_eq19():
    """Decision 14 (issue 13): −S_sum in log-odds form; Eq. (19) stays available as anomaly_score="full"."""
    assert MMNet().get_params()["anomaly_score"] == "logodds"


def test_defaults_that_keep_large_tables_from_collapsing():
    """Decision 13 (issue 13): a step budget, weight decay that holds the code norm, a KL loss bounded below,
    and Eq. (19) on standardised components."""
    p = MMNet().get_params()
    assert (p["max_steps_per_epoch"], p["weight_decay"], p["kl_log_eps"], p["score_scaling"]) == (100, 1e-5, 1e-12, "standard")


def test_the_kl_loss_is_bounded_below_however_large_the_logits():
    from adlab.components.memory import attention_weights, uniform_kl_loss

    logits = torch.tensor([[0.0, 1e3, -1e6, 5e7]])
    w, log_w = attention_weights(logits)
    exact = uniform_kl_loss(log_w).item()
    bounded = uniform_kl_loss(torch.log(w + 1e-12)).item()
    assert exact < -1e6                      # the exact form runs away with the logits ...
    assert bounded >= np.log(1e-12) + np.log(4) - 1e-3   # ... log(w + ε) cannot go below log ε + log N


def test_the_kl_gradient_vanishes_once_the_attention_saturates_with_the_default_eps():
    from adlab.components.memory import attention_weights, uniform_kl_loss

    for eps, expect_zero in ((1e-12, True), (0.0, False)):
        logits = torch.tensor([[0.0, 200.0, -50.0, 100.0]], requires_grad=True)
        w, log_w = attention_weights(logits)
        lw = torch.log(w + eps) if eps else log_w
        uniform_kl_loss(lw).sum().backward()
        assert (logits.grad.abs().max().item() < 1e-9) is expect_zero


@pytest.mark.parametrize("switch", [
    {"mask": "soft"}, {"mask": "hard"}, {"mask": "none"},
    {"anomaly_score": "logodds"}, {"anomaly_score": "full"}, {"anomaly_score": "sum"}, {"anomaly_score": "kl"}, {"anomaly_score": "mse"},
    {"kl_reduction": "sum"}, {"addressing": "cosine"}, {"batch_sampling": "shuffle"}, {"shrink_threshold": 0.0},
])
def test_each_switch_fits_and_gives_finite_scores(easy, switch):
    X, y, _ = easy
    det = MMNet(epochs=2, memory_size=16, memory_dim=8, hidden_dim=16, random_state=0, device="cpu", **switch).fit(X, y)
    s = det.decision_function(X)
    assert s.shape == (len(X),) and np.isfinite(s).all()
    assert len(det.history_) == 2 and all(np.isfinite(list(row.values())).all() for row in det.history_)


def test_memory_weight_decay_decays_only_the_memory_items(easy):
    X, y, _ = easy
    # Adam moves a weight by about lr per step whatever the gradient, so a visible shrink needs lr × steps
    # of the items' scale (≈ 0.1): lr 1e-2 over 10 epochs
    kw = dict(epochs=10, lr=1e-2, random_state=0, device="cpu", weight_decay=0.0)
    base = MMNet(**kw).fit(X, y)
    same = MMNet(memory_weight_decay=0.0, **kw).fit(X, y)   # an explicit 0 equals weight_decay=0 everywhere
    assert np.array_equal(base.decision_function(X), same.decision_function(X))
    strong = MMNet(memory_weight_decay=10.0, **kw).fit(X, y)
    items = lambda d: d.modules_["net"].memory.weight.detach()  # noqa: E731
    enc = lambda d: next(d.modules_["net"].encoder.parameters()).detach()  # noqa: E731
    assert items(strong).norm() < 0.5 * items(base).norm()
    assert not torch.equal(enc(strong), enc(base)) and enc(strong).norm() > 0.5 * enc(base).norm()
    with pytest.raises(ValueError, match="memory_weight_decay"):
        MMNet(memory_weight_decay=-1.0, epochs=1, device="cpu").fit(X, y)


def test_score_switch_selects_the_matching_component(easy):
    X, y, _ = easy
    det = MMNet(epochs=2, memory_size=16, memory_dim=8, hidden_dim=16, random_state=0, device="cpu").fit(X, y)
    c = det.score_components(X)
    m_sum, sd_sum, m_kl, sd_kl = det.score_stats_
    np.testing.assert_allclose(det.decision_function(X), c["logodds"], atol=1e-6)
    np.testing.assert_allclose(c["full"], -((c["s_sum"] - m_sum) / sd_sum + 0.1 * (c["s_kl"] - m_kl) / sd_kl),
                               atol=1e-5)
    expected = {"sum": -c["s_sum"], "kl": -c["s_kl"], "mse": c["reconstruction"], "full": c["full"],
                "logodds": c["logodds"]}
    for name, value in expected.items():
        det.set_params(anomaly_score=name)
        np.testing.assert_allclose(det.decision_function(X), value, atol=1e-6)


def test_score_statistics_are_those_of_the_unlabeled_training_rows(easy):
    X, y, _ = easy
    det = MMNet(epochs=2, memory_size=16, memory_dim=8, hidden_dim=16, random_state=0, device="cpu").fit(X, y)
    c = det.score_components(X[y == 0])
    np.testing.assert_allclose(det.score_stats_, [c["s_sum"].mean(), c["s_sum"].std(), c["s_kl"].mean(),
                                                  c["s_kl"].std()], rtol=1e-5, atol=1e-8)


def test_score_scaling_none_is_the_literal_eq19_and_ranks_differently_from_standard(easy):
    X, y, _ = easy
    kw = dict(epochs=2, memory_size=16, memory_dim=8, hidden_dim=16, random_state=0, device="cpu", anomaly_score="full")
    raw = MMNet(score_scaling="none", **kw).fit(X, y)
    c = raw.score_components(X)
    np.testing.assert_allclose(raw.decision_function(X), -(c["s_sum"] + 0.1 * c["s_kl"]), atol=1e-6)
    std = MMNet(**kw).fit(X, y)   # same seed, same network: only the combination differs
    np.testing.assert_allclose(std.score_components(X)["s_sum"], c["s_sum"], atol=1e-6)
    assert not np.allclose(np.argsort(std.decision_function(X)), np.argsort(raw.decision_function(X)))


def test_attention_rows_sum_to_one_and_shrunk_rows_renormalise(easy):
    X, y, _ = easy
    det = MMNet(epochs=2, memory_size=16, memory_dim=8, hidden_dim=16, random_state=0, device="cpu").fit(X, y)
    att = det.attention(X)
    assert att["w"].shape == (len(X), 16)
    np.testing.assert_allclose(att["w"].sum(1), 1.0, atol=1e-5)
    np.testing.assert_allclose(att["w_hat"].sum(1), 1.0, atol=1e-5)
    assert (att["w_hat"] == 0).any(), "shrinkage should switch some items off"
    assert det.memory_items().shape == (16, 8) and det.encode(X).shape == (len(X), 8)


@pytest.mark.parametrize("score", ["logodds", "full", "sum", "kl", "mse"])
@pytest.mark.parametrize("addressing", ["dot", "cosine"])
def test_scores_are_finite_on_inputs_far_outside_the_training_range(easy, score, addressing):
    X, y, _ = easy
    det = MMNet(epochs=2, memory_size=16, memory_dim=8, hidden_dim=16, anomaly_score=score, addressing=addressing,
                random_state=0, device="cpu").fit(X, y)
    far = np.array([[1e6] * 6, [-1e6] * 6, [1e6, -1e6, 0, 0, 1e6, 0]], dtype=np.float32)
    assert np.isfinite(det.decision_function(far)).all()
    assert all(np.isfinite(v).all() for v in det.score_components(far).values())


def test_training_separates_the_memory_parts(easy):
    """With the soft mask, unlabeled rows end up attending to M_u and labeled anomalies to M_l."""
    X, y, _ = easy
    det = MMNet(epochs=30, random_state=0, device="cpu").fit(X, y)
    assert det.history_[-1]["w_u_unlabeled"] > 0.8
    assert det.history_[-1]["w_l_labeled"] > 0.8
    assert det.history_[-1]["mask"] < det.history_[0]["mask"]


@pytest.mark.parametrize("bad, match", [
    ({"mask": "soft-ish"}, "mask"), ({"anomaly_score": "max"}, "anomaly_score"), ({"memory_size": 7}, "even"),
    ({"batch_sampling": "random"}, "batch_sampling"), ({"labeled_fraction": 1.0}, "labeled_fraction"),
    ({"kl_reduction": "max"}, "kl_reduction"), ({"score_scaling": "minmax"}, "score_scaling"), ({"addressing": "l2"}, "addressing"),
    ({"shrink_threshold": 1.5}, "shrink_threshold"), ({"lr_decay": 0.0}, "lr_decay"),
])
def test_bad_options_raise_clear_value_errors(easy, bad, match):
    X, y, _ = easy
    with pytest.raises(ValueError, match=match):
        MMNet(epochs=1, **bad).fit(X, y)


def _unseen_split(seed=0):
    """Normals from a correlated Gaussian mixture; 30 labeled *dependency* anomalies (+2 % of the
    unlabeled set as hidden ones) for training; the test set holds normals and *global* anomalies,
    a type never seen in training. Min-max scaled on the training data."""
    rng = np.random.default_rng(seed)
    normals = make_base_normals(1500, 8, random_state=seed)
    tr_n, te_n = normals[:1200], normals[1200:]
    known = inject_anomalies(tr_n, "dependency", 30 + 24, random_state=rng)
    unseen = inject_anomalies(tr_n, "global", 30, random_state=rng)
    X_train = np.vstack([tr_n, known[30:], known[:30]])
    y_train = np.r_[np.zeros(len(tr_n) + 24), np.ones(30)].astype(int)
    lo, hi = X_train.min(0), X_train.max(0)
    scale = lambda a: ((a - lo) / (hi - lo)).astype(np.float32)  # noqa: E731
    X_test = np.vstack([te_n, unseen])
    y_test = np.r_[np.zeros(len(te_n)), np.ones(len(unseen))].astype(int)
    return scale(X_train), y_train, scale(X_test), y_test


def test_auc_pr_floor_on_an_anomaly_type_unseen_in_training():
    X_train, y_train, X_test, y_test = _unseen_split()
    torch.set_num_threads(1)
    det = MMNet(epochs=20, random_state=0, device="cpu").fit(X_train, y_train)
    s = det.decision_function(X_test)
    prevalence = y_test.mean()
    assert auc_roc(y_test, s) > 0.85
    assert auc_pr(y_test, s) > max(0.5, 4 * prevalence), f"AUC-PR {auc_pr(y_test, s):.3f} (prevalence {prevalence:.3f})"


def test_label_fit_stop_ends_training_once_the_mask_loss_falls_below_the_ratio(easy):
    """The label-free stop (Decision 16): after the first epoch whose mean soft-mask loss is below
    label_fit_stop × the first epoch's, training ends with that epoch's weights; None trains the whole budget."""
    X, y, _ = easy
    kw = dict(epochs=8, memory_size=16, memory_dim=8, hidden_dim=16, random_state=0, device="cpu")
    full = MMNet(**kw, label_fit_stop=None).fit(X, y)
    assert len(full.history_) == 8
    ms = [h["mask"] for h in full.history_]
    ratio = 0.5 * (1 + min(ms[1:]) / ms[0])             # a ratio this run crosses before its end
    stop = next(i for i, v in enumerate(ms) if i > 0 and v < ratio * ms[0])
    det = MMNet(**kw, label_fit_stop=ratio).fit(X, y)
    assert len(det.history_) == stop + 1 < 8
    np.testing.assert_allclose([h["mask"] for h in det.history_], ms[:stop + 1], rtol=1e-6)
    short = MMNet(**{**kw, "epochs": stop + 1}, label_fit_stop=None).fit(X, y)   # the same weights
    np.testing.assert_allclose(det.decision_function(X), short.decision_function(X), rtol=1e-5, atol=1e-6)
    for bad in (0, 1.0, 1.5, True, "0.1"):
        with pytest.raises(ValueError, match="label_fit_stop"):
            MMNet(epochs=1, device="cpu", label_fit_stop=bad).fit(X, y)


def test_label_fit_stop_never_fires_without_the_soft_mask(easy):
    """With mask="hard" or "none" the mask loss is 0 from the first epoch, so the ratio rule has nothing to
    compare and the whole budget is trained."""
    X, y, _ = easy
    for mask in ("hard", "none"):
        det = MMNet(epochs=4, memory_size=16, memory_dim=8, hidden_dim=16, mask=mask, label_fit_stop=0.5,
                    random_state=0, device="cpu").fit(X, y)
        assert len(det.history_) == 4
