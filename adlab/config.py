"""Run-time configuration: FAST mode, device resolution, seeding and performance switches.

``ADLAB_FAST=1`` (set by ``make test``) asks notebooks, examples and the demo to shrink
epochs and data so that the whole suite runs in minutes on two CPU cores.

Performance switches (:func:`set_performance`, :func:`performance`) are *not* hyper-parameters:
they change how fast a detector trains and scores, never what it computes (up to the documented
tolerances of reduced precision), so they live here rather than in the constructors and do not
appear in ``get_params``, ``clone`` or saved files. ``TorchDetector`` reads them around training
and scoring::

    import adlab
    adlab.config.set_performance(num_threads=1)          # process-wide
    with adlab.config.performance(amp=True):             # temporarily
        det.fit(X, y)
"""
from __future__ import annotations

import contextlib
import dataclasses
import os
import random

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:  # torch is imported where it is used, so `is_fast` & co. stay cheap to import
    import torch

__all__ = ["is_fast", "fast_or", "resolve_device", "seed_everything", "data_dir", "PerformanceOptions",
           "get_performance", "set_performance", "performance", "autocast_dtype"]


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
    import torch

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
    import torch

    seed = int(seed)
    random.seed(seed)
    np.random.seed(seed % (2**32))
    torch.manual_seed(seed)
    return np.random.default_rng(seed)


def data_dir() -> str | None:
    """The local ADBench folder named by ``ADLAB_DATA_DIR`` (or ``None``)."""
    value = os.environ.get("ADLAB_DATA_DIR", "").strip()
    return value or None


# --------------------------------------------------------------------------- performance switches
@dataclasses.dataclass(frozen=True)
class PerformanceOptions:
    """How detectors run (never what they compute). Defaults were chosen by measurement
    (``benchmarks/results/speed.md``, ``profile.md``).

    amp : bf16 autocast around the forward passes and losses of training (detectors that opt in:
        RoSAS, MMNet) and around scoring (every ``TorchDetector``). On CUDA it uses the tensor
        cores; on CPU it is honoured when torch supports bf16 autocast there, but on the tiny
        networks here it was *slower* (0.77 vs 0.49 ms per RoSAS step). Off by default. Every
        detector computes its score head in fp32 (:func:`adlab.components.networks.fp32`), so scores
        keep float32 resolution (no bf16 ties) but differ from the fp32 path through the bf16
        rounding of the hidden layers (rank correlation > 0.95 in ``tests/test_amp_scores.py``); no
        GradScaler is needed for bf16.
    compile : ``torch.compile`` the networks' forward pass in training (opt-in detectors) and the
        scoring function (all). Off by default: compiling costs ~25 s per network on 2 CPU cores and
        the compiled RoSAS step was not faster on CPU (0.97 vs 0.49 ms); it can pay off on GPUs for
        long runs. Scores agree with the plain path to float rounding.
    compile_backend, compile_mode : passed to ``torch.compile`` (``"inductor"``; tests use
        ``"aot_eager"``, which traces the same graph without generating kernels).
    num_threads : torch intra-op threads while a detector *trains* on the CPU (restored afterwards).
        ``1`` by default: the networks here are tiny (≤ 256 rows × ≤ 256 units per step), so extra
        threads only add synchronisation; on the shared 2-core machine RoSAS took 5.4 s with one
        thread and 125 s with two (identical scores). ``None`` leaves torch's setting alone.
    score_threads : the same while *scoring* on the CPU (large batches, where threads can help on an
        idle many-core machine). Default: ``1`` on machines with ≤ 2 logical cores (measured on the
        shared 2-core machine, 1M rows: RoSAS 0.9 s with one thread vs 1.4 s with two, MMNet 6.1 vs
        7.6 s), else ``None`` = torch's own setting.
    score_batch_rows : upper bound on the rows scored per batch by ``TorchDetector`` (the
        detector's own ``score_batch_size`` still applies when smaller); bounds host and device
        memory when scoring millions of rows.

    The environment variables ``ADLAB_AMP``, ``ADLAB_COMPILE`` (1/0), ``ADLAB_NUM_THREADS`` and
    ``ADLAB_SCORE_THREADS`` (an integer, or ``none``) set the initial values.
    """

    amp: bool = False
    compile: bool = False
    compile_backend: str = "inductor"
    compile_mode: str | None = None
    num_threads: int | None = 1
    score_threads: int | None = 1 if (os.cpu_count() or 1) <= 2 else None
    score_batch_rows: int = 65536

    def __post_init__(self):
        for name in ("num_threads", "score_threads"):
            value = getattr(self, name)
            if value is not None and (isinstance(value, bool) or int(value) != value or value < 1):
                raise ValueError(f"{name} must be None or a positive integer, got {value!r}")
        if isinstance(self.score_batch_rows, bool) or int(self.score_batch_rows) != self.score_batch_rows \
                or self.score_batch_rows < 1:
            raise ValueError(f"score_batch_rows must be a positive integer, got {self.score_batch_rows!r}")
        for name in ("amp", "compile"):
            if not isinstance(getattr(self, name), (bool, np.bool_)):
                raise ValueError(f"{name} must be True or False, got {getattr(self, name)!r}")


