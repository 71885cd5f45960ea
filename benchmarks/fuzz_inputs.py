"""Bad-input fuzzing: every registered detector against the inputs a scikit-learn user gets wrong.

    python benchmarks/fuzz_inputs.py                 # prints the table, writes benchmarks/results/fuzz_inputs.md

For each (detector, case) one tiny fit (1 epoch, the settings of ``tests/registry_params.py``) on a
300 × 5 table with 10 labeled anomalies, then scoring, and the outcome is classified:

* ``clear error`` — a ``ValueError`` / ``TypeError`` / ``FloatingPointError`` (``NotFittedError`` is a
  ``ValueError``) whose message names the problem (a keyword of the case appears in it);
* ``vague error`` — one of those exceptions, but the message does not name the problem;
* ``crash`` — any other exception (``RuntimeError``, ``IndexError``…), i.e. torch/numpy internals;
* ``silent bad`` — no exception, but non-finite or constant scores, a NaN threshold, or a suspicious
  input (scale 1e-30) without a warning;
* ``ok`` — the input is legitimate and the detector handled it (finite, non-constant scores), or it
  warned about a suspicious one.

The target is no ``crash``, ``vague error`` or ``silent bad`` anywhere.
"""
from __future__ import annotations

import argparse
import datetime
import os
import platform
import shlex
import sys
import warnings
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

import torch  # noqa: E402
from registry_params import NAMES, tiny  # noqa: E402

from adlab.models.registry import get_detector_class  # noqa: E402


def _data(n=300, d=5, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d))
    X[:30] += 3.0
    y = np.zeros(n, np.int64)
    y[:10] = 1
    return X, y


def _sparse(X):
    import scipy.sparse as sp

    return sp.csr_matrix(X)


#: case -> (``call(det, X, y)`` returning scores, keywords a clear error message contains, kind):
#: kind True = legitimate input that must be handled; False = must raise a clear error (or at least
#: warn); "scale" = extreme feature scale: fine if the scores come out finite and non-constant,
#: else a clear error or a warning is required.
CASES = {
    "NaN in X": (lambda d, X, y: d.fit(np.where(np.arange(X.size).reshape(X.shape) == 7, np.nan, X), y)
                 .decision_function(X), ("nan",), False),
    "inf in X": (lambda d, X, y: d.fit(np.where(np.arange(X.size).reshape(X.shape) == 7, np.inf, X), y)
                 .decision_function(X), ("inf",), False),
    "1e39 (inf in float32)": (lambda d, X, y: d.fit(np.where(np.arange(X.size).reshape(X.shape) == 7, 1e39, X), y)
                              .decision_function(X), ("float32",), False),
    "1e39 row at scoring": (lambda d, X, y: d.fit(X, y).decision_function(np.vstack([X[:5], np.full((1, 5), 1e39)])),
                            ("float32",), False),
    "X * 1e30": (lambda d, X, y: d.fit(X * 1e30, y).decision_function(X * 1e30), ("scale", "diverged"), "scale"),
    "X * 1e-30": (lambda d, X, y: d.fit(X * 1e-30, y).decision_function(X * 1e-30), ("scale",), "scale"),
    "complex X": (lambda d, X, y: d.fit(X + 1j, y).decision_function(X), ("complex",), False),
    "sparse X": (lambda d, X, y: d.fit(_sparse(X), y).decision_function(X), ("sparse",), False),
    "1-D X": (lambda d, X, y: d.fit(X[:, 0], y).decision_function(X), ("2-d",), False),
    "empty X": (lambda d, X, y: d.fit(X[:0], y[:0]).decision_function(X), ("empty",), False),
    "strings in X": (lambda d, X, y: d.fit(X.astype(str).astype(object) + "a", y).decision_function(X),
                     ("numeric",), False),
    "label 2 in y": (lambda d, X, y: d.fit(X, np.where(y == 1, 2, 0)).decision_function(X), ("y must",), False),
    "y length mismatch": (lambda d, X, y: d.fit(X, y[:-1]).decision_function(X), ("labels",), False),
    "wrong feature count": (lambda d, X, y: d.fit(X, y).decision_function(X[:, :3]), ("features",), False),
    "score before fit": (lambda d, X, y: d.decision_function(X), ("not fitted",), False),
    "random_state='abc'": (lambda d, X, y: d.set_params(random_state="abc").fit(X, y).decision_function(X),
                           ("random_state",), False),
    "random_state=-1": (lambda d, X, y: d.set_params(random_state=-1).fit(X, y).decision_function(X),
                        ("random_state",), False),
    "device='nonsense'": (lambda d, X, y: d.set_params(device="nonsense").fit(X, y).decision_function(X),
                          ("device",), False),
    "y = -1 for unlabeled": (lambda d, X, y: d.fit(X, np.where(y == 1, 1, -1)).decision_function(X), (), True),
    "float64 pandas X": (lambda d, X, y: d.fit(__import__("pandas").DataFrame(X), y).decision_function(X), (), True),
    "int X": (lambda d, X, y: d.fit(np.round(X * 10).astype(np.int64), y).decision_function(X), (), True),
    "constant column": (lambda d, X, y: d.fit(np.c_[X, np.ones(len(X))], y).decision_function(np.c_[X, np.ones(len(X))]),
                        (), True),
    "one labeled anomaly": (lambda d, X, y: d.fit(X, (np.arange(len(y)) == 0).astype(int)).decision_function(X), (),
                            True),
}

