"""Specifications of benchmarks/rosas_stop_ratios.py: where the simulated stop falls, and the report reads the AP there."""
import pytest
from scripts import load_script

rsr = load_script("benchmarks/rosas_stop_ratios.py")


@pytest.mark.parametrize("ratio, epoch", [(0.2, 3), (0.25, 2), (0.5, 2), (0.05, 3)])
def test_simulated_stop_is_the_first_epoch_below_the_ratio_or_the_last_epoch(ratio, epoch):
    # L / L0 = 1, 0.5, 0.2, 0.1: below 0.25 first at epoch 2 (0.2 < 0.25), below 0.2 at epoch 3; never below 0.05
    assert rsr.stop_epoch([1.0, 0.5, 0.2, 0.1], ratio) == epoch


def test_simulated_stop_never_fires_on_the_first_epoch():
    assert rsr.stop_epoch([0.01, 0.02, 0.001], 0.25) == 2


def test_report_reads_the_test_ap_at_the_simulated_stop():
    t = {"data": "toy", "protocol": "rosas", "seed": 0, "loss_score": [1.0, 0.5, 0.2, 0.1],
         "test_ap": [0.9, 0.8, 0.7, 0.6]}
    text = rsr.report([t])
    row = next(line for line in text.splitlines() if line.startswith("| rosas"))
    cells = [c.strip() for c in row.strip("|").split("|")]
    # whole budget 0.6, epoch 0 0.9; ratio 0.2 fires at epoch 3 (0.1 < 0.2), 0.25..0.5 at epoch 2 (0.2 < 0.25)
    assert cells[2:5] == ["0.6", "0.9", "0.6"] and cells[5] == "0.7"