def _env_flag(name: str, default: bool) -> bool:
    value = os.environ.get(name, "").strip().lower()
    if not value:
        return default
    return value in {"1", "true", "yes", "on"}


def _env_threads(name: str, default: int | None) -> int | None:
    value = os.environ.get(name, "").strip().lower()
    if not value:
        return default
    if value in {"none", "auto", "0"}:
        return None
    try:
        return int(value)
    except ValueError as exc:
        raise ValueError(f"{name} must be a positive integer or 'none', got {value!r}") from exc


_PERFORMANCE = PerformanceOptions(
    amp=_env_flag("ADLAB_AMP", False),
    compile=_env_flag("ADLAB_COMPILE", False),
    num_threads=_env_threads("ADLAB_NUM_THREADS", 1),
    score_threads=_env_threads("ADLAB_SCORE_THREADS", 1 if (os.cpu_count() or 1) <= 2 else None),
)


def get_performance() -> PerformanceOptions:
    """The current :class:`PerformanceOptions`."""
    return _PERFORMANCE


def set_performance(**options) -> PerformanceOptions:
    """Change performance switches process-wide (keywords of :class:`PerformanceOptions`);
    returns the *previous* options. Unknown names or bad values raise ValueError."""
    global _PERFORMANCE
    known = {f.name for f in dataclasses.fields(PerformanceOptions)}
    unknown = sorted(set(options) - known)
    if unknown:
        raise ValueError(f"unknown performance option(s) {unknown}; known: {sorted(known)}")
    previous = _PERFORMANCE
    _PERFORMANCE = dataclasses.replace(previous, **options)
    return previous


@contextlib.contextmanager
def performance(**options):
    """Context manager: ``with performance(amp=True): det.fit(X, y)``; restores the previous options."""
    previous = set_performance(**options)
    try:
        yield get_performance()
    finally:
        global _PERFORMANCE
        _PERFORMANCE = previous


def autocast_dtype(device: torch.device) -> torch.dtype | None:
    """The autocast dtype used for ``amp=True`` on ``device`` (bf16), or ``None`` when the device
    type has no bf16 autocast in this torch build (then amp is silently a no-op there)."""
    import torch

    dev_type = torch.device(device).type
    try:
        if not torch.amp.is_autocast_available(dev_type):
            return None
    except AttributeError:  # pragma: no cover - older torch
        if dev_type not in ("cpu", "cuda"):
            return None
    if dev_type == "cuda" and not torch.cuda.is_bf16_supported():
        return None
    return torch.bfloat16
