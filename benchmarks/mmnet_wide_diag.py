"""Why MMNet's score is weaker than DevNet's on UNSW-NB15 Backdoor: per-component diagnostics (issue 13).

One fit per command; one JSON line appended to ``results/mmnet_wide_diag.jsonl``. For the MMNet protocol
split (seed ``SEED``; ``ROWS`` = ``full`` or a stratified subsample of that many rows, seed ``1000 + SEED``)
it records the test AUC-PR of every score MMNet can form —

* ``full`` (the estimator's default score), ``sum`` (``−S_sum``), ``kl`` (``−S_KL``), ``mse``
  (reconstruction error), ``raw19`` (the literal Eq. 19),
* ``logodds`` = ``logsumexp(d_l) − logsumexp(d_u)``, i.e. ``log(w_l / w_u)`` from the logits: the same
  ranking as ``−S_sum`` in exact arithmetic, without fp32 saturation at ``S_sum = 1``,

— the share of test normals / anomalies whose ``S_sum`` is saturated (``1 − S_sum < 1e-6`` or
``S_sum < 1e-6``), the median ‖z‖, the median logit range and largest attention weight, the norms of
the memory parts, the last epoch's losses and (every ``--curve`` epochs) the test AUC-PR of ``−S_sum``
and of the reconstruction error during training (development only: test labels never steer a fit).

    python benchmarks/mmnet_wide_diag.py full 10 '{}'
    python benchmarks/mmnet_wide_diag.py 20000 10 '{"weight_decay": 1e-2}' --curve 5
    python benchmarks/mmnet_wide_diag.py small TAG '{}' cardio,thyroid 0,1,2
    python benchmarks/mmnet_wide_diag.py small TAG '{}' cardio,pendigits 10,11 --protocol mmnet
    python benchmarks/mmnet_wide_diag.py report
"""
from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import numpy as np

from devlog import append_jsonl, fit_mmnet_small, read_jsonl, with_epoch_hook  # noqa: E402 - benchmarks/ is on sys.path when run as a script
from bench_data import EXTRA_FILES, SHARED  # benchmarks/ is on sys.path when run as a script

ROOT = Path(__file__).resolve().parents[1]
LOG = ROOT / "benchmarks" / "results" / "mmnet_wide_diag.jsonl"
DATA = SHARED / EXTRA_FILES["backdoor"]


def _append(row: dict) -> None:
    append_jsonl(LOG, row)


def _extras(det, X: np.ndarray) -> dict[str, np.ndarray]:
    from adlab.components.memory import attention_logodds_score

    k = det.n_normal_items_

    def fn(xb):
        out = det.modules_["net"](xb)
        lg = out["logits"]
        return {"logodds": attention_logodds_score(lg, k),
                "range": lg.max(1).values - lg.min(1).values, "wmax": out["w"].max(1).values,
                "z": out["z"].norm(dim=1)}

    return det._map_batches(X, fn)


def diag(det, s, fit_s: float, extra: dict) -> dict:
    from adlab.evaluation.metrics import evaluate

    c = det.score_components(s.X_test)
    e = _extras(det, s.X_test)
    scores = {"full": c["full"], "sum": -c["s_sum"], "logodds": e["logodds"], "kl": -c["s_kl"],
              "mse": c["reconstruction"], "raw19": -(c["s_sum"] + 0.1 * c["s_kl"])}
    res = {k: round(evaluate(s.y_test, v)["auc_pr"], 3) for k, v in scores.items()}
    res.update({f"roc_{k}": round(evaluate(s.y_test, scores[k])["auc_roc"], 3) for k in ("full", "sum", "logodds")})
    yt = s.y_test == 1
    ss = c["s_sum"]
    m = det.memory_items()
    h = det.history_[-1]
    res.update({
        "sat1_norm": round(float(np.mean(1 - ss[~yt] < 1e-6)), 3), "sat1_anom": round(float(np.mean(1 - ss[yt] < 1e-6)), 3),
        "sat0_norm": round(float(np.mean(ss[~yt] < 1e-6)), 4), "sat0_anom": round(float(np.mean(ss[yt] < 1e-6)), 3),
        "z_med": round(float(np.median(e["z"][~yt])), 2), "z_med_anom": round(float(np.median(e["z"][yt])), 2),
        "range_med": round(float(np.median(e["range"])), 1), "wmax_med": round(float(np.median(e["wmax"])), 3),
        "m_u_norm": round(float(np.linalg.norm(m[:det.n_normal_items_], axis=1).mean()), 2),
        "m_l_norm": round(float(np.linalg.norm(m[det.n_normal_items_:], axis=1).mean()), 2),
        "rec_last": round(h["rec"], 3), "mask_last": round(h["mask"], 4), "kl_last": round(h["kl"], 3),
        "wu_unl": round(h["w_u_unlabeled"], 4), "wl_lab": round(h["w_l_labeled"], 4),
        "fit_s": round(fit_s, 1), "n_train": int(len(s.y_train)), "lr": float(det.lr), **extra})
    return res


