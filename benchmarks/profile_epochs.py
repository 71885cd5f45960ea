"""Where does the time of one training epoch go? torch.profiler over a short fit of each detector.

    python benchmarks/profile_epochs.py                        # every torch detector, pendigits
    python benchmarks/profile_epochs.py --methods RoSAS MMNet --dataset magic.gamma --epochs 2

For each detector: the paper protocol's weak split, the default (paper) settings with ``epochs``
(and ``pretrain_epochs``/``finetune_epochs`` where they exist) set to ``--epochs``, one warm-up fit,
then one profiled fit on the CPU with one torch thread (adlab's training default). The profiled
fit covers everything ``fit`` does: pretraining (MNPWAD, DeepSAD, FeaWAD), k-means (MNPWAD), the
training epochs and the scoring of the training set. Reported per detector:

* the unprofiled fit's seconds and the wall seconds of the profiled fit (the profiler adds overhead, so compare shares, not seconds);
* the time by category (self CPU time of the operators, summed): matrix products, optimiser,
  random sampling, other operators of the backward pass, other operators, and the rest of the
  wall time, i.e. Python, the dispatcher and everything outside torch (e.g. scikit-learn's k-means);
* the 12 operators with the largest self CPU time.

Writes ``benchmarks/results/profile.md`` (and prints it).
"""
from __future__ import annotations

import argparse
import inspect
import os
import sys
import time
from collections import defaultdict
from pathlib import Path

import torch
from torch.profiler import ProfilerActivity, profile

#: heading of the hand-written section of profile.md, carried over when the tables are regenerated
HAND_NOTES = "## Reading (added by hand"
RESULTS = Path(__file__).resolve().parent / "results"
PROTOCOL = {"MNPWAD": "mnpwad", "MMNet": "mmnet"}
SKIP = {"IsolationForest"}   # no torch training loop
#: default epoch counts to profile: RoSAS's "epoch" is only 16 steps, so 20 of them (320 steps)
DEFAULT_EPOCHS = {"RoSAS": 20}

CATEGORIES = [
    ("matmul", ("aten::mm", "aten::addmm", "aten::bmm", "aten::matmul", "aten::linear", "aten::einsum")),
    ("optimiser", ("Optimizer.", "aten::_fused_adam", "aten::_foreach", "aten::lerp")),
    ("sampling", ("aten::randperm", "aten::randint", "aten::unique", "aten::_unique", "aten::_sample_dirichlet",
                  "aten::multinomial", "aten::normal", "aten::uniform", "aten::random_", "aten::randn",
                  "aten::rand", "aten::bernoulli")),
]


def categorise(name: str, is_backward: bool) -> str:
    for cat, prefixes in CATEGORIES:
        if name.startswith(prefixes):
            return cat
    if is_backward:
        return "other backward ops"
    return "other ops"


def short_settings(cls, epochs: int) -> dict:
    params = inspect.signature(cls.__init__).parameters
    kw = {}
    for name in ("epochs", "pretrain_epochs", "finetune_epochs"):
        if name in params:
            kw[name] = epochs
    return kw


def profile_method(method: str, dataset: str, epochs: int, seed: int) -> dict:
    from adlab.data.adbench import load_adbench
    from adlab.data.protocol import weak_split
    from adlab.models.registry import get_detector_class

    X, y = load_adbench(dataset)
    split = weak_split(X, y, protocol=PROTOCOL.get(method, "rosas"), random_state=seed)
    cls = get_detector_class(method)
    kw = dict(short_settings(cls, epochs), random_state=seed, device="cpu")
    cls(**kw).fit(split.X_train, split.y_train)                      # warm-up (allocator, lazy imports)
    t0 = time.perf_counter()
    cls(**kw).fit(split.X_train, split.y_train)
    plain_s = time.perf_counter() - t0
    with profile(activities=[ProfilerActivity.CPU]) as prof:
        t0 = time.perf_counter()
        det = cls(**kw).fit(split.X_train, split.y_train)
        wall_us = (time.perf_counter() - t0) * 1e6
    by_cat, top = defaultdict(float), []
    totals = prof.key_averages()
    op_total = 0.0
    for avg in totals:
        if avg.key.startswith(("autograd::engine::evaluate_function", "ProfilerStep")):
            cat = "other backward ops"
        else:
            cat = categorise(avg.key, "Backward" in avg.key or "backward" in avg.key)
        by_cat[cat] += avg.self_cpu_time_total
        op_total += avg.self_cpu_time_total
        top.append((avg.self_cpu_time_total, avg.key, avg.count))
    by_cat["python / dispatcher / outside torch"] = max(0.0, wall_us - op_total)
    top.sort(reverse=True)
    return {"method": method, "settings": kw, "n_train": len(split.y_train), "plain_s": plain_s,
            "wall_s": wall_us / 1e6, "by_cat": dict(by_cat), "top": top[:12], "history_len": len(det.history_)}


