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


@pytest.fixture(autouse=True)
def _deterministic_cuda():
    """Seeded CUDA runs must be reproducible (the battery checks it): deterministic kernels."""
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
