"""Is MMNet's CPU time per step spent on subnormal floats? (A lead from ``fit_scaling.md``, 2026-12-02.)

Fits ``MMNet()`` (defaults) on the MMNet-protocol split of a 10,000-row resample (with replacement, seed 0) of
UNSW-NB15 Backdoor (the size of ``fit_scaling.py``'s smallest row) twice in one process, first as is, then with
``torch.set_flush_denormal(True)`` (the CPU treats subnormal floats as zero), and prints the CPU seconds, the
epochs and the test AUC-PR of each. A large gap means the saturated attention produces subnormal numbers whose
arithmetic is slow on this CPU; the AUC-PR shows what flushing them changes. Nothing in adlab flushes them
(yet): the setting is global to the thread, and changing it is a score-moving decision.

    python benchmarks/mmnet_subnormal_cost.py
"""
from __future__ import annotations

import time

import numpy as np
import torch

from bench_data import EXTRA_FILES, SHARED  # benchmarks/ is on sys.path when run as a script


def main() -> int:
    from adlab.data.protocol import weak_split
    from adlab.evaluation.machine import cpu_name
    from adlab.evaluation.metrics import auc_pr
    from adlab.models.mmnet import MMNet

    torch.set_num_threads(1)
    with np.load(SHARED / EXTRA_FILES["backdoor"]) as d:
        X, y = d["X"].astype(np.float32), d["y"].astype(int)
    idx = np.random.default_rng(0).choice(len(y), 10_000, replace=True)
    split = weak_split(X[idx], y[idx], protocol="mmnet", random_state=0)
    print(f"CPU {cpu_name()}, torch {torch.__version__}, one thread")
    for flush in (False, True):
        torch.set_flush_denormal(flush)
        t0 = time.process_time()
        det = MMNet(random_state=0, device="cpu").fit(split.X_train, split.y_train)
        cpu_s = time.process_time() - t0
        ap = auc_pr(split.y_test, det.decision_function(split.X_test))
        print(f"flush_denormal={flush}: {cpu_s:.1f} CPU s, {len(det.history_)} epochs, test AUC-PR {ap:.4f}", flush=True)
    torch.set_flush_denormal(False)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
