"""Would a label-free stop help MMNet where a smaller learning rate could not? (``adlab.MMNet`` Decision 15.)

MMNet's Decision 15 found a trade-off in the learning rate: a smaller one helps the one-label (MNPWAD) protocol
and Backdoor's bad split and costs MMNet's own 30-label protocol. RoSAS and MNPWAD handle the one-label case
with a label-free stop (:class:`adlab.components.training.LabelFitStop`: end after the first epoch ``e ≥ 1``
whose epoch-mean loss is below ``ratio`` × the first epoch's). This script asks whether the same rule, fed one
of MMNet's logged losses, would pick good epochs.

For each (data set, protocol, seed): ``weak_split(protocol=..., random_state=seed)``, one MMNet fit with its
defaults but the whole budget (``label_fit_stop=None``), and after every epoch the **test** AP of the default score (log-odds of the attention, from the
logits) next to the epoch's ``history_`` row — a diagnostic that uses test labels, never a way to pick a
setting for a report. The stopped model *is* the traced model after the stop epoch (MMNet's schedule, batches
and learning-rate decay do not depend on the number of epochs), so the AP there is what the rule would give.
Simulated keys: ``mask`` (the soft mask loss, Eq. 14), ``loss`` (Eq. 11). Writes ``<out>.jsonl`` (one trace
per line) and ``<out>.md``::

    python benchmarks/mmnet_stop_trace.py --protocol mnpwad --data letter magic.gamma pendigits annthyroid \\
        satimage-2 thyroid cardio --seeds 10 11 12 13 14
    python benchmarks/mmnet_stop_trace.py --protocol mmnet --data ... --seeds 10 11 12 13 14
    python benchmarks/mmnet_stop_trace.py --report-only
"""
from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from bench_data import load_dataset  # benchmarks/ is on sys.path when run as a script
from devlog import label_fit_stop_epoch, with_epoch_hook

RESULTS = Path(__file__).resolve().parent / "results"
RATIOS = (0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.4, 0.5)
KEYS = ("mask", "loss")


def trace(name: str, protocol: str, seed: int) -> dict:
    """One whole-budget fit: per-epoch ``history_`` losses and test AP (see the module docstring)."""
    from adlab.components.memory import attention_logodds_score
    from adlab.data.protocol import weak_split
    from adlab.evaluation.metrics import auc_pr
    from adlab.models.mmnet import MMNet

    X, y = load_dataset(name)
    sp = weak_split(X, y, protocol=protocol, random_state=seed)
    xt = torch.from_numpy(np.asarray(sp.X_test, dtype=np.float32))
    aps: list[float] = []

    def test_ap(det, epoch):
        net, k = det.modules_["net"], det.n_normal_items_
        with torch.no_grad():
            s = torch.cat([attention_logodds_score(net(xb)["logits"], k) for xb in xt.split(65536)]).numpy()
        aps.append(float(auc_pr(sp.y_test, s)))

    det = with_epoch_hook(MMNet, test_ap)(label_fit_stop=None, random_state=seed, device="cpu")   # whole budget
    t0 = time.perf_counter()
    det.fit(sp.X_train, sp.y_train)
    return {"data": name, "protocol": protocol, "seed": seed, "n_labeled": int(sp.y_train.sum()),
            "fit_s": round(time.perf_counter() - t0, 2), "test_ap": aps,
            **{key: [float(h[key]) for h in det.history_] for key in KEYS}}


def stop_epoch(values, ratio: float) -> int:
    """The epoch after which ``LabelFitStop(ratio)`` ends training, fed one logged loss (the last if never)."""
    return label_fit_stop_epoch(values, ratio)


def report(traces: list[dict], note: str = "") -> str:
    rows = []
    for t in traces:
        ap = t["test_ap"]
        row = {"protocol": t["protocol"], "data": t["data"], "seed": t["seed"], "whole budget": ap[-1],
               "best epoch (oracle)": max(ap), "after epoch 0": ap[0]}
        for key in KEYS:
            for r in RATIOS:
                e = stop_epoch(t[key], r)
                row[f"{key} {r:g}"] = ap[e]
                row[f"{key} {r:g} epoch"] = e
        rows.append(row)
    df = pd.DataFrame(rows)
    value_cols = ["whole budget", "best epoch (oracle)", "after epoch 0"] + [f"{k} {r:g}" for k in KEYS for r in RATIOS]
    lines = ["# MMNet: per-epoch test AP and a simulated label-free stop (Decision 16)", "",
             "Produced by `python benchmarks/mmnet_stop_trace.py` (see its docstring; one trace per line of "
             "`mmnet_stop_trace.jsonl`). Development seeds 10–14 only, never the report seeds: their test labels *evaluate* each simulated "
             "stop (a diagnostic; no fit ever sees them). `mask r` / `loss r`: the AP after the epoch where "
             "`LabelFitStop(r, key)` would end training (the whole budget if it never fires). CPU, one torch thread.", ""]
    for proto, g in df.groupby("protocol"):
        mean = g.groupby("data")[value_cols].mean()
        mean.loc["mean"] = g[value_cols].mean()
        lines += [f"## {proto} protocol ({len(g)} fits): mean test AP per data set", "",
                  mean.T.to_markdown(floatfmt=".3f"), ""]
        ep = g[[f"{k} {r:g} epoch" for k in KEYS for r in RATIOS]].median().rename("median stop epoch")
        lines += ["Median stop epoch per rule: " + ", ".join(f"{c.replace(' epoch', '')} {v:.0f}" for c, v in ep.items()), ""]
        for key in KEYS:
            for r in RATIOS:
                d = g[f"{key} {r:g}"] - g["whole budget"]
                lines.append(f"- {key} {r:g}: {d.mean():+.3f} against the whole budget; lower by more than 0.02 in "
                             f"{int((d < -0.02).sum())} of {len(g)} fits, higher by more than 0.02 in {int((d > 0.02).sum())}")
        lines.append("")
    if note:
        lines += [f"Note: {note}", ""]
    return "\n".join(lines)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--protocol", default="mnpwad", choices=["mnpwad", "rosas", "mmnet"])
    ap.add_argument("--data", nargs="+", default=[])
    ap.add_argument("--seeds", nargs="+", type=int, default=[10, 11, 12, 13, 14])
    ap.add_argument("--out", default=str(RESULTS / "mmnet_stop_trace"))
    ap.add_argument("--report-only", action="store_true")
    ap.add_argument("--note", default="")
    args = ap.parse_args(argv)
    torch.set_num_threads(1)
    out = Path(args.out)
    log = out.with_suffix(".jsonl")
    if not args.report_only:
        done = set()
        if log.exists():
            done = {(t["data"], t["protocol"], t["seed"]) for t in map(json.loads, log.read_text().splitlines())}
        for name in args.data:
            for seed in args.seeds:
                if (name, args.protocol, seed) in done:
                    continue
                t = trace(name, args.protocol, seed)
                with log.open("a") as fh:
                    fh.write(json.dumps(t) + "\n")
                print(f"{args.protocol} {name} seed {seed}: whole budget {t['test_ap'][-1]:.3f}, best "
                      f"{max(t['test_ap']):.3f} ({t['fit_s']} s)", flush=True)
    traces = [json.loads(line) for line in log.read_text().splitlines()] if log.exists() else []
    out.with_suffix(".md").write_text(report(traces, args.note))
    print(f"wrote {out.with_suffix('.md')}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
