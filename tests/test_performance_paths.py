"""Specifications of the performance switches (``adlab.config.set_performance``) and the fast paths
of ``TorchDetector``: thread count during fit, bounded-memory scoring in chunks, bf16 autocast and
``torch.compile`` parity with the plain fp32 path. They change speed, never the method."""
import os
import tracemalloc

import numpy as np
import pytest
import torch
from contract import contract_data
from scipy.stats import spearmanr

import adlab.config as config
from adlab.evaluation.metrics import auc_roc
from adlab.models.base import check_X, torch_threads
from adlab.models.mmnet import MMNet
from adlab.models.rosas import RoSAS

TINY_MMNET = dict(epochs=3, memory_size=16, memory_dim=8, hidden_dim=16)


@pytest.fixture(scope="module")
def data():
    return contract_data()


@pytest.fixture(scope="module")
def rosas(data):
    X, y, _ = data
    return RoSAS(epochs=4, random_state=0, device="cpu").fit(X, y)


@pytest.fixture(scope="module")
def mmnet(data):
    X, y, _ = data
    return MMNet(random_state=0, device="cpu", **TINY_MMNET).fit(X, y)


# --------------------------------------------------------------------------- options
def test_defaults_are_plain_fp32_eager_with_one_training_thread():
    opts = config.PerformanceOptions()
    assert (opts.amp, opts.compile, opts.num_threads) == (False, False, 1)
    assert opts.score_threads == (1 if (os.cpu_count() or 1) <= 2 else None)


def test_performance_context_sets_and_restores_options():
    before = config.get_performance()
    with config.performance(amp=True, score_batch_rows=128) as opts:
        assert opts.amp and opts.score_batch_rows == 128
        assert config.get_performance() is opts
    assert config.get_performance() == before


@pytest.mark.parametrize("kw, match", [({"turbo": True}, "unknown performance option"),
                                       ({"num_threads": 0}, "num_threads"),
                                       ({"score_threads": 1.5}, "score_threads"),
                                       ({"score_batch_rows": 0}, "score_batch_rows"),
                                       ({"amp": "yes"}, "amp")])
def test_bad_performance_options_raise_value_error_and_change_nothing(kw, match):
    before = config.get_performance()
    with pytest.raises(ValueError, match=match):
        config.set_performance(**kw)
    assert config.get_performance() == before


def test_switches_are_not_hyper_parameters():
    assert not {"amp", "compile", "num_threads"} & set(RoSAS().get_params())


# --------------------------------------------------------------------------- threads
class _ThreadSpy(RoSAS):
    def _fit(self, X, y, X_val, y_val):
        self.threads_seen_ = torch.get_num_threads()
        super()._fit(X, y, X_val, y_val)


def test_fit_trains_with_the_configured_thread_count_and_restores_it(data):
    X, y, _ = data
    outside = torch.get_num_threads()
    det = _ThreadSpy(epochs=1, random_state=0, device="cpu").fit(X, y)
    assert det.threads_seen_ == 1
    assert torch.get_num_threads() == outside
    with config.performance(num_threads=None):
        det = _ThreadSpy(epochs=1, random_state=0, device="cpu").fit(X, y)
    assert det.threads_seen_ == outside


def test_thread_count_does_not_change_the_scores(data):
    X, y, _ = data
    with config.performance(num_threads=1):
        a = RoSAS(epochs=2, random_state=0, device="cpu").fit(X, y).decision_function(X)
    with config.performance(num_threads=2):
        b = RoSAS(epochs=2, random_state=0, device="cpu").fit(X, y).decision_function(X)
    np.testing.assert_allclose(a, b, rtol=0, atol=1e-6)


def test_torch_threads_restores_the_count_after_an_error():
    outside = torch.get_num_threads()
    target = 1 if outside != 1 else 2
    with pytest.raises(RuntimeError):
        with torch_threads(target, "cpu"):
            assert torch.get_num_threads() == target
            raise RuntimeError("boom")
    assert torch.get_num_threads() == outside


