"""Specifications of benchmarks/rosas_stop_ratios.py: the simulated stop is adlab's LabelFitStop."""
import numpy as np
import pytest
from scripts import load_script

from adlab.components.training import LabelFitStop

rsr = load_script("benchmarks/rosas_stop_ratios.py")


@pytest.mark.parametrize("ratio", [0.2, 0.25, 0.5])
def test_simulated_stop_is_the_epoch_label_fit_stop_ends_training(ratio):
    rng = np.random.default_rng(0)
    for _ in range(20):
        ls = list(np.cumprod(rng.uniform(0.6, 1.1, size=30)) * 0.3)
        rule = LabelFitStop(ratio, key="L")
        fired = next((e for e, v in enumerate(ls) if rule({"L": v}, e)), len(ls) - 1)
        assert rsr.stop_epoch(ls, ratio) == fired


def test_report_reads_the_test_ap_at_the_simulated_stop():
    t = {"data": "toy", "protocol": "rosas", "seed": 0, "loss_score": [1.0, 0.5, 0.2, 0.1],
         "test_ap": [0.9, 0.8, 0.7, 0.6]}
    text = rsr.report([t])
    row = next(line for line in text.splitlines() if line.startswith("| rosas"))
    cells = [c.strip() for c in row.strip("|").split("|")]
    # whole budget 0.6, epoch 0 0.9; ratio 0.2 fires at epoch 3 (0.1 < 0.2), 0.25..0.5 at epoch 2 (0.2 < 0.25)
    assert cells[2:5] == ["0.6", "0.9", "0.6"] and cells[5] == "0.7"
