"""Test fixtures (environment defaults live in the root conftest.py)."""
import os
from pathlib import Path

import matplotlib
import pytest

matplotlib.use("Agg")


@pytest.fixture(scope="session")
def adbench_dir() -> Path:
    """The ADBench folder for tests; skips (with the reason) when it is absent."""
    value = os.environ.get("ADLAB_DATA_DIR", "")
    if not value or not Path(value).is_dir():
        pytest.skip("ADBench files not available: set ADLAB_DATA_DIR to a folder of ADBench .npz files "
                    "(CI uses ../shared/data/adbench)")
    return Path(value)
