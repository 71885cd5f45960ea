"""MMNet on a large, wide table: the development measurements behind MMNet's Decision 13 (issue 13).

Two kinds of runs, one JSON line each in ``results/mmnet_wide_dev.jsonl`` (appended), summarised in
``results/mmnet_wide_dev.md``:

* ``backdoor ROWS SEED PARAMS`` — UNSW-NB15 Backdoor (DevNet's file, ``--data``), ``ROWS`` = ``full`` or
  a stratified subsample of that many rows (seed ``1000 + SEED``), MMNet protocol split (seed ``SEED``),
  ``MMNet(random_state=SEED, **PARAMS)``; test AUC-PR of the default score (``full``), of ``−S_sum``
  (``sum``), ``−S_KL`` (``kl``), the reconstruction error (``mse``) and of the literal Eq. (19)
  (``raw19``, when logged), the median ‖z‖ of test normals and the last epoch's KL loss.
* ``small TAG PARAMS DATASETS SEEDS`` — the main table's protocol (MNPWAD's: 1 % labeled) on small ADBench
  sets; test AUC-PR of the default score and of ``−S_sum``.

Development seeds (100 on Backdoor) are not the benchmark's seeds (0–4). Params are JSON, e.g.::

    python benchmarks/mmnet_wide_dev.py backdoor full 100 '{"weight_decay": 1e-5, "kl_log_eps": 0}'
    python benchmarks/mmnet_wide_dev.py small before '{"weight_decay": 1e-5}' cardio,thyroid 0,1,2
    python benchmarks/mmnet_wide_dev.py report
"""
from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

from devlog import append_jsonl, fit_mmnet_small, paired_with_base, read_jsonl  # noqa: E402 - benchmarks/ is on sys.path when run as a script
from bench_data import EXTRA_FILES, SHARED  # noqa: E402 - benchmarks/ is on sys.path when run as a script

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"
LOG = RESULTS / "mmnet_wide_dev.jsonl"
DATA = SHARED / EXTRA_FILES["backdoor"]


def _append(row: dict) -> None:
    append_jsonl(LOG, row)


def backdoor(rows: str, seed: int, params: dict) -> None:
    import torch
    from sklearn.model_selection import train_test_split

    from adlab.data.protocol import weak_split
    from adlab.evaluation.metrics import evaluate
    from adlab.models.mmnet import MMNet

    torch.set_num_threads(1)
    with np.load(DATA) as d:
        X, y = d["X"].astype(np.float32), d["y"].astype(int)
    if rows != "full":
        idx, _ = train_test_split(np.arange(len(y)), train_size=int(rows), stratify=y, random_state=1000 + seed)
        X, y = X[idx], y[idx]
    s = weak_split(X, y, protocol="mmnet", random_state=seed)
    det = MMNet(random_state=seed, device="cpu", **params)
    t = time.perf_counter()
    det.fit(s.X_train, s.y_train)
    fit_s = time.perf_counter() - t
    c = det.score_components(s.X_test)
    scores = {"full": c["full"], "sum": -c["s_sum"], "kl": -c["s_kl"], "mse": c["reconstruction"],
              "raw19": -(c["s_sum"] + 0.1 * c["s_kl"])}
    res = {k: round(evaluate(s.y_test, v)["auc_pr"], 3) for k, v in scores.items()}
    z = np.linalg.norm(det.encode(s.X_test[s.y_test == 0][:2000]), axis=1)
    _append({"kind": "backdoor", "rows": rows, "seed": seed, "params": params, **res,
             "roc_full": round(evaluate(s.y_test, c["full"])["auc_roc"], 3), "z_med": float(np.median(z)),
             "kl_last": det.history_[-1]["kl"], "fit_s": round(fit_s, 1), "n_train": len(s.y_train)})


