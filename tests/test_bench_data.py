"""benchmarks/bench_data.py: the benchmark scripts' one loader for ADBench names and DevNet's published tables."""

import numpy as np
import pytest

from scripts import load_script


def test_devnet_tables_load_with_their_published_shapes_and_labels_in_0_1():
    data = load_script("benchmarks/bench_data.py")
    path = data.SHARED / data.EXTRA_FILES["thyroid-21f"]
    if not path.exists():
        pytest.skip(f"{path} not on this machine")
    X, y = data.load_dataset("thyroid-21f")
    assert X.shape == (7200, 21) and X.dtype == np.float64 and y.dtype == np.int64
    assert set(np.unique(y)) == {0, 1}


def test_a_missing_devnet_file_names_the_file_and_the_variable_to_set(tmp_path, monkeypatch):
    data = load_script("benchmarks/bench_data.py")
    monkeypatch.setattr(data, "SHARED", tmp_path)
    with pytest.raises(FileNotFoundError, match="ADLAB_SHARED_DATA.*unsw_nb15_backdoor.npz"):
        data.load_dataset("backdoor")