CLEAR_TYPES = (ValueError, TypeError, FloatingPointError)


def classify(name: str, case: str) -> tuple[str, str]:
    call, keywords, legit = CASES[case]
    X, y = _data()
    det = tiny(name)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            scores = np.asarray(call(det, X, y), dtype=np.float64)
        except CLEAR_TYPES as exc:
            msg = str(exc)
            named = not keywords or any(k in msg.lower() for k in keywords)
            return ("clear error" if named else "vague error"), f"{type(exc).__name__}: {msg[:90]}"
        except Exception as exc:  # noqa: BLE001 - classifying every failure is the point
            return "crash", f"{type(exc).__name__}: {str(exc)[:90]}"
    # a warning addressed to the user (UserWarning and subclasses); numpy's RuntimeWarnings from deep
    # inside ("overflow encountered in cast", "discards the imaginary part") do not count
    warned = [str(w.message) for w in caught if issubclass(w.category, UserWarning)
              and not str(w.message).startswith("X_val")]
    bad = not np.isfinite(scores).all() or np.ptp(scores) == 0 or not np.isfinite(getattr(det, "threshold_", 0.0))
    if legit is True or (legit == "scale" and not bad):
        if bad:
            return "silent bad", "non-finite/constant scores"
        return ("ok" if not warned or legit is True else "ok, warned"), (f"warning: {warned[0][:90]}" if warned else "")
    if warned:
        return "ok, warned", f"warning: {warned[0][:90]}"
    return "silent bad", ("non-finite/constant scores" if bad else "no error, no warning")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--methods", nargs="*", default=NAMES)
    parser.add_argument("--cases", nargs="*", default=list(CASES))
    parser.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / "fuzz_inputs.md"))
    parser.add_argument("--title", default="", help="a note for the report's heading (e.g. the adlab version)")
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    results, notes = {}, {}
    for case in args.cases:
        for name in args.methods:
            get_detector_class(name)
            results[case, name], notes[case, name] = classify(name, case)
        print(f"{case:28s} " + "  ".join(f"{n}={results[case, n]}" for n in args.methods), flush=True)
    import adlab

    command = shlex.join(["python", "benchmarks/fuzz_inputs.py", *(argv if argv is not None else sys.argv[1:])])
    if os.environ.get("PYTHONPATH"):
        command = f"PYTHONPATH={os.environ['PYTHONPATH']} {command}"
    source = Path(adlab.__file__).parent
    header = "| case | " + " | ".join(args.methods) + " |"
    lines = [header, "|" + "---|" * (len(args.methods) + 1)]
    for case in args.cases:
        lines.append(f"| {case} | " + " | ".join(results[case, n] for n in args.methods) + " |")
    counts = {k: sum(v == k for v in results.values()) for k in ("ok", "ok, warned", "clear error", "vague error",
                                                                  "crash", "silent bad")}
    detail = [f"- **{case} / {name}**: {notes[case, name]}" for case in args.cases for name in args.methods
              if results[case, name] in ("crash", "silent bad", "vague error")]
    text = "\n".join([
        "# Bad-input fuzzing (`benchmarks/fuzz_inputs.py`)" + (f": {args.title}" if args.title else ""), "",
        f"Command: `{command}` (adlab imported from `{source}`); {datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC, "
        f"{platform.machine()} {platform.python_version()}, torch {torch.__version__}, CPU, one thread.", "",
        "Every registered detector (tiny settings, one epoch) against each input; outcome per cell: "
        "`clear error` (ValueError/TypeError/FloatingPointError naming the problem), `vague error`, `crash` "
        "(any other exception), `silent bad` (no error, bad scores or no warning), `ok` (`ok, warned`: a "
        "suspicious input was accepted with a warning, e.g. features on a scale of 1e-30).", "",
        *lines, "",
        "Totals: " + ", ".join(f"{k} {v}" for k, v in counts.items()), "",
        *(["Cells that are not `ok`/`clear error`:", "", *detail] if detail else
          ["No crash, vague error or silent bad result."]), ""])
    print("\n" + text)
    Path(args.out).write_text(text, encoding="utf-8")
    return 0 if not detail else 1


if __name__ == "__main__":
    sys.exit(main())
