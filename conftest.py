"""Root pytest configuration, shared by tests/ and the nbval notebook runs: headless matplotlib,
FAST mode, and the local ADBench folder (inherited by notebook kernels through the environment).
Notebook kernels also run ``tests/notebook_kernel_startup.py`` (through PYTHONSTARTUP): they render
figures with the inline backend and check every figure a course notebook shows (adlab.figcheck)."""
import os
from pathlib import Path

os.environ.setdefault("MPLBACKEND", "Agg")
os.environ.setdefault("ADLAB_FAST", "1")
_SHARED = Path(__file__).resolve().parent.parent / "shared" / "data" / "adbench"
if not os.environ.get("ADLAB_DATA_DIR") and _SHARED.is_dir():
    os.environ["ADLAB_DATA_DIR"] = str(_SHARED)
os.environ["PYTHONSTARTUP"] = str(Path(__file__).resolve().parent / "tests" / "notebook_kernel_startup.py")
