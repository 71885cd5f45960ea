"""``max_steps_per_epoch``: the large-table budget of the detectors whose epoch is one pass over the data."""
import numpy as np
import pytest
import torch

from adlab.evaluation import bench
from adlab.evaluation.experiments import detector_params
from adlab.evaluation.grid import read_results
from adlab.models.base import n_batches
from adlab.models.baselines import DeepSAD
from adlab.models.mmnet import MMNet
from adlab.models.synthetic_classifier import SyntheticAnomalyClassifier

ONE_PASS = {
    "MMNet": lambda **kw: MMNet(epochs=2, batch_size=32, memory_size=8, memory_dim=8, hidden_dim=16, **kw),
    "DeepSAD": lambda **kw: DeepSAD(pretrain_epochs=1, epochs=2, batch_size=32, **kw),
    "SyntheticAnomalyClassifier": lambda **kw: SyntheticAnomalyClassifier(
        epochs=2, batch_size=32, hidden_dims=(16,), validation_fraction=0.0, **kw),
}


@pytest.fixture(scope="module")
def table():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(600, 4)).astype(np.float32)
    X[:10] += 5.0
    y = np.zeros(600, dtype=np.int64)
    y[:10] = 1
    return X, y


class StepCounter:
    """Counts optimizer steps of every torch optimizer while installed."""

    def __init__(self, monkeypatch):
        self.n = 0
        for cls in (torch.optim.Adam, torch.optim.AdamW):
            original = cls.step

            def counted(opt, *a, _original=original, **kw):
                self.n += 1
                return _original(opt, *a, **kw)

            monkeypatch.setattr(cls, "step", counted)


def test_n_batches_is_one_pass_capped_at_max_steps():
    assert n_batches(1000, 128) == 8
    assert n_batches(1000, 128, max_steps=3) == 3
    assert n_batches(1000, 128, max_steps=50) == 8   # a cap above one pass changes nothing
    assert n_batches(5, 128) == 1
    assert n_batches(1000, 128, drop_last=True) == 7 and n_batches(5, 128, drop_last=True) == 1
    assert n_batches(1000, 128, max_steps=3, drop_last=True) == 3


@pytest.mark.parametrize("name", list(ONE_PASS))
def test_a_binding_cap_limits_the_steps_of_every_epoch(name, table, monkeypatch):
    X, y = table
    free, capped = StepCounter(monkeypatch), None
    ONE_PASS[name](max_steps_per_epoch=None, random_state=0, device="cpu").fit(X, y)
    n_free = free.n
    capped = StepCounter(monkeypatch)
    ONE_PASS[name](max_steps_per_epoch=2, random_state=0, device="cpu").fit(X, y)
    epochs = {"MMNet": 2, "DeepSAD": 1 + 2, "SyntheticAnomalyClassifier": 2}[name]
    assert capped.n == 2 * epochs < n_free


@pytest.mark.parametrize("name", list(ONE_PASS))
def test_a_cap_above_one_pass_leaves_the_scores_unchanged(name, table):
    X, y = table
    plain = ONE_PASS[name](max_steps_per_epoch=None, random_state=0, device="cpu").fit(X, y).decision_function(X)
    roomy = ONE_PASS[name](max_steps_per_epoch=10_000, random_state=0, device="cpu").fit(X, y).decision_function(X)
    np.testing.assert_array_equal(plain, roomy)


@pytest.mark.parametrize("name", list(ONE_PASS))
@pytest.mark.parametrize("bad", [0, -3, 2.5, True, "10"])
def test_bad_caps_raise_value_errors_naming_the_parameter(name, bad, table):
    X, y = table
    with pytest.raises(ValueError, match="max_steps_per_epoch"):
        ONE_PASS[name](max_steps_per_epoch=bad, device="cpu").fit(X, y)


def test_the_bench_gives_the_cap_only_to_detectors_that_have_it():
    cap = {"max_steps_per_epoch": 7}
    assert detector_params("MMNet", None, where_supported=cap) == cap
    assert detector_params("DevNet", None, where_supported=cap) == {}
    # a setting's own override still wins
    assert detector_params("MMNet", {"max_steps_per_epoch": 3}, where_supported=cap) == {"max_steps_per_epoch": 3}


def test_bench_cli_records_the_cap_in_params_and_report(tmp_path, capsys):
    out = tmp_path / "capped.csv"
    argv = ["--experiment", "main", "--methods", "DeepSAD", "IsolationForest", "--datasets", "blobs", "--seeds", "0",
            "--fast", "--device", "cpu", "--out", str(out), "--no-progress", "--max-steps-per-epoch", "3"]
    assert bench.main(argv) == 0
    df = read_results(out).set_index("method")
    assert '"max_steps_per_epoch": 3' in df.loc["DeepSAD", "params"]
    assert "max_steps_per_epoch" not in df.loc["IsolationForest", "params"]
    assert "at most 3" in out.with_suffix(".md").read_text()
    assert bench.main([*argv[:-1], "0"]) == 2
    assert "--max-steps-per-epoch" in capsys.readouterr().err


#: the default budgets: steps per epoch of the one-pass detectors (score-moving only on tables larger
#: than cap × batch rows: Donors, Backdoor; not on the main table's small ADBench sets)
DEFAULT_CAPS = {"MMNet": (MMNet, 100), "DeepSAD": (DeepSAD, 100), "SyntheticAnomalyClassifier": (SyntheticAnomalyClassifier, 20)}


@pytest.mark.parametrize("name", list(DEFAULT_CAPS))
def test_every_one_pass_detector_has_a_default_step_budget(name):
    cls, cap = DEFAULT_CAPS[name]
    assert cls().get_params()["max_steps_per_epoch"] == cap


def test_with_defaults_the_steps_of_an_epoch_stop_growing_with_the_rows(monkeypatch):
    """One epoch on 100 rows per step takes the whole pass; on ten times the rows it takes the default cap."""
    rng = np.random.default_rng(0)
    counts = {}
    for n in (2_000, 20_000):
        X = rng.normal(size=(n, 3)).astype(np.float32)
        y = np.zeros(n, dtype=np.int64)
        y[:5] = 1
        steps = StepCounter(monkeypatch)
        MMNet(epochs=1, batch_size=100, memory_size=4, memory_dim=2, hidden_dim=4, random_state=0,
              device="cpu").fit(X, y)
        counts[n] = steps.n
    assert counts[2_000] == n_batches(2_000 - 5, 50) == 40
    assert counts[20_000] == 100


def test_the_synthetic_classifier_holds_out_at_most_max_validation_rows():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(3_000, 4)).astype(np.float32)
    y = np.zeros(3_000, dtype=np.int64)
    y[:20] = 1
    kw = dict(epochs=1, hidden_dims=(8,), random_state=0, device="cpu")
    det = SyntheticAnomalyClassifier(max_validation_rows=500, **kw)
    det._check(y)
    det._rng = np.random.default_rng(0)
    train, val = det._split(3_000, y, 3_000)
    assert abs(len(val) - 500) <= 3 and len(train) + len(val) == 6_000   # the surplus stays in training
    det = SyntheticAnomalyClassifier(max_validation_rows=None, **kw)
    det._rng = np.random.default_rng(0)
    assert len(det._split(3_000, y, 3_000)[1]) == 1_200
    with pytest.raises(ValueError, match="max_validation_rows"):
        SyntheticAnomalyClassifier(max_validation_rows=0, **kw).fit(X, y)