def to_markdown(results, dataset: str, threads: int) -> str:
    cats = ["matmul", "optimiser", "sampling", "other backward ops", "other ops", "python / dispatcher / outside torch"]
    lines = [
        "# Where the time of a training epoch goes",
        "",
        f"Command: `python benchmarks/profile_epochs.py {' '.join(sys.argv[1:])}`. Dataset: {dataset} "
        f"(paper-protocol weak split), CPU, {threads} torch thread(s), torch {torch.__version__}, "
        f"{os.cpu_count()} logical cores, load average {'/'.join(f'{v:.2f}' for v in os.getloadavg())} "
        "(shared machine).",
        "",
        "Each detector: default settings with the epoch counts set to the value shown; `fit s` is an "
        "unprofiled fit, the shares come from a profiled one (self CPU time per operator category; the last "
        "column is the wall time not spent inside torch operators: Python, dispatch, scikit-learn).",
        "",
        "| method | settings | fit s | " + " | ".join(cats) + " |",
        "|---|---|---:|" + "---:|" * len(cats),
    ]
    for r in results:
        total = sum(r["by_cat"].values()) or 1.0
        shares = " | ".join(f"{100 * r['by_cat'].get(c, 0.0) / total:.0f} %" for c in cats)
        settings = ", ".join(f"{k}={v}" for k, v in r["settings"].items() if k not in ("random_state", "device"))
        lines.append(f"| {r['method']} | {settings} | {r['plain_s']:.2f} | {shares} |")
    for r in results:
        lines += ["", f"## {r['method']} — top operators by self CPU time (profiled fit {r['wall_s']:.2f} s)", "",
                  "| operator | self CPU ms | calls |", "|---|---:|---:|"]
        lines += [f"| `{name}` | {t / 1e3:.1f} | {n} |" for t, name, n in r["top"]]
    return "\n".join(lines) + "\n"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--methods", nargs="*", default=None)
    parser.add_argument("--dataset", default="pendigits")
    parser.add_argument("--epochs", type=int, default=None,
                        help="epochs (and pretraining epochs) per fit; default 1, RoSAS 20 (16 steps each)")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", default=str(RESULTS / "profile.md"))
    args = parser.parse_args(argv)

    import adlab.config
    from adlab.models.registry import available_detectors

    torch.set_num_threads(args.threads)
    adlab.config.set_performance(num_threads=args.threads, score_threads=args.threads)
    methods = args.methods or [m for m in available_detectors() if m not in SKIP]
    results = []
    for method in methods:
        try:
            epochs = args.epochs if args.epochs is not None else DEFAULT_EPOCHS.get(method, 1)
            results.append(profile_method(method, args.dataset, epochs, args.seed))
            print(f"{method}: {results[-1]['plain_s']:.2f} s", flush=True)
        except Exception as exc:  # a detector under construction must not stop the others
            print(f"{method}: failed ({type(exc).__name__}: {exc})", flush=True)
    text = to_markdown(results, args.dataset, args.threads)
    out = Path(args.out)
    if out.exists():  # keep the hand-written reading of earlier runs (it quotes their numbers)
        old = out.read_text()
        if HAND_NOTES in old:
            text = text.rstrip("\n") + "\n\n" + old[old.index(HAND_NOTES):]
    out.write_text(text)
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
