"""benchmarks/mmnet_stop_trace.py: the simulated stop is LabelFitStop's epoch on the chosen loss, and the report
reads the test AP of that epoch."""
import pytest

from scripts import load_script

mst = load_script("benchmarks/mmnet_stop_trace.py")


@pytest.mark.parametrize("ratio, epoch", [(0.25, 2), (0.2, 3), (0.05, 3)])
def test_simulated_stop_is_the_first_epoch_below_the_ratio_or_the_last_epoch(ratio, epoch):
    # L / L0 = 1, 0.5, 0.2, 0.1: below 0.25 first at epoch 2, below 0.2 at epoch 3; never below 0.05 -> last epoch
    assert mst.stop_epoch([1.0, 0.5, 0.2, 0.1], ratio) == epoch


def test_report_reads_the_test_ap_at_the_epoch_each_loss_stops():
    # mask falls fast (below 0.25 of epoch 0 at epoch 1), the total loss slowly (below 0.25 only at epoch 3)
    t = {"data": "toy", "protocol": "mmnet", "seed": 10, "mask": [1.0, 0.2, 0.1, 0.05],
         "loss": [1.0, 0.9, 0.5, 0.2], "test_ap": [0.5, 0.9, 0.7, 0.6]}
    text = mst.report([t])
    cell = {line.split("|")[1].strip(): line.split("|")[2].strip() for line in text.splitlines() if line.startswith("| ")}
    assert cell["whole budget"] == "0.600" and cell["best epoch (oracle)"] == "0.900"
    assert cell["mask 0.25"] == "0.900" and cell["loss 0.25"] == "0.600" and cell["loss 0.5"] == "0.600"
    assert "mask 0.25: +0.300 against the whole budget" in text