def _missed(det, s) -> dict:
    """Test anomalies whose ``S_sum`` saturates at 1 ("missed") vs the others: the share whose exact
    feature row also occurs among the labeled anomalies, the unlabeled (contaminating) training
    anomalies and the training normals."""
    def keys(X):
        return {r.tobytes() for r in np.round(X, 6)}

    lab = keys(s.X_train[s.y_train == 1])
    cont = keys(s.X_train[(s.y_train == 0) & (s.y_train_true == 1)])
    norm = keys(s.X_train[s.y_train_true == 0])
    ss = det.score_components(s.X_test[s.y_test == 1])["s_sum"]
    rows = [r.tobytes() for r in np.round(s.X_test[s.y_test == 1], 6)]
    out = {}
    for name, sel in (("missed", 1 - ss < 1e-6), ("caught", 1 - ss >= 1e-6)):
        rs = [r for r, m in zip(rows, sel) if m]
        n = max(len(rs), 1)
        out[f"{name}_n"] = len(rs)
        for kname, ks in (("lab", lab), ("cont", cont), ("norm", norm)):
            out[f"{name}_in_{kname}"] = round(sum(r in ks for r in rs) / n, 3)
    return out


def backdoor(rows: str, seed: int, params: dict, curve: int) -> None:
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
    points: list = []

    def test_curve(det, epoch):
        if curve and (epoch + 1) % curve == 0:
            net = det.modules_["net"]
            net.eval()
            with torch.no_grad():
                xt = torch.from_numpy(s.X_test.astype(np.float32))
                out = net(xt)
                ss = out["w"][:, :det.n_normal_items_].sum(1).numpy()
                mse = (out["x_hat"] - xt).pow(2).mean(1).numpy()
            net.train()
            points.append((epoch + 1, round(evaluate(s.y_test, -ss)["auc_pr"], 3),
                           round(evaluate(s.y_test, mse)["auc_pr"], 3)))

    det = with_epoch_hook(MMNet, test_curve)(random_state=seed, device="cpu", **params)
    t = time.perf_counter()
    det.fit(s.X_train, s.y_train)
    fit_s = time.perf_counter() - t
    res = diag(det, s, fit_s, {"curve": points} if points else {})
    res.update(_missed(det, s))
    _append({"kind": "backdoor", "rows": rows, "seed": seed, "params": params, **res})


def small(tag: str, params: dict, datasets: list[str], seeds: list[int], protocol: str = "mnpwad") -> None:
    for ds, seed, s, det, fit_s in fit_mmnet_small(params, datasets, seeds, protocol):
        _append({"kind": "small", "tag": tag, "ds": ds, "seed": seed, "params": params, "protocol": protocol,
                 **diag(det, s, fit_s, {})})


