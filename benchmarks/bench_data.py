"""Data sets of the benchmark scripts: ADBench by name, plus DevNet's published tables that the papers use
and ADBench does not ship in the same form (``../shared/data/devnet/``, or ``$ADLAB_SHARED_DATA``).

``backdoor``    — UNSW-NB15 Backdoor, 95,329 × 196 (158 one-hot columns), 2.44 % anomalies (MNPWAD, RoSAS
                  and MMNet all report it).
``thyroid-21f`` — the 21-feature Thyroid of the RoSAS paper (7,200 × 21, already normalised).
"""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from adlab.data.adbench import load_adbench

SHARED = Path(os.environ.get("ADLAB_SHARED_DATA", Path(__file__).resolve().parents[1].parent / "shared" / "data"))
EXTRA_FILES = {"backdoor": "devnet/unsw_nb15_backdoor.npz", "thyroid-21f": "devnet/annthyroid_21feat.npz"}


def use_course_adbench() -> None:
    """Point ``ADLAB_DATA_DIR`` at the course machines' local ADBench copy (``SHARED/adbench``) unless it is set,
    so the benchmarks read the files instead of downloading them. Run once, when this module is imported: a
    script that imports anything from here gets the fallback."""
    if not os.environ.get("ADLAB_DATA_DIR") and (SHARED / "adbench").is_dir():
        os.environ["ADLAB_DATA_DIR"] = str(SHARED / "adbench")


use_course_adbench()


def load_dataset(name: str) -> tuple[np.ndarray, np.ndarray]:
    """``X`` (n, d) float64 and ``y`` (n,) int64 of an ADBench name or one of :data:`EXTRA_FILES`."""
    if name not in EXTRA_FILES:
        return load_adbench(name)
    path = SHARED / EXTRA_FILES[name]
    if not path.exists():
        raise FileNotFoundError(f"{name}: {path} not found; set ADLAB_SHARED_DATA to the folder holding "
                                f"{EXTRA_FILES[name]}")
    with np.load(path) as data:
        return np.asarray(data["X"], dtype=np.float64), np.asarray(data["y"], dtype=np.int64)
