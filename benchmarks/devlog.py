"""Shared plumbing of the development-run scripts (``mmnet_wide_dev.py``, ``mmnet_wide_diag.py``,
``mnpwad_dev.py``): one JSON line per fit appended to a log, the log read back, a tag paired with a
baseline tag on the same cells, and MMNet fitted on the main table's small ADBench sets.
"""
from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Iterator

import pandas as pd


def append_jsonl(log: Path, row: dict) -> None:
    """Append ``row`` as one JSON line to ``log`` (created with its folder) and echo it. A ``machine``
    field (the CPU model) is added unless the row has one: float rounding differs between CPU models, so a
    before/after comparison is only read between rows of one machine."""
    from adlab.evaluation.machine import cpu_name

    row = {**row, "machine": row.get("machine", cpu_name())}
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("a") as fh:
        fh.write(json.dumps(row) + "\n")
    print(json.dumps(row), flush=True)


def read_jsonl(log: Path) -> list[dict]:
    """Every row of ``log`` (none if it does not exist)."""
    if not log.exists():
        return []
    return [json.loads(line) for line in log.read_text().splitlines() if line.strip()]


def paired_with_base(df: pd.DataFrame, tag: str, base: str, cells: list[str], value: str) -> dict | None:
    """``tag`` against ``base`` on the cells (``cells`` columns) both ran: number of cells, both means, the
    mean difference and in how many cells ``tag`` is lower; ``None`` if they share no cell."""
    ref = df[df["tag"] == base].set_index(cells)[value]
    cur = df[df["tag"] == tag].set_index(cells)[value]
    common = cur.index.intersection(ref.index)
    if not len(common):
        return None
    d = cur[common] - ref[common]
    return {"cells": len(common), "mean": float(cur[common].mean()), "base": float(ref[common].mean()),
            "difference": float(d.mean()), "lower_in": int((d < 0).sum())}


def label_fit_stop_epoch(values, ratio: float) -> int:
    """The epoch after which ``LabelFitStop(ratio)`` ends training when fed these logged epoch means (the last
    epoch if it never fires): adlab's own rule, so a simulated stop is the estimator's."""
    from adlab.components.training import LabelFitStop

    rule = LabelFitStop(ratio, key="loss")
    return next((e for e, v in enumerate(values) if rule({"loss": v}, e)), len(values) - 1)


def with_epoch_hook(detector_cls: type, hook) -> type:
    """A subclass of ``detector_cls`` that calls ``hook(detector, epoch)`` after each training epoch (after the
    detector's own end-of-epoch work), for per-epoch diagnostics without touching the estimator."""
    class Hooked(detector_cls):
        def _run_epochs(self, opt, step, **kw):
            end = kw.get("on_epoch_end")

            def on_end(epoch):
                row = end(epoch) if end else None
                hook(self, epoch)
                return row

            kw["on_epoch_end"] = on_end
            return super()._run_epochs(opt, step, **kw)

    Hooked.__name__ = Hooked.__qualname__ = detector_cls.__name__
    return Hooked


def fit_mmnet_small(params: dict, datasets: list[str], seeds: list[int],
                    protocol: str = "mnpwad") -> Iterator[tuple]:
    """MMNet(``params``) fitted on the ``protocol`` split (default the main table's, MNPWAD) of each small
    data set and seed, one torch thread: yields ``(dataset, seed, split, fitted detector, fit seconds)``."""
    import torch

    from adlab.data.protocol import weak_split
    from adlab.evaluation.experiments import load_dataset
    from adlab.models.mmnet import MMNet

    torch.set_num_threads(1)
    for ds in datasets:
        data = load_dataset(ds)
        for seed in seeds:
            s = weak_split(data.X, data.y, protocol=protocol, random_state=seed)
            t = time.perf_counter()
            det = MMNet(random_state=seed, device="cpu", **params).fit(s.X_train, s.y_train)
            yield ds, seed, s, det, time.perf_counter() - t