def report() -> str:
    """``results/mmnet_wide_diag.md`` from the JSON lines: AUC-PR of every score per fit."""
    import pandas as pd

    rows = read_jsonl(LOG)
    lines = ["# MMNet: AUC-PR of each score per fit (issue 13, Decision 14)", "",
             "Produced by `python benchmarks/mmnet_wide_diag.py ...` (one line of `mmnet_wide_diag.jsonl` per fit; "
             "`python benchmarks/mmnet_wide_diag.py report` rewrites this file). One fit gives every score: `full` = "
             "Eq. (19) on standardised components (the default before Decision 14), `sum` = −S_sum, `logodds` = "
             "log(w_l / w_u) (the default since), `kl` = −S_KL, `mse` = reconstruction error, `raw19` = the literal "
             "Eq. (19). `sat1_*`: share of test normals / anomalies whose float32 S_sum is 1 (within 1e-6). "
             "`params` = changes from the defaults of the run's time ({} = defaults). Development seeds only; "
             "CPU, one torch thread, a shared machine.", ""]
    bd = pd.DataFrame([r for r in rows if r["kind"] == "backdoor"])
    if not bd.empty:
        bd["params"] = bd["params"].map(lambda p: json.dumps(p, sort_keys=True))
        cols = ["rows", "seed", "params", "full", "sum", "logodds", "kl", "mse", "raw19", "sat1_norm", "sat1_anom",
                "z_med", "range_med", "wmax_med", "fit_s"]
        lines += ["## UNSW-NB15 Backdoor, MMNet protocol", "",
                  bd[[c for c in cols if c in bd.columns]].to_markdown(index=False, floatfmt=".3f"), ""]
        for r in rows:
            if r["kind"] == "backdoor" and r.get("curve"):
                lines.append(f"Test AUC-PR of −S_sum / reconstruction during training (rows {r['rows']}, seed "
                             f"{r['seed']}; epoch, −S_sum, mse): {r['curve']}")
        lines.append("")
    sm = pd.DataFrame([r for r in rows if r["kind"] == "small"])
    if not sm.empty:
        t = sm.groupby(["tag", "ds"])[["full", "sum", "logodds", "kl", "mse"]].mean()
        n = sm.groupby(["tag", "ds"])["seed"].count().rename("fits")
        lines += ["## Main table's data sets (MNPWAD protocol): mean AUC-PR over seeds", "",
                  t.join(n).to_markdown(floatfmt=".3f"), "",
                  "Mean over all these fits: " + ", ".join(f"`{c}` {sm[c].mean():.3f}"
                                                          for c in ("full", "sum", "logodds", "kl", "mse")), ""]
    lines += _lr_section(rows)
    return "\n".join(lines)


def _lr(row: dict) -> float:
    """The learning rate a fit ran with: recorded since 2026-12-02 (MMNet Decision 15); before that, the
    default 1e-3 unless ``params`` set one."""
    return float(row.get("lr", row["params"].get("lr", 1e-3)))