# --------------------------------------------------------------------------- chunked scoring
@pytest.mark.parametrize("rows", [1, 7, 100])
def test_scoring_in_small_chunks_gives_the_same_scores(data, rosas, mmnet, rows):
    X, _, _ = data
    full_r, full_m = rosas.decision_function(X), mmnet.score_components(X)
    with config.performance(score_batch_rows=rows):
        np.testing.assert_allclose(rosas.decision_function(X), full_r, rtol=0, atol=1e-6)
        parts = mmnet.score_components(X)
    # the components agree to fp32 accuracy; the standardised Eq. 19 score divides them by their training
    # std, which scales that accuracy by 1/std (+ λ/std for S_KL)
    _, sd_sum, _, sd_kl = mmnet.score_stats_
    assert sd_sum > 0 and sd_kl > 0
    full_scale = 1.0 / sd_sum + float(mmnet.score_lambda) / sd_kl
    for key, value in full_m.items():
        assert parts[key].shape == value.shape
        atol = 1e-5 * (full_scale if key == "full" else 1.0)
        np.testing.assert_allclose(parts[key], value, rtol=0, atol=atol, err_msg=key)


def test_validating_a_float32_table_does_not_make_a_float64_copy():
    X = np.random.default_rng(0).random((200_000, 10), dtype=np.float32)   # 8 MB
    tracemalloc.start()
    out = check_X(X)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert out.dtype == np.float32 and np.shares_memory(out, X)
    assert peak < 4e6, f"check_X allocated {peak / 1e6:.1f} MB for an 8 MB float32 table"
    X64 = X.astype(np.float64)
    np.testing.assert_array_equal(check_X(X64), X)


# --------------------------------------------------------------------------- AMP
def test_amp_scoring_agrees_with_fp32_within_bf16_tolerance(data, rosas, mmnet):
    if config.autocast_dtype("cpu") is None:
        pytest.skip("this torch build has no bf16 autocast on the CPU")
    X, _, _ = data
    plain_r, plain_m = rosas.decision_function(X), mmnet.decision_function(X)
    with config.performance(amp=True):
        amp_r, amp_m = rosas.decision_function(X), mmnet.decision_function(X)
    assert amp_r.dtype == np.float64 and np.isfinite(amp_r).all()
    assert not np.array_equal(amp_r, plain_r), "amp=True did not change the arithmetic"
    np.testing.assert_allclose(amp_r, plain_r, atol=0.05)          # tanh scores in (-1, 1)
    assert spearmanr(amp_r, plain_r)[0] > 0.98
    assert np.isfinite(amp_m).all() and spearmanr(amp_m, plain_m)[0] > 0.95


@pytest.mark.parametrize("make", [lambda: RoSAS(epochs=4, random_state=0, device="cpu"),
                                  lambda: MMNet(random_state=0, device="cpu", **TINY_MMNET)],
                         ids=["RoSAS", "MMNet"])
def test_amp_training_reaches_the_same_ranking_quality(data, make):
    if config.autocast_dtype("cpu") is None:
        pytest.skip("this torch build has no bf16 autocast on the CPU")
    X, y, y_true = data
    plain = make().fit(X, y).decision_function(X)
    with config.performance(amp=True):
        det = make().fit(X, y)
    amp = det.decision_function(X)
    assert np.isfinite(amp).all() and all(np.isfinite(h["loss"]) for h in det.history_)
    assert not np.allclose(amp, plain, atol=1e-7), "amp=True did not reach the training loop"
    assert abs(auc_roc(y_true, amp) - auc_roc(y_true, plain)) < 0.05


# --------------------------------------------------------------------------- torch.compile
def test_compiled_training_and_scoring_match_the_eager_path(data):
    """``aot_eager`` runs the graph that dynamo captures (forward and backward) without generating
    kernels, so the wiring is tested in seconds; ``inductor`` is the default backend."""
    X, y, _ = data
    plain = RoSAS(epochs=2, n_batches_per_epoch=4, random_state=0, device="cpu").fit(X, y)
    with config.performance(compile=True, compile_backend="aot_eager"):
        det = RoSAS(epochs=2, n_batches_per_epoch=4, random_state=0, device="cpu").fit(X, y)
        compiled_scores = det.decision_function(X)
        plain_scored_compiled = plain.decision_function(X)
    np.testing.assert_allclose(compiled_scores, plain.decision_function(X), rtol=0, atol=1e-5)
    np.testing.assert_allclose(plain_scored_compiled, plain.decision_function(X), rtol=0, atol=1e-6)
    assert not any(k.startswith("_orig_mod") for k in det.modules_["net"].state_dict())
