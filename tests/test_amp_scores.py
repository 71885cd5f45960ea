"""Score heads stay in float32 under the ``amp`` switch (bf16 autocast), for every registered detector.

bf16 keeps 8 significant bits: a score computed in bf16 takes one of 128 values per power of two, so a
few hundred test rows already tie. Runs on the CPU wherever torch has CPU bf16 autocast."""
import numpy as np
import pytest
from registry_params import NAMES, tiny, tiny_data

import adlab.config as config
from adlab.models.base import TorchDetector
from adlab.models.registry import get_detector_class

TORCH_NAMES = [n for n in NAMES if issubclass(get_detector_class(n), TorchDetector)]

pytestmark = pytest.mark.skipif(config.autocast_dtype("cpu") is None, reason="no bf16 autocast on this CPU build")


@pytest.mark.parametrize("name", TORCH_NAMES)
def test_scores_under_amp_keep_float32_resolution(name):
    X, y, y_true = tiny_data(n=400)
    det = tiny(name).fit(X, y)
    plain = det.decision_function(X)
    with config.performance(amp=True):
        amp = det.decision_function(X)
    assert np.isfinite(amp).all()
    # bf16 scores would collapse into ties; fp32 heads keep (almost) every row distinct
    assert np.unique(amp).size >= 0.95 * np.unique(plain).size, (np.unique(amp).size, np.unique(plain).size)
    # and they still rank like the fp32 path (only the hidden layers are rounded)
    assert np.corrcoef(np.argsort(np.argsort(amp)), np.argsort(np.argsort(plain)))[0, 1] > 0.95


@pytest.mark.parametrize("name", [n for n in ("RoSAS", "MMNet") if n in TORCH_NAMES])
def test_training_under_amp_gives_finite_distinct_scores(name):
    X, y, _ = tiny_data(n=400)
    with config.performance(amp=True):
        det = tiny(name).fit(X, y)
        s = det.decision_function(X)
    assert np.isfinite(s).all() and np.unique(s).size >= 0.9 * len(s)
