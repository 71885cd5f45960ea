"""Worker for ``benchmarks/parity_mnpwad.py``: runs the MNPWAD authors' code (a checkout of
github.com/Dongzhijin/MNPWAD, given by ``MNPWAD_OFFICIAL_DIR``) in *its own* Python environment.

Nothing of the authors' code is copied here: this file imports it from that directory at run time.
It reads one JSON request per line on stdin, ``{"npz": path, "seed": int, "n_prototypes": int}`` (0 = the
authors' silhouette choice of k), and answers one JSON line:

* the npz holds adlab's ``mnpwad-reference`` split (``X_train, y_train`` weak labels, ``X_val, y_val``,
  ``X_test, y_test``) and the raw ``X, y`` with the split seed ``random_state``;
* the first request for an npz also re-splits ``X, y`` with the authors' own
  ``utils.split_train_test_val`` + ``semi_setting_ratio`` and reports whether every array is identical
  (``split_identical``);
* a run is ``MNPWAD(seed=..., train.sh settings).fit(X_train, y_train, val_x=X_val, val_y=y_val)`` then
  ``predict(X_test)``; the clock covers model construction to test scores (as in the authors' ``train.py``).
  Answer: test scores are saved to ``<npz>.official.seed<seed>.npy``; the line carries wall seconds,
  epochs trained, the chosen k and the log's per-epoch validation lines (``val_lines``).
"""
import contextlib
import io
import json
import os
import sys
import tempfile
import time

import numpy as np

OFFICIAL = os.environ["MNPWAD_OFFICIAL_DIR"]
sys.path.insert(0, OFFICIAL)
import torch  # noqa: E402

torch.set_num_threads(1)
import utils  # noqa: E402  (the authors' utils.py)
from MNPWAD import MNPWAD  # noqa: E402  (the authors' class)

_checked = {}


def check_split(path, d):
    with contextlib.redirect_stdout(io.StringIO()):
        x_tr, y_tr, x_te, y_te, x_va, y_va = utils.split_train_test_val(
            d["X"], d["y"].astype(int), test_ratio=0.35, val_ratio=0.05,
            random_state=int(d["random_state"]), del_features=True)
        semi = utils.semi_setting_ratio(y_tr, labeled_ratio=float(d.get("labeled_ratio", 0.01)))
    same = (np.array_equal(x_tr, d["X_train"]) and np.array_equal(semi, d["y_train"])
            and np.array_equal(x_te, d["X_test"]) and np.array_equal(y_te, d["y_test"])
            and np.array_equal(x_va, d["X_val"]) and np.array_equal(y_va, d["y_val"]))
    return bool(same)


def run(req):
    path, seed, k = req["npz"], int(req["seed"]), int(req.get("n_prototypes", 0))
    d = dict(np.load(path))
    if path not in _checked:
        _checked[path] = check_split(path, d) if "X" in d else None
    out = tempfile.mkdtemp(prefix="mnpwad_official_")
    os.makedirs(os.path.join(out, "checkpoints"), exist_ok=True)
    log = utils.logger(os.path.join(out, "log.txt"))
    t0 = time.perf_counter()
    with contextlib.redirect_stdout(io.StringIO()):
        model = MNPWAD(device="cpu", use_es=True, logger=log, base_model="MNP", output_path=out,
                       dataset_name="data", batch_size=128, n_emb=8, lr=0.005, m1=0.02, lambda_kl=1.0,
                       n_prototypes=k, seed=seed)
        model.fit(d["X_train"], d["y_train"].astype(int), val_x=d["X_val"], val_y=d["y_val"].astype(int),
                  pretrainAE=True)
        score = model.predict(d["X_test"])
    wall = time.perf_counter() - t0
    np.save(f"{path}.official.seed{seed}.npy", score)
    text = open(os.path.join(out, "log.txt")).read()
    epochs = text.count("【epoch") and max(int(t.split("】")[0]) for t in text.split("【epoch ")[1:])
    return {"wall_s": wall, "k": int(model.n_prototypes), "last_logged_epoch": int(epochs),
            "split_identical": _checked[path],
            "val_lines": [line for line in text.splitlines() if "val-auroc/pr" in line]}


if __name__ == "__main__":
    for line in sys.stdin:
        if not line.strip():
            continue
        try:
            ans = run(json.loads(line))
        except Exception as exc:  # report, keep serving
            ans = {"error": f"{type(exc).__name__}: {exc}"}
        print(json.dumps(ans), flush=True)