def _lr_section(rows: list[dict], base: float = 1e-3) -> list[str]:
    """MMNet Decision 15: each learning rate tried against ``base`` (1e-3, the default until then) on the same
    development fits (seeds ≥ 10; Backdoor rows at the report seeds 0–4 get their own table) of one machine — the Backdoor rows (full table; and 20k rows → full) and the small-set
    rows of each protocol, paired by data set and seed (a fit counts only where both rates ran)."""
    import pandas as pd

    every = pd.DataFrame([{**r, "protocol": r.get("protocol", "mnpwad"), "lr": _lr(r), "rows": str(r.get("rows", "full"))}
                          for r in rows if r.get("machine") and set(r["params"]) <= {"lr"}])
    if every.empty or every["lr"].nunique() < 2:
        return []
    df = every[(every["rows"] == "full") & (every["seed"] >= 10)].copy()   # development seeds only
    df["ds"] = df["ds"].where(df["kind"] == "small", "backdoor") if "ds" in df else "backdoor"
    df["protocol"] = df["protocol"].where(df["kind"] == "small", "mmnet")
    df["group"] = df["kind"].map({"backdoor": "Backdoor", "small": "main-table sets"}) + ", " + df["protocol"] + " protocol"
    lines = [f"## Learning rate against {base:g} (MMNet Decision 15)", "",
             "Development seeds 10–14, the default log-odds score, each fit run at each learning rate on the same "
             "machine (the rows' `machine` field); everything else at the defaults. Backdoor: the full table, MMNet "
             "protocol; the other data sets: the main table's (MNPWAD) protocol and the MMNet protocol. Cells: mean "
             "log-odds AUC-PR over the fits run at both rates.", ""]
    for machine, dm in df.groupby("machine"):
        w = dm.pivot_table(index=["group", "ds", "seed"], columns="lr", values="logodds")
        if base not in w.columns:
            continue
        tables, summary = [], []
        for lr in sorted(c for c in w.columns if c != base):
            pair = w[[base, lr]].dropna()
            if pair.empty:
                continue
            d = pair[lr] - pair[base]
            t = pair.assign(diff=d).groupby(level=["group", "ds"]).agg(
                **{f"lr {base:g}": (base, "mean"), f"lr {lr:g}": (lr, "mean"), "difference": ("diff", "mean"),
                   "fits": ("diff", "size")})
            tables += [f"lr {lr:g} against {base:g}:", "", t.reset_index().to_markdown(index=False, floatfmt=".3f"), ""]
            for group, g in pair.assign(diff=d).groupby(level="group"):
                summary.append(f"- lr {lr:g}, {group}, {len(g)} paired fits: mean {g[base].mean():.3f} → "
                               f"{g[lr].mean():.3f} ({g['diff'].mean():+.3f}); lower by more than 0.02 in "
                               f"{int((g['diff'] < -0.02).sum())}, higher by more than 0.02 in {int((g['diff'] > 0.02).sum())}")
        if not tables:
            continue
        lines += [f"Machine: {machine}.", "", *tables, *summary, ""]
        rep = every[(every["kind"] == "backdoor") & (every["machine"] == machine) & (every["seed"] < 10)
                    & (every["rows"] == "full")].pivot_table(index="seed", columns="lr", values="logodds")
        if base in rep.columns and rep.shape[1] > 1:
            rep = rep.dropna()
            lines += ["Backdoor, the *report* seeds 0–4 of `fidelity_wide.py` (MMNet protocol, full table; run after the "
                      "development screen, to see whether it carries over), log-odds AUC-PR per seed:", "",
                      rep.rename(columns=lambda c: f"lr {c:g}").rename(index=str).reset_index().to_markdown(
                          index=False, floatfmt=".3f"),
                      "", "Means: " + ", ".join(f"lr {c:g} {rep[c].mean():.3f}" for c in rep.columns), ""]
        bd = every[(every["kind"] == "backdoor") & (every["machine"] == machine) & (every["seed"] >= 10)]
        grow = bd.pivot_table(index="seed", columns=["lr", "rows"], values="logodds")
        rates = [lr for lr in sorted(bd["lr"].unique(), reverse=True)
                 if (lr, "20000") in grow.columns and (lr, "full") in grow.columns]
        if rates:
            lines += ["Backdoor, 20k-row stratified subsample → full table (issue 13: AUC-PR must not fall as the "
                      "training set grows), log-odds AUC-PR per dev seed:", ""]
            for seed, r in grow.iterrows():
                cells = [f"lr {lr:g}: {r[(lr, '20000')]:.3f} → {r[(lr, 'full')]:.3f}" for lr in rates
                         if not np.isnan(r[(lr, "20000")]) and not np.isnan(r[(lr, "full")])]
                if cells:
                    lines.append(f"- seed {seed}: " + "; ".join(cells))
            lines.append("")
    return lines


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    if argv[:1] == ["report"]:
        LOG.with_suffix(".md").write_text(report())
        return 0
    if len(argv) < 3:
        print(__doc__)
        return 2
    if argv[0] == "small":
        protocol = argv[argv.index("--protocol") + 1] if "--protocol" in argv else "mnpwad"
        small(argv[1], json.loads(argv[2]), argv[3].split(","), [int(x) for x in argv[4].split(",")], protocol)
        return 0
    curve = int(argv[argv.index("--curve") + 1]) if "--curve" in argv else 0
    backdoor(argv[0], int(argv[1]), json.loads(argv[2]), curve)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
