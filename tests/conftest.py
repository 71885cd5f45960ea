"""Test configuration: headless matplotlib, FAST mode, and the local ADBench folder."""
import os
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
os.environ.setdefault("ADLAB_FAST", "1")

_SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "adbench"
if not os.environ.get("ADLAB_DATA_DIR") and _SHARED.is_dir():
    os.environ["ADLAB_DATA_DIR"] = str(_SHARED)

import pytest  # noqa: E402


@pytest.fixture(scope="session")
def adbench_dir() -> Path:
    """The ADBench folder for tests; skips (with the reason) when it is absent."""
    value = os.environ.get("ADLAB_DATA_DIR", "")
    if not value or not Path(value).is_dir():
        pytest.skip("ADBench files not available: set ADLAB_DATA_DIR to a folder of ADBench .npz files "
                    "(CI uses ../shared/data/adbench)")
    return Path(value)