def small(tag: str, params: dict, datasets: list[str], seeds: list[int]) -> None:
    from adlab.evaluation.metrics import evaluate

    for ds, seed, s, det, fit_s in fit_mmnet_small(params, datasets, seeds):
        full = det.decision_function(s.X_test)
        _append({"kind": "small", "tag": tag, "params": params, "ds": ds, "seed": seed,
                 "full": round(evaluate(s.y_test, full)["auc_pr"], 4),
                 "sum": round(evaluate(s.y_test, -det.score_components(s.X_test)["s_sum"])["auc_pr"], 4),
                 "roc": round(evaluate(s.y_test, full)["auc_roc"], 4), "fit_s": round(fit_s, 1)})


def report() -> str:
    rows = read_jsonl(LOG)
    bd = pd.DataFrame([r for r in rows if r["kind"] == "backdoor"])
    sm = pd.DataFrame([r for r in rows if r["kind"] == "small"])
    lines = ["# MMNet on UNSW-NB15 Backdoor: development runs (issue 13)", "",
             "Produced by `python benchmarks/mmnet_wide_dev.py ...` (one command per line of "
             "`mmnet_wide_dev.jsonl`); `python benchmarks/mmnet_wide_dev.py report` rewrites this file. "
             "CPU, one torch thread, a shared machine (fit seconds are inflated). Development seeds, "
             "not the benchmark's. `params` name every setting the issue-13 decision turns on (old defaults: "
             "`weight_decay` 1e-5, `kl_log_eps` 0, no step budget, the raw Eq. 19 = `score_scaling` none); "
             "`full` is the AUC-PR of the run's default score, `raw19` that of the literal Eq. (19). The first "
             "runs were made with an earlier copy of this script (same code path) before the estimator's "
             "training loop was refactored on main.", ""]
    if not bd.empty:
        bd["params"] = bd["params"].map(lambda p: json.dumps(p, sort_keys=True))
        cols = [c for c in ("rows", "seed", "params", "full", "sum", "kl", "mse", "raw19", "roc_full", "z_med",
                            "kl_last", "fit_s") if c in bd.columns]
        lines += ["## Backdoor, MMNet protocol: AUC-PR per score (20k-row subsample vs full table)", "",
                  bd[cols].to_markdown(index=False, floatfmt=".3f"), ""]
    if not sm.empty:
        sm["params"] = sm["params"].map(lambda p: json.dumps(p, sort_keys=True))
        t = sm.pivot_table(index="ds", columns="tag", values="full", aggfunc="mean")
        n = sm.pivot_table(index="ds", columns="tag", values="seed", aggfunc="count")
        lines += ["## Main table's small ADBench sets (MNPWAD protocol): mean AUC-PR of the default score", "",
                  "Cells: mean over the seeds run (their number in brackets).", "",
                  t.round(3).astype(str).where(t.notna(), "–").add(" (").add(n.fillna(0).astype(int).astype(str))
                  .add(")").where(t.notna(), "–").to_markdown(), ""]
        if "before" in set(sm["tag"]):
            lines += ["Paired with `before` on the same (data set, seed) cells:", ""]
            for tag in [x for x in dict.fromkeys(sm["tag"]) if x != "before"]:
                pr = paired_with_base(sm, tag, "before", ["ds", "seed"], "full")
                if pr:
                    lines.append(f"* `{tag}`: {pr['cells']} cells, mean {pr['mean']:.3f} vs {pr['base']:.3f} "
                                 f"(difference {pr['difference']:+.3f}; lower in {pr['lower_in']} of {pr['cells']})")
            lines.append("")
        lines += ["Tags: " + "; ".join(f"`{k}` = {v}" for k, v in
                                       sm.drop_duplicates("tag").set_index("tag")["params"].items()), ""]
    return "\n".join(lines)


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    if not argv or argv[0] not in ("backdoor", "small", "report"):
        print(__doc__)
        return 2
    RESULTS.mkdir(parents=True, exist_ok=True)
    if argv[0] == "backdoor":
        backdoor(argv[1], int(argv[2]), json.loads(argv[3]))
    elif argv[0] == "small":
        small(argv[1], json.loads(argv[2]), argv[3].split(","), [int(s) for s in argv[4].split(",")])
    (RESULTS / "mmnet_wide_dev.md").write_text(report())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
