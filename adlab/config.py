"""Run-time configuration: FAST mode, device resolution and seeding.

``ADLAB_FAST=1`` (set by ``make test``) asks notebooks, examples and the demo to shrink
epochs and data so that the whole suite runs in minutes on two CPU cores.
"""
from __future__ import annotations

import os
import random

import numpy as np
import torch

__all__ = ["is_fast", "fast_or", "resolve_device", "seed_everything", "data_dir"]


def is_fast() -> bool:
    """True when the environment asks for FAST mode (``ADLAB_FAST`` set to 1/true/yes)."""
    return os.environ.get("ADLAB_FAST", "").strip().lower() in {"1", "true", "yes", "on"}


def fast_or(full, fast):
    """Return ``fast`` in FAST mode, else ``full`` (e.g. ``epochs = fast_or(200, 5)``)."""
    return fast if is_fast() else full


def resolve_device(device: str | torch.device | None = "auto") -> torch.device:
    """Turn ``"auto"``/``None`` into CUDA when available, else CPU; validate anything else.

    Raises ``ValueError`` for an unknown device string and when CUDA is asked for but absent.
    """
    if device is None or (isinstance(device, str) and device == "auto"):
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        dev = torch.device(device)
    except (RuntimeError, TypeError) as exc:
        raise ValueError(f"device must be 'auto', 'cpu', 'cuda' or 'cuda:N', got {device!r}") from exc
    if dev.type == "cuda" and not torch.cuda.is_available():
        raise ValueError(f"device={device!r} was requested but CUDA is not available on this machine")
    return dev


def seed_everything(seed: int | None) -> np.random.Generator:
    """Seed Python, NumPy and torch (CPU and CUDA); return a NumPy Generator from the same seed.

    ``seed=None`` leaves the global generators alone and returns an unseeded Generator.
    """
    if seed is None:
        return np.random.default_rng()
    seed = int(seed)
    random.seed(seed)
    np.random.seed(seed % (2**32))
    torch.manual_seed(seed)
    return np.random.default_rng(seed)


def data_dir() -> str | None:
    """The local ADBench folder named by ``ADLAB_DATA_DIR`` (or ``None``)."""
    value = os.environ.get("ADLAB_DATA_DIR", "").strip()
    return value or None
